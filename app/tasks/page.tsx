import type { Metadata } from "next";
import { requirePageAccess } from "../_lib/page-access";
import { TaskList } from "../components/task-list";

export const metadata: Metadata = { title: "Tasks" };

export default async function TasksPage() {
  await requirePageAccess("/tasks");
  return <TaskList />;
}
