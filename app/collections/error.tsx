"use client";

import { useTranslations } from "next-intl";
import { PageError } from "@/app/components/page-error";

/** A collections page could not be rendered on the server (its storage did not answer, say). */
export default function CollectionsError({ error, retry }: { error: unknown; retry: () => void }) {
  const t = useTranslations("pageError");
  return (
    <PageError
      error={error}
      retry={retry}
      title={t("collectionsTitle")}
      message={t("collectionsMessage")}
      link={{ href: "/", label: t("newResearch"), icon: "plus" }}
    />
  );
}
