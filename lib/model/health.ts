import { z } from "zod";

/**
 * `GET /api/health`: readiness. `ok` (200) once the store answers, the
 * search index is loaded and the manager runs tasks; `starting` (503) before.
 */
export const healthSchema = z.object({
  status: z.enum(["ok", "starting"]),
  /** Which store this process uses (`file`, `redis`, `memory`). */
  store: z.string(),
  /** This process's owner id (leases name it). */
  ownerId: z.string(),
  /** Tasks this process runs now. */
  runningTasks: z.number().int().nonnegative(),
});
export type Health = z.infer<typeof healthSchema>;
