import path from "node:path";
import { AppError } from "../../errors";
import { assertCollectionName, assertDocumentId } from "../collections/collection-records";
import { assertDeliveryId, assertScheduleId, assertTaskIdOf } from "../schedules/schedule-records";
import { assertTaskId } from "../store-errors";

/**
 * Where the file store keeps what. Layout under the root (every name derived
 * from a validated task id):
 *
 *   <id>.json                 state snapshot, written atomically by the lease holder
 *   <id>/created.json         the snapshot at creation (recovery if <id>.json is damaged)
 *   <id>/epoch-<N>.json       claim of epoch N: created once, exclusively (link), never changed;
 *                             holds where segment N-1 ends (`sealedAt`), so records a stale
 *                             owner writes to an old segment after a takeover are never read
 *   <id>/log-<N>.ndjson       the log segment of epoch N; only owner N appends to it
 *   <id>/beat-<N>.json        owner N's heartbeat counter
 *   <id>/released-<N>         owner N gave the task up cleanly
 *   <id>/synced-<N>           DURABILITY=fsync: how far segment N is on disk (readers stop there)
 *   <id>/compacted.json       the first epoch kept after compaction (older epochs' files are gone),
 *                             or, for a task created again after a delete, the epoch after the deleted one's last
 *   <id>/control-<nanoid>     a control for the owner, left by any process
 *   .active/<id>              the task is not finished (the takeover scan lists only these)
 *   .deleted/<id>             tombstone of a deleted task (answers 410 instead of 404), with its last epoch
 *   .tmp/                     staging for exclusive creates, and the disk reserve
 *
 * Collections (`file-collections.ts`), every name derived from a validated
 * collection name or document id:
 *
 *   collections/<name>/                   a collection: appears whole (renamed in from .staging), goes whole (renamed to .trash)
 *     collection.json                     the collection's record, never rewritten
 *     documents/<id>/                     a document: appears whole (renamed in from .staging), goes whole (renamed to .trash)
 *       document.json                     its metadata, replaced atomically by updateDocument
 *       original                          the uploaded bytes
 *       text.json                         the extracted text, one string per page
 *     ready/<id>                          empty marker: document <id> is ready (readyDocumentIds is one readdir)
 *   collections/.staging/<name|id>.<nanoid>/  a collection or document being built (a crash leaves it here, unseen)
 *   collections/.trash/<name|id>.<nanoid>/    a deleted collection or document being removed
 *
 * Schedules and webhook deliveries (`file-schedules.ts`), every name derived
 * from a validated schedule id (nanoid), fire time (integer ms), delivery id
 * (32 hex digits) or task id:
 *
 *   schedules/<id>/                       a schedule: appears whole (renamed in from .staging), goes whole (renamed to .trash)
 *     schedule.json                       its record, replaced atomically (unique temp name + rename)
 *     fires/<fireMs>                      claim of one fire: created exclusively (link), holds the owner id
 *     runs/<fireMs>.json                  the run record of that fire, replaced atomically
 *   schedules/.staging/<id>.<nanoid>/     a schedule being created
 *   schedules/.trash/<id>.<nanoid>/       a deleted schedule being removed
 *   webhooks/<id>/                        a delivery
 *     delivery.json                       the delivery as created: created exclusively, never rewritten
 *     claim-<n>-<g>.json                  claim g of attempt n: created exclusively ({ownerId, leaseMs})
 *     attempt-<n>.json                    the outcome of attempt n: created exclusively (one winner), never rewritten
 *   webhooks/.pending/<id>                empty marker: the delivery is neither delivered nor given up
 *   webhooks/.tasks/<taskId>/<id>         empty marker: the delivery belongs to the task
 *   webhooks/.subscriptions/<taskId>/<run>-<hash>   a URL the run notifies when it ends (the file holds it)
 *   webhooks/.trash/<id>.<nanoid>/        a deleted delivery being removed
 *
 * The `turbopackIgnore` comments keep the bundler from tracing these
 * dynamic paths into the build.
 */
