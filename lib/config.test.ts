import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config";

describe("MODEL_PRICES", () => {
  it("is empty when unset or blank", () => {
    expect(parseConfig({}).MODEL_PRICES).toEqual({});
    expect(parseConfig({ MODEL_PRICES: "  " }).MODEL_PRICES).toEqual({});
  });

  it("maps model or provider:model to USD per million input and output tokens", () => {
    const prices = parseConfig({
      MODEL_PRICES:
        '{"gpt-4o-mini":{"input":0.15,"output":0.6},"anthropic:claude-sonnet-4-5":{"input":3,"output":15}}',
    }).MODEL_PRICES;
    expect(prices).toEqual({
      "gpt-4o-mini": { input: 0.15, output: 0.6 },
      "anthropic:claude-sonnet-4-5": { input: 3, output: 15 },
    });
  });

  it.each([
    ["not JSON", "gpt-4o-mini=0.15", /MODEL_PRICES: expected a JSON object .*not JSON/],
    ["an array", "[]", /MODEL_PRICES: expected a JSON object of prices .*got an array/],
    ["a price that is not an object", '{"gpt-4o-mini":0.15}', /MODEL_PRICES\.gpt-4o-mini: /],
    ["a missing output price", '{"gpt-4o-mini":{"input":0.15}}', /MODEL_PRICES\.gpt-4o-mini\.output: /],
    [
      "a negative price",
      '{"gpt-4o-mini":{"input":-1,"output":1}}',
      /MODEL_PRICES\.gpt-4o-mini\.input: .*>=0/,
    ],
    ["an infinite price", '{"gpt-4o-mini":{"input":1e999,"output":1}}', /MODEL_PRICES\.gpt-4o-mini\.input: /],
    [
      "a price given as text",
      '{"gpt-4o-mini":{"input":"0.15","output":0.6}}',
      /MODEL_PRICES\.gpt-4o-mini\.input: /,
    ],
    [
      "an unknown field",
      '{"gpt-4o-mini":{"input":1,"output":1,"cached":0.5}}',
      /MODEL_PRICES\.gpt-4o-mini: .*"cached"/,
    ],
    ["an empty model name", '{"":{"input":1,"output":1}}', /MODEL_PRICES.*empty/],
  ])("refuses %s with a message naming the variable", (_case, value, message) => {
    expect(() => parseConfig({ MODEL_PRICES: value })).toThrow(ConfigError);
    expect(() => parseConfig({ MODEL_PRICES: value })).toThrow(message);
  });
});

describe("schedule and webhook settings", () => {
  it("default to a minute between fires, 200 schedules, retries from 10 s for a day", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      MIN_SCHEDULE_INTERVAL_S: 60,
      MAX_SCHEDULES: 200,
      WEBHOOK_RETRY_BASE_S: 10,
      WEBHOOK_MAX_AGE_HOURS: 24,
    });
    expect(config.WEBHOOK_URL).toBeUndefined();
    expect(config.WEBHOOK_SECRET).toBeUndefined();
  });

  it("takes a webhook URL and secret, and names a URL that is not http(s)", () => {
    const config = parseConfig({
      WEBHOOK_URL: "https://hooks.example/fathom",
      WEBHOOK_SECRET: "s3cret-value",
    });
    expect(config.WEBHOOK_URL).toBe("https://hooks.example/fathom");
    expect(config.WEBHOOK_SECRET).toBe("s3cret-value");
    expect(() => parseConfig({ WEBHOOK_URL: "ftp://hooks.example/x" })).toThrow(
      /WEBHOOK_URL: expected an http/,
    );
    expect(() => parseConfig({ MIN_SCHEDULE_INTERVAL_S: "0" })).toThrow(/MIN_SCHEDULE_INTERVAL_S/);
  });
});

describe("PUBLIC_URL", () => {
  it("is unset by default and loses a trailing slash", () => {
    expect(parseConfig({}).PUBLIC_URL).toBeUndefined();
    expect(parseConfig({ PUBLIC_URL: "https://research.example.com/" }).PUBLIC_URL).toBe(
      "https://research.example.com",
    );
    expect(parseConfig({ PUBLIC_URL: "https://example.com/fathom" }).PUBLIC_URL).toBe(
      "https://example.com/fathom",
    );
  });

  it.each([
    ["not a URL", "research.example.com", /PUBLIC_URL: expected an http:\/\/ or https:\/\/ URL/],
    ["another scheme", "ftp://research.example.com", /PUBLIC_URL: expected an http:\/\/ or https:\/\/ URL/],
    [
      "a query",
      "https://research.example.com/?a=1",
      /PUBLIC_URL: expected a URL without a query or fragment/,
    ],
  ])("refuses %s, naming it", (_what, value, message) => {
    expect(() => parseConfig({ PUBLIC_URL: value })).toThrow(message);
  });
});
