"use client";

import { useTranslations } from "next-intl";
import { useCallback } from "react";
import { ApiError } from "./api-error";

/**
 * What the page tells a person about a failed call, in the page's language
 * (docs/ARCHITECTURE.md, "Languages"): the page's own sentences (unreachable,
 * signed out, a limit, an HTTP status without a message) are translated; a
 * message the server wrote about the request itself is shown as the server
 * wrote it (in English), because it names the problem precisely.
 */
export function useErrorText(): (error: unknown) => string {
  const t = useTranslations("errors");
  return useCallback(
    (error: unknown): string => {
      if (error instanceof ApiError) {
        if (error.unreachable) return t("unreachable");
        if (error.code === "bad_response") return t("badResponse");
        if (error.code === "unauthorized" || error.status === 401) return t("unauthorized");
        if (error.limit) {
          const seconds = error.retryAfterSeconds;
          const wait =
            seconds === undefined
              ? t("waitMoment")
              : seconds < 90
                ? t("waitSeconds", { seconds: Math.max(1, Math.round(seconds)) })
                : t("waitMinutes", { minutes: Math.round(seconds / 60) });
          switch (error.limit) {
            case "RATE_LIMIT_TASKS_PER_MINUTE":
              return t("limitTasksPerMinute", { wait });
            case "MAX_QUEUED_TASKS":
              return t("limitQueuedTasks", { wait });
            case "MAX_STORAGE_MB":
              return t("limitStorage");
            case "MAX_SSE_CONNECTIONS_PER_CLIENT":
              return t("limitStreamsPerClient", { wait });
            case "MAX_SSE_CONNECTIONS":
              return t("limitStreams", { wait });
          }
        }
        // No message of the server's own: the page's sentence for the status.
        if (error.code === `http_${error.status}`) {
          if (error.status === 403) return t("forbidden");
          if (error.status === 404) return t("notFound");
          if (error.status === 429) return t("tooManyRequests");
          if (error.status >= 500) return t("serverProblem", { status: error.status });
          return t("requestFailed", { status: error.status });
        }
        return error.message;
      }
      if (error instanceof Error && error.message) return error.message;
      return t("generic");
    },
    [t],
  );
}
