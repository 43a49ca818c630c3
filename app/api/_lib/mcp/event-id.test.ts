import { describe, expect, it } from "vitest";
import { decodeMcpEventId, encodeMcpEventId } from "./event-id";

const task = "0123456789abcdef0123456789abcdef";

describe("MCP event ids", () => {
  it("round-trip the task, the log position, the call and its progress token", () => {
    for (const id of [
      { task, after: 0, request: 1, progress: 1 },
      { task, after: 412, request: "call-7", progress: "token" },
      { task: null, after: 0, request: 0 },
    ]) {
      expect(decodeMcpEventId(encodeMcpEventId(id))).toEqual({ id });
    }
  });

  it("refuse anything this server did not write, naming the id", () => {
    const foreign = (value: string) => {
      const decoded = decodeMcpEventId(value);
      expect(decoded).toHaveProperty("error");
      return "error" in decoded ? decoded.error : "";
    };
    expect(foreign("42")).toMatch(/Last-Event-ID "42" is not an event id/);
    expect(foreign("m1.!!!")).toMatch(/not an event id/);
    expect(foreign(`m1.${Buffer.from("not json").toString("base64url")}`)).toMatch(/not an event id/);
    // A path where a task id belongs never reaches the store.
    const path = { task: "../../etc/passwd", after: 0, request: 1 };
    expect(foreign(`m1.${Buffer.from(JSON.stringify(path)).toString("base64url")}`)).toMatch(
      /not an event id/,
    );
    const negative = { task, after: -1, request: 1 };
    expect(foreign(`m1.${Buffer.from(JSON.stringify(negative)).toString("base64url")}`)).toMatch(
      /not an event id/,
    );
    expect(foreign(`m1.${"A".repeat(5000)}`)).toMatch(/…/);
  });
});
