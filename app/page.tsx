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
  return (
    <div className="home">
      <section className="hero">
        <p className="eyebrow">Deep research</p>
        <h1 className="hero-title">What do you want to know?</h1>
        <p className="hero-lede">
          Fathom plans sub-questions, searches, reads and writes a cited report. It works in the background
          and streams the report as it is written: close the tab, lose the network, come back later, nothing
          is lost.
        </p>
      </section>
      <ResearchForm initialCollection={collection?.trim() || undefined} />
      <RecentTasks />
    </div>
  );
}
