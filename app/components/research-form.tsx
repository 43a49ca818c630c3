"use client";

import { useRouter } from "next/navigation";
import { useFormatter, useLocale, useTranslations } from "next-intl";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { CORPUS_COLLECTION, type CollectionView, defaultCollectionOf } from "@/lib/model/collection";
import { type ProvidersInfo, providersInfoSchema, type RangeLimit } from "@/lib/model/providers-info";
import {
  llmProviders,
  type ResearchRequestInput,
  searchProviders,
  webSearchProviders,
} from "@/lib/model/request";
import { apiFetch, client } from "./api";
import { ApiError } from "./api-error";
import { backoffDelay } from "./backoff";
import { listCollections } from "./collections-api";
import { useErrorText } from "./error-text";
import { Icon } from "./icons";
import { useProviderName } from "./provider-names";

// Questions for the built-in corpus (English addresses), so they stay in English in every language.
const examples = [
  "Louisiana Purchase and the acquisition of territory",
  "How did presidents talk about the national debt?",
  "Railroads, canals and internal improvements",
];

type ProvidersState =
  | { kind: "loading" }
  | { kind: "ready"; providers: ProvidersInfo }
  | { kind: "retrying"; message: string; retryAt: number };

/** Loads the server's providers and limits, retrying with backoff while the server is unreachable. */
function useProviders(): ProvidersState {
  const describeError = useErrorText();
  const [state, setState] = useState<ProvidersState>({ kind: "loading" });
  useEffect(() => {
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    const load = () => {
      apiFetch("/api/providers", providersInfoSchema, { signal: controller.signal })
        .then((providers) => setState({ kind: "ready", providers }))
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          const delay = backoffDelay(attempt++);
          setState({ kind: "retrying", message: describeError(error), retryAt: Date.now() + delay });
          timer = setTimeout(load, delay);
        });
    };
    load();
    const onOnline = () => {
      clearTimeout(timer);
      attempt = 0;
      load();
    };
    window.addEventListener("online", onOnline);
    return () => {
      controller.abort();
      clearTimeout(timer);
      window.removeEventListener("online", onOnline);
    };
  }, [describeError]);
  return state;
}

type CollectionsState =
  | { kind: "loading" }
  | { kind: "ready"; collections: CollectionView[] }
  | { kind: "failed"; message: string };

/** The collections `local` and `hybrid` search can use; asked again when the browser comes back online. */
function useCollections(): CollectionsState {
  const describeError = useErrorText();
  const [state, setState] = useState<CollectionsState>({ kind: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    const load = () => {
      listCollections(controller.signal)
        .then((collections) => setState({ kind: "ready", collections }))
        .catch((error: unknown) => {
          if (!controller.signal.aborted) setState({ kind: "failed", message: describeError(error) });
        });
    };
    load();
    window.addEventListener("online", load);
    return () => {
      controller.abort();
      window.removeEventListener("online", load);
    };
  }, [describeError]);
  return state;
}

/**
 * The collection a request without one searches: the server's default,
 * `corpus` when it has one (CORPUS_DIR), else `sotu` (`defaultCollectionOf`,
 * the rule the server uses). Sending it explicitly changes no task id: a request
 * naming the default collection is normalized to one that names none.
 */
function defaultCollection(collections: readonly CollectionView[]): string {
  return defaultCollectionOf(collections.some((collection) => collection.name === CORPUS_COLLECTION));
}

