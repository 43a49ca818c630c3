"use client";

import { useLocale, useTranslations } from "next-intl";
import { type FormEvent, useEffect, useId, useMemo, useState } from "react";
import { REQUEST_LIMITS } from "@/lib/model/request";
import { SCHEDULE_LIMITS } from "@/lib/model/schedule";
import { checkCronSpec, nextFireTimes, PREVIEW_FIRES } from "@/lib/model/schedule-clock";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { ApiError, sentence } from "./api-error";
import { useErrorText } from "./error-text";
import { fieldErrors, formatAbsolute, formatRelative } from "./schedule-format";
import { createSchedule, type ScheduleInput, updateSchedule } from "./schedules-api";

type Field = "name" | "query" | "cron" | "timezone" | "webhook";

/** Every IANA zone the browser knows, with the given one in it (an alias such as `UTC` is not listed). */
function timeZones(selected: string): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes(selected) ? zones : [selected, ...zones];
}

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** The preview of the next fires, or the problem with the expression, as the server would judge it. */
function usePreview(cron: string, timezone: string, minIntervalS: number) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return useMemo(() => {
    if (now === null || cron.trim() === "") return { fires: [] as string[], problem: null, now };
    const spec = { cron: cron.trim(), timezone };
    const problem = checkCronSpec(spec, { minIntervalS, now })[0] ?? null;
    if (problem) return { fires: [] as string[], problem, now };
    const fires = nextFireTimes(spec, now, PREVIEW_FIRES).map((time) => new Date(time).toISOString());
    return { fires, problem: null, now };
  }, [cron, timezone, minIntervalS, now]);
}

/**
 * Creates a schedule, or edits one (`schedule` given): the saved request,
 * the cron expression and its zone with a live preview of the next fires,
 * the missed policy and an optional webhook. The API's refusals are shown
 * on the field they name.
 */
