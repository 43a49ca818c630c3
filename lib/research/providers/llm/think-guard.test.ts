import { describe, expect, it } from "vitest";
import { createThinkGuard, THINK_GUARD_HOLD } from "./think-guard";

async function run(pieces: string[]): Promise<{ text: string; reasoning: string; emits: number }> {
  let text = "";
  let emits = 0;
  const guard = createThinkGuard(async (piece) => {
    text += piece;
    emits++;
  });
  for (const piece of pieces) await guard.write(piece);
  const reasoning = await guard.end();
  return { text, reasoning, emits };
}

/** `text` cut into pieces at every pair of positions. */
function splits(text: string): string[][] {
  const result: string[][] = [];
  for (let a = 1; a < text.length; a++) {
    for (let b = a; b < text.length; b += 3) result.push([text.slice(0, a), text.slice(a, b), text.slice(b)]);
  }
  return result;
}

describe("the think guard", () => {
  it("drops reasoning whose opening tag never came, wherever the closing tag is split", async () => {
    const answer = '{"queries": []}';
    for (const pieces of splits(`Let me think about this.</think>\n\n${answer}`)) {
      const { text, reasoning } = await run(pieces);
      expect(text).toBe(answer);
      expect(reasoning).toBe("Let me think about this.");
    }
  });

  it("removes stray tags later in an answer, even split across pieces", async () => {
    for (const pieces of splits("# Title\n\nOne <think></think>two")) {
      const { text } = await run(pieces);
      expect(text).toBe("# Title\n\nOne two");
    }
  });

  it("passes an answer that visibly begins at once, and plain text at the end", async () => {
    const heading = await run(["# Ti", "tle\n", "body"]);
    expect(heading.text).toBe("# Title\nbody");
    expect(heading.emits).toBe(3);
    const plain = await run(["Plain ", "answer"]);
    expect(plain).toEqual({ text: "Plain answer", reasoning: "", emits: 1 });
  });

  it("holds back no more than THINK_GUARD_HOLD characters", async () => {
    const long = "word ".repeat(THINK_GUARD_HOLD / 5 + 10);
    let emittedBeforeEnd = 0;
    const guard = createThinkGuard(async (piece) => {
      emittedBeforeEnd += piece.length;
    });
    for (const piece of long.match(/.{1,50}/gs) ?? []) await guard.write(piece);
    expect(emittedBeforeEnd).toBeGreaterThanOrEqual(THINK_GUARD_HOLD);
    await guard.end();
    expect(emittedBeforeEnd).toBe(long.length);
  });
});
