import { describe, expect, it } from "vitest";
import { normalizeTerm } from "../text/tokenize";
import {
  decodePassageIndexFile,
  encodePassageIndexFile,
  type PassageIndexContent,
} from "./passage-index-file";
import { buildPostingLists } from "./posting-lists";

const expected = { format: "test-format-2", fingerprint: "f".repeat(64) };

async function sampleContent(): Promise<PassageIndexContent> {
  const passages: [number, string][] = [
    [0, "Apples grow on trees — in orchards."],
    [0, "Crème brûlée and 🍎 emoji survive the round trip."],
    [1, ""],
  ];
  const records = passages.map(([document, text], id) => ({ id, title: `Document ${document}`, text }));
  return {
    ...expected,
    documents: [
      { ref: "doc:a", title: "Apples" },
      { ref: "doc:b", title: "Blank", url: "https://example.org/b" },
    ],
    passages,
    postings: await buildPostingLists(records, {
      fields: ["title", "text"],
      processTerm: (term) => normalizeTerm(term),
    }),
  };
}

describe("passage index files", () => {
  it("decode to what was encoded", async () => {
    const content = await sampleContent();
    expect(decodePassageIndexFile(encodePassageIndexFile(content), expected)).toEqual({
      current: true,
      content,
    });
  });

  it("carry each passage's page when given, and refuse a page 0", async () => {
    const content = { ...(await sampleContent()), pages: new Uint32Array([1, 3, 2]) };
    const bytes = encodePassageIndexFile(content);
    expect(decodePassageIndexFile(bytes, expected)).toEqual({ current: true, content });
    expect(() => encodePassageIndexFile({ ...content, pages: new Uint32Array([1]) })).toThrow(
      /1 pages for 3/,
    );
    const zero = encodePassageIndexFile({ ...content, pages: new Uint32Array([1, 0, 2]) });
    expect(() => decodePassageIndexFile(zero, expected)).toThrow(/page 0/);
  });

  it("decode from a buffer at any offset of its memory", async () => {
    const content = await sampleContent();
    const bytes = encodePassageIndexFile(content);
    const shifted = Buffer.alloc(bytes.length + 3);
    bytes.copy(shifted, 3);
    expect(decodePassageIndexFile(shifted.subarray(3), expected)).toEqual({ current: true, content });
  });

  it("are stale, not damaged, when written for another format or fingerprint", async () => {
    const content = await sampleContent();
    const other = (changes: Partial<PassageIndexContent>) =>
      decodePassageIndexFile(encodePassageIndexFile({ ...content, ...changes }), expected);
    expect(other({ format: "test-format-1" })).toEqual({
      current: false,
      reason: "written in format test-format-1",
    });
    expect(other({ fingerprint: "0".repeat(64) })).toEqual({
      current: false,
      reason: "built from another version of the corpus",
    });
  });

  it("refuse anything that is not an intact file, naming what is wrong", async () => {
    const bytes = encodePassageIndexFile(await sampleContent());
    const decode = (candidate: Buffer) => () => decodePassageIndexFile(candidate, expected);
    expect(decode(Buffer.from('{"format": "something else"'))).toThrow(/not a passage index file/);
    expect(decode(Buffer.alloc(0))).toThrow(/not a passage index file/);
    expect(decode(bytes.subarray(0, 20))).toThrow(/truncated header/);
    expect(decode(bytes.subarray(0, bytes.length - 1))).toThrow(/expected \d+ bytes, got \d+/);
    expect(decode(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/expected \d+ bytes/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5]! ^= 0x01;
    expect(decode(flipped)).toThrow(/checksum mismatch/);
    // A header that is JSON but not a header.
    const header = Buffer.from(JSON.stringify({ ...expected, documents: "none" }));
    const prefix = Buffer.alloc(12);
    prefix.write("FTHMPIDX", "latin1");
    prefix.writeUInt32LE(header.length, 8);
    expect(decode(Buffer.concat([prefix, header]))).toThrow(/bad header/);
  });
});
