import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { CollectionList } from "@/app/components/collection-list";
import { getCollectionService } from "@/lib/server/manager-instance";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("collections") };
}

export default async function CollectionsPage() {
  await requirePageAccess("/collections");
  const collections = await (await getCollectionService()).list();
  return <CollectionList initialCollections={collections} />;
}
