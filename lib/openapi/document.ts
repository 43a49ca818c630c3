import { z } from "zod";
import { SESSION_COOKIE_NAME } from "@/lib/model/session";
import { type ApiOperation, type ApiResponse, type ErrorStatus, operations, tags } from "./operations";
import { requestSchemas, responseSchemas } from "./schemas";

/**
 * The OpenAPI 3.1 document of the API (docs/ARCHITECTURE.md, "The API
 * document"), generated from the declaration in `operations.ts` and the
 * model's zod schemas with zod's own `z.toJSONSchema` (JSON Schema 2020-12,
 * the dialect of OpenAPI 3.1). Nothing in it is written by hand twice.
 */

/** A JSON Schema or an OpenAPI object, as plain JSON. */
type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.1";
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Json>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    securitySchemes: Record<string, Json>;
  };
  security: Record<string, string[]>[];
}

/** The version of the API the document describes: the package's (a test keeps them equal). */
export const API_VERSION = "0.1.0";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const errorNames: Record<ErrorStatus, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Gone",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "Unprocessable",
  429: "TooManyRequests",
  502: "ProviderError",
  503: "Unavailable",
  507: "InsufficientStorage",
};

const errorDescriptions: Record<ErrorStatus, string> = {
  400: "The request is invalid; the message names the field and the problem.",
  401: "Missing or wrong API token (or no valid session cookie).",
  403: "Refused: a cross-site browser request that would change something, or a built-in resource.",
  404: "No such resource.",
  405: "The path has no such method (`Allow` lists the ones it has).",
  409: "The resource's state forbids this now.",
  410: "The resource was deleted, or the cursor points into a run that was compacted away.",
  413: "The body or a file is larger than its limit.",
  415: "The body is not of a type this operation takes.",
  422: "The document could not be read as what it is.",
  429: "A rate limit: `Retry-After` says when to try again; `error.limit` names its variable.",
  502: "A provider (model or search service) failed.",
  503: "A limit of this process (queue, streams) or the store is unavailable: `Retry-After` says when to try again.",
  507: "A storage limit: `error.limit` names its variable.",
};

const headerDescriptions = {
  "X-Task-ID": "The task's id.",
  "X-Model-Name": "The model the task uses (absent for the offline writer).",
  Location: "The new resource's URL.",
  "Set-Cookie": "The session cookie (HttpOnly, SameSite=Strict).",
  "Retry-After": "Seconds until trying again makes sense.",
} as const;

/** Component schemas of one side, with references between them. */
function convert(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    io,
    // Transforms have no JSON Schema; their input side (io: "input") or their piped output is shown.
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(converted.schemas)) {
    // Components belong to the document: no dialect or id of their own.
    const { $schema: _dialect, $id: _id, ...rest } = schema as Json;
    out[id] = rest;
  }
  return out;
}

