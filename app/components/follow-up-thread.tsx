"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useId, useState } from "react";
import type { FollowUps } from "@/lib/model/follow-ups";
import { followUpBodySchema } from "@/lib/model/request";
import type { TaskStatus } from "@/lib/model/task-json";
import { askFollowUp, describeError, getFollowUps } from "./api";
import { StatusPill } from "./status-pill";

/**
 * A task's place in its thread (ask, read, ask again): the task it follows
 * up, its follow-ups, and under a completed report an input for the next
 * question, which starts the follow-up and opens its page.
 */
export function FollowUpThread({ taskId, status }: { taskId: string; status: TaskStatus }) {
  const [thread, setThread] = useState<FollowUps | null>(null);

  // Read once per mount; the task page keys this by status, so a task that
  // completes reads its thread again.
  useEffect(() => {
    const controller = new AbortController();
    getFollowUps(taskId, controller.signal).then(setThread, (error: unknown) => {
      // The thread is an extra: the page works without it, so a failed read only hides it.
      if (!controller.signal.aborted)
        console.warn(`Fathom: follow-ups of ${taskId}: ${describeError(error)}`);
    });
    return () => controller.abort();
  }, [taskId]);

  const parent = thread?.parent ?? null;
  const followUps = thread?.followUps ?? [];
  if (!parent && followUps.length === 0 && status !== "completed") return null;
  return (
    <section
      className="card follow-up-card"
      aria-labelledby="follow-up-heading"
      data-testid="follow-up-thread"
    >
      <h2 id="follow-up-heading" className="side-heading">
        Thread
      </h2>
      {parent ? (
        <p className="follow-up-parent" data-testid="follow-up-parent">
          Follow-up of <Link href={`/tasks/${parent.id}`}>{parent.query}</Link>
        </p>
      ) : null}
      {followUps.length > 0 ? (
        <ol className="follow-up-list" aria-label="Follow-ups">
          {followUps.map((followUp) => (
            <li key={followUp.id}>
              <Link href={`/tasks/${followUp.id}`}>{followUp.query}</Link>{" "}
              <StatusPill status={followUp.status} />
            </li>
          ))}
        </ol>
      ) : null}
      {status === "completed" ? <FollowUpForm taskId={taskId} /> : null}
    </section>
  );
}

function FollowUpForm({ taskId }: { taskId: string }) {
  const router = useRouter();
  const inputId = useId();
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = followUpBodySchema.safeParse({ query });
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "The question is not valid.");
      return;
    }
    setSending(true);
    setError(null);
    try {
      const created = await askFollowUp(taskId, parsed.data);
      router.push(created.links.page);
    } catch (caught) {
      setError(describeError(caught));
      setSending(false);
    }
  }

  return (
    <form className="follow-up-form" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="field-label">
        Follow-up
      </label>
      <div className="follow-up-row">
        <input
          id={inputId}
          className="input"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder="Ask the next question; the research starts from this report"
          disabled={sending}
        />
        <button type="submit" className="button button-primary" disabled={sending}>
          {sending ? "Starting…" : "Ask"}
        </button>
      </div>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
