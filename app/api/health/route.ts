import type { Health } from "@/lib/model/health";
import { getTaskManager, isReady } from "@/lib/server/manager-instance";
import { json, otherMethods, preflight, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * Readiness: 200 once the store answers, the search index is loaded and the
 * manager runs tasks; 503 `starting` before (a load balancer waits). Never
 * needs a token.
 */
export const GET = route(
  async (request, _context, requestId) => {
    const manager = await getTaskManager();
    await manager.store.listActiveTaskIds();
    const ready = isReady();
    return json(
      {
        status: ready ? "ok" : "starting",
        store: manager.store.kind,
        ownerId: manager.ownerId,
        runningTasks: manager.runningCount,
      } satisfies Health,
      ready ? 200 : 503,
      requestId,
      request,
    );
  },
  { public: true },
);

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
