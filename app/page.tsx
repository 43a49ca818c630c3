import { requirePageAccess } from "./_lib/page-access";
import { RecentTasks } from "./components/recent-tasks";
import { ResearchForm } from "./components/research-form";

export default async function HomePage() {
  await requirePageAccess("/");
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
      <ResearchForm />
      <RecentTasks />
    </div>
  );
}
