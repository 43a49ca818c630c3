"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useEffect, useMemo, useState } from "react";
import type { TaskStatus } from "@/lib/model/task-json";
import type { TaskSummary } from "@/lib/model/task-view";
import { ConnectionIndicator } from "./connection-indicator";
import { Icon } from "./icons";
import { ProgressBar } from "./progress-bar";
import { RelativeTime } from "./relative-time";
import { StatusPill } from "./status-pill";
import { useLiveTasks } from "./use-live-tasks";

const filters = [
  { key: "all", label: "filterAll", statuses: null },
  { key: "active", label: "filterActive", statuses: ["queued", "running", "paused"] },
  { key: "completed", label: "filterCompleted", statuses: ["completed"] },
  { key: "failed", label: "filterFailed", statuses: ["failed"] },
  { key: "cancelled", label: "filterCancelled", statuses: ["cancelled"] },
] as const satisfies readonly { key: string; label: string; statuses: readonly TaskStatus[] | null }[];

type FilterKey = (typeof filters)[number]["key"];

function matches(filter: FilterKey, status: TaskStatus): boolean {
  const statuses = filters.find((f) => f.key === filter)?.statuses ?? null;
  return statuses === null || (statuses as readonly TaskStatus[]).includes(status);
}

function byNewest(a: TaskSummary, b: TaskSummary): number {
  return b.createdAt.localeCompare(a.createdAt);
}

function rowDetail(t: ReturnType<typeof useTranslations<"taskList">>, task: TaskSummary): string {
  switch (task.status) {
    case "queued":
      return task.queuePosition ? t("waitingAt", { position: task.queuePosition }) : t("waiting");
    case "completed":
      return t("reportReady");
    case "cancelled":
      return t("cancelled");
    case "paused":
      return t("paused");
    default:
      return task.message ?? task.step ?? "";
  }
}

function readInitialFilters(): { filter: FilterKey; query: string } {
  const params = new URLSearchParams(window.location.search);
  const status = params.get("status");
  const filter = filters.some((f) => f.key === status) ? (status as FilterKey) : "all";
  return { filter, query: params.get("q") ?? "" };
}

/** The `/tasks` page body: filters, search, and the live list. */
export function TaskList() {
  const t = useTranslations("taskList");
  const { state, connection, loadMore } = useLiveTasks();
  const [filter, setFilter] = useState<FilterKey>("all");
  const [query, setQuery] = useState("");

  useEffect(() => {
    const initial = readInitialFilters();
    setFilter(initial.filter);
    setQuery(initial.query);
  }, []);

  // Keep the filters in the address, so a reload or a shared link shows the same list.
  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    if (filter === "all") params.delete("status");
    else params.set("status", filter);
    if (query.trim() === "") params.delete("q");
    else params.set("q", query.trim());
    const search = params.toString();
    const url = `${window.location.pathname}${search ? `?${search}` : ""}`;
    if (url !== `${window.location.pathname}${window.location.search}`)
      window.history.replaceState(null, "", url);
  }, [filter, query]);

  const all = useMemo(() => [...state.tasks.values()].sort(byNewest), [state.tasks]);
  const counts = useMemo(() => {
    const result: Record<FilterKey, number> = { all: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const task of all) for (const f of filters) if (matches(f.key, task.status)) result[f.key] += 1;
    return result;
  }, [all]);
  const needle = query.trim().toLowerCase();
  const visible = all.filter(
    (task) => matches(filter, task.status) && (needle === "" || task.query.toLowerCase().includes(needle)),
  );

  return (
    <div className="tasks-page">
      <div className="page-head">
        <div>
          <h1 className="page-title">{t("title")}</h1>
          <p className="muted">{t("lede")}</p>
        </div>
        <div className="page-head-actions">
          <ConnectionIndicator state={connection} />
          <Link href="/" className="button button-primary">
            <Icon name="plus" /> {t("newResearch")}
          </Link>
        </div>
      </div>

      <div className="list-toolbar">
        <div className="tabs" role="group" aria-label={t("filterBy")}>
          {filters.map((f) => (
            <button
              key={f.key}
              type="button"
              className={`tab${filter === f.key ? " tab-active" : ""}`}
              aria-pressed={filter === f.key}
              onClick={() => setFilter(f.key)}
            >
              {t(f.label)} <span className="tab-count mono">{counts[f.key]}</span>
            </button>
          ))}
        </div>
        <label className="search-box">
          <Icon name="search" />
          <span className="visually-hidden">{t("search")}</span>
          <input
            type="search"
            placeholder={t("searchPlaceholder")}
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
      </div>

      {state.error ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>{state.error}</div>
        </div>
      ) : null}
      {connection.kind === "unreachable" && !state.loaded ? (
        <div className="callout callout-warning" role="status">
          <Icon name="alert" />
          <div>{t("unreachable")}</div>
        </div>
      ) : null}

      <div className="card task-table" aria-busy={!state.loaded}>
        {!state.loaded ? (
          <ul className="task-rows" aria-hidden="true">
            {[0, 1, 2].map((n) => (
              <li key={n} className="task-row task-row-skeleton">
                <span className="skeleton skeleton-title" />
                <span className="skeleton skeleton-bar" />
              </li>
            ))}
          </ul>
        ) : visible.length === 0 ? (
          <div className="empty-state">
            {all.length === 0 ? (
              <>
                <h2>{t("emptyTitle")}</h2>
                <p className="muted">{t("emptyText")}</p>
                <Link href="/" className="button button-primary">
                  <Icon name="plus" /> {t("newResearch")}
                </Link>
              </>
            ) : (
              <>
                <h2>{t("noMatchTitle")}</h2>
                <p className="muted">{t("noMatchText")}</p>
              </>
            )}
          </div>
        ) : (
          <ul className="task-rows">
            {visible.map((task) => (
              <li key={task.id} className="task-row" data-task-id={task.id} data-status={task.status}>
                <Link href={`/tasks/${task.id}`} className="task-row-link">
                  <span className="task-row-main">
                    <span className="task-row-query">{task.query}</span>
                    <span className="task-row-detail muted">{rowDetail(t, task)}</span>
                  </span>
                  <span className="task-row-side">
                    <StatusPill status={task.status} />
                    <span className="task-row-progress">
                      <ProgressBar
                        value={task.status === "completed" ? 100 : task.progress}
                        status={task.status}
                        label={t("progressOf", { query: task.query.slice(0, 60) })}
                        size="sm"
                      />
                      <span className="mono small">
                        {Math.round(task.status === "completed" ? 100 : task.progress)}%
                      </span>
                    </span>
                    <span className="task-row-age muted small">
                      <RelativeTime iso={task.createdAt} />
                    </span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
      {state.nextCursor ? (
        <div className="load-more">
          <button type="button" className="button" onClick={loadMore}>
            {t("loadMore")}
          </button>
        </div>
      ) : null}
    </div>
  );
}
