/**
 * What the browser knows about the Fathom HTTP API (docs/ARCHITECTURE.md, "Wire format", and the route
 * handlers under app/api). The UI talks to the API only over HTTP, so these
 * are the wire shapes, kept separate from the server's persisted types.
 *
 * The UI sends no bearer token: with FATHOM_API_TOKEN set the browser signs
 * in once (`/signin`) and its session cookie goes with every same-origin
 * request. A 401 means the session expired or was ended elsewhere.
 */

export const taskStatuses = ["queued", "running", "paused", "completed", "failed", "cancelled"] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export function isFinishedStatus(status: TaskStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/** Ids are fingerprints: 32 lowercase hex characters. */
export const TASK_ID_PATTERN = /^[0-9a-f]{32}$/;

export interface LlmProviderInfo {
  name: string;
  configured: boolean;
  default: boolean;
  model?: string;
}

export interface SearchProviderInfo {
  name: string;
  configured: boolean;
  default: boolean;
}

export interface RangeLimit {
  min: number;
  max: number;
  default: number;
}

/** `GET /api/providers`. */
export interface ProvidersResponse {
  llm: LlmProviderInfo[];
  search: SearchProviderInfo[];
  limits: { queryMaxLength: number; depth: RangeLimit; breadth: RangeLimit };
}

/** The body of `POST /api/research`. */
export interface ResearchRequest {
  query: string;
  depth?: number;
  breadth?: number;
  llm?: { provider: string; model?: string };
  search?: { provider: string };
  fresh?: boolean;
}

/** `202` answer of `POST /api/research`. */
export interface ResearchCreated {
  taskId: string;
  status: TaskStatus;
  links: { self: string; events: string; page: string };
}

export interface SourceJson {
  number: number;
  title: string;
  url?: string;
  documentRef?: string;
  passages: string[];
}

export interface ResultJson {
  report: string;
  sources: SourceJson[];
  learnings: string[];
}

export interface TaskRequestJson {
  query: string;
  depth: number;
  breadth: number;
  language: string;
  llm: { provider: string; model?: string };
  search: { provider: string; maxResults: number };
}

/** `GET /api/tasks/:id`, and (without `result`) the SSE `task` snapshot. */
export interface TaskJson {
  id: string;
  request: TaskRequestJson;
  status: TaskStatus;
  progress: number;
  step: string | null;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lastEventId: number;
  runStartEventId: number;
  queuePosition?: number | null;
  finishRequested?: boolean;
  result?: ResultJson | null;
  error: { code: string; message: string } | null;
  /** Event ids lost from the log in a crash: a cursor in (after, through] is refused (409). */
  lostEvents?: { after: number; through: number } | null;
  /** Older runs compacted away: a cursor at or below `throughEventId` is refused (410). */
  compacted?: { throughEventId: number } | null;
}

/** One row of `GET /api/tasks` and the data of a `task` event on `/api/tasks/events`. */
export interface TaskListItem {
  id: string;
  query: string;
  status: TaskStatus;
  progress: number;
  step: string | null;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  queuePosition?: number | null;
}

export interface TaskListResponse {
  tasks: TaskListItem[];
  total: number;
  nextCursor: string | null;
}

/** The lifecycle controls of `POST /api/tasks/:id/<action>`. */
export type TaskAction = "cancel" | "pause" | "resume" | "finish";

/** An API call that failed, with a message fit to show a person. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** For a refusal by a limit: seconds until trying again makes sense (`Retry-After`). */
  readonly retryAfterSeconds?: number;

  constructor(
    message: string,
    status: number,
    code: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** True when the server could not be reached at all (no HTTP answer). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

const UNREACHABLE = "The Fathom server can't be reached. Check your connection; the page keeps trying.";

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const capitalized = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

function fallbackMessage(status: number): string {
  if (status === 401) return "You are signed out or your session expired. Reload the page to sign in again.";
  if (status === 403) return "The server refused the request.";
  if (status === 404) return "Not found.";
  if (status === 429) return "Too many requests right now. Wait a moment and try again.";
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

/**
 * What a person is told when a limit refuses them: the server's message
 * names the operator's variable, which means nothing to them.
 */
export function limitMessage(limit: string, retryAfterSeconds: number | undefined): string | undefined {
  const wait = retryAfterSeconds ? ` in about ${formatWait(retryAfterSeconds)}` : " in a moment";
  switch (limit) {
    case "RATE_LIMIT_TASKS_PER_MINUTE":
      return `You have started a lot of research in the last minute. You can start more${wait}; research already started keeps running.`;
    case "MAX_QUEUED_TASKS":
      return `Fathom is busy: too many research tasks are waiting for a worker. Try again${wait}.`;
    case "MAX_STORAGE_MB":
      return "The server has no room for new research right now. Reports you already have stay available; try again later.";
    case "MAX_SSE_CONNECTIONS_PER_CLIENT":
      return `You have too many Fathom pages streaming at once. Close some; this page reconnects by itself${wait}.`;
    case "MAX_SSE_CONNECTIONS":
      return `The server has too many open connections. This page reconnects by itself${wait}.`;
    default:
      return undefined;
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** Reads `{ error: { code, message } }` from a failed response; never shows raw JSON. */
export async function toApiError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = fallbackMessage(response.status);
  // The API's own 401 text speaks to programs ("wrong API token"); a person needs to know to sign in.
  if (response.status === 401) return new ApiError(message, 401, "unauthorized");
  const header = Number(response.headers.get("retry-after"));
  let retryAfterSeconds = Number.isFinite(header) && header > 0 ? header : undefined;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object" && "error" in body) {
      const error = (body as { error: unknown }).error;
      if (error && typeof error === "object") {
        const record = error as Record<string, unknown>;
        if (typeof record.code === "string") code = record.code;
        if (typeof record.message === "string" && record.message.trim() !== "")
          message = sentence(record.message);
        if (typeof record.retryAfterSeconds === "number") retryAfterSeconds ??= record.retryAfterSeconds;
        if (typeof record.limit === "string")
          message = limitMessage(record.limit, retryAfterSeconds) ?? message;
      } else if (typeof error === "string" && error.trim() !== "") {
        message = sentence(error);
      }
    }
  } catch (error) {
    // Not JSON (a proxy's HTML error page, an empty body): keep the generic sentence.
    void error;
  }
  return new ApiError(message, response.status, code, { retryAfterSeconds });
}

/** `fetch` against the API that resolves to parsed JSON or throws an `ApiError` with a readable message. */
export async function apiFetch<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      cache: "no-store",
      ...init,
      headers: {
        Accept: "application/json",
        ...(init?.body ? { "Content-Type": "application/json" } : {}),
        ...init?.headers,
      },
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(UNREACHABLE, 0, "unreachable", { cause: error });
  }
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new ApiError(
      "The server sent an answer this page could not read.",
      response.status,
      "bad_response",
      {
        cause: error,
      },
    );
  }
}

export function getTask(id: string, signal?: AbortSignal): Promise<TaskJson> {
  return apiFetch<TaskJson>(`/api/tasks/${id}`, { signal });
}

export function sendTaskAction(id: string, action: TaskAction): Promise<TaskJson> {
  return apiFetch<TaskJson>(`/api/tasks/${id}/${action}`, { method: "POST" });
}

/** A message for anything caught from an API call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return sentence(error.message);
  return "Something went wrong.";
}
