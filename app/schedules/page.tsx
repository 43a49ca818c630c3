import type { Metadata } from "next";
import { requirePageAccess } from "@/app/_lib/page-access";
import { ScheduleList } from "@/app/components/schedule-list";
import { getConfig } from "@/lib/config";
import { getScheduleService } from "@/lib/server/manager-instance";

export const metadata: Metadata = { title: "Schedules" };
export const dynamic = "force-dynamic";

export default async function SchedulesPage() {
  await requirePageAccess("/schedules");
  const schedules = await (await getScheduleService()).list();
  return <ScheduleList initialSchedules={schedules} minIntervalS={getConfig().MIN_SCHEDULE_INTERVAL_S} />;
}
