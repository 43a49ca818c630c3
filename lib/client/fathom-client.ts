import { z } from "zod";
import type { ExportFormat } from "../model/export-format";
import { exportPath } from "../model/export-format";
import { type FollowUps, followUpsSchema } from "../model/follow-ups";
import type { TaskAction } from "../model/lifecycle";
import type { FollowUpBody, ResearchRequestInput } from "../model/request";
import { type ResearchCreated, researchCreatedSchema } from "../model/research-created";
import type { TaskStatus } from "../model/task-json";
import { type TaskListPage, type TaskView, taskListPageSchema, taskViewSchema } from "../model/task-view";
import { sleep } from "../sleep";
import { ApiError, type ErrorMessages, readApiError } from "./api-error";
import { type StreamItem, type StreamOptions, streamTaskEvents } from "./event-stream";

/** Options of `createFathomClient`. */
export interface FathomClientOptions {
  /** The server's origin (`http://localhost:3000`). Default `""`: the page's own origin (browser only). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (the server's FATHOM_API_TOKEN). Default none: a browser's sign-in cookie. */
  token?: string;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Sentences for errors whose server text speaks to someone else (api-error.ts). Default: the server's. */
  messages?: ErrorMessages;
  /** Backoff of stream reconnects (lib/backoff.ts). Default 500 ms base, 30 s at most, `Math.random`. */
  backoff?: { baseMs?: number; maxMs?: number; random?: () => number };
  /** Waits between reconnects. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** Filters of `listTasks` (`GET /api/tasks`). */
export interface ListTasksOptions {
  status?: TaskStatus[];
  /** Words of the question. */
  q?: string;
  /** 1–200, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  signal?: AbortSignal;
}

/** A downloaded export (`GET /api/tasks/:id/export`). */
export interface ExportFile {
  bytes: Uint8Array;
  contentType: string;
  /** The file name the server suggests (its ASCII `filename`), or `<id>.<format>`. */
  filename: string;
}

const UNREACHABLE = "The Fathom server can't be reached.";

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/**
 * The typed client of the Fathom HTTP API, for browsers and Node 20 alike
 * (docs/ARCHITECTURE.md, "Layers": lib/client). Every answer is parsed with
 * the model's schema before it is returned, and every failure is an
 * `ApiError` with status, code and a readable message; an abort rethrows the
 * signal's reason.
 */
export class FathomClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #messages: ErrorMessages;
  readonly #options: FathomClientOptions;

  constructor(options: FathomClientOptions = {}) {
    const baseUrl = options.baseUrl ?? "";
    if (baseUrl !== "" && !/^https?:\/\/[^/]+/.test(baseUrl)) {
      throw new TypeError(
        `baseUrl: expected an http(s) URL such as http://localhost:3000, got ${JSON.stringify(baseUrl)}`,
      );
    }
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#token = options.token || undefined;
    // Bound: a browser's `fetch` called as a method of another object throws "Illegal invocation".
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#messages = options.messages ?? {};
    this.#options = options;
  }

  /** The absolute URL of an API path (or the path itself for a same-origin client). */
  url(path: string): string {
    return `${this.#baseUrl}${path}`;
  }

  #headers(): Record<string, string> {
    return this.#token ? { Authorization: `Bearer ${this.#token}` } : {};
  }

  async #call(path: string, init: RequestInit, accept: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.#fetch(this.url(path), {
        cache: "no-store",
        ...init,
        headers: {
          Accept: accept,
          ...(init.body ? { "Content-Type": "application/json" } : {}),
          ...this.#headers(),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(this.#messages.unreachable ?? UNREACHABLE, 0, "unreachable", { cause: error });
    }
    if (!response.ok) throw await readApiError(response, this.#messages);
    return response;
  }

