import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { BuiltInDocuments, CollectionDocuments } from "@/app/components/collection-documents";
import { loadCollection } from "../load-collection";

interface Props {
  params: Promise<{ name: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { name } = await params;
  // A store that fails here fails the page too, which shows the error view;
  // the metadata only keeps that view titled (docs/ARCHITECTURE.md, "Accessibility").
  const loaded = await loadCollection(name).catch(() => null);
  const t = await getTranslations("titles");
  if (loaded === null || loaded.kind === "protected") return { title: t("collection") };
  if (loaded.kind === "found") return { title: t("collectionPage", { name: loaded.collection.name }) };
  return { title: t("collectionNotFound") };
}

export default async function CollectionPage({ params }: Props) {
  const { name } = await params;
  await requirePageAccess(`/collections/${encodeURIComponent(name)}`);
  const loaded = await loadCollection(name);
  if (loaded.kind !== "found") notFound();
  if (loaded.builtIn) return <BuiltInDocuments collection={loaded.collection} documents={loaded.documents} />;
  return <CollectionDocuments collection={loaded.collection} initialDocuments={loaded.documents} />;
}
