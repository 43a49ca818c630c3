import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { redirect } from "next/navigation";
import { safeNextPath } from "@/app/_lib/access";
import { hasPageAccess, signInRequired } from "@/app/_lib/page-access";
import { SignInForm } from "@/app/components/sign-in-form";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("titles"))("signIn") };
}

interface Props {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}

/** `/signin?next=/tasks/…`: only shown when the server has a token and the visitor no session. */
export default async function SignInPage({ searchParams }: Props) {
  const { next } = await searchParams;
  const target = safeNextPath(typeof next === "string" ? next : null);
  if (!signInRequired() || (await hasPageAccess())) redirect(target);
  return <SignInForm next={target} />;
}
