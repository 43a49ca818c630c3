import { describe, expect, it } from "vitest";
import { type UploadItem, uploadPercent, uploadReducer, uploadSummary, uploadsToStart } from "./upload-queue";

const files = [
  { key: "a", filename: "report.pdf", size: 1000 },
  { key: "b", filename: "notes.docx", size: 500 },
  { key: "c", filename: "data.csv", size: 0 },
];

function added(): UploadItem[] {
  return uploadReducer([], { type: "add", files });
}

describe("uploadReducer", () => {
  it("adds files as waiting, in order", () => {
    const items = added();
    expect(items.map((item) => [item.key, item.phase, item.loaded])).toEqual([
      ["a", "waiting", 0],
      ["b", "waiting", 0],
      ["c", "waiting", 0],
    ]);
  });

  it("takes a file from waiting through uploading and processing to accepted", () => {
    let items = added();
    items = uploadReducer(items, { type: "start", key: "a" });
    expect(items[0]!.phase).toBe("uploading");
    // The multipart envelope makes the browser's total larger than the file.
    items = uploadReducer(items, { type: "progress", key: "a", loaded: 600, total: 1200 });
    expect(items[0]!.loaded).toBe(500);
    expect(uploadPercent(items[0]!)).toBe(50);
    items = uploadReducer(items, { type: "sent", key: "a" });
    expect(items[0]!.phase).toBe("processing");
    expect(uploadPercent(items[0]!)).toBe(100);
    items = uploadReducer(items, { type: "accepted", key: "a", documentId: "d".repeat(32) });
    expect(items[0]).toMatchObject({ phase: "accepted", documentId: "d".repeat(32), loaded: 1000 });
  });

  it("never moves progress backwards and ignores it outside uploading", () => {
    let items = uploadReducer(added(), { type: "start", key: "a" });
    items = uploadReducer(items, { type: "progress", key: "a", loaded: 800, total: 1000 });
    const before = items;
    items = uploadReducer(items, { type: "progress", key: "a", loaded: 300, total: 1000 });
    expect(items).toBe(before);
    items = uploadReducer(items, { type: "progress", key: "b", loaded: 300, total: 500 });
    expect(items).toBe(before);
  });

  it("fails one file without touching the others, and retries it", () => {
    let items = added();
    items = uploadReducer(items, { type: "start", key: "a" });
    items = uploadReducer(items, { type: "start", key: "b" });
    items = uploadReducer(items, {
      type: "failed",
      key: "b",
      error: "notes.docx is not a supported document.",
    });
    items = uploadReducer(items, { type: "accepted", key: "a", documentId: "e".repeat(32) });
    expect(items.map((item) => item.phase)).toEqual(["accepted", "failed", "waiting"]);
    expect(items[1]!.error).toBe("notes.docx is not a supported document.");
    items = uploadReducer(items, { type: "retry", key: "b" });
    expect(items[1]).toMatchObject({ phase: "waiting", loaded: 0, error: undefined });
  });

  it("keeps an accepted file accepted when a late failure arrives", () => {
    let items = uploadReducer(added(), { type: "start", key: "a" });
    items = uploadReducer(items, { type: "accepted", key: "a", documentId: "f".repeat(32) });
    const before = items;
    expect(uploadReducer(items, { type: "failed", key: "a", error: "lost" })).toBe(before);
  });

  it("removes items by key and leaves the state alone for unknown keys", () => {
    const items = added();
    expect(uploadReducer(items, { type: "remove", keys: ["a", "c"] }).map((item) => item.key)).toEqual(["b"]);
    expect(uploadReducer(items, { type: "remove", keys: ["zz"] })).toBe(items);
    expect(uploadReducer(items, { type: "start", key: "zz" })).toBe(items);
  });
});

describe("uploadsToStart", () => {
  it("starts the oldest waiting files up to the concurrency", () => {
    let items = added();
    expect(uploadsToStart(items, 2).map((item) => item.key)).toEqual(["a", "b"]);
    items = uploadReducer(items, { type: "start", key: "a" });
    expect(uploadsToStart(items, 2).map((item) => item.key)).toEqual(["b"]);
    items = uploadReducer(items, { type: "start", key: "b" });
    expect(uploadsToStart(items, 2)).toEqual([]);
    items = uploadReducer(items, { type: "sent", key: "a" });
    expect(uploadsToStart(items, 2)).toEqual([]);
    items = uploadReducer(items, { type: "failed", key: "a", error: "refused" });
    expect(uploadsToStart(items, 2).map((item) => item.key)).toEqual(["c"]);
  });
});

describe("uploadSummary", () => {
  it("counts files by where they are, from the documents' status once accepted", () => {
    let items = added();
    expect(uploadSummary(items, () => "indexing")).toBe("3 files uploading.");
    items = uploadReducer(items, { type: "start", key: "a" });
    items = uploadReducer(items, { type: "accepted", key: "a", documentId: "1".repeat(32) });
    items = uploadReducer(items, { type: "start", key: "b" });
    items = uploadReducer(items, { type: "accepted", key: "b", documentId: "2".repeat(32) });
    items = uploadReducer(items, { type: "start", key: "c" });
    items = uploadReducer(items, { type: "failed", key: "c", error: "data.csv is empty." });
    const outcomes: Record<string, "ready" | "indexing"> = { ["1".repeat(32)]: "ready" };
    expect(uploadSummary(items, (id) => outcomes[id] ?? "indexing")).toBe(
      "1 file indexing, 1 file ready, 1 file failed.",
    );
    expect(uploadSummary([], () => "ready")).toBe("");
  });
});
