import type { z } from "zod";
import { pathParameters, querySchemas, type RequestSchemaName, type ResponseSchemaName } from "./schemas";

/**
 * The one declaration of Fathom's HTTP API (docs/ARCHITECTURE.md, "The API
 * document"): every operation a route under `app/api` answers, with the
 * model's schemas of what it takes and answers. `/api/openapi.json` and the
 * API page are generated from it, and a test compares it with the route
 * files in both directions.
 */

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** The event types of a stream and the component each one's `data` follows. */
export type StreamEvents = Partial<Record<string, ResponseSchemaName>>;

/** One answer of an operation. */
export type ApiResponse =
  | { description: string; json: ResponseSchemaName; headers?: readonly ResponseHeader[] }
  | { description: string; stream: StreamEvents; headers?: readonly ResponseHeader[] }
  | { description: string; file: string; headers?: readonly ResponseHeader[] }
  | { description: string; empty: true; headers?: readonly ResponseHeader[] };

export type ResponseHeader = "X-Task-ID" | "X-Model-Name" | "Location" | "Set-Cookie" | "Retry-After";

/** The statuses whose answer is the error body (described once, `components.responses`). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 502 | 503 | 507;

export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI form: `/api/tasks/{id}` (the route folder is `app/api/tasks/[id]`). */
  path: string;
  operationId: string;
  /** The group on the API page. */
  tag: Tag;
  summary: string;
  description?: string;
  /** False for the few operations any client may call (health, sign-in, this document). */
  auth: boolean;
  /**
   * True when the operation creates or changes state: refused (403) when a
   * browser marks the request cross-site, before anything happens.
   */
  changes: boolean;
  pathParameters?: Partial<Record<string, z.ZodType>>;
  /** The query string's schema, as the route parses it (an object, maybe piped to a transform). */
  query?: z.ZodType;
  /** `Last-Event-ID`: the event stream resumes after it. */
  lastEventId?: boolean;
  body?: {
    json?: RequestSchemaName;
    /** A multipart form's fields, described in words (the route reads them as a stream). */
    multipart?: string;
    example?: unknown;
  };
  responses: Partial<Record<number, ApiResponse>>;
  /**
   * Refusals beside the ones added to every operation: 401 when it needs the
   * token, 403 when it changes state, 503 (the store unavailable). 429 is
   * listed where a limit applies: task admission, event streams, sign-in.
   */
  errors: readonly ErrorStatus[];
}

export const tags = {
  Research: "Start research and follow it as it is written.",
  Tasks: "The tasks a server holds: their state, controls, reports, threads and webhooks.",
  Collections: "Named sets of documents research can search.",
  Schedules: "Research that runs again on a cron expression.",
  Service: "Health, providers, metrics, sign-in and this document.",
  MCP: "The Model Context Protocol endpoint (Streamable HTTP) for assistants and IDEs: tools research, follow_up, get_task, list_tasks, cancel_task and report resources.",
} as const;
export type Tag = keyof typeof tags;

const taskEvents: StreamEvents = {
  task: "TaskSnapshot",
  progress: "ProgressData",
  source: "SourceData",
  output: "OutputData",
  status: "StatusData",
  done: "DoneData",
  // Unnumbered: ends a stream the server cannot go on serving (the task was deleted).
  error: "StreamErrorData",
};

const taskStreamAnswer: ApiResponse = {
  description:
    "The task's event stream: the `task` snapshot (no id), then every event after the cursor in order, then live events; `: ping` comments keep it open.",
  stream: taskEvents,
  headers: ["X-Task-ID"],
};

const finishedAnswer: ApiResponse = {
  description:
    "The task is finished and the cursor has seen every event: nothing is left (EventSource stops).",
  empty: true,
  headers: ["X-Task-ID"],
};

const exampleRequest = { query: "What did presidents say about railroads?", depth: 1, breadth: 2 };

