/**
 * An owner fences itself: it stops writing once its own monotonic clock says
 * it has not renewed its lease for this share of the lease time. Watchers
 * declare a lease expired only after the whole lease time on their own
 * clocks, so with clock rates that differ by less than 20% a stale owner has
 * stopped before anyone takes over (docs/ARCHITECTURE.md, Fencing). No wall
 * clocks are compared across hosts.
 */
export const SELF_FENCING_SHARE = 0.8;

/** True while an owner that last renewed at `lastRenewedAt` may still write (times in ms, one monotonic clock). */
export function renewedInTime(now: number, lastRenewedAt: number, leaseTtlMs: number): boolean {
  return !(now - lastRenewedAt > leaseTtlMs * SELF_FENCING_SHARE);
}
