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
  const loaded = await loadCollection(name);
  const t = await getTranslations("titles");
  if (loaded.kind === "found") return { title: t("collectionPage", { name: loaded.collection.name }) };
  if (loaded.kind === "protected") return { title: t("collection") };
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
