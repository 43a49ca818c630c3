"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import type { TaskSummary } from "@/lib/model/task-view";
import { client } from "./api";
import { RelativeTime } from "./relative-time";
import { StatusPill } from "./status-pill";

/** The last few tasks under the form, so returning to one is a click away. */
export function RecentTasks() {
  const t = useTranslations("recent");
  const [tasks, setTasks] = useState<TaskSummary[] | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    client
      .listTasks({ limit: 5, signal: controller.signal })
      .then((page) => setTasks(page.tasks))
      .catch((error: unknown) => {
        // The form above already tells when the server is unreachable; this list is a convenience.
        if (!controller.signal.aborted) console.warn("Fathom: recent tasks unavailable", error);
      });
    return () => controller.abort();
  }, []);
  if (!tasks || tasks.length === 0) return null;
  return (
    <section className="recent" aria-labelledby="recent-heading">
      <div className="recent-head">
        <h2 id="recent-heading" className="section-title">
          {t("heading")}
        </h2>
        <Link href="/tasks" className="text-link">
          {t("allTasks")} →
        </Link>
      </div>
      <ul className="recent-list">
        {tasks.map((task) => (
          <li key={task.id}>
            <Link href={`/tasks/${task.id}`} className="recent-item">
              <span className="recent-query">{task.query}</span>
              <StatusPill status={task.status} />
              <span className="muted small recent-age">
                <RelativeTime iso={task.createdAt} />
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
