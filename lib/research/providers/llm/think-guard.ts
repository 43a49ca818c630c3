const CLOSE = "</think>";
const OPEN = "<think>";

/** Characters held back at most while waiting to see whether an answer starts inside its reasoning. */
export const THINK_GUARD_HOLD = 4000;

/** An answer visibly begins: a Markdown heading, JSON, a code fence. */
const ANSWER_START = /^\s*(#|\{|\[|```)/;

/**
 * Passes an answer's text on, minus reasoning whose opening tag never came.
 *
 * Paired `<think>…</think>` blocks are taken out before this (the SDK's
 * reasoning middleware). But some chat templates put `<think>` into the
 * prompt, so the answer starts inside the reasoning and only `</think>`
 * arrives. The guard holds the start of the answer back until it visibly
 * begins, a `</think>` shows that what came before was reasoning (dropped,
 * returned by `end` as reasoning), or `THINK_GUARD_HOLD` characters passed.
 * Stray tags later in the answer are removed.
 */
export function createThinkGuard(emit: (text: string) => Promise<void>) {
  let held = "";
  let decided = false;
  let reasoning = "";
  let tail = "";
  /** After a dropped reasoning: the whitespace that separated it from the answer goes too. */
  let trimLeading = false;
  const trimStart = (text: string) => {
    const trimmed = text.replace(/^\s+/, "");
    if (trimmed !== "") trimLeading = false;
    return trimmed;
  };

  /** Emits text after the decision, removing stray tags even when split across pieces. */
  const pass = async (text: string) => {
    let combined = tail + text;
    tail = "";
    combined = combined.split(CLOSE).join("").split(OPEN).join("");
    const lastOpen = combined.lastIndexOf("<");
    if (lastOpen >= 0 && lastOpen > combined.length - CLOSE.length) {
      const rest = combined.slice(lastOpen);
      if (CLOSE.startsWith(rest) || OPEN.startsWith(rest)) {
        tail = rest;
        combined = combined.slice(0, lastOpen);
      }
    }
    if (combined !== "") await emit(combined);
  };

  return {
    async write(text: string): Promise<void> {
      if (decided) return pass(trimLeading ? trimStart(text) : text);
      held += text;
      if (ANSWER_START.test(held)) {
        const released = held;
        held = "";
        decided = true;
        return pass(released);
      }
      const close = held.indexOf(CLOSE);
      if (close >= 0) {
        reasoning += held.slice(0, close).replace(OPEN, "").trim();
        const rest = held.slice(close + CLOSE.length);
        held = "";
        decided = true;
        trimLeading = true;
        return pass(trimStart(rest));
      }
      if (held.length >= THINK_GUARD_HOLD) {
        const released = held;
        held = "";
        decided = true;
        return pass(released);
      }
    },
    /** Releases what is held; returns the reasoning that was dropped. */
    async end(): Promise<string> {
      if (!decided) {
        decided = true;
        const released = held;
        held = "";
        await pass(released);
      }
      if (tail !== "") {
        const rest = tail;
        tail = "";
        await emit(rest);
      }
      return reasoning;
    },
  };
}
