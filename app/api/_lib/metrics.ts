import "server-only";

/** Process-wide counters shown by /api/metrics. */
const counters = { openStreams: 0, streamsOpened: 0 };

export function connectionOpened(): void {
  counters.openStreams += 1;
  counters.streamsOpened += 1;
}

export function connectionClosed(): void {
  counters.openStreams -= 1;
}

export function streamCounters(): Readonly<typeof counters> {
  return counters;
}
