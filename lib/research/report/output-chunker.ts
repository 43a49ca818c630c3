/**
 * Turns report text (any size of pieces: a whole report, or a model's
 * tokens) into output events of about a line or a paragraph: text is passed
 * on up to its last line break, and blank lines stay with the text before
 * them. `flush()` passes on what is left at the end.
 */
export function createOutputChunker(output: (text: string) => Promise<void>) {
  let buffer = "";
  let received = "";
  const send = async (text: string) => {
    if (text !== "") await output(text);
  };
  return {
    async write(text: string): Promise<void> {
      received += text;
      buffer += text;
      // Each complete line is a piece; a blank line joins the piece before it.
      for (;;) {
        const match = /\n+/.exec(buffer);
        if (match === null) return;
        const end = match.index + match[0].length;
        if (end === buffer.length && match.index + 1 === buffer.length) {
          // A single trailing newline: wait, the next text may be a blank line that belongs here.
          return;
        }
        await send(buffer.slice(0, end));
        buffer = buffer.slice(end);
      }
    },
    async flush(): Promise<void> {
      const rest = buffer;
      buffer = "";
      await send(rest);
    },
    /** Everything given to `write` so far (sent, or waiting for the end of its line). */
    get received(): string {
      return received;
    },
  };
}
