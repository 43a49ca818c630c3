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
import type { z } from "zod";
import { createFathomClient } from "@/lib/client/fathom-client";
import type { FollowUps } from "@/lib/model/follow-ups";
import type { TaskAction } from "@/lib/model/lifecycle";
import type { FollowUpBody } from "@/lib/model/request";
import type { ResearchCreated } from "@/lib/model/research-created";
import type { TaskView } from "@/lib/model/task-view";
import { ApiError, browserMessages, sentence } from "./api-error";

/** The page's client of the API (lib/client): same origin, the sign-in cookie, the page's words for errors. */
export const client = createFathomClient({ messages: browserMessages });

/** `fetch` against the API that resolves to the answer parsed by `schema`, or throws an `ApiError` with a readable message. */
export async function apiFetch<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  init?: RequestInit,
): Promise<z.output<Schema>> {
  try {
    return await client.request(path, schema, init);
  } catch (error) {
    if (error instanceof ApiError && error.code === "bad_response") {
      console.warn(`Fathom: ${error.message}`);
      throw new ApiError("The server sent an answer this page could not read.", error.status, error.code, {
        cause: error,
      });
    }
    throw error;
  }
}

/** A request whose success has no body (`DELETE`: 204): resolves, or throws an `ApiError` with a readable message. */
export function apiSend(path: string, init: RequestInit): Promise<void> {
  return client.send(path, init);
}

export function getTask(id: string, signal?: AbortSignal): Promise<TaskView> {
  return client.getTask(id, { signal });
}

export function sendTaskAction(id: string, action: TaskAction): Promise<TaskView> {
  return client.control(id, action);
}

/** The task's thread: the task it follows up and its own follow-ups. */
export function getFollowUps(id: string, signal?: AbortSignal): Promise<FollowUps> {
  return client.getFollowUps(id, { signal });
}

/** Starts (or joins) a follow-up of a completed task. */
export function askFollowUp(id: string, body: FollowUpBody): Promise<ResearchCreated> {
  return client.followUp(id, body);
}

/** A message for anything caught from an API call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return sentence(error.message);
  return "Something went wrong.";
}
