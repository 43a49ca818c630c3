import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "../_lib/page-access";
import { TaskList } from "../components/task-list";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("tasks") };
}

export default async function TasksPage() {
  await requirePageAccess("/tasks");
  return <TaskList />;
}
