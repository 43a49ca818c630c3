import { getTranslations } from "next-intl/server";
import { requirePageAccess } from "./_lib/page-access";
import { RecentTasks } from "./components/recent-tasks";
import { ResearchForm } from "./components/research-form";

interface Props {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

export default async function HomePage({ searchParams }: Props) {
  // `/?collection=name` (a collection's "Research this collection") preselects it.
  const raw = (await searchParams).collection;
  const collection = Array.isArray(raw) ? raw[0] : raw;
  await requirePageAccess(collection ? `/?collection=${encodeURIComponent(collection)}` : "/");
  const t = await getTranslations("home");
  return (
    <div className="home">
      <section className="hero">
        <p className="eyebrow">{t("eyebrow")}</p>
        <h1 className="hero-title">{t("title")}</h1>
        <p className="hero-lede">{t("lede")}</p>
      </section>
      <ResearchForm initialCollection={collection?.trim() || undefined} />
      <RecentTasks />
    </div>
  );
}
