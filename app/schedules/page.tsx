import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { ScheduleList } from "@/app/components/schedule-list";
import { getConfig } from "@/lib/config";
import { getScheduleService } from "@/lib/server/manager-instance";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("schedules") };
}
export const dynamic = "force-dynamic";

export default async function SchedulesPage() {
  await requirePageAccess("/schedules");
  const schedules = await (await getScheduleService()).list();
  return <ScheduleList initialSchedules={schedules} minIntervalS={getConfig().MIN_SCHEDULE_INTERVAL_S} />;
}
