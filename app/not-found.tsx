import Link from "next/link";
import { Icon } from "./components/icons";

export default function NotFound() {
  return (
    <div className="empty-state not-found">
      <p className="eyebrow mono">404</p>
      <h1>Nothing here</h1>
      <p className="muted">
        There is no page or research task at this address. A task id is 32 hexadecimal characters; the task
        may also have been deleted or expired.
      </p>
      <div className="button-row">
        <Link href="/" className="button button-primary">
          <Icon name="plus" /> New research
        </Link>
        <Link href="/tasks" className="button">
          <Icon name="list" /> All tasks
        </Link>
      </div>
    </div>
  );
}