export const operations: readonly ApiOperation[] = [
  {
    method: "post",
    path: "/api/research",
    operationId: "startResearch",
    tag: "Research",
    summary: "Start (or join) the research of a request",
    description:
      "Identical requests share one task (its id is a fingerprint of the normalized request). Answers the task's event stream; with `Accept: application/json` (and not `text/event-stream`) a 202 with the task's id and links instead. With a cursor (`Last-Event-ID`) it only resumes the stream of the existing task.",
    auth: true,
    changes: true,
    lastEventId: true,
    body: { json: "ResearchRequest", example: exampleRequest },
    responses: {
      200: { ...taskStreamAnswer, headers: ["X-Task-ID", "X-Model-Name"] },
      202: {
        description: "The task was created or joined (`Accept: application/json`).",
        json: "ResearchCreated",
        headers: ["X-Task-ID", "X-Model-Name", "Location"],
      },
      204: finishedAnswer,
    },
    errors: [400, 404, 409, 410, 413, 415, 429],
  },
  {
    method: "get",
    path: "/api/research",
    operationId: "startResearchStream",
    tag: "Research",
    summary: "Start (or join) research from query parameters, for an EventSource",
    description:
      "The same as the POST with the request in the query (`llm`, `model`, `search`, `collection`, `web` and `maxResults` flattened). Without a cursor it may create a task, so it is refused cross-site; with one it only reconnects.",
    auth: true,
    changes: true,
    query: querySchemas.research,
    lastEventId: true,
    responses: {
      200: { ...taskStreamAnswer, headers: ["X-Task-ID", "X-Model-Name"] },
      202: {
        description: "The task was created or joined (`Accept: application/json`).",
        json: "ResearchCreated",
        headers: ["X-Task-ID", "X-Model-Name", "Location"],
      },
      204: finishedAnswer,
    },
    errors: [400, 404, 409, 410, 429],
  },
  {
    method: "get",
    path: "/api/tasks",
    operationId: "listTasks",
    tag: "Tasks",
    summary: "List tasks, newest first",
    auth: true,
    changes: false,
    query: querySchemas.taskList,
    responses: { 200: { description: "A page of task rows.", json: "TaskListPage" } },
    errors: [400],
  },
  {
    method: "get",
    path: "/api/tasks/events",
    operationId: "streamTaskList",
    tag: "Tasks",
    summary: "Live changes of the task list",
    description:
      "One connection for the whole list: a `task` event (a list row) on create and on status and progress changes (progress at most every 250 ms per task), `deleted` with the id. Events carry no ids: a reconnect reloads the list.",
    auth: true,
    changes: false,
    responses: {
      200: {
        description: "The list's event stream.",
        stream: { task: "TaskSummary", deleted: "TaskDeleted" },
      },
    },
    errors: [429],
  },
  {
    method: "get",
    path: "/api/tasks/{id}",
    operationId: "getTask",
    tag: "Tasks",
    summary: "A task's state (with its report once completed)",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.taskId },
    responses: { 200: { description: "The task.", json: "TaskView", headers: ["X-Task-ID"] } },
    errors: [400, 404, 410],
  },
  {
    method: "delete",
    path: "/api/tasks/{id}",
    operationId: "deleteTask",
    tag: "Tasks",
    summary: "Remove a task and its files (a running one is cancelled first)",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.taskId },
    responses: { 204: { description: "Removed.", empty: true, headers: ["X-Task-ID"] } },
    errors: [400, 404, 410],
  },
  {
    method: "get",
    path: "/api/tasks/{id}/events",
    operationId: "streamTask",
    tag: "Tasks",
    summary: "A task's events after a cursor, then live",
    description:
      "Resume with `Last-Event-ID` (what EventSource sends by itself) or `?lastEventId=`. A cursor past the last event is 400; a cursor into a run compacted away, or a deleted task, 410.",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.taskId },
    query: querySchemas.cursor,
    lastEventId: true,
    responses: { 200: taskStreamAnswer, 204: finishedAnswer },
    errors: [400, 404, 409, 410, 429],
  },
  {
    method: "post",
    path: "/api/tasks/{id}/{action}",
    operationId: "controlTask",
    tag: "Tasks",
    summary: "Cancel, pause, resume or finish a task",
    description:
      "`finish` ends a running task early with the report written from what it has learned so far.",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.taskId, action: pathParameters.taskAction },
    responses: {
      200: { description: "The task after the change.", json: "TaskView", headers: ["X-Task-ID"] },
    },
    errors: [400, 404, 409, 410],
  },
  {
    method: "get",
    path: "/api/tasks/{id}/export",
    operationId: "exportTask",
    tag: "Tasks",
    summary: "Download a completed task's report (md, html, pdf, docx, json)",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.taskId },
    query: querySchemas.export,
    responses: {
      200: {
        description: "The report as a download named after its title.",
        file: "text/markdown, text/html, application/pdf, application/vnd.openxmlformats-officedocument.wordprocessingml.document or application/json",
        headers: ["X-Task-ID"],
      },
    },
    errors: [400, 404, 409, 410],
  },
  {
    method: "post",
    path: "/api/tasks/{id}/follow-up",
    operationId: "followUpTask",
    tag: "Tasks",
    summary: "Ask a follow-up question of a completed research task",
    description:
      "The follow-up's research starts from the task's learnings and sources, with its providers and language; depth and breadth default to the parent's.",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.taskId },
    body: { json: "FollowUpRequest", example: { query: "And about canals?" } },
    responses: {
      202: {
        description: "The follow-up task was created or joined.",
        json: "ResearchCreated",
        headers: ["X-Task-ID", "Location"],
      },
    },
    errors: [400, 404, 409, 410, 413, 415, 429],
  },
  {
    method: "get",
    path: "/api/tasks/{id}/follow-ups",
    operationId: "getTaskThread",
    tag: "Tasks",
    summary: "A task's thread: the task it follows up and its own follow-ups",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.taskId },
    responses: { 200: { description: "The thread.", json: "FollowUps", headers: ["X-Task-ID"] } },
    errors: [400, 404, 410],
  },
  {
    method: "get",
    path: "/api/tasks/{id}/deliveries",
    operationId: "listTaskDeliveries",
    tag: "Tasks",
    summary: "A task's webhook deliveries and their attempts",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.taskId },
    responses: {
      200: { description: "Deliveries, oldest first.", json: "DeliveryList", headers: ["X-Task-ID"] },
    },
    errors: [400, 404, 410],
  },
  {
    method: "get",
    path: "/api/collections",
    operationId: "listCollections",
    tag: "Collections",
    summary: "Every collection, built-in ones first",
    auth: true,
    changes: false,
    responses: { 200: { description: "The collections.", json: "CollectionList" } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/collections",
    operationId: "createCollection",
    tag: "Collections",
    summary: "Create a collection",
    auth: true,
    changes: true,
    body: { json: "CreateCollection", example: { name: "my-papers", description: "Papers I read" } },
    responses: {
      201: { description: "The new collection.", json: "CollectionView", headers: ["Location"] },
    },
    errors: [400, 409, 413, 415, 507],
  },
  {
    method: "get",
    path: "/api/collections/{name}",
    operationId: "getCollection",
    tag: "Collections",
    summary: "A collection",
    auth: true,
    changes: false,
    pathParameters: { name: pathParameters.collectionName },
    responses: { 200: { description: "The collection.", json: "CollectionView" } },
    errors: [400, 404],
  },
  {
    method: "delete",
    path: "/api/collections/{name}",
    operationId: "deleteCollection",
    tag: "Collections",
    summary: "Remove a user collection with its documents (built-in ones: 403)",
    auth: true,
    changes: true,
    pathParameters: { name: pathParameters.collectionName },
    responses: { 204: { description: "Removed.", empty: true } },
    errors: [400, 404],
  },
  {
    method: "get",
    path: "/api/collections/{name}/documents",
    operationId: "listDocuments",
    tag: "Collections",
    summary: "A collection's documents with their status",
    auth: true,
    changes: false,
    pathParameters: { name: pathParameters.collectionName },
    responses: {
      200: { description: "The documents (a built-in collection's as references).", json: "DocumentList" },
    },
    errors: [400, 404],
  },
  {
    method: "post",
    path: "/api/collections/{name}/documents",
    operationId: "addDocuments",
    tag: "Collections",
    summary: "Add documents: upload files, or name URLs to fetch",
    description:
      "Each document is stored and its indexing starts (its `links.events` streams the progress). A file that cannot be taken is listed in `rejected` with the reason and the others are kept; when nothing was taken, the first refusal is the answer.",
    auth: true,
    changes: true,
    pathParameters: { name: pathParameters.collectionName },
    body: {
      json: "UploadByUrl",
      multipart:
        "One or more `file` fields (PDF, DOCX, HTML, Markdown, text, CSV; at most MAX_UPLOAD_MB each, 20 per upload) and optional `url` fields.",
      example: { urls: ["https://example.com/paper.html"] },
    },
    responses: { 202: { description: "What was accepted and what was refused.", json: "UploadResult" } },
    errors: [400, 404, 413, 415, 422, 507],
  },
  {
    method: "get",
    path: "/api/collections/{name}/documents/{id}",
    operationId: "getDocument",
    tag: "Collections",
    summary: "A document's metadata and links",
    auth: true,
    changes: false,
    pathParameters: { name: pathParameters.collectionName, id: pathParameters.documentId },
    responses: { 200: { description: "The document.", json: "DocumentView" } },
    errors: [400, 403, 404],
  },
  {
    method: "delete",
    path: "/api/collections/{name}/documents/{id}",
    operationId: "deleteDocument",
    tag: "Collections",
    summary: "Remove a document (gone from searches at once)",
    auth: true,
    changes: true,
    pathParameters: { name: pathParameters.collectionName, id: pathParameters.documentId },
    responses: { 204: { description: "Removed.", empty: true } },
    errors: [400, 403, 404],
  },
  {
    method: "get",
    path: "/api/collections/{name}/documents/{id}/text",
    operationId: "getDocumentText",
    tag: "Collections",
    summary: "A document's extracted text, one string per page",
    auth: true,
    changes: false,
    pathParameters: { name: pathParameters.collectionName, id: pathParameters.documentId },
    responses: { 200: { description: "The text.", json: "DocumentText" } },
    errors: [400, 403, 404, 409],
  },
  {
    method: "get",
    path: "/api/collections/{name}/documents/{id}/original",
    operationId: "getDocumentOriginal",
    tag: "Collections",
    summary: "The file as it was uploaded, as a download",
    auth: true,
    changes: false,
    pathParameters: { name: pathParameters.collectionName, id: pathParameters.documentId },
    responses: { 200: { description: "The original bytes.", file: "the file's own media type" } },
    errors: [400, 403, 404],
  },
  {
    method: "get",
    path: "/api/schedules",
    operationId: "listSchedules",
    tag: "Schedules",
    summary: "Every schedule with its next fire and newest run",
    auth: true,
    changes: false,
    responses: { 200: { description: "The schedules, oldest first.", json: "ScheduleList" } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/schedules",
    operationId: "createSchedule",
    tag: "Schedules",
    summary: "Create a schedule",
    description:
      "The expression is read in the IANA `timezone`; no two of the next fires may be closer than MIN_SCHEDULE_INTERVAL_S. A refusal names the field.",
    auth: true,
    changes: true,
    body: {
      json: "ScheduleCreate",
      example: {
        name: "Weekly railroads",
        request: exampleRequest,
        cron: "0 8 * * 1",
        timezone: "Europe/Berlin",
      },
    },
    responses: {
      201: { description: "The schedule with its next fires.", json: "ScheduleView", headers: ["Location"] },
    },
    // 404/409: the request names a collection that does not exist, or has no ready document.
    errors: [400, 404, 409, 413, 415, 507],
  },
  {
    method: "get",
    path: "/api/schedules/{id}",
    operationId: "getSchedule",
    tag: "Schedules",
    summary: "A schedule",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.scheduleId },
    responses: { 200: { description: "The schedule.", json: "ScheduleView" } },
    errors: [400, 404],
  },
  {
    method: "patch",
    path: "/api/schedules/{id}",
    operationId: "updateSchedule",
    tag: "Schedules",
    summary: "Change any field of a schedule (`webhook: null` removes its webhook)",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.scheduleId },
    body: { json: "SchedulePatch", example: { enabled: false } },
    responses: { 200: { description: "The schedule after the change.", json: "ScheduleView" } },
    errors: [400, 404, 409, 413, 415],
  },
  {
    method: "delete",
    path: "/api/schedules/{id}",
    operationId: "deleteSchedule",
    tag: "Schedules",
    summary: "Remove a schedule with its run records (its task and reports stay)",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.scheduleId },
    responses: { 204: { description: "Removed.", empty: true } },
    errors: [400, 404],
  },
  {
    method: "post",
    path: "/api/schedules/{id}/{action}",
    operationId: "controlSchedule",
    tag: "Schedules",
    summary: "Pause or resume a schedule, or fire it now",
    auth: true,
    changes: true,
    pathParameters: { id: pathParameters.scheduleId, action: pathParameters.scheduleAction },
    responses: {
      200: { description: "`pause`, `resume`: the schedule.", json: "ScheduleView" },
      202: {
        description: "`run`: the fire's run record.",
        json: "ScheduleRunStarted",
        headers: ["X-Task-ID"],
      },
    },
    errors: [400, 404, 409],
  },
  {
    method: "get",
    path: "/api/schedules/{id}/runs",
    operationId: "listScheduleRuns",
    tag: "Schedules",
    summary: "A schedule's run records, newest fire first",
    auth: true,
    changes: false,
    pathParameters: { id: pathParameters.scheduleId },
    query: querySchemas.scheduleRuns,
    responses: { 200: { description: "A page of run records.", json: "ScheduleRunPage" } },
    errors: [400, 404],
  },
  {
    method: "post",
    path: "/api/mcp",
    operationId: "mcpMessage",
    tag: "MCP",
    summary: "Send an MCP JSON-RPC message (initialize, tools/list, tools/call…)",
    description:
      "Stateless Streamable HTTP: no `Mcp-Session-Id` is issued. A call that waits (`research` or `follow_up` with `wait: true`) answers as an event stream of progress notifications then the result, each event's id naming the task and its log position, so a client resumes it on any server; other messages answer as one JSON message.",
    auth: true,
    changes: true,
    body: { json: "McpRequest", example: { jsonrpc: "2.0", id: 1, method: "tools/list" } },
    responses: {
      200: {
        description: "The answer: one JSON-RPC message, or an event stream of them.",
        json: "McpMessage",
      },
      202: { description: "A notification or a response was accepted.", empty: true },
      406: {
        description:
          "The request's `Accept` lacks `application/json` or `text/event-stream` (the Streamable HTTP transport needs both): a JSON-RPC error naming them.",
        json: "McpMessage",
      },
    },
    errors: [400, 413, 415, 429],
  },
  {
    method: "get",
    path: "/api/mcp",
    operationId: "mcpResume",
    tag: "MCP",
    summary: "Resume a waiting call's MCP event stream after its last event",
    description:
      "Needs `Last-Event-ID` (an id this endpoint wrote); replays the task log after it, then follows the task live and ends with the call's result. Without it: 405, as this server opens no stream outside a call.",
    auth: true,
    changes: false,
    lastEventId: true,
    responses: { 200: { description: "The rest of the call's stream.", stream: { message: "McpMessage" } } },
    errors: [400, 405, 429],
  },
  {
    method: "get",
    path: "/api/health",
    operationId: "getHealth",
    tag: "Service",
    summary: "Readiness (no token needed)",
    auth: false,
    changes: false,
    responses: {
      200: { description: "Ready.", json: "Health" },
      503: { description: "Starting: a load balancer waits.", json: "Health" },
    },
    errors: [],
  },
  {
    method: "get",
    path: "/api/providers",
    operationId: "getProviders",
    tag: "Service",
    summary: "The LLM and search providers this server can use, and the request limits",
    auth: true,
    changes: false,
    responses: { 200: { description: "Providers and limits.", json: "ProvidersInfo" } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/metrics",
    operationId: "getMetrics",
    tag: "Service",
    summary: "Prometheus metrics",
    auth: true,
    changes: false,
    responses: { 200: { description: "Prometheus text format.", file: "text/plain; version=0.0.4" } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/session",
    operationId: "getSession",
    tag: "Service",
    summary: "Whether this server asks for sign-in, and whether this browser is signed in",
    auth: false,
    changes: false,
    responses: { 200: { description: "The session state.", json: "SessionState" } },
    errors: [],
  },
  {
    method: "post",
    path: "/api/session",
    operationId: "signIn",
    tag: "Service",
    summary: "Sign a browser in: the API token for a session cookie",
    description: "Wrong tokens are limited per client address (429 with `Retry-After`).",
    auth: false,
    changes: true,
    body: { json: "SignIn", example: { token: "…" } },
    responses: {
      200: { description: "Signed in until `expiresAt`.", json: "SessionChange", headers: ["Set-Cookie"] },
    },
    errors: [400, 401, 413, 415, 429],
  },
  {
    method: "delete",
    path: "/api/session",
    operationId: "signOut",
    tag: "Service",
    summary: "Sign a browser out (deletes the session cookie)",
    auth: false,
    changes: true,
    responses: { 200: { description: "Signed out.", json: "SessionChange", headers: ["Set-Cookie"] } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/openapi.json",
    operationId: "getOpenApiDocument",
    tag: "Service",
    summary: "This document (OpenAPI 3.1, no token needed)",
    auth: false,
    changes: false,
    responses: { 200: { description: "The OpenAPI document.", file: "application/json" } },
    errors: [],
  },
];
