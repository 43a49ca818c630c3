"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useId, useState } from "react";
import type { FollowUps } from "@/lib/model/follow-ups";
import { followUpBodySchema } from "@/lib/model/request";
import type { TaskStatus } from "@/lib/model/task-json";
import { askFollowUp, describeError, getFollowUps } from "./api";
import { useErrorText } from "./error-text";
import { StatusPill } from "./status-pill";

/**
 * A task's place in its thread (ask, read, ask again): the task it follows
 * up, its follow-ups, and under a completed report an input for the next
 * question, which starts the follow-up and opens its page.
 */
export function FollowUpThread({ taskId, status }: { taskId: string; status: TaskStatus }) {
  const t = useTranslations("followUps");
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
        {t("thread")}
      </h2>
      {parent ? (
        <p className="follow-up-parent three-lines" data-testid="follow-up-parent">
          {t.rich("followUpOf", {
            link: () => <Link href={`/tasks/${parent.id}`}>{parent.query}</Link>,
          })}
        </p>
      ) : null}
      {followUps.length > 0 ? (
        <ol className="follow-up-list" aria-label={t("list")}>
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
  const t = useTranslations("followUps");
  const errorText = useErrorText();
  const router = useRouter();
  const inputId = useId();
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = followUpBodySchema.safeParse({ query });
    if (!parsed.success) {
      setError(query.trim() === "" ? t("empty") : (parsed.error.issues[0]?.message ?? t("invalid")));
      return;
    }
    setSending(true);
    setError(null);
    try {
      const created = await askFollowUp(taskId, parsed.data);
      router.push(created.links.page);
    } catch (caught) {
      setError(errorText(caught));
      setSending(false);
    }
  }

  return (
    <form className="follow-up-form" onSubmit={submit} noValidate>
      <label htmlFor={inputId} className="field-label">
        {t("label")}
      </label>
      <div className="follow-up-row">
        <input
          id={inputId}
          className="input"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder={t("placeholder")}
          disabled={sending}
        />
        <button type="submit" className="button button-primary" disabled={sending}>
          {sending ? t("starting") : t("ask")}
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