/** An object schema's fields as OpenAPI parameters (their schemas as a client sends them). */
function parameters(where: "path" | "query", object: z.ZodType): Json[] {
  const schema = z.toJSONSchema(object, { io: "input", unrepresentable: "any" }) as Json;
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function response(answer: ApiResponse): Json {
  const headers = answer.headers?.length
    ? {
        headers: Object.fromEntries(
          answer.headers.map((name) => [
            name,
            { description: headerDescriptions[name], schema: { type: "string" } },
          ]),
        ),
      }
    : {};
  if ("json" in answer) {
    return {
      description: answer.description,
      ...headers,
      content: { "application/json": { schema: ref(answer.json) } },
    };
  }
  if ("stream" in answer) {
    const events = Object.entries(answer.stream).map(([type, schema]) => `\`${type}\` (${schema})`);
    return {
      description: `${answer.description} Events: ${events.join(", ")}.`,
      ...headers,
      content: {
        "text/event-stream": {
          schema: {
            type: "string",
            description:
              "Server-Sent Events: `id: N`, `event: TYPE`, `data: JSON` per event; `retry:` once; `: ping` comments.",
          },
          // Each event type's `data`, for generators and the API page (OpenAPI 3.1 has no SSE item schema).
          "x-events": Object.fromEntries(
            Object.entries(answer.stream).map(([type, schema]) => [type, ref(schema as string)]),
          ),
        },
      },
    };
  }
  if ("file" in answer) {
    return {
      description: `${answer.description} (${answer.file})`,
      ...headers,
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    };
  }
  return { description: answer.description, ...headers };
}

/** The statuses an operation refuses with, besides its own list. */
export function errorStatuses(operation: ApiOperation): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>(operation.errors);
  if (operation.auth) statuses.add(401);
  if (operation.changes) statuses.add(403);
  // Any operation that reads the store may find it unavailable.
  statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function operationObject(operation: ApiOperation): Json {
  const params: Json[] = [];
  if (operation.pathParameters)
    params.push(...parameters("path", z.object(operation.pathParameters as Record<string, z.ZodType>)));
  if (operation.query) params.push(...parameters("query", operation.query));
  if (operation.lastEventId) {
    params.push({
      name: "Last-Event-ID",
      in: "header",
      required: false,
      description: "Resume the event stream after this event id (what EventSource sends by itself).",
      schema: { type: "string", pattern: "^\\d+$" },
    });
  }
  const content: Json = {};
  if (operation.body?.json) {
    content["application/json"] = {
      schema: ref(operation.body.json),
      ...(operation.body.example === undefined ? {} : { example: operation.body.example }),
    };
  }
  if (operation.body?.multipart) {
    content["multipart/form-data"] = {
      schema: {
        type: "object",
        description: operation.body.multipart,
        properties: {
          file: { type: "array", items: { type: "string", format: "binary" } },
          url: { type: "array", items: { type: "string", format: "uri" } },
        },
      },
    };
  }
  const responses: Json = {};
  for (const [status, answer] of Object.entries(operation.responses)) {
    if (answer) responses[status] = response(answer);
  }
  for (const status of errorStatuses(operation)) {
    responses[String(status)] ??= { $ref: `#/components/responses/${errorNames[status]}` };
  }
  responses.default = { $ref: "#/components/responses/Error" };
  const notes = [
    operation.description,
    operation.changes ? "Refused (403) when a browser marks the request cross-site." : undefined,
  ].filter(Boolean);
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(notes.length > 0 ? { description: notes.join("\n\n") } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {}),
    responses,
    // No requirement at all: callable without a token.
    ...(operation.auth ? {} : { security: [] }),
  };
}

function build(): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = operationObject(operation);
  }
  const errorResponses: Record<string, Json> = {
    Error: {
      description: "A refusal or failure.",
      content: { "application/json": { schema: ref("Error") } },
    },
  };
  for (const [status, name] of Object.entries(errorNames)) {
    const description = errorDescriptions[Number(status) as ErrorStatus];
    const retry = status === "429" || status === "503";
    errorResponses[name] = {
      description,
      ...(retry
        ? {
            headers: {
              "Retry-After": { description: headerDescriptions["Retry-After"], schema: { type: "string" } },
            },
          }
        : {}),
      content: { "application/json": { schema: ref("Error") } },
    };
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "Fathom API",
      version: API_VERSION,
      description:
        "Deep research as durable background tasks, streamed over resumable Server-Sent Events. When the server has an API token (FATHOM_API_TOKEN), every operation but the public ones needs it: `Authorization: Bearer <token>`, `?token=<token>` (for EventSource), or the session cookie a browser gets at sign-in. Without a token the API is open. Every refusal is `{ error: { code, message } }`.",
    },
    tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: { ...convert(responseSchemas, "output"), ...convert(requestSchemas, "input") },
      responses: errorResponses,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "The API token (FATHOM_API_TOKEN)." },
        tokenQuery: {
          type: "apiKey",
          in: "query",
          name: "token",
          description: "The API token as `?token=`, for clients that cannot send a header (EventSource).",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE_NAME,
          description:
            "The browser's session from `POST /api/session` (changes only from this server's pages).",
        },
      },
    },
    security: [{ bearerAuth: [] }, { tokenQuery: [] }, { sessionCookie: [] }],
  };
}

let built: OpenApiDocument | undefined;

/** The document, built once per process (it depends on nothing but the code). */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}
