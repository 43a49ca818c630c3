"use client";

import { useTranslations } from "next-intl";
import { PageError } from "@/app/components/page-error";

/** The task page could not be rendered on the server (its storage did not answer, say). */
export default function TaskError({ error, retry }: { error: unknown; retry: () => void }) {
  const t = useTranslations("pageError");
  return (
    <PageError
      error={error}
      retry={retry}
      title={t("taskTitle")}
      message={t("taskMessage")}
      link={{ href: "/tasks", label: t("allTasks"), icon: "list" }}
    />
  );
}
