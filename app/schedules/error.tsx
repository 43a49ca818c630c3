"use client";

import { useTranslations } from "next-intl";
import { PageError } from "@/app/components/page-error";

/** A schedules page could not be rendered on the server (its storage did not answer, say). */
export default function SchedulesError({ error, retry }: { error: unknown; retry: () => void }) {
  const t = useTranslations("pageError");
  return (
    <PageError
      error={error}
      retry={retry}
      title={t("schedulesTitle")}
      message={t("schedulesMessage")}
      link={{ href: "/", label: t("newResearch"), icon: "plus" }}
    />
  );
}
