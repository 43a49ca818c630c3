"use client";

import Link from "next/link";
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
  { key: "all", label: "All", statuses: null },
  { key: "active", label: "Active", statuses: ["queued", "running", "paused"] },
  { key: "completed", label: "Completed", statuses: ["completed"] },
  { key: "failed", label: "Failed", statuses: ["failed"] },
  { key: "cancelled", label: "Cancelled", statuses: ["cancelled"] },
] as const satisfies readonly { key: string; label: string; statuses: readonly TaskStatus[] | null }[];

type FilterKey = (typeof filters)[number]["key"];

function matches(filter: FilterKey, status: TaskStatus): boolean {
  const statuses = filters.find((f) => f.key === filter)?.statuses ?? null;
  return statuses === null || (statuses as readonly TaskStatus[]).includes(status);
}

function byNewest(a: TaskSummary, b: TaskSummary): number {
  return b.createdAt.localeCompare(a.createdAt);
}

function rowDetail(task: TaskSummary): string {
  switch (task.status) {
    case "queued":
      return task.queuePosition ? `Waiting · position ${task.queuePosition}` : "Waiting for a slot";
    case "completed":
      return "Report ready";
    case "cancelled":
      return "Cancelled";
    case "paused":
      return "Paused";
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
          <h1 className="page-title">Tasks</h1>
          <p className="muted">Every research task on this server, updated live.</p>
        </div>
        <div className="page-head-actions">
          <ConnectionIndicator state={connection} />
          <Link href="/" className="button button-primary">
            <Icon name="plus" /> New research
          </Link>
        </div>
      </div>

      <div className="list-toolbar">
        <div className="tabs" role="group" aria-label="Filter by status">
          {filters.map((f) => (
            <button
              key={f.key}
              type="button"
              className={`tab${filter === f.key ? " tab-active" : ""}`}
              aria-pressed={filter === f.key}
              onClick={() => setFilter(f.key)}
            >
              {f.label} <span className="tab-count mono">{counts[f.key]}</span>
            </button>
          ))}
        </div>
        <label className="search-box">
          <Icon name="search" />
          <span className="visually-hidden">Search tasks</span>
          <input
            type="search"
            placeholder="Search questions"
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
          <div>The Fathom server can't be reached. The list appears as soon as it answers.</div>
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
                <h2>No research yet</h2>
                <p className="muted">Ask a question and Fathom researches it in the background.</p>
                <Link href="/" className="button button-primary">
                  <Icon name="plus" /> New research
                </Link>
              </>
            ) : (
              <>
                <h2>No matching tasks</h2>
                <p className="muted">Nothing matches these filters.</p>
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
                    <span className="task-row-detail muted">{rowDetail(task)}</span>
                  </span>
                  <span className="task-row-side">
                    <StatusPill status={task.status} />
                    <span className="task-row-progress">
                      <ProgressBar
                        value={task.status === "completed" ? 100 : task.progress}
                        status={task.status}
                        label={`Progress of “${task.query.slice(0, 60)}”`}
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
            Load older tasks
          </button>
        </div>
      ) : null}
    </div>
  );
}
