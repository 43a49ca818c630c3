/**
 * The one secret redactor (docs/ARCHITECTURE.md, "Exposure"): every error text and log line passes
 * through it before it is stored, streamed or printed. It removes two kinds
 * of thing:
 *
 * 1. the configured secret values — every configuration variable whose name
 *    looks secret (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`…, so a
 *    variable added later is covered without touching this file) and the
 *    password of any URL in the configuration (`redis://:password@host`);
 * 2. common credential shapes, whoever's they are: `Bearer …`, `sk-…` keys,
 *    `api_key=…` / `apikey=` / `token=` / `password=`, `Authorization: …`
 *    and the password part of a URL.
 *
 * A provider that echoes the key it was sent ("Incorrect API key provided:
 * Bearer sk-…") is the case this exists for: its message reaches the task's
 * error, the event log, the SSE stream and the logs.
 */

/** What a removed secret is replaced with. */
export const REDACTED = "[redacted]";

/** A function from text to the same text without secrets. */
export type Redact = (text: string) => string;

/** Configuration variable names whose values are secrets. */
const SECRET_NAME = /(?:^|_)(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|PRIVATE_KEY)S?$/i;

/**
 * Values shorter than this are not searched for as literal text: replacing
 * every "abc" in a report would destroy the text, and a secret that short is
 * no secret. The credential shapes below still apply to them.
 */
export const MIN_SECRET_LENGTH = 4;

/** True when a configuration variable's name says its value is a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The secret values of a configuration object: values of secret-looking
 * names, and passwords (and user names given with a password) in URLs.
 */
export function secretValuesOf(config: Record<string, unknown>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== "string" || value === "") continue;
    if (isSecretName(name)) values.add(value);
    for (const part of urlCredentials(value)) values.add(part);
  }
  return [...values];
}

/** The password (decoded and as written) of a URL like `redis://user:password@host`. */
function urlCredentials(value: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [];
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    void error; // Not a URL after all: it has no credentials to find.
    return [];
  }
  if (!url.password) return [];
  const parts = [url.password];
  try {
    parts.push(decodeURIComponent(url.password));
  } catch (error) {
    void error; // A malformed escape: the raw form above is what appears in text.
  }
  return parts;
}

/** Escapes text for use inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Credential shapes, applied in order. Each keeps the label (so a reader
 * still sees *that* a key was there) and replaces the value.
 */
const SHAPES: [RegExp, string][] = [
  // `Authorization: Bearer abc`, `Proxy-Authorization: Basic …`, `X-API-Key: …` — the rest of the header value.
  [
    /\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token)(["']?\s*[:=]\s*["']?)[^\r\n"'}]+/gi,
    `$1$2${REDACTED}`,
  ],
  // `Bearer abc…`, `Basic dXNlcjpw…` anywhere in text.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${REDACTED}`],
  // OpenAI-style keys: `sk-…`, `sk-proj-…`, `sk-ant-…`.
  [/\bsk-[A-Za-z0-9_-]{6,}/g, REDACTED],
  // `api_key=…`, `"token": "…"`, `apikey:…`, `access_token=…`, `password=…` in text, JSON or a query
  // string. After a colon the value must be quoted or follow at once, so prose such as
  // "wrong API token: sign-in refused" stays readable.
  [
    /\b((?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|token|client[_-]?secret|secret|password|passwd)["']?(?:\s*=\s*["']?|\s*:\s*["']|:))(?!\[redacted\])[^\s"'&,;}\]]+/gi,
    `$1${REDACTED}`,
  ],
  // The password in a URL: `redis://:password@host`, `https://user:password@host`.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, `$1${REDACTED}@`],
];

/**
 * Creates a redactor for the given secret values (see `secretValuesOf`).
 * With no values it removes the credential shapes only.
 */
export function createRedactor(secrets: readonly string[] = []): Redact {
  const literals = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    literals.add(secret);
    // The same secret as it appears in a URL or a JSON string.
    literals.add(encodeURIComponent(secret));
    literals.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is removed whole.
  const ordered = [...literals].sort((a, b) => b.length - a.length);
  const pattern = ordered.length > 0 ? new RegExp(ordered.map(escapeRegExp).join("|"), "g") : null;
  return (text: string) => {
    let result = pattern ? text.replace(pattern, REDACTED) : text;
    for (const [shape, replacement] of SHAPES) result = result.replace(shape, replacement);
    return result;
  };
}

/** Field names whose values are secrets whatever they look like. */
const SECRET_FIELD = /^(?:authorization|cookie|set-cookie|password|passwd|secret|token|api[_-]?key|apikey)$/i;

/**
 * Redacts every string inside a value (objects, arrays, errors), for log
 * fields. Errors become their redacted stack (or message); fields whose name
 * says they hold a secret are replaced whole.
 */
export function redactValue(value: unknown, redact: Redact, depth = 0): unknown {
  if (typeof value === "string") return redact(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 8) return "[too deep]";
  if (value instanceof Error) return redact(value.stack ?? `${value.name}: ${value.message}`);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact, depth + 1));
  if (value instanceof Date) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    result[key] =
      SECRET_FIELD.test(key) || isSecretName(key) ? REDACTED : redactValue(item, redact, depth + 1);
  }
  return result;
}

const byConfig = new WeakMap<object, Redact>();

/** The redactor of a configuration (its secret values and the shapes), made once per configuration object. */
export function redactorFor(config: Record<string, unknown>): Redact {
  let redact = byConfig.get(config);
  if (!redact) {
    redact = createRedactor(secretValuesOf(config));
    byConfig.set(config, redact);
  }
  return redact;
}
