"use client";

import { PageError } from "@/app/components/page-error";

/** A collections page could not be rendered on the server (its storage did not answer, say). */
export default function CollectionsError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <PageError
      error={error}
      retry={retry}
      title="This page could not be loaded"
      message="The server could not read the collections just now. Documents already uploaded are not affected; try again in a moment."
      link={{ href: "/", label: "New research", icon: "plus" }}
    />
  );
}
