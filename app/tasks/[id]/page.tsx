import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { TaskLoader } from "@/app/components/task-loader";
import { TaskView } from "@/app/components/task-view";
import { taskTitle } from "@/lib/model/request";
import { loadTask } from "./load-task";

interface Props {
  params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  // A store that fails here fails the page too (the same cached load), and the
  // error view reports it; the metadata only keeps the page titled, which a
  // thrown error here would leave without a <title> (docs/ARCHITECTURE.md,
  // "Accessibility").
  const loaded = await loadTask(id).catch(() => null);
  const t = await getTranslations("titles");
  if (loaded === null || loaded.kind === "protected") return { title: t("researchTask") };
  if (loaded.kind === "found") return { title: taskTitle(loaded.task.request).slice(0, 80) };
  return { title: t("taskNotFound") };
}

export default async function TaskPage({ params }: Props) {
  const { id } = await params;
  await requirePageAccess(`/tasks/${encodeURIComponent(id)}`);
  const loaded = await loadTask(id);
  if (loaded.kind === "invalid" || loaded.kind === "missing") notFound();
  if (loaded.kind === "protected") return <TaskLoader id={id} />;
  // Keyed by run, so a new run of the task starts from a clean page state.
  return <TaskView key={`${loaded.task.id}:${loaded.task.runStartEventId}`} initialTask={loaded.task} />;
}
