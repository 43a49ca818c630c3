"use client";

import { PageError } from "@/app/components/page-error";

/** The task page could not be rendered on the server (its storage did not answer, say). */
export default function TaskError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <PageError
      error={error}
      retry={retry}
      title="This task could not be loaded"
      message="The server could not read the task just now. Its research is not affected; try again in a moment."
      link={{ href: "/tasks", label: "All tasks", icon: "list" }}
    />
  );
}
