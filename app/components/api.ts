/**
 * How the browser calls the Fathom HTTP API (docs/ARCHITECTURE.md, "Wire
 * format", and the route handlers under app/api). The shapes are the model's
 * (lib/model), and every answer is parsed with the model's schema before the
 * page uses it: a server and a page that disagree fail with a sentence, not
 * with `undefined` deep in a render.
 *
 * The UI sends no bearer token: with FATHOM_API_TOKEN set the browser signs
 * in once (`/signin`) and its session cookie goes with every same-origin
 * request. A 401 means the session expired or was ended elsewhere.
 */
import { z } from "zod";
import { type FollowUps, followUpsSchema } from "@/lib/model/follow-ups";
import type { TaskAction } from "@/lib/model/lifecycle";
import type { FollowUpBody } from "@/lib/model/request";
import { type ResearchCreated, researchCreatedSchema } from "@/lib/model/research-created";
import { type TaskView, taskViewSchema } from "@/lib/model/task-view";
import { ApiError, sentence, toApiError } from "./api-error";

const UNREACHABLE = "The Fathom server can't be reached. Check your connection; the page keeps trying.";

/** `fetch` against the API that resolves to the answer parsed by `schema`, or throws an `ApiError` with a readable message. */
export async function apiFetch<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  init?: RequestInit,
): Promise<z.output<Schema>> {
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
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw unreadable(response.status, error);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = z.prettifyError(parsed.error);
    console.warn(`Fathom: the answer of ${path} does not have the expected shape:\n${detail}`);
    throw unreadable(response.status, parsed.error);
  }
  return parsed.data;
}

/** A request whose success has no body (`DELETE`: 204): resolves, or throws an `ApiError` with a readable message. */
export async function apiSend(path: string, init: RequestInit): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, {
      cache: "no-store",
      ...init,
      headers: { Accept: "application/json", ...init.headers },
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(UNREACHABLE, 0, "unreachable", { cause: error });
  }
  if (!response.ok) throw await toApiError(response);
}

function unreadable(status: number, cause: unknown): ApiError {
  return new ApiError("The server sent an answer this page could not read.", status, "bad_response", {
    cause,
  });
}

export function getTask(id: string, signal?: AbortSignal): Promise<TaskView> {
  return apiFetch(`/api/tasks/${id}`, taskViewSchema, { signal });
}

export function sendTaskAction(id: string, action: TaskAction): Promise<TaskView> {
  return apiFetch(`/api/tasks/${id}/${action}`, taskViewSchema, { method: "POST" });
}

/** The task's thread: the task it follows up and its own follow-ups. */
export function getFollowUps(id: string, signal?: AbortSignal): Promise<FollowUps> {
  return apiFetch(`/api/tasks/${id}/follow-ups`, followUpsSchema, { signal });
}

/** Starts (or joins) a follow-up of a completed task. */
export function askFollowUp(id: string, body: FollowUpBody): Promise<ResearchCreated> {
  return apiFetch(`/api/tasks/${id}/follow-up`, researchCreatedSchema, {
    method: "POST",
    body: JSON.stringify(body),
  });
}

/** A message for anything caught from an API call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return sentence(error.message);
  return "Something went wrong.";
}