function Segmented({
  legend,
  hint,
  limit,
  value,
  onChange,
  disabled,
}: {
  legend: string;
  hint: string;
  limit: RangeLimit;
  value: number;
  onChange: (value: number) => void;
  disabled: boolean;
}) {
  const name = useId();
  const values: number[] = [];
  for (let n = limit.min; n <= limit.max; n++) values.push(n);
  return (
    <fieldset className="field segmented-field" disabled={disabled}>
      <legend className="field-label">
        {legend} <span className="field-hint">{hint}</span>
      </legend>
      <div className="segmented">
        {values.map((n) => (
          <label key={n} className="segment">
            <input type="radio" name={name} value={n} checked={value === n} onChange={() => onChange(n)} />
            <span>{n}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

type FormTranslator = ReturnType<typeof useTranslations<"researchForm">>;

function validate(t: FormTranslator, question: string, maxLength: number | null): string | null {
  const trimmed = question.trim();
  if (trimmed.length === 0) return t("emptyQuestion");
  if (maxLength !== null && trimmed.length > maxLength)
    return t("questionTooLong", { length: trimmed.length, limit: maxLength });
  return null;
}

/**
 * The question box and the options that matter; starting a task opens its
 * page. `initialCollection` (from `/?collection=name`) preselects the
 * collection to search, and local search if the server's default search is
 * not over a collection.
 */
export function ResearchForm({ initialCollection }: { initialCollection?: string } = {}) {
  const t = useTranslations("researchForm");
  const format = useFormatter();
  const locale = useLocale();
  const providerName = useProviderName();
  const describeError = useErrorText();
  const router = useRouter();
  const providers = useProviders();
  const collections = useCollections();
  const [collection, setCollection] = useState<string | null>(null);
  const [web, setWeb] = useState<string | null>(null);
  const [question, setQuestion] = useState("");
  const [depth, setDepth] = useState<number | null>(null);
  const [breadth, setBreadth] = useState<number | null>(null);
  const [llm, setLlm] = useState<string | null>(null);
  const [model, setModel] = useState("");
  const [search, setSearch] = useState<string | null>(null);
  const [fresh, setFresh] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  // A limit refused the last start: the button waits out its Retry-After.
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  useEffect(() => {
    if (blockedUntil === null) return;
    const timer = setTimeout(() => setBlockedUntil(null), Math.max(0, blockedUntil - Date.now()));
    return () => clearTimeout(timer);
  }, [blockedUntil]);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const questionId = useId();
  const errorId = useId();
  const counterId = useId();

  const ready = providers.kind === "ready" ? providers.providers : null;
  const maxLength = ready?.limits.queryMaxLength ?? null;
  const length = question.trim().length;
  const tooLong = maxLength !== null && length > maxLength;
  const validation = validate(t, question, maxLength);
  // Say "too long" as soon as it is; say "empty" only once they tried to start.
  const shownError = tooLong || submitted ? validation : null;

  const depthValue = depth ?? ready?.limits.depth.default ?? 1;
  const breadthValue = breadth ?? ready?.limits.breadth.default ?? 1;
  const llmValue =
    llm ?? ready?.llm.find((p) => p.default)?.name ?? ready?.llm.find((p) => p.configured)?.name ?? "";
  const serverSearch =
    ready?.search.find((p) => p.default)?.name ?? ready?.search.find((p) => p.configured)?.name ?? "";
  const searchValue =
    search ??
    (initialCollection && serverSearch !== "local" && serverSearch !== "hybrid" ? "local" : serverSearch);
  const searchesCollection = searchValue === "local" || searchValue === "hybrid";
  const knownCollections = collections.kind === "ready" ? collections.collections : null;
  const collectionValue =
    collection ??
    (initialCollection &&
    (knownCollections === null || knownCollections.some((known) => known.name === initialCollection))
      ? initialCollection
      : defaultCollection(knownCollections ?? []));
  const webValue =
    web ??
    (ready?.search.find((p) => p.name === "wikipedia" && p.configured)
      ? "wikipedia"
      : (ready?.search.find((p) => webSearchProviders.some((name) => name === p.name) && p.configured)
          ?.name ?? "wikipedia"));

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    setSubmitted(true);
    setServerError(null);
    if (validation || !ready) {
      textarea.current?.focus();
      return;
    }
    const body: ResearchRequestInput = { query: question.trim(), depth: depthValue, breadth: breadthValue };
    // A reader of the Chinese pages gets a Chinese report; English sends no language (the default).
    if (locale !== "en") body.language = locale;
    // The choices come from the server's own lists, so they are always among its providers.
    const llmProvider = llmProviders.find((name) => name === llmValue);
    const searchProvider = searchProviders.find((name) => name === searchValue);
    if (llmProvider) {
      body.llm =
        llmProvider !== "offline" && model.trim() !== ""
          ? { provider: llmProvider, model: model.trim() }
          : { provider: llmProvider };
    }
    if (searchProvider === "local" || searchProvider === "hybrid") {
      const webProvider = webSearchProviders.find((name) => name === webValue);
      body.search = {
        provider: searchProvider,
        collection: collectionValue,
        ...(searchProvider === "hybrid" && webProvider ? { web: webProvider } : {}),
      };
    } else if (searchProvider) {
      body.search = { provider: searchProvider };
    }
    if (fresh) body.fresh = true;
    setSubmitting(true);
    try {
      const created = await client.startResearch(body);
      router.push(created.links.page);
    } catch (error) {
      setServerError(
        error instanceof ApiError && error.unreachable ? t("unreachable") : describeError(error),
      );
      if (error instanceof ApiError && error.retryAfterSeconds && [429, 503, 507].includes(error.status)) {
        setBlockedUntil(Date.now() + error.retryAfterSeconds * 1000);
      }
      setSubmitting(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) void submit();
  }

  const describedBy = [counterId, shownError ? errorId : null].filter(Boolean).join(" ");

  return (
    <form className="research-form" onSubmit={submit} noValidate>
      <div className={`card question-card${shownError ? " has-error" : ""}`}>
        <label htmlFor={questionId} className="visually-hidden">
          {t("questionLabel")}
        </label>
        <textarea
          id={questionId}
          ref={textarea}
          name="query"
          className="question-input"
          placeholder={t("placeholder")}
          rows={4}
          value={question}
          onChange={(event) => setQuestion(event.target.value)}
          onKeyDown={onKeyDown}
          aria-invalid={shownError ? true : undefined}
          aria-describedby={describedBy}
          // biome-ignore lint/a11y/noAutofocus: the question box is the whole point of this page
          autoFocus
        />
        <div className="question-footer">
          <span id={counterId} className={`counter mono${tooLong ? " counter-over" : ""}`}>
            {maxLength === null
              ? format.number(length)
              : `${format.number(length)} / ${format.number(maxLength)}`}
          </span>
          <span className="kbd-hint">{t.rich("shortcut", { kbd: (chunks) => <kbd>{chunks}</kbd> })}</span>
        </div>
      </div>
      <p id={errorId} className="field-error" role="alert" data-testid="question-error">
        {shownError ?? ""}
      </p>

      {providers.kind === "retrying" ? (
        <div className="callout callout-warning" role="status">
          <Icon name="alert" />
          <div>
            {providers.message} {t("retrying")}
          </div>
        </div>
      ) : null}

      <div className="options card">
        <Segmented
          legend={t("depth")}
          hint={t("depthHint")}
          limit={ready?.limits.depth ?? { min: 1, max: 1, default: 1 }}
          value={depthValue}
          onChange={setDepth}
          disabled={!ready}
        />
        <Segmented
          legend={t("breadth")}
          hint={t("breadthHint")}
          limit={ready?.limits.breadth ?? { min: 1, max: 1, default: 1 }}
          value={breadthValue}
          onChange={setBreadth}
          disabled={!ready}
        />
        <div className="field">
          <label className="field-label" htmlFor={`${questionId}-llm`}>
            {t("writer")}
          </label>
          <select
            id={`${questionId}-llm`}
            className="select"
            value={llmValue}
            onChange={(event) => {
              setLlm(event.target.value);
              setModel("");
            }}
            disabled={!ready}
          >
            {ready?.llm.map((provider) => (
              <option key={provider.name} value={provider.name} disabled={!provider.configured}>
                {providerName(provider.name)}
                {provider.model ? ` · ${provider.model}` : ""}
                {provider.configured ? "" : t("notConfigured")}
              </option>
            ))}
          </select>
        </div>
        {llmValue !== "" && llmValue !== "offline" ? (
          <div className="field">
            <label className="field-label" htmlFor={`${questionId}-model`}>
              {t("model")}
            </label>
            <input
              id={`${questionId}-model`}
              className="input"
              value={model}
              onChange={(event) => setModel(event.target.value)}
              placeholder={ready?.llm.find((p) => p.name === llmValue)?.model ?? t("modelRequired")}
              required={!ready?.llm.find((p) => p.name === llmValue)?.model}
              maxLength={200}
              spellCheck={false}
              autoComplete="off"
            />
          </div>
        ) : null}
        <div className="field">
          <label className="field-label" htmlFor={`${questionId}-search`}>
            {t("search")}
          </label>
          <select
            id={`${questionId}-search`}
            className="select"
            value={searchValue}
            onChange={(event) => setSearch(event.target.value)}
            disabled={!ready}
          >
            {ready?.search.map((provider) => (
              <option key={provider.name} value={provider.name} disabled={!provider.configured}>
                {providerName(provider.name)}
                {provider.configured ? "" : t("notConfigured")}
              </option>
            ))}
          </select>
        </div>
        {searchesCollection ? (
          <div className="field">
            <label className="field-label" htmlFor={`${questionId}-collection`}>
              {t("collection")}
            </label>
            <select
              id={`${questionId}-collection`}
              className="select"
              value={collectionValue}
              onChange={(event) => setCollection(event.target.value)}
              disabled={!ready || knownCollections === null}
            >
              {knownCollections === null ? (
                <option value={collectionValue}>{collectionValue}</option>
              ) : (
                knownCollections.map((known) => (
                  <option key={known.name} value={known.name}>
                    {known.name} · {t("documents", { count: known.documents })}
                    {known.builtIn ? t("builtIn") : ""}
                  </option>
                ))
              )}
            </select>
            {collections.kind === "failed" ? (
              <span className="field-hint field-note">
                {t("collectionsFailed", { message: collections.message })}
              </span>
            ) : null}
          </div>
        ) : null}
        {searchValue === "hybrid" ? (
          <div className="field">
            <label className="field-label" htmlFor={`${questionId}-web`}>
              {t("web")}
            </label>
            <select
              id={`${questionId}-web`}
              className="select"
              value={webValue}
              onChange={(event) => setWeb(event.target.value)}
              disabled={!ready}
            >
              {ready?.search
                .filter((provider) => webSearchProviders.some((name) => name === provider.name))
                .map((provider) => (
                  <option key={provider.name} value={provider.name} disabled={!provider.configured}>
                    {providerName(provider.name)}
                    {provider.configured ? "" : t("notConfigured")}
                  </option>
                ))}
            </select>
          </div>
        ) : null}
      </div>

      <div className="form-actions">
        <label className="checkbox">
          <input type="checkbox" checked={fresh} onChange={(event) => setFresh(event.target.checked)} />
          <span>{t("fresh")}</span>
        </label>
        <button
          type="submit"
          className="button button-primary button-large"
          disabled={submitting || !ready || blockedUntil !== null}
        >
          {submitting ? t("starting") : t("start")} <Icon name="arrow-right" />
        </button>
      </div>
      {serverError ? (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" />
          <div>{serverError}</div>
        </div>
      ) : null}

      <div className="examples">
        <span className="muted small">{t("try")}</span>
        {examples.map((example) => (
          <button
            key={example}
            type="button"
            className="chip"
            onClick={() => {
              setQuestion(example);
              textarea.current?.focus();
            }}
          >
            {example}
          </button>
        ))}
      </div>
    </form>
  );
}
