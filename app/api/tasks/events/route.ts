import { getConfig } from "@/lib/config";
import { taskSummary } from "@/lib/model/task-view";
import { getTaskManager } from "@/lib/server/manager-instance";
import { encodeComment, encodeRetry, encodeText, encodeUnnumbered } from "@/lib/sse/encode";
import { otherMethods, preflight, route, SSE_HEADERS } from "../../_lib/http";
import { acquireStreamSlot } from "../../_lib/limits";
import { connectionClosed, connectionOpened } from "../../_lib/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/**
 * Live changes of the task list on one connection (browsers allow only six
 * per origin over HTTP/1.1): `task` events with a list row on create, status
 * and progress changes; `deleted` with the id. Progress of one task is sent
 * at most every 250 ms.
 */
export const GET = route(async (request, _context, requestId) => {
  const manager = await getTaskManager();
  const config = getConfig();
  const release = acquireStreamSlot(manager, request);
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      connectionOpened();
      const lastSent = new Map<string, { at: number; status: string }>();
      const pending = new Map<string, ReturnType<typeof setTimeout>>();
      const send = (text: string) => {
        try {
          controller.enqueue(encodeText(text));
        } catch {
          // The client is gone; cancel() cleans up.
          stop();
        }
      };
      send(encodeComment("fathom tasks") + encodeRetry(config.SSE_RETRY_MS));
      const unsubscribe = manager.index.onChange((change) => {
        if (change.type === "deleted") {
          send(encodeUnnumbered("deleted", { id: change.id }));
          return;
        }
        const task = change.task;
        const previous = lastSent.get(task.id);
        const now = performance.now();
        const emit = () => {
          pending.delete(task.id);
          lastSent.set(task.id, { at: performance.now(), status: task.status });
          send(encodeUnnumbered("task", taskSummary(task, manager.queuePosition(task.id))));
        };
        if (!previous || previous.status !== task.status || now - previous.at >= 250) {
          clearTimeout(pending.get(task.id));
          emit();
        } else if (!pending.has(task.id)) {
          pending.set(task.id, setTimeout(emit, 250 - (now - previous.at)));
        }
      });
      const heartbeat = setInterval(() => send(encodeComment("ping")), config.SSE_HEARTBEAT_MS);
      let stopped = false;
      stop = () => {
        if (stopped) return;
        stopped = true;
        unsubscribe();
        clearInterval(heartbeat);
        for (const timer of pending.values()) clearTimeout(timer);
        request.signal.removeEventListener("abort", stop);
        release();
        connectionClosed();
      };
      // Both: a disconnect may show as an aborted request or a cancelled stream.
      request.signal.addEventListener("abort", stop, { once: true });
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, { headers: { ...SSE_HEADERS, "X-Request-ID": requestId } });
});

export const OPTIONS = async (request: Request) => preflight(request);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET, OPTIONS");
