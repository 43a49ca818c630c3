"use client";

import { useEffect, useState } from "react";

/** The clock, ticking every `everyMs`; null until hydrated (the server's clock is not the reader's). */
export function useNow(everyMs = 1000): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * Calls `refresh` every `everyMs` while the page is visible (a schedule's
 * next fire and runs change on the server's clock, not by this page).
 * Errors are the caller's: `refresh` reports them itself.
 */
export function usePolling(refresh: () => Promise<void>, everyMs: number): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (!document.hidden) await refresh();
      if (!stopped) timer = setTimeout(tick, everyMs);
    };
    timer = setTimeout(tick, everyMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [refresh, everyMs]);
}