export class FileLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(/*turbopackIgnore: true*/ root);
  }

  /** The root and the folders directly under it, in creation order. */
  get folders(): string[] {
    return [this.root, this.activeDir, this.deletedDir, this.tmpDir];
  }
  get activeDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, ".active");
  }
  get deletedDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, ".deleted");
  }
  get tmpDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, ".tmp");
  }
  get reservePath(): string {
    return path.join(/*turbopackIgnore: true*/ this.tmpDir, "reserve");
  }

  taskDir(taskId: string): string {
    assertTaskId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.root, taskId);
  }
  statePath(taskId: string): string {
    assertTaskId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.root, `${taskId}.json`);
  }
  activeMarker(taskId: string): string {
    assertTaskId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.activeDir, taskId);
  }
  tombstonePath(taskId: string): string {
    assertTaskId(taskId);
    return path.join(/*turbopackIgnore: true*/ this.deletedDir, taskId);
  }
  /** A file directly in the task's folder (`created.json`, `compacted.json`, a control). */
  taskFile(taskId: string, name: string): string {
    return path.join(/*turbopackIgnore: true*/ this.taskDir(taskId), name);
  }
  epochPath(taskId: string, epoch: number): string {
    return this.taskFile(taskId, `epoch-${epoch}.json`);
  }
  segmentPath(taskId: string, epoch: number): string {
    return this.taskFile(taskId, `log-${epoch}.ndjson`);
  }
  beatPath(taskId: string, epoch: number): string {
    return this.taskFile(taskId, `beat-${epoch}.json`);
  }
  releasedPath(taskId: string, epoch: number): string {
    return this.taskFile(taskId, `released-${epoch}`);
  }
  syncedPath(taskId: string, epoch: number): string {
    return this.taskFile(taskId, `synced-${epoch}`);
  }

  // ── collections ──────────────────────────────────────────────────────────

  get collectionsDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, "collections");
  }
  get collectionStagingDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.collectionsDir, ".staging");
  }
  get collectionTrashDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.collectionsDir, ".trash");
  }
  collectionDir(name: string): string {
    assertCollectionName(name);
    return this.#inside(path.join(/*turbopackIgnore: true*/ this.collectionsDir, name));
  }
  collectionRecordPath(name: string): string {
    return path.join(/*turbopackIgnore: true*/ this.collectionDir(name), "collection.json");
  }
  documentsDir(name: string): string {
    return path.join(/*turbopackIgnore: true*/ this.collectionDir(name), "documents");
  }
  readyDir(name: string): string {
    return path.join(/*turbopackIgnore: true*/ this.collectionDir(name), "ready");
  }
  documentDir(name: string, id: string): string {
    assertDocumentId(id);
    return this.#inside(path.join(/*turbopackIgnore: true*/ this.documentsDir(name), id));
  }
  /** A file of a document's folder (`document.json`, `original`, `text.json`). */
  documentFile(name: string, id: string, file: DocumentFile): string {
    return path.join(/*turbopackIgnore: true*/ this.documentDir(name, id), file);
  }
  readyMarker(name: string, id: string): string {
    assertDocumentId(id);
    return this.#inside(path.join(/*turbopackIgnore: true*/ this.readyDir(name), id));
  }
  /** A fresh name in `.staging` or `.trash` for a folder of `label` (a collection name or document id). */
  collectionsScratch(area: "staging" | "trash", label: string, unique: string): string {
    const folder = area === "staging" ? this.collectionStagingDir : this.collectionTrashDir;
    return this.#inside(path.join(/*turbopackIgnore: true*/ folder, `${label}.${unique}`));
  }

  // ── schedules and webhooks ───────────────────────────────────────────────

  get schedulesDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, "schedules");
  }
  get webhooksDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.root, "webhooks");
  }
  scheduleDir(id: string): string {
    assertScheduleId(id);
    return this.#within(this.schedulesDir, path.join(/*turbopackIgnore: true*/ this.schedulesDir, id));
  }
  scheduleFile(id: string, file: "schedule.json" | "fires" | "runs"): string {
    return path.join(/*turbopackIgnore: true*/ this.scheduleDir(id), file);
  }
  fireClaimPath(id: string, fireTime: number): string {
    if (!Number.isSafeInteger(fireTime) || fireTime < 0) {
      throw new AppError("invalid_request", "Not a fire time.");
    }
    return path.join(/*turbopackIgnore: true*/ this.scheduleFile(id, "fires"), String(fireTime));
  }
  runPath(id: string, fireTime: number): string {
    if (!Number.isSafeInteger(fireTime) || fireTime < 0) {
      throw new AppError("invalid_request", "Not a fire time.");
    }
    return path.join(/*turbopackIgnore: true*/ this.scheduleFile(id, "runs"), `${fireTime}.json`);
  }
  /** A fresh name in `schedules/.staging`, `.trash`, or `webhooks/.trash` for a folder of `label` (a validated id). */
  schedulesScratch(area: "staging" | "trash" | "webhook-trash", label: string, unique: string): string {
    const base = area === "webhook-trash" ? this.webhooksDir : this.schedulesDir;
    const folder = path.join(/*turbopackIgnore: true*/ base, area === "staging" ? ".staging" : ".trash");
    return this.#within(base, path.join(/*turbopackIgnore: true*/ folder, `${label}.${unique}`));
  }
  deliveryDir(id: string): string {
    assertDeliveryId(id);
    return this.#within(this.webhooksDir, path.join(/*turbopackIgnore: true*/ this.webhooksDir, id));
  }
  /** A file of a delivery's folder: `delivery.json`, `claim-<n>-<g>.json`, `attempt-<n>.json`. */
  deliveryFile(id: string, file: string): string {
    if (!/^(?:delivery|claim-\d{1,6}-\d{1,9}|attempt-\d{1,6})\.json$/.test(file)) {
      throw new AppError("invalid_request", "Not a delivery file.");
    }
    return path.join(/*turbopackIgnore: true*/ this.deliveryDir(id), file);
  }
  get pendingDeliveriesDir(): string {
    return path.join(/*turbopackIgnore: true*/ this.webhooksDir, ".pending");
  }
  pendingMarker(id: string): string {
    assertDeliveryId(id);
    return path.join(/*turbopackIgnore: true*/ this.pendingDeliveriesDir, id);
  }
  taskDeliveriesDir(taskId: string): string {
    assertTaskIdOf(taskId);
    return path.join(/*turbopackIgnore: true*/ this.webhooksDir, ".tasks", taskId);
  }
  taskDeliveryMarker(taskId: string, id: string): string {
    assertDeliveryId(id);
    return path.join(/*turbopackIgnore: true*/ this.taskDeliveriesDir(taskId), id);
  }

  /** A task's webhook subscriptions: one file per run and URL (`<run>-<hash of the URL>`, the URL inside). */
  subscriptionsDir(taskId: string): string {
    assertTaskIdOf(taskId);
    return path.join(/*turbopackIgnore: true*/ this.webhooksDir, ".subscriptions", taskId);
  }
  subscriptionFile(taskId: string, run: number, urlHash: string): string {
    if (!Number.isSafeInteger(run) || run < 1 || !/^[0-9a-f]{32}$/.test(urlHash)) {
      throw new AppError("invalid_request", "Not a subscription.");
    }
    return path.join(/*turbopackIgnore: true*/ this.subscriptionsDir(taskId), `${run}-${urlHash}`);
  }

  /** Defence in depth behind the id checks: a path that resolves outside `base` is a bug, refused before any disk access. */
  #within(base: string, target: string): string {
    const relative = path.relative(base, target);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new AppError("invalid_request", "Not a path inside the storage folder.");
    }
    return target;
  }

  /**
   * Defence in depth behind the name and id checks: a collection path that
   * resolves outside `collections/` is a bug, refused before any disk access.
   */
  #inside(target: string): string {
    const relative = path.relative(this.collectionsDir, target);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new AppError("invalid_request", "Not a path inside the collections folder.");
    }
    return target;
  }
}

/** The files of a document's folder. */
export type DocumentFile = "document.json" | "original" | "text.json";

/** Per-epoch files of a task folder, with the epoch they belong to. */
const EPOCH_FILE = /^(?:epoch-(\d+)\.json|log-(\d+)\.ndjson|beat-(\d+)\.json|released-(\d+)|synced-(\d+))$/;

/** The epoch a file of a task's folder belongs to; null for a file of no epoch. */
export function epochOfFile(name: string): number | null {
  const match = EPOCH_FILE.exec(name);
  return match ? Number(match.slice(1).find((group) => group !== undefined)) : null;
}
