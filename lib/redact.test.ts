import { describe, expect, it } from "vitest";
import { parseConfig } from "./config";
import { createLogger } from "./log";
import { createRedactor, isSecretName, REDACTED, redactorFor, redactValue, secretValuesOf } from "./redact";

const OPENAI = "sk-canaryOpenAi0123456789abcdef";
const TAVILY = "tvly-canaryTavily0123456789";
const TOKEN = "canary-api-token-0123456789";
const REDIS_PASSWORD = "canary-redis-p@ss/word";

function config() {
  return parseConfig({
    OPENAI_API_KEY: OPENAI,
    TAVILY_API_KEY: TAVILY,
    FATHOM_API_TOKEN: TOKEN,
    TASK_STORE: `redis://default:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:6379/0`,
  });
}

describe("secret names", () => {
  it("recognizes *_KEY, *_TOKEN, *_SECRET, *_PASSWORD and leaves other names alone", () => {
    for (const name of [
      "OPENAI_API_KEY",
      "TAVILY_API_KEY",
      "FATHOM_API_TOKEN",
      "WEBHOOK_SECRET",
      "SMTP_PASSWORD",
      "ANTHROPIC_API_KEY",
    ]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ["REDIS_KEY_PREFIX", "OPENAI_MODEL", "TASK_STORE", "SESSION_TTL_HOURS", "LOG_LEVEL"]) {
      expect(isSecretName(name), name).toBe(false);
    }
  });

  it("collects the configured secrets, including the password of the TASK_STORE redis URL", () => {
    const values = secretValuesOf(config());
    expect(values).toEqual(expect.arrayContaining([OPENAI, TAVILY, TOKEN, REDIS_PASSWORD]));
    expect(values).toContain(encodeURIComponent(REDIS_PASSWORD));
    // Not secrets: the model name, the storage folder.
    expect(values).not.toContain("gpt-4o-mini");
  });

  it("covers a secret variable added to the configuration later, by its name alone", () => {
    const values = secretValuesOf({ ...config(), WEBHOOK_SIGNING_SECRET: "canary-webhook-secret-1" });
    expect(values).toContain("canary-webhook-secret-1");
  });
});

describe("createRedactor", () => {
  const redact = redactorFor(config());

  it("removes every configured secret wherever it appears", () => {
    const text = `key ${OPENAI}; tavily=${TAVILY} (${TOKEN}) redis ${REDIS_PASSWORD} and ${encodeURIComponent(REDIS_PASSWORD)}`;
    const result = redact(text);
    for (const secret of [OPENAI, TAVILY, TOKEN, REDIS_PASSWORD, encodeURIComponent(REDIS_PASSWORD)]) {
      expect(result).not.toContain(secret);
    }
    expect(result).toContain(REDACTED);
  });

  it("removes a secret inside JSON text and inside a URL", () => {
    const secret = 'we"ird\\secret-value';
    const jsonRedact = createRedactor([secret]);
    expect(jsonRedact(JSON.stringify({ message: `got ${secret}` }))).not.toContain("ird");
    expect(jsonRedact(`https://x.example/?q=${encodeURIComponent(secret)}`)).not.toContain("ird");
  });

  it("removes the password of the TASK_STORE URL when the URL is quoted", () => {
    const result = redact(
      `connect ECONNREFUSED redis://default:${encodeURIComponent(REDIS_PASSWORD)}@10.0.0.1:6379`,
    );
    expect(result).not.toContain("p%40ss");
    expect(result).toContain("redis://default:[redacted]@10.0.0.1:6379");
  });

  it("removes credential shapes that are not configured: Bearer, sk-, api_key=, token=, Authorization:", () => {
    const shapes = createRedactor();
    const cases: [string, string][] = [
      ["Incorrect API key provided: Bearer sk-other0123456789XYZ.", "sk-other0123456789XYZ"],
      ["Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"],
      ["key sk-proj-AbCdEf012345 is wrong", "sk-proj-AbCdEf012345"],
      ["GET https://api.example/search?api_key=hunter2secret&q=x", "hunter2secret"],
      ["apikey=s3cr3tvalue", "s3cr3tvalue"],
      ["url?token=tok_value_1&x=1", "tok_value_1"],
      ['{"api_key":"jsonsecret99"}', "jsonsecret99"],
      ["Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"],
      ["authorization=Token abcdef123", "abcdef123"],
      ["password=p4ssw0rd!", "p4ssw0rd!"],
      ['api_key: "yamlsecret77"', "yamlsecret77"],
      ["token:abc123def", "abc123def"],
      ["postgres://user:pa55word@db:5432/x", "pa55word"],
    ];
    for (const [text, secret] of cases) {
      const result = shapes(text);
      expect(result, text).not.toContain(secret);
      expect(result, text).toContain(REDACTED);
    }
  });

  it("leaves ordinary text alone", () => {
    const shapes = createRedactor();
    const text =
      "The model endpoint (gpt-4o-mini) answered HTTP 500: overloaded. Tokens used: 12. Task abc-def risk-free. Wrong API token: sign-in refused.";
    expect(shapes(text)).toBe(text);
  });

  it("ignores secrets too short to search for as text", () => {
    expect(createRedactor(["ab"])("abcabc")).toBe("abcabc");
  });
});

describe("redactValue and the logger", () => {
  it("redacts strings at any depth, errors, and fields named like secrets", () => {
    const redact = createRedactor(["canary-secret-value"]);
    const value = redactValue(
      {
        message: "leaked canary-secret-value",
        nested: [{ deep: "Bearer abcdef0123" }],
        error: new Error("boom canary-secret-value"),
        apiKey: "short",
        authorization: "anything",
        count: 3,
      },
      redact,
    ) as Record<string, unknown>;
    const text = JSON.stringify(value);
    expect(text).not.toContain("canary-secret-value");
    expect(text).not.toContain("abcdef0123");
    expect(value.apiKey).toBe(REDACTED);
    expect(value.authorization).toBe(REDACTED);
    expect(value.count).toBe(3);
  });

  it("redacts every line and every field, in JSON and in pretty format, bound fields included", () => {
    const lines: string[] = [];
    const redact = redactorFor(config());
    for (const format of ["json", "pretty"] as const) {
      const logger = createLogger({
        level: "debug",
        format,
        write: (line) => lines.push(line),
        redact,
      }).child({
        bound: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@h:1`,
      });
      logger.error(`event ${TOKEN}`, {
        error: `Incorrect API key provided: Bearer ${OPENAI}`,
        tavily: TAVILY,
      });
      logger.info("task.failed", { error: new Error(`failed with ${TAVILY}`) });
    }
    const all = lines.join("\n");
    for (const secret of [OPENAI, TAVILY, TOKEN, REDIS_PASSWORD, encodeURIComponent(REDIS_PASSWORD)]) {
      expect(all).not.toContain(secret);
    }
    expect(lines).toHaveLength(4);
  });

  it("removes credential shapes even from a logger made without configuration", () => {
    const lines: string[] = [];
    createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }).warn("x", {
      error: "Authorization: Bearer sk-abcdef0123456789",
    });
    expect(lines[0]).not.toContain("sk-abcdef0123456789");
  });
});
