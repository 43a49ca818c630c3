import { describe, expect, it } from "vitest";
import { keepFilename } from "./upload-request";

describe("keepFilename", () => {
  it("puts back a file name that making the message a sentence capitalized", () => {
    expect(keepFilename("Chart.bin is not a supported document.", "chart.bin")).toBe(
      "chart.bin is not a supported document.",
    );
    expect(keepFilename("Report.pdf is empty.", "Report.pdf")).toBe("Report.pdf is empty.");
    expect(keepFilename("At most 20 files per upload.", "notes.txt")).toBe("At most 20 files per upload.");
  });
});
