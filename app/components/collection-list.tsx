"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type FormEvent, useId, useState } from "react";
import { COLLECTION_LIMITS, type CollectionView, collectionNameSchema } from "@/lib/model/collection";
import { sentence } from "./api-error";
import { createCollection, deleteCollection } from "./collections-api";
import { ConfirmDelete } from "./confirm-delete";
import { useErrorText } from "./error-text";
import { Icon } from "./icons";
import { useFormat } from "./use-format";

/** The form that makes a collection; the new collection's page opens, ready for uploads. */
function CreateCollectionForm() {
  const t = useTranslations("collections");
  const describeError = useErrorText();
  const router = useRouter();
  const id = useId();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    // The model's own rule, so the sentence is the one the API would answer.
    const checked = collectionNameSchema.safeParse(name);
    if (!checked.success) {
      const issue = checked.error.issues[0]?.message;
      setError(issue ? sentence(issue) : t("nameInvalid"));
      return;
    }
    setSubmitting(true);
    try {
      const created = await createCollection({
        name: checked.data,
        ...(description.trim() !== "" ? { description: description.trim() } : {}),
      });
      router.push(`/collections/${encodeURIComponent(created.name)}`);
    } catch (caught) {
      setError(describeError(caught));
      setSubmitting(false);
    }
  }

  return (
    <form className="card create-collection" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="section-title">
        {t("newCollection")}
      </h2>
      <div className="create-collection-fields">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-name`}>
            {t("name")} <span className="field-hint">{t("nameHint")}</span>
          </label>
          <input
            id={`${id}-name`}
            name="name"
            className="input"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="my-papers"
            maxLength={64}
            spellCheck={false}
            autoComplete="off"
            autoCapitalize="none"
            required
            aria-invalid={error ? true : undefined}
            aria-describedby={`${id}-error`}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-description`}>
            {t("description")} <span className="field-hint">{t("optional")}</span>
          </label>
          <input
            id={`${id}-description`}
            name="description"
            className="input input-text"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            placeholder={t("descriptionPlaceholder")}
            maxLength={COLLECTION_LIMITS.descriptionMaxLength}
          />
        </div>
        <button type="submit" className="button button-primary" disabled={submitting}>
          <Icon name="plus" /> {submitting ? t("creating") : t("create")}
        </button>
      </div>
      <p id={`${id}-error`} className="field-error" role="alert" data-testid="collection-error">
        {error ?? ""}
      </p>
    </form>
  );
}

/** One collection: its name, what it is, how many documents, and deleting it (with a confirmation). */
function CollectionRow({ collection, onDeleted }: { collection: CollectionView; onDeleted: () => void }) {
  const t = useTranslations("collections");
  const format = useFormat();
  const describeError = useErrorText();
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const href = `/collections/${encodeURIComponent(collection.name)}`;

  async function remove() {
    setDeleting(true);
    setError(null);
    try {
      await deleteCollection(collection.name);
      onDeleted();
    } catch (caught) {
      setError(describeError(caught));
      setDeleting(false);
      setConfirming(false);
    }
  }

  return (
    <li className="collection-row" data-collection={collection.name}>
      <div className="collection-row-main">
        <Link href={href} className="collection-name mono">
          {collection.name}
        </Link>
        {collection.builtIn ? <span className="badge">{t("builtIn")}</span> : null}
        <span className="collection-description muted">{collection.description || t("noDescription")}</span>
      </div>
      <div className="collection-row-side">
        <span className="muted small">{format.count("document", collection.documents)}</span>
        <Link href={`/?collection=${encodeURIComponent(collection.name)}`} className="button">
          <Icon name="search" /> {t("research")}
        </Link>
        {collection.builtIn ? null : (
          <ConfirmDelete
            confirming={confirming}
            onConfirming={setConfirming}
            deleting={deleting}
            onDelete={remove}
            words={{
              delete: t("delete"),
              deleting: t("deleting"),
              keep: t("keep"),
              deleteLabel: t("deleteLabel", { name: collection.name }),
              confirmLabel: t("confirmDeleteLabel", { name: collection.name }),
            }}
            prompt={t("confirmDelete", {
              name: collection.name,
              documents: format.count("document", collection.documents),
            })}
          />
        )}
      </div>
      {error ? (
        <p className="inline-error collection-row-error" role="alert">
          {error}
        </p>
      ) : null}
    </li>
  );
}

/** Every collection research can search: the built-in ones first, then the ones made here. */
export function CollectionList({ initialCollections }: { initialCollections: CollectionView[] }) {
  const t = useTranslations("collections");
  const [collections, setCollections] = useState(initialCollections);
  const own = collections.filter((collection) => !collection.builtIn).length;
  return (
    <div className="collections-page">
      <div className="page-head">
        <div>
          <h1 className="page-title">{t("title")}</h1>
          <p className="muted">{t("lede")}</p>
        </div>
      </div>
      <CreateCollectionForm />
      <section className="card collection-table" aria-label={t("title")}>
        <ul className="collection-rows">
          {collections.map((collection) => (
            <CollectionRow
              key={collection.name}
              collection={collection}
              onDeleted={() =>
                setCollections((previous) => previous.filter((other) => other.name !== collection.name))
              }
            />
          ))}
        </ul>
        {own === 0 ? <p className="muted small collection-hint">{t("noneOfYourOwn")}</p> : null}
      </section>
    </div>
  );
}
