import { assertCollectionName, assertDocumentId } from "../collections/collection-records";
import { assertDeliveryId, assertScheduleId, assertTaskIdOf } from "../schedules/schedule-records";
import { assertTaskId } from "../store-errors";

/** Redis types of the keys, for naming a key that holds something else. */
export type KeyType = "hash" | "stream" | "string" | "list" | "set" | "zset";

/** A key with the type the store expects it to hold. */
export type TypedKey = [string, KeyType];

/** The parts of a task kept under a key of their own. */
export type TaskPart = "task" | "log" | "lease" | "controls" | "deleted";

/**
 * Names of the Redis store's keys (every one under the configured prefix,
 * every task part named from a validated task id):
 *
 *   <prefix>task:<id>      hash    state, creation snapshot, epoch, owner, released epoch, id counter
 *   <prefix>log:<id>       stream  events as <eventId>-0, checkpoints as <lastEventId>-<k> (k ≥ 1)
 *   <prefix>lease:<id>     string  "<epoch>:<ownerId>", SET … PX <lease time>
 *   <prefix>controls:<id>  list    controls for the owner (RPUSH; taken atomically by a script)
 *   <prefix>deleted:<id>   string  tombstone of a deleted task, with the last epoch (PX tombstoneTtlMs)
 *   <prefix>active         set     ids of unfinished tasks (the takeover scan reads only these)
 *   <prefix>tasks          set     ids of every task
 *
 * Collections (`redis-collections.ts`), every name from a validated
 * collection name (no ":" in one) or document id:
 *
 *   <prefix>collections                          hash    name → the collection's record (CollectionJson)
 *   <prefix>collection:<name>:documents          hash    document id → its metadata (DocumentJson)
 *   <prefix>collection:<name>:ready              set     ids of its ready documents
 *   <prefix>collection:<name>:original:<id>      string  the document's original bytes
 *   <prefix>collection:<name>:text:<id>          string  its extracted text ({"pages":[…]})
 *
 * Schedules and webhook deliveries (`redis-schedules.ts`), every name from
 * a validated schedule id (nanoid: no ":"), delivery id or task id:
 *
 *   <prefix>schedules                            hash    schedule id → its record (ScheduleJson)
 *   <prefix>schedule:<id>:fires                  zset    claimed fire times (ms, member = score), within a day of the latest
 *   <prefix>schedule:<id>:runs                   hash    fire ms → run record (ScheduleRunJson)
 *   <prefix>schedule:<id>:run-order              zset    fire ms of the run records (paging, newest first)
 *   <prefix>webhook:<id>                         hash    the delivery with its attempts, and its claim state (redis-schedule-scripts.ts)
 *   <prefix>webhook:<id>:claim                   string  "<attempt>:<generation>:<owner>", SET … PX <lease>
 *   <prefix>webhooks:due                         zset    pending delivery ids by next attempt (ms)
 *   <prefix>webhooks:task:<taskId>               zset    a task's delivery ids by creation (ms)
 *   <prefix>webhooks:subscriptions:<taskId>      set     "<run> <url>": the URLs each run notifies when it ends
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  task(part: TaskPart, taskId: string): string {
    assertTaskId(taskId);
    return `${this.prefix}${part}:${taskId}`;
  }
  get active(): string {
    return `${this.prefix}active`;
  }
  get index(): string {
    return `${this.prefix}tasks`;
  }

  /** The hash of every collection's record. */
  get collections(): string {
    return `${this.prefix}collections`;
  }
  /** A collection's hash of documents or its set of ready ids. */
  collection(name: string, part: "documents" | "ready"): string {
    assertCollectionName(name);
    return `${this.prefix}collection:${name}:${part}`;
  }
  /** A document's original or text. */
  document(name: string, id: string, part: "original" | "text"): string {
    assertCollectionName(name);
    assertDocumentId(id);
    return `${this.prefix}collection:${name}:${part}:${id}`;
  }

  /** The hash of every schedule's record. */
  get schedules(): string {
    return `${this.prefix}schedules`;
  }
  /** A schedule's claimed fires, run records, or their order. */
  schedule(id: string, part: "fires" | "runs" | "run-order"): string {
    assertScheduleId(id);
    return `${this.prefix}schedule:${id}:${part}`;
  }
  /** A delivery's hash, or its attempt claim. */
  delivery(id: string, part: "record" | "claim"): string {
    assertDeliveryId(id);
    return part === "record" ? `${this.prefix}webhook:${id}` : `${this.prefix}webhook:${id}:claim`;
  }
  get dueDeliveries(): string {
    return `${this.prefix}webhooks:due`;
  }
  taskDeliveries(taskId: string): string {
    assertTaskIdOf(taskId);
    return `${this.prefix}webhooks:task:${taskId}`;
  }
  taskSubscriptions(taskId: string): string {
    assertTaskIdOf(taskId);
    return `${this.prefix}webhooks:subscriptions:${taskId}`;
  }

  /** The given parts of a task, with their types. */
  typed(taskId: string, ...parts: TaskPart[]): TypedKey[] {
    return parts.map((part) => [this.task(part, taskId), partTypes[part]]);
  }

  /** Every key a task touches, in the order the create and delete scripts take them. */
  everyKey(taskId: string): TypedKey[] {
    return [
      ...this.typed(taskId, "task", "log", "lease", "controls", "deleted"),
      [this.active, "set"],
      [this.index, "set"],
    ];
  }
}

const partTypes: Record<TaskPart, KeyType> = {
  task: "hash",
  log: "stream",
  lease: "string",
  controls: "list",
  deleted: "string",
};

/** The names alone, as a script takes them. */
export function keyNames(keys: TypedKey[]): string[] {
  return keys.map(([key]) => key);
}
