"use client";

import { useEffect, useRef } from "react";
import type { DocumentView } from "@/lib/model/collection";
import { progressDataSchema } from "@/lib/model/event-data";
import { isFinished } from "@/lib/model/task-json";
import { taskSnapshotSchema } from "@/lib/model/task-view";
import { ApiError } from "./api-error";
import { getDocument } from "./collections-api";
import { isSettled } from "./document-format";
import { EventSourceClient } from "./event-source-client";
import { readSseData } from "./sse-data";

/** How far a document's indexing got, from its task's events. */
export interface IndexingProgress {
  percentage: number;
  message: string | null;
}

const snapshotSchema = taskSnapshotSchema.pick({ status: true, progress: true, message: true });

export interface DocumentIndexingCallbacks {
  /** The document as the server has it now (read when its indexing task ends or its stream breaks). */
  onDocument: (document: DocumentView) => void;
  /** The document no longer exists (deleted elsewhere). */
  onGone: () => void;
  /** Its indexing moved on (the task's snapshot or a `progress` event). */
  onProgress: (progress: IndexingProgress) => void;
}

/**
 * Follows the indexing of a document that is queued or indexing: its task's
 * event stream (`links.events`) through the project's EventSource client
 * (one connection, the one backoff), the progress it reports, and the
 * document read again when the task ends or the stream breaks. Nothing is
 * opened for a document that is ready or failed.
 */
export function useDocumentIndexing(document: DocumentView, callbacks: DocumentIndexingCallbacks): void {
  const latest = useRef(callbacks);
  latest.current = callbacks;
  const { status } = document;
  const { self, events } = document.links;
  const settled = isSettled(status);

  useEffect(() => {
    if (settled) return;
    let stopped = false;
    const controller = new AbortController();
    let progress: IndexingProgress = { percentage: 0, message: null };
    const report = (next: IndexingProgress) => {
      progress = next;
      latest.current.onProgress(next);
    };

    // Reads the document; when it is not settled yet, reconnects (or reads again) after the backoff.
    const check = async (then: () => void) => {
      try {
        const next = await getDocument(self, controller.signal);
        if (stopped) return;
        latest.current.onDocument(next);
        if (isSettled(next.status)) {
          client.stop();
          return;
        }
      } catch (error) {
        if (stopped || controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 404) {
          client.stop();
          latest.current.onGone();
          return;
        }
      }
      if (!stopped) client.retryLater(then);
    };
    // The task ended: the document is settled now (the task marks it before it ends), or very soon.
    const recheck = () => void check(recheck);
    const connect = () => client.open(events);

    const client = new EventSourceClient({
      events: {
        task: (data) => {
          const task = readSseData(data, snapshotSchema, "the indexing task's snapshot");
          if (!task) return;
          report({ percentage: task.progress, message: task.message });
          if (isFinished(task.status)) {
            client.close();
            recheck();
          }
        },
        progress: (data) => {
          const event = readSseData(data, progressDataSchema, "an indexing progress event");
          if (!event) return;
          report({
            percentage: event.percentage ?? progress.percentage,
            message: event.message ?? progress.message,
          });
        },
        done: () => {
          client.close();
          report({ ...progress, percentage: 100 });
          recheck();
        },
      },
      onOpen: () => client.resetBackoff(),
      // A finished task's stream ends (204) or breaks: what the document says decides what next.
      onError: () => void check(connect),
    });
    connect();
    return () => {
      stopped = true;
      controller.abort();
      client.stop();
    };
  }, [settled, self, events]);
}
