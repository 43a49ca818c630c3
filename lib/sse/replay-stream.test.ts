import { describe, expect, it } from "vitest";
import { silentLogger } from "../log";
import type { TaskEvent } from "../model/events";
import { encodeEvent } from "./encode";
import { EncodedRun } from "./replay-cache";
import { createReplayStream } from "./replay-stream";

function encodedRun(events: TaskEvent[]): EncodedRun {
  const offsets = new Uint32Array(events.length + 1);
  let text = "";
  events.forEach((event, index) => {
    offsets[index] = Buffer.byteLength(text);
    text += encodeEvent(event);
  });
  offsets[events.length] = Buffer.byteLength(text);
  const key = {
    taskId: "b".repeat(32),
    createdAt: "2025-01-01T00:00:00.000Z",
    run: 1,
    firstEventId: events[0]!.id,
    lastEventId: events.at(-1)!.id,
  };
  return new EncodedRun(key, Buffer.from(text), offsets);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string }> {
  const reader = stream.getReader();
  const parts: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
  }
  return { text: Buffer.concat(parts).toString("utf8") };
}

describe("createReplayStream", () => {
  const events: TaskEvent[] = [
    ...Array.from({ length: 30 }, (_, index) => ({
      id: index + 1,
      type: "output" as const,
      data: { text: `piece ${index} — ✓ ` },
    })),
    { id: 31, type: "done", data: { status: "completed" } },
  ];

  it("sends the comment, retry and an id-less snapshot, then the frames after the cursor, then ends", async () => {
    let opened = 0;
    let closed = 0;
    const stream = createReplayStream({
      run: encodedRun(events),
      afterId: 7,
      snapshot: { id: "b".repeat(32), status: "completed" },
      retryMs: 2000,
      logger: silentLogger,
      onOpen: () => opened++,
      onClose: () => closed++,
    });
    const { text } = await readAll(stream);
    const prefix = `: fathom\n\nretry: 2000\n\nevent: task\ndata: {"id":"${"b".repeat(32)}","status":"completed"}\n\n`;
    expect(text.startsWith(prefix)).toBe(true);
    expect(text.slice(prefix.length)).toBe(events.slice(7).map(encodeEvent).join(""));
    expect([opened, closed]).toEqual([1, 1]);
  });

  it("counts a cancelled replay as closed once", async () => {
    let closed = 0;
    const stream = createReplayStream({
      run: encodedRun(events),
      afterId: 0,
      snapshot: {},
      retryMs: 1000,
      logger: silentLogger,
      onClose: () => closed++,
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(closed).toBe(1);
  });
});
