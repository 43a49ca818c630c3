"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import type { TaskView as TaskViewJson } from "@/lib/model/task-view";
import { getTask } from "./api";
import { ApiError } from "./api-error";
import { backoffDelay } from "./backoff";
import { useErrorText } from "./error-text";
import { Icon } from "./icons";
import { TaskView } from "./task-view";

type State =
  | { kind: "loading" }
  | { kind: "ready"; task: TaskViewJson }
  | { kind: "retrying"; message: string }
  | { kind: "failed"; message: string; notFound: boolean };

/**
 * Loads a task in the browser when the server could not render it (an API
 * behind a token). An unreachable server is retried with backoff.
 */
export function TaskLoader({ id }: { id: string }) {
  const t = useTranslations("taskLoader");
  const describeError = useErrorText();
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const load = () => {
      getTask(id, controller.signal)
        .then((task) => setState({ kind: "ready", task }))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.unreachable) {
            setState({ kind: "retrying", message: describeError(error) });
            timer = setTimeout(load, backoffDelay(attempt++));
            return;
          }
          const notFound = error instanceof ApiError && (error.status === 404 || error.status === 400);
          setState({ kind: "failed", message: describeError(error), notFound });
        });
    };
    load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [id, describeError]);

  if (state.kind === "ready") return <TaskView initialTask={state.task} />;
  if (state.kind === "failed") {
    return (
      <div className="empty-state">
        <h1>{state.notFound ? t("notFound") : t("cannotShow")}</h1>
        <p className="muted">{state.notFound ? t("notFoundText") : state.message}</p>
        <Link href="/" className="button button-primary">
          <Icon name="plus" /> {t("newResearch")}
        </Link>
      </div>
    );
  }
  return (
    <div className="empty-state" aria-busy="true">
      <p className="muted">{state.kind === "retrying" ? state.message : t("loading")}</p>
    </div>
  );
}
