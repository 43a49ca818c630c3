/**
 * The typed client of the Fathom HTTP API (docs/ARCHITECTURE.md, "Layers"):
 * used by the browser's pages (app/components) and the command line (cli/).
 */
export { ApiError, type ErrorMessages, readApiError, sentence } from "./api-error";
export type { StreamConnection, StreamItem, StreamOptions } from "./event-stream";
export {
  createFathomClient,
  type ExportFile,
  FathomClient,
  type FathomClientOptions,
  type ListTasksOptions,
} from "./fathom-client";
