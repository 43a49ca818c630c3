import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getConfig } from "@/lib/config";
import { authenticate } from "./access";

/**
 * True when the visitor of a page may see it: no token configured, a valid
 * session cookie, or the bearer token (a program fetching the HTML).
 */
export async function hasPageAccess(): Promise<boolean> {
  return authenticate(await headers(), null, getConfig()) !== null;
}

/** True when this server asks browsers to sign in (FATHOM_API_TOKEN is set). */
export function signInRequired(): boolean {
  return getConfig().FATHOM_API_TOKEN !== undefined;
}

/**
 * Called first by every page: a visitor without access is sent to
 * `/signin?next=<this page>`. Checked in the page's own server code (not
 * only in a proxy), so no page can forget it by being reached another way.
 */
export async function requirePageAccess(path: string): Promise<void> {
  if (await hasPageAccess()) return;
  redirect(`/signin?next=${encodeURIComponent(path)}`);
}
