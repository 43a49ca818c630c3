import http from "node:http";
import type { AddressInfo } from "node:net";
import { detectStep, researchBrain } from "./research-brain";
import type { ModelServer, ModelServerOptions, ModelServerQuirks, RecordedRequest, Wire } from "./types";
import {
  type AnswerContext,
  estimateTokens,
  isWireError,
  jsonBody,
  type ResolvedQuirks,
  type WireError,
  type WireProtocol,
} from "./wire-kit";
import { anthropicProtocol } from "./wires/anthropic-messages";
import { googleProtocol } from "./wires/google-generate-content";
import { azureProtocol, openAiProtocol } from "./wires/openai-chat";

const PROTOCOLS: Record<Wire, WireProtocol> = {
  openai: openAiProtocol,
  anthropic: anthropicProtocol,
  google: googleProtocol,
  azure: azureProtocol,
};

const ALL_WIRES: Wire[] = ["openai", "anthropic", "google", "azure"];
const OPENAI_WIRES: Wire[] = ["openai", "azure"];

/** The wires each quirk makes sense on (a quirk of OpenAI-compatible servers means nothing to Gemini). */
const QUIRK_WIRES: Record<keyof ModelServerQuirks, Wire[]> = {
  thinkInContent: OPENAI_WIRES,
  reasoningField: OPENAI_WIRES,
  refuseJsonObject: OPENAI_WIRES,
  refuseJsonSchema: OPENAI_WIRES,
  requireJsonWord: OPENAI_WIRES,
  rateLimitOnce: ALL_WIRES,
  contextLimitTokens: ALL_WIRES,
  cutReportOnce: ALL_WIRES,
  usage: ALL_WIRES,
  azurePromptFilter: ["azure"],
  echoKey: ALL_WIRES,
  knownModels: OPENAI_WIRES,
  htmlErrors: OPENAI_WIRES,
  outOfCredits: OPENAI_WIRES,
  contextErrorStyle: OPENAI_WIRES,
  refuseSchemaGrammar: OPENAI_WIRES,
  llamaCppChunks: OPENAI_WIRES,
  finishReason: OPENAI_WIRES,
  noDone: OPENAI_WIRES,
  sseComments: OPENAI_WIRES,
  midStreamErrorOnce: OPENAI_WIRES,
  lengthCapOnce: OPENAI_WIRES,
  emptyAnswers: OPENAI_WIRES,
  ignoresStream: OPENAI_WIRES,
  rateLimitResetOnce: OPENAI_WIRES,
  truncatesPromptTo: OPENAI_WIRES,
};

