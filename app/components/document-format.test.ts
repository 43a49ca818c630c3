import { describe, expect, it } from "vitest";
import { countLabel, documentTypeLabel, formatBytes, isSettled } from "./document-format";

describe("formatBytes", () => {
  it("says bytes, then KB, MB and GB with one decimal below 10", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(1023)).toBe("1023 bytes");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(200 * 1024)).toBe("200 KB");
    expect(formatBytes(25 * 1024 * 1024)).toBe("25 MB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3 GB");
  });
});

describe("labels", () => {
  it("names types, counts and settled statuses", () => {
    expect(documentTypeLabel("docx")).toBe("Word");
    expect(documentTypeLabel(null)).toBe("—");
    expect(countLabel(1, "page")).toBe("1 page");
    expect(countLabel(1200, "passage")).toBe("1,200 passages");
    expect(countLabel(null, "page")).toBe("—");
    expect(isSettled("ready")).toBe(true);
    expect(isSettled("failed")).toBe(true);
    expect(isSettled("indexing")).toBe(false);
  });
});
