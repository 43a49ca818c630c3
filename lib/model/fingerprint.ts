import objectHash from "object-hash";
import type { TaskRequest } from "./request";
import { TASK_ID_LENGTH } from "./task-json";

/**
 * Bump when the meaning of a normalized request changes, so old and new
 * requests never share a task. object-hash is pinned in package.json for the
 * same reason: a change in its output would split tasks during an upgrade.
 */
export const FINGERPRINT_SCHEMA_VERSION = 1;

/** The task id of a normalized request: sha256 of it and the schema version, cut to a fixed length. */
export function fingerprint(request: TaskRequest): string {
  const hash = objectHash(
    { schemaVersion: FINGERPRINT_SCHEMA_VERSION, request },
    { algorithm: "sha256", encoding: "hex", unorderedObjects: true, respectType: false },
  );
  return hash.slice(0, TASK_ID_LENGTH);
}
