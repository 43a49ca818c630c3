"use client";

import { useEffect, useState } from "react";
import { type TaskSummary, taskDeletedSchema, taskSummarySchema } from "@/lib/model/task-view";
import { client as apiClient, describeError } from "./api";
import { ApiError } from "./api-error";
import type { ConnectionState } from "./connection-state";
import { EventSourceClient } from "./event-source-client";
import { readSseData } from "./sse-data";

const PAGE_SIZE = 50;

export interface ListState {
  tasks: Map<string, TaskSummary>;
  nextCursor: string | null;
  loaded: boolean;
  error: string | null;
}

/**
 * Every task, kept live by one SSE connection (`/api/tasks/events`). The list
 * stream has no cursor: after a break the first page is fetched again (that
 * catches up) before the stream is reopened.
 */
export function useLiveTasks() {
  const [state, setState] = useState<ListState>({
    tasks: new Map(),
    nextCursor: null,
    loaded: false,
    error: null,
  });
  const [connection, setConnection] = useState<ConnectionState>({ kind: "connecting" });

  useEffect(() => {
    let stopped = false;
    const controller = new AbortController();

    const upsert = (item: TaskSummary) =>
      setState((previous) => {
        const tasks = new Map(previous.tasks);
        tasks.set(item.id, { ...tasks.get(item.id), ...item });
        return { ...previous, tasks };
      });
    const remove = (id: string) =>
      setState((previous) => {
        if (!previous.tasks.has(id)) return previous;
        const tasks = new Map(previous.tasks);
        tasks.delete(id);
        return { ...previous, tasks };
      });

    const client = new EventSourceClient({
      events: {
        task: (data) => {
          const row = readSseData(data, taskSummarySchema, "a task event");
          if (row) upsert(row);
        },
        deleted: (data) => {
          const deleted = readSseData(data, taskDeletedSchema, "a delete event");
          if (deleted) remove(deleted.id);
        },
      },
      onOpen: () => {
        client.resetBackoff();
        setConnection({ kind: "live" });
      },
      onError: () => {
        if (!stopped) retry(false);
      },
    });

    const retry = (unreachable: boolean) => {
      const retryAt = client.retryLater(connect);
      setConnection(
        unreachable
          ? { kind: "unreachable", retryAt, offline: navigator.onLine === false }
          : { kind: "reconnecting", retryAt },
      );
    };

    // Fetch the first page (initially and after every break), then follow the stream.
    const connect = () => {
      if (stopped) return;
      apiClient
        .listTasks({ limit: PAGE_SIZE, signal: controller.signal })
        .then((page) => {
          if (stopped) return;
          setState((previous) => {
            const tasks = new Map(previous.loaded ? previous.tasks : []);
            for (const task of page.tasks) tasks.set(task.id, task);
            return {
              tasks,
              nextCursor: previous.loaded ? previous.nextCursor : page.nextCursor,
              loaded: true,
              error: null,
            };
          });
          client.open("/api/tasks/events");
        })
        .catch((error: unknown) => {
          if (stopped || controller.signal.aborted) return;
          const unreachable = error instanceof ApiError && error.unreachable;
          if (!unreachable) setState((previous) => ({ ...previous, error: describeError(error) }));
          retry(unreachable);
        });
    };

    const onOnline = () => {
      if (client.connected) return;
      client.cancelRetry();
      client.resetBackoff();
      connect();
    };
    const onOffline = () => {
      client.close();
      client.cancelRetry();
      setConnection({ kind: "unreachable", retryAt: null, offline: true });
    };
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    connect();
    return () => {
      stopped = true;
      controller.abort();
      client.stop();
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
    };
  }, []);

  async function loadMore() {
    if (!state.nextCursor) return;
    try {
      const page = await apiClient.listTasks({ limit: PAGE_SIZE, cursor: state.nextCursor });
      setState((previous) => {
        const tasks = new Map(previous.tasks);
        for (const task of page.tasks) if (!tasks.has(task.id)) tasks.set(task.id, task);
        return { ...previous, tasks, nextCursor: page.nextCursor };
      });
    } catch (error) {
      setState((previous) => ({ ...previous, error: describeError(error) }));
    }
  }

  return { state, connection, loadMore };
}
