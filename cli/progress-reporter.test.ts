import { describe, expect, it } from "vitest";
import { ProgressReporter } from "./progress-reporter";

function fakeStream(isTTY: boolean) {
  let text = "";
  return { isTTY, columns: 60, write: (chunk: string) => (text += chunk), text: () => text };
}

describe("progress on stderr", () => {
  it("draws one bar redrawn in place on a terminal, notices above it", () => {
    const stream = fakeStream(true);
    const reporter = new ProgressReporter(stream);
    reporter.update({ status: "running", percentage: 50, step: "search", message: "Searching" });
    reporter.notice("Connection lost");
    reporter.update({ percentage: 75 });
    const text = stream.text();
    expect(text).toContain("\r\x1b[2K");
    expect(text).toContain("████████████░░░░░░░░░░░░  50% running · search: Searching");
    expect(text).toContain("\r\x1b[2KConnection lost\n");
    expect(text).not.toMatch(/\n.*75%.*\n/);
    for (const line of text.split("\r\x1b[2K"))
      expect([...line.replace(/\n$/, "")].length).toBeLessThanOrEqual(59);
  });

  it("writes plain lines, one per change and without control characters, when not a terminal", () => {
    const stream = fakeStream(false);
    const reporter = new ProgressReporter(stream);
    reporter.update({ status: "running", percentage: 10, step: "plan", message: "Planning" });
    reporter.update({ status: "running", percentage: 10, step: "plan", message: "Planning" });
    reporter.update({ percentage: 40, step: "search", message: "Searching" });
    reporter.notice("Resumed after event 4.");
    expect(stream.text()).toBe(
      "[ 10%] running · plan: Planning\n[ 40%] running · search: Searching\nResumed after event 4.\n",
    );
  });

  it("stays silent with --quiet except for what matters", () => {
    const stream = fakeStream(false);
    const reporter = new ProgressReporter(stream, { quiet: true });
    reporter.update({ percentage: 10 });
    reporter.notice("Resumed");
    reporter.important("Detached");
    expect(stream.text()).toBe("Detached\n");
  });
});
