import type { Metadata } from "next";
import { requirePageAccess } from "@/app/_lib/page-access";
import { CollectionList } from "@/app/components/collection-list";
import { getCollectionService } from "@/lib/server/manager-instance";

export const metadata: Metadata = { title: "Collections" };

export default async function CollectionsPage() {
  await requirePageAccess("/collections");
  const collections = await (await getCollectionService()).list();
  return <CollectionList initialCollections={collections} />;
}
