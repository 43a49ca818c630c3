import type { TaskStore } from "../types";

/** How a store contract suite (collections, schedules) gets its stores. */
export interface StoreHarness {
  /** A store on the data of `shared`: two calls with one key are two processes on one volume or Redis. */
  create(shared: string): Promise<TaskStore>;
  /**
   * Everything stored anywhere the store could write (file names around and
   * under the root, Redis keys, the memory volume), to check that a refused
   * call wrote nothing.
   */
  footprint(shared: string): Promise<string[]>;
  cleanup?(): Promise<void>;
}
