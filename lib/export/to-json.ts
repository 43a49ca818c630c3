import { isIndexRequest } from "../model/request";
import type { ReportTask } from "./export-document";

/**
 * The task as a JSON document: its request, status, report, sources,
 * learnings, attempts and usage. Built field by field from an allow-list, so
 * nothing the task carries for the server's own use (owners, epochs, fencing
 * state) or may carry later (a webhook's address) leaks into a download.
 */
export function toJson(task: ReportTask, title: string): string {
  const request = task.request;
  const document = {
    id: task.id,
    title,
    request: isIndexRequest(request)
      ? { kind: request.kind, collection: request.collection, document: request.document }
      : {
          query: request.query,
          depth: request.depth,
          breadth: request.breadth,
          language: request.language,
          llm: { provider: request.llm.provider, ...(request.llm.model && { model: request.llm.model }) },
          search: {
            provider: request.search.provider,
            maxResults: request.search.maxResults,
            ...(request.search.collection && { collection: request.search.collection }),
            ...(request.search.web && { web: request.search.web }),
          },
        },
    status: task.status,
    createdAt: task.createdAt,
    finishedAt: task.finishedAt,
    report: task.result.report,
    sources: task.result.sources.map((source) => ({
      number: source.number,
      title: source.title,
      ...(source.url !== undefined && { url: source.url }),
      ...(source.documentRef !== undefined && { documentRef: source.documentRef }),
      ...(source.page !== undefined && { page: source.page }),
      ...(source.unreadable !== undefined && { unreadable: source.unreadable }),
      passages: source.passages,
    })),
    learnings: task.result.learnings,
    attempts: task.attempts.map((attempt) => ({
      id: attempt.id,
      kind: attempt.kind,
      startedAt: attempt.startedAt,
      endedAt: attempt.endedAt,
      durationMs: attempt.durationMs,
      outcome: attempt.outcome,
      error: attempt.error,
      ...(attempt.usage && { usage: attempt.usage }),
    })),
    ...(task.usage && { usage: task.usage }),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