export function ScheduleForm({
  schedule,
  minIntervalS,
  onSaved,
  onCancel,
}: {
  schedule?: ScheduleView;
  minIntervalS: number;
  onSaved: (schedule: ScheduleView) => void;
  onCancel?: () => void;
}) {
  const t = useTranslations("scheduleForm");
  const tSchedules = useTranslations("schedules");
  const locale = useLocale();
  const describeError = useErrorText();
  const id = useId();
  const [name, setName] = useState(schedule?.name ?? "");
  const [query, setQuery] = useState(schedule?.request.query ?? "");
  const [depth, setDepth] = useState(schedule?.request.depth ?? REQUEST_LIMITS.depth.default);
  const [breadth, setBreadth] = useState(schedule?.request.breadth ?? REQUEST_LIMITS.breadth.default);
  const [cron, setCron] = useState(schedule?.cron ?? "0 9 * * 1-5");
  const [timezone, setTimezone] = useState(schedule?.timezone ?? "UTC");
  const [missed, setMissed] = useState<"skip" | "once">(schedule?.missed ?? "once");
  const [webhook, setWebhook] = useState("");
  const [removeWebhook, setRemoveWebhook] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [zones, setZones] = useState<string[]>([timezone]);
  const preview = usePreview(cron, timezone, minIntervalS);

  // The zone list and the browser's own zone are known only in the browser (the server renders one option).
  useEffect(() => {
    const zone = schedule?.timezone ?? browserZone();
    setTimezone(zone);
    setZones(timeZones(zone));
  }, [schedule?.timezone]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const local: Partial<Record<Field, string>> = {};
    if (name.trim() === "") local.name = t("nameMissing");
    if (query.trim() === "") local.query = t("queryMissing");
    if (preview.problem) local[preview.problem.field] = sentence(preview.problem.message);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    const base = schedule?.request ?? {};
    const input: ScheduleInput = {
      name: name.trim(),
      request: { ...base, query: query.trim(), depth, breadth },
      cron: cron.trim(),
      timezone,
      missed,
      ...(webhook.trim() !== ""
        ? { webhook: { url: webhook.trim() } }
        : removeWebhook
          ? { webhook: null }
          : {}),
    };
    setSaving(true);
    try {
      const saved = schedule ? await updateSchedule(schedule.id, input) : await createSchedule(input);
      setSaving(false);
      setWebhook("");
      setRemoveWebhook(false);
      onSaved(saved);
    } catch (caught) {
      setSaving(false);
      if (caught instanceof ApiError && caught.status === 400) {
        const split = fieldErrors(caught.message);
        const byField: Partial<Record<Field, string>> = {};
        for (const [field, message] of Object.entries(split.fields)) {
          const known: Field | null =
            field === "name" ||
            field === "query" ||
            field === "cron" ||
            field === "timezone" ||
            field === "webhook"
              ? field
              : null;
          if (known) byField[known] = sentence(message);
          else split.rest = split.rest ? `${split.rest}; ${field}: ${message}` : `${field}: ${message}`;
        }
        setErrors(byField);
        setFormError(split.rest ? sentence(split.rest) : null);
      } else setFormError(describeError(caught));
    }
  }

  const fieldProps = (field: Field) => ({
    id: `${id}-${field}`,
    "aria-invalid": errors[field] ? true : undefined,
    "aria-describedby": `${id}-${field}-error`,
  });
  const errorOf = (field: Field) => (
    <p id={`${id}-${field}-error`} className="field-error" data-testid={`schedule-${field}-error`}>
      {errors[field] ?? ""}
    </p>
  );

  return (
    <form className="card schedule-form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="section-title">
        {schedule ? t("edit") : t("new")}
      </h2>
      <div className="schedule-form-grid">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-name`}>
            {t("name")}
          </label>
          <input
            {...fieldProps("name")}
            className="input input-text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            maxLength={SCHEDULE_LIMITS.nameMaxLength}
            placeholder={t("namePlaceholder")}
            required
          />
          {errorOf("name")}
        </div>
        <div className="field schedule-form-wide">
          <label className="field-label" htmlFor={`${id}-query`}>
            {t("question")}
          </label>
          <textarea
            {...fieldProps("query")}
            className="input input-text schedule-query"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            maxLength={REQUEST_LIMITS.queryMaxLength}
            rows={2}
            placeholder={t("questionPlaceholder")}
            required
          />
          {errorOf("query")}
        </div>
        <RangeSelect
          id={`${id}-depth`}
          label={t("depth")}
          value={depth}
          limits={REQUEST_LIMITS.depth}
          onChange={setDepth}
        />
        <RangeSelect
          id={`${id}-breadth`}
          label={t("breadth")}
          value={breadth}
          limits={REQUEST_LIMITS.breadth}
          onChange={setBreadth}
        />
        <div className="field">
          <label className="field-label" htmlFor={`${id}-cron`}>
            {t("cron")} <span className="field-hint">{t("cronHint")}</span>
          </label>
          <input
            {...fieldProps("cron")}
            className="input mono"
            value={cron}
            onChange={(event) => setCron(event.target.value)}
            maxLength={SCHEDULE_LIMITS.cronMaxLength}
            spellCheck={false}
            autoComplete="off"
            autoCapitalize="none"
            required
          />
          {errorOf("cron")}
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-timezone`}>
            {t("timezone")}
          </label>
          <select
            {...fieldProps("timezone")}
            className="select"
            value={timezone}
            onChange={(event) => setTimezone(event.target.value)}
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </select>
          {errorOf("timezone")}
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-missed`}>
            {t("missed")} <span className="field-hint">{t("missedHint")}</span>
          </label>
          <select
            id={`${id}-missed`}
            className="select"
            value={missed}
            onChange={(event) => setMissed(event.target.value === "skip" ? "skip" : "once")}
          >
            <option value="once">{t("missedOnce")}</option>
            <option value="skip">{t("missedSkip")}</option>
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-webhook`}>
            {t("webhook")}{" "}
            <span className="field-hint">
              {schedule?.webhook ? t("optionalNow", { host: schedule.webhook.host }) : t("optional")}
            </span>
          </label>
          <input
            {...fieldProps("webhook")}
            type="url"
            className="input input-text"
            value={webhook}
            onChange={(event) => setWebhook(event.target.value)}
            maxLength={SCHEDULE_LIMITS.urlMaxLength}
            placeholder={schedule?.webhook ? t("webhookKeep") : "https://hooks.example.com/fathom"}
            spellCheck={false}
            autoComplete="off"
          />
          {schedule?.webhook ? (
            <label className="checkbox small">
              <input
                type="checkbox"
                checked={removeWebhook}
                onChange={(event) => setRemoveWebhook(event.target.checked)}
              />{" "}
              {t("webhookRemove")}
            </label>
          ) : null}
          {errorOf("webhook")}
        </div>
      </div>
      <section className="cron-preview" aria-labelledby={`${id}-preview`} aria-live="polite">
        <h3 id={`${id}-preview`} className="side-heading">
          {t("preview", { count: PREVIEW_FIRES })}
        </h3>
        {preview.problem ? (
          <p className="inline-error" data-testid="cron-preview-problem">
            {sentence(preview.problem.message)}
          </p>
        ) : preview.fires.length === 0 ? (
          <p className="muted small">{cron.trim() === "" ? t("writeCron") : t("neverFires")}</p>
        ) : (
          <ol className="cron-preview-list" data-testid="cron-preview">
            {preview.fires.map((fire) => (
              <li key={fire}>
                <time dateTime={fire}>{formatAbsolute(fire, undefined, locale)}</time>
                <span className="muted small">
                  {" "}
                  {preview.now === null ? "" : formatRelative(fire, preview.now, locale, tSchedules("now"))}
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? t("saving") : schedule ? t("save") : t("create")}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel} disabled={saving}>
            {t("cancel")}
          </button>
        ) : null}
      </div>
      <p className="field-error" role="alert" data-testid="schedule-form-error">
        {formError ?? ""}
      </p>
    </form>
  );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** A labelled select of the whole numbers within a request limit (depth, breadth). */
function RangeSelect({
  id,
  label,
  value,
  limits,
  onChange,
}: {
  id: string;
  label: string;
  value: number;
  limits: { min: number; max: number };
  onChange: (value: number) => void;
}) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        className="select"
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
      >
        {range(limits.min, limits.max).map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}
