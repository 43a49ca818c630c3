import Link from "next/link";
import { useTranslations } from "next-intl";
import { Icon } from "./components/icons";

export default function NotFound() {
  const t = useTranslations("notFound");
  return (
    <div className="empty-state not-found">
      <p className="eyebrow mono">404</p>
      <h1>{t("heading")}</h1>
      <p className="muted">{t("text")}</p>
      <div className="button-row">
        <Link href="/" className="button button-primary">
          <Icon name="plus" /> {t("newResearch")}
        </Link>
        <Link href="/tasks" className="button">
          <Icon name="list" /> {t("allTasks")}
        </Link>
      </div>
    </div>
  );
}