  /** A JSON call to any API path, its answer parsed by `schema`. */
  async request<Schema extends z.ZodType>(
    path: string,
    schema: Schema,
    init: RequestInit = {},
  ): Promise<z.output<Schema>> {
    const response = await this.#call(path, init, "application/json");
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (isAbort(error)) throw error;
      throw unreadable(response.status, error);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw unreadable(response.status, parsed.error, `${path}: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }

  /** A call whose success has no body to read (`DELETE`: 204). */
  async send(path: string, init: RequestInit): Promise<void> {
    const response = await this.#call(path, init, "application/json");
    await response.body?.cancel();
  }

  /**
   * Starts research, or joins the identical task (`created: false`): `POST
   * /api/research` for the 202 with the task id; follow it with `stream`.
   */
  startResearch(
    request: ResearchRequestInput,
    options: { signal?: AbortSignal } = {},
  ): Promise<ResearchCreated> {
    return this.request("/api/research", researchCreatedSchema, {
      method: "POST",
      body: JSON.stringify(request),
      signal: options.signal,
    });
  }

  getTask(id: string, options: { signal?: AbortSignal } = {}): Promise<TaskView> {
    return this.request(taskPath(id), taskViewSchema, { signal: options.signal });
  }

  /** A page of tasks, newest first. */
  listTasks(options: ListTasksOptions = {}): Promise<TaskListPage> {
    const query = new URLSearchParams();
    if (options.status?.length) query.set("status", options.status.join(","));
    if (options.q) query.set("q", options.q);
    if (options.limit) query.set("limit", String(options.limit));
    if (options.cursor) query.set("cursor", options.cursor);
    const suffix = query.size > 0 ? `?${query}` : "";
    return this.request(`/api/tasks${suffix}`, taskListPageSchema, { signal: options.signal });
  }

  /** `cancel`, `pause`, `resume` or `finish`: the task as it is after. A control its state forbids is a 409. */
  control(id: string, action: TaskAction): Promise<TaskView> {
    return this.request(`${taskPath(id)}/${action}`, taskViewSchema, { method: "POST" });
  }

  /** Removes the task and its files (a running task is cancelled first). */
  deleteTask(id: string): Promise<void> {
    return this.send(taskPath(id), { method: "DELETE" });
  }

  /** Starts (or joins) a follow-up of a completed task. */
  followUp(id: string, body: FollowUpBody): Promise<ResearchCreated> {
    return this.request(`${taskPath(id)}/follow-up`, researchCreatedSchema, {
      method: "POST",
      body: JSON.stringify(body),
    });
  }

  /** The task's thread: the task it follows up and its own follow-ups. */
  getFollowUps(id: string, options: { signal?: AbortSignal } = {}): Promise<FollowUps> {
    return this.request(`${taskPath(id)}/follow-ups`, followUpsSchema, { signal: options.signal });
  }

  /** A completed task's report as a file (md, html, pdf, docx, json). */
  async exportReport(
    id: string,
    format: ExportFormat,
    options: { signal?: AbortSignal } = {},
  ): Promise<ExportFile> {
    const response = await this.#call(
      exportPath(encodeURIComponent(id), format),
      { signal: options.signal },
      "*/*",
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    const disposition = response.headers.get("content-disposition") ?? "";
    const named = /filename="([^"]+)"/.exec(disposition)?.[1];
    return {
      bytes,
      contentType: response.headers.get("content-type") ?? "application/octet-stream",
      filename: named && !/[/\\]/.test(named) ? named : `${id}.${format}`,
    };
  }

  /**
   * The task's events as an async iterable that resumes by itself after any
   * drop and never yields an event twice (event-stream.ts); it ends after
   * `done` or the server's 204.
   */
  stream(taskId: string, options: StreamOptions = {}): AsyncGenerator<StreamItem, void, undefined> {
    const backoff = this.#options.backoff ?? {};
    return streamTaskEvents(
      {
        fetch: this.#fetch,
        url: (path) => this.url(path),
        headers: () => this.#headers(),
        messages: this.#messages,
        backoff: { baseMs: backoff.baseMs ?? 500, maxMs: backoff.maxMs ?? 30_000, random: backoff.random },
        sleep: this.#options.sleep ?? sleep,
        now: this.#options.now ?? (() => performance.now()),
      },
      taskId,
      options,
    );
  }
}

/** A client of the server at `options.baseUrl` (default: the page's own origin). */
export function createFathomClient(options: FathomClientOptions = {}): FathomClient {
  return new FathomClient(options);
}

const taskPath = (id: string) => `/api/tasks/${encodeURIComponent(id)}`;

function unreadable(status: number, cause: unknown, detail?: string): ApiError {
  const suffix = detail ? ` (${detail})` : "";
  return new ApiError(
    `The server sent an answer this client could not read${suffix}.`,
    status,
    "bad_response",
    {
      cause,
    },
  );
}
