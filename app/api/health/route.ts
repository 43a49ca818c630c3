import { getTaskManager } from "@/lib/tasks/manager-instance";
import { json, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Liveness and readiness: the store answers and the manager runs. Never needs a token. */
export const GET = route(
  async (request, _context, requestId) => {
    const manager = await getTaskManager();
    await manager.store.listActiveTaskIds();
    return json(
      {
        status: "ok",
        store: manager.store.kind,
        ownerId: manager.ownerId,
        runningTasks: manager.runningCount,
      },
      200,
      requestId,
      request,
    );
  },
  { public: true },
);
