import { isFinished, type TaskJson } from "../model/task-json";
import { deliveryIdOf, runEndPayload, type WebhookDeliveryJson } from "../model/webhook";
import type { ScheduleStore } from "../store/schedules/types";

/** Options of `createRunEndDeliveries`. */
export interface RunEndDeliveriesOptions {
  /** WEBHOOK_URL: notified of every task's runs. */
  serverUrl?: string;
  /** Only these URLs (a subscriber that came after the end); default: the server's and the run's subscriptions. */
  only?: readonly string[];
  now: Date;
  /** PUBLIC_URL (no trailing slash): the payload's links are absolute under it. Default: paths. */
  baseUrl?: string;
  /**
   * The schedule whose fire started this run, or null; asked only when
   * there is a delivery to make (finding it reads the schedules).
   */
  scheduleOf?: (task: TaskJson) => Promise<string | null>;
}

/**
 * Creates the deliveries of a finished task's run ending: one per URL (the
 * server's WEBHOOK_URL and the run's subscriptions), due at once. Its id is
 * derived from task, run, the ending's last event and URL (`deliveryIdOf`),
 * and the store creates each id once, so every process that calls this for
 * the same ending (the runner that saved it, a scan that found it
 * unfinished business after a crash, a late subscriber) makes the same
 * deliveries, exactly once. Answers how many were created now.
 */
export async function createRunEndDeliveries(
  store: ScheduleStore,
  task: TaskJson,
  options: RunEndDeliveriesOptions,
): Promise<number> {
  if (!isFinished(task.status)) return 0;
  const urls = new Set(
    options.only ?? [
      ...(options.serverUrl ? [options.serverUrl] : []),
      ...(await store.listSubscriptions(task.id, task.run)),
    ],
  );
  let created = 0;
  if (urls.size === 0) return created;
  const scheduleId = (await options.scheduleOf?.(task)) ?? null;
  for (const url of urls) {
    const id = await deliveryIdOf(task.id, task.run, url, task.lastEventId);
    const at = options.now.toISOString();
    const delivery: WebhookDeliveryJson = {
      id,
      taskId: task.id,
      run: task.run,
      url,
      status: "pending",
      attempts: [],
      nextAttemptAt: at,
      createdAt: at,
      payload: runEndPayload(task, id, {
        now: options.now,
        scheduleId,
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      }),
    };
    if ((await store.createDelivery(delivery)).created) created += 1;
  }
  return created;
}
