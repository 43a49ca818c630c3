import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "@/app/_lib/page-access";
import { ScheduleDetail } from "@/app/components/schedule-detail";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { isScheduleId } from "@/lib/model/schedule";
import type { ScheduleView } from "@/lib/model/schedule-view";
import { getScheduleService } from "@/lib/server/manager-instance";

export const dynamic = "force-dynamic";

interface Props {
  params: Promise<{ id: string }>;
}

/** The schedule, or null when there is none by that id (a malformed id included). */
async function loadSchedule(id: string): Promise<ScheduleView | null> {
  if (!isScheduleId(id)) return null;
  try {
    return await (await getScheduleService()).get(id);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return null;
    throw error;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  // The title only when the visitor may see the schedule: metadata runs beside the page's own check.
  const { id } = await params;
  const t = await getTranslations("titles");
  return { title: isScheduleId(id) ? t("schedule") : t("scheduleNotFound") };
}

export default async function SchedulePage({ params }: Props) {
  const { id } = await params;
  await requirePageAccess(`/schedules/${encodeURIComponent(id)}`);
  const schedule = await loadSchedule(id);
  if (!schedule) notFound();
  const page = await (await getScheduleService()).runs(id, {});
  return (
    <ScheduleDetail
      initialSchedule={schedule}
      initialRuns={page.runs}
      initialCursor={page.nextCursor}
      minIntervalS={getConfig().MIN_SCHEDULE_INTERVAL_S}
    />
  );
}