/** A 429 that says when to come back in the service's own headers and body, never in `Retry-After`. */
function rateLimitWithReset(
  { style, resetSeconds }: { style: "openrouter" | "openai"; resetSeconds: number },
  model: string,
): WireError {
  if (style === "openrouter") {
    const headers = {
      "X-RateLimit-Limit": "20",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(Date.now() + resetSeconds * 1000),
    };
    return {
      status: 429,
      headers,
      body: {
        error: { message: "Rate limit exceeded: free-models-per-min. ", code: 429, metadata: { headers } },
        user_id: "user_2a9XbQ7",
      },
    };
  }
  const duration =
    resetSeconds >= 60 ? `${Math.floor(resetSeconds / 60)}m${resetSeconds % 60}s` : `${resetSeconds}s`;
  return {
    status: 429,
    headers: {
      "x-ratelimit-limit-requests": "500",
      "x-ratelimit-remaining-requests": "499",
      "x-ratelimit-reset-requests": "120ms",
      "x-ratelimit-limit-tokens": "30000",
      "x-ratelimit-remaining-tokens": "0",
      "x-ratelimit-reset-tokens": duration,
    },
    body: {
      error: {
        message:
          `Rate limit reached for ${model} in organization org-7Hq2 on tokens per min (TPM): Limit 30000, ` +
          `Used 29800, Requested 900. Please try again in ${duration}. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type: "tokens",
        param: null,
        code: "rate_limit_exceeded",
      },
    },
  };
}

/** nginx's error pages, as it serves them when the server behind it fails. */
const NGINX_REASONS: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out",
};

function nginxPage(status: number): string {
  const title = `${status} ${NGINX_REASONS[status] ?? "Error"}`;
  return (
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n` +
    "<hr><center>nginx/1.27.4</center>\r\n</body>\r\n</html>\r\n"
  );
}

function validate(options: ModelServerOptions): void {
  if (!ALL_WIRES.includes(options.wire)) {
    throw new Error(
      `expected wire to be one of ${ALL_WIRES.join(", ")}, got ${JSON.stringify(options.wire)}`,
    );
  }
  const quirks = options.quirks ?? {};
  for (const [name, value] of Object.entries(quirks)) {
    const wires = QUIRK_WIRES[name as keyof ModelServerQuirks];
    if (wires === undefined) throw new Error(`expected a known quirk, got ${JSON.stringify(name)}`);
    if (value !== undefined && value !== false && !wires.includes(options.wire)) {
      throw new Error(`expected quirk ${name} on the ${wires.join(" or ")} wire, got wire ${options.wire}`);
    }
  }
  if (quirks.thinkInContent && quirks.reasoningField) {
    throw new Error("expected thinkInContent or reasoningField, got both");
  }
  const numbers: [string, number | undefined, number][] = [
    ["chunkSize", options.chunkSize, 1],
    ["rateLimitOnce.retryAfterSeconds", quirks.rateLimitOnce?.retryAfterSeconds, 0],
    ["rateLimitResetOnce.resetSeconds", quirks.rateLimitResetOnce?.resetSeconds, 1],
    ["truncatesPromptTo", quirks.truncatesPromptTo, 1],
    ["contextLimitTokens", quirks.contextLimitTokens, 1],
    ["cutReportOnce.afterChars", quirks.cutReportOnce?.afterChars, 0],
    ["htmlErrors.times", quirks.htmlErrors?.times, 1],
    ["midStreamErrorOnce.afterChars", quirks.midStreamErrorOnce?.afterChars, 0],
    ["lengthCapOnce.afterChars", quirks.lengthCapOnce?.afterChars, 0],
    ["emptyAnswers.times", quirks.emptyAnswers?.times, 1],
  ];
  for (const [name, value, minimum] of numbers) {
    if (value !== undefined && !(Number.isInteger(value) && value >= minimum)) {
      throw new Error(`expected ${name} to be an integer ≥ ${minimum}, got ${value}`);
    }
  }
}

/** The context-length refusal of `contextErrorStyle`, in that server's words and shape. */
function contextError(
  style: ModelServerQuirks["contextErrorStyle"],
  promptTokens: number,
  limit: number,
): WireError | undefined {
  switch (style) {
    case undefined:
      return undefined;
    case "vllm":
      // vLLM counts the completion it would reserve too, and puts its message at the top.
      return {
        status: 400,
        body: {
          object: "error",
          message:
            `This model's maximum context length is ${limit} tokens. However, you requested ${limit + promptTokens} ` +
            `tokens (${promptTokens} in the messages, ${limit} in the completion). Please reduce the length of the ` +
            "messages or completion.",
          type: "BadRequestError",
          param: null,
          code: 400,
        },
      };
    case "tgi":
      return {
        status: 422,
        body: {
          error:
            `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${limit}. Given: ` +
            `${promptTokens} \`inputs\` tokens and ${limit} \`max_new_tokens\``,
          error_type: "validation",
        },
      };
    case "llama.cpp":
      return {
        status: 400,
        body: {
          error: {
            code: 400,
            message: "the request exceeds the available context size, try increasing it",
            type: "exceed_context_size_error",
            n_prompt_tokens: promptTokens,
            n_ctx: limit,
          },
        },
      };
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function headerRecord(request: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * Starts a local HTTP server on 127.0.0.1 (a free port) that speaks one model
 * service's wire format, answers with `brain`, records every request, and
 * misbehaves as `quirks` say. Checks run in the order a service applies them:
 * route, JSON body, request shape, `echoKey`, `rateLimitOnce`,
 * `contextLimitTokens`, the JSON-mode refusals; then the answer.
 */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  validate(options);
  const protocol = PROTOCOLS[options.wire];
  const brain = options.brain ?? researchBrain;
  const chunkSize = options.chunkSize ?? 24;
  const quirks: ResolvedQuirks = {
    ...options.quirks,
    usage: options.quirks?.usage ?? true,
    azurePromptFilter: options.quirks?.azurePromptFilter ?? options.wire === "azure",
  };
  const requests: RecordedRequest[] = [];
  let rateLimited = false;
  let reportCut = false;
  let htmlErrorsSent = 0;
  let emptySent = 0;
  let midStreamErrorSent = false;
  let lengthCapSent = false;
  let idCounter = 0;
  const nextId = (prefix: string) => {
    idCounter += 1;
    return `${prefix}Fathom${String(idCounter).padStart(8, "0")}`;
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams);
    const headers = headerRecord(request);
    const method = request.method ?? "GET";
    let body: unknown;
    let bodyIsJson = true;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      // Not JSON: recorded as undefined, and answered below with the service's parse error.
      bodyIsJson = false;
    }
    const record: RecordedRequest = {
      wire: options.wire,
      method,
      path: url.pathname,
      query,
      headers,
      body,
      model: undefined,
      apiKey: protocol.apiKey(headers, query),
      jsonMode: "none",
      stream: false,
      step: "other",
      status: undefined,
    };
    requests.push(record);
    const refuse = (error: WireError) => {
      record.status = error.status;
      jsonBody(response, error);
    };

    const routed = protocol.route(method, url.pathname, query);
    if (routed.kind === "error") return refuse(routed.error);
    if (!bodyIsJson) return refuse(protocol.errors.invalidJson());
    const call = protocol.parse(body, routed);
    if (isWireError(call)) return refuse(call);
    const prompt = call.messages.map((message) => message.text).join("\n\n");
    record.model = call.model;
    record.jsonMode = call.jsonMode;
    record.stream = call.stream;
    record.step = detectStep(`${call.system}\n\n${prompt}`);

    if (quirks.htmlErrors && htmlErrorsSent < quirks.htmlErrors.times) {
      htmlErrorsSent += 1;
      record.status = quirks.htmlErrors.status;
      response.writeHead(quirks.htmlErrors.status, { "content-type": "text/html", server: "nginx/1.27.4" });
      response.end(nginxPage(quirks.htmlErrors.status));
      return;
    }
    if (quirks.knownModels && !quirks.knownModels.includes(call.model)) {
      return refuse({
        status: 404,
        body: {
          error: {
            message: `model "${call.model}" not found, try pulling it first`,
            type: "api_error",
            param: null,
            code: null,
          },
        },
      });
    }
    if (quirks.outOfCredits) {
      return refuse({
        status: 402,
        body: {
          error: {
            code: 402,
            message:
              "Insufficient credits. This account never purchased credits. Make sure your key is on the correct " +
              "account or org, and if so, purchase more at https://openrouter.ai/settings/credits",
            metadata: {},
          },
        },
      });
    }
    if (quirks.echoKey) return refuse(protocol.errors.authentication(record.apiKey));
    if (quirks.rateLimitOnce && !rateLimited) {
      rateLimited = true;
      return refuse(protocol.errors.rateLimit(quirks.rateLimitOnce.retryAfterSeconds, call.model));
    }
    if (quirks.rateLimitResetOnce && !rateLimited) {
      rateLimited = true;
      return refuse(rateLimitWithReset(quirks.rateLimitResetOnce, call.model));
    }
    let promptTokens = estimateTokens(`${call.system}${prompt}`);
    let seen = { messages: call.messages, prompt };
    if (quirks.truncatesPromptTo !== undefined && promptTokens > quirks.truncatesPromptTo) {
      // What Ollama does past num_ctx: the start goes, the end stays, nobody is told.
      const keep = Math.max(0, quirks.truncatesPromptTo * 4 - call.system.length);
      const last = call.messages.at(-1)!;
      const messages = [{ ...last, text: last.text.slice(-keep) }];
      seen = { messages, prompt: messages[0]!.text };
      record.truncated = true;
      promptTokens = quirks.truncatesPromptTo;
    }
    if (quirks.contextLimitTokens !== undefined && promptTokens > quirks.contextLimitTokens) {
      const styled = contextError(quirks.contextErrorStyle, promptTokens, quirks.contextLimitTokens);
      if (styled) return refuse(styled);
      return refuse(protocol.errors.contextLength(promptTokens, quirks.contextLimitTokens, call.model));
    }
    const refusal = protocol.refuse(call, quirks);
    if (refusal) return refuse(refusal);

    let answer = brain({
      wire: options.wire,
      model: call.model,
      system: call.system,
      messages: seen.messages,
      prompt: seen.prompt,
      jsonMode: call.jsonMode,
      step: record.step,
    });
    if (
      quirks.emptyAnswers &&
      emptySent < quirks.emptyAnswers.times &&
      (quirks.emptyAnswers.steps ?? ["plan", "learn"]).includes(record.step)
    ) {
      emptySent += 1;
      answer = { text: "" };
    }
    let interruption: AnswerContext["interruption"];
    const midStream = quirks.midStreamErrorOnce;
    if (midStream && !midStreamErrorSent && call.stream && record.step === (midStream.step ?? "report")) {
      midStreamErrorSent = true;
      interruption = {
        afterChars: Math.min(midStream.afterChars, answer.text.length),
        kind: midStream.style,
      };
    } else if (quirks.lengthCapOnce && !lengthCapSent && call.stream && record.step === "report") {
      lengthCapSent = true;
      interruption = {
        afterChars: Math.min(quirks.lengthCapOnce.afterChars, answer.text.length),
        kind: "length",
      };
    }
    let cutAfterChars: number | undefined;
    if (quirks.cutReportOnce && !reportCut && call.stream && record.step === "report") {
      reportCut = true;
      // A report shorter than the cut point is cut at its end, before the finish.
      cutAfterChars = Math.min(quirks.cutReportOnce.afterChars, answer.text.length);
    }
    record.status = 200;
    await protocol.answer({
      call,
      route: routed,
      answer,
      response,
      quirks,
      chunkSize,
      promptTokens,
      cutAfterChars,
      interruption,
      nextId,
    });
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        // The client went away mid-stream (or the stream was cut on purpose): nothing left to tell it.
        response.destroy();
        return;
      }
      jsonBody(response, {
        status: 500,
        body: { error: { message: `model server failed: ${String(error)}` } },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseURL: `${url}${protocol.basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
