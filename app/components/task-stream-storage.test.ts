import { afterEach, describe, expect, it, vi } from "vitest";
import { taskView } from "@/lib/model/task-view";
import { testTask } from "@/lib/model/testing/task-fixture";
import { initialStreamView, type StreamView } from "./task-stream-reducer";
import { StreamStorage } from "./task-stream-storage";

const ID = "0123456789abcdef0123456789abcdef";

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => items.delete(key),
    setItem: (key, value) => items.set(key, value),
  };
}

function streaming(): StreamView {
  const task = testTask({ id: ID }, { request: { query: "q" } });
  return {
    ...initialStreamView(taskView({ ...task, status: "running" })),
    cursor: 3,
    markdown: "Some text",
    sources: [{ title: "Jefferson", documentRef: "sotu:1803" }],
    tree: [{ id: "q1", kind: "question", label: "Q" }],
    connection: { kind: "live" },
  };
}

afterEach(() => vi.restoreAllMocks());

describe("StreamStorage", () => {
  it("saves the cursor with everything derived up to it, and loads it back", () => {
    const storage = memoryStorage();
    new StreamStorage(ID, () => storage).saveNow(streaming());
    expect(new StreamStorage(ID, () => storage).load()).toEqual({
      runStartEventId: 1,
      cursor: 3,
      markdown: "Some text",
      sources: [{ title: "Jefferson", documentRef: "sotu:1803" }],
      tree: [{ id: "q1", kind: "question", label: "Q" }],
    });
  });

  it("does not save a finished page, nor one showing the stored report", () => {
    const storage = memoryStorage();
    const streams = new StreamStorage(ID, () => storage);
    streams.saveNow({ ...streaming(), connection: { kind: "finished" } });
    streams.saveNow({ ...streaming(), reportOrigin: "result" });
    expect(storage.length).toBe(0);
  });

  it("ignores a damaged or foreign entry, saying why", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const storage = memoryStorage();
    const streams = new StreamStorage(ID, () => storage);
    storage.setItem(`fathom:stream:${ID}`, "{not json");
    expect(streams.load()).toBeNull();
    storage.setItem(`fathom:stream:${ID}`, JSON.stringify({ version: 2, cursor: 3 }));
    expect(streams.load()).toBeNull();
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("survives storage that refuses (disabled or full): the page then replays the run", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const refusing = () => {
      throw new DOMException("denied", "SecurityError");
    };
    const streams = new StreamStorage(ID, refusing);
    expect(() => streams.saveNow(streaming())).not.toThrow();
    expect(streams.load()).toBeNull();
    expect(() => streams.forget()).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(3);
  });

  it("forgets the entry", () => {
    const storage = memoryStorage();
    const streams = new StreamStorage(ID, () => storage);
    streams.saveNow(streaming());
    streams.forget();
    expect(streams.load()).toBeNull();
  });
});
