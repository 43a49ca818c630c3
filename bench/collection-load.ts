/**
 * A fresh process's first use of a collection's index: run by the
 * collections bench as a child process, so that the figure is not that of
 * a process whose heap already holds other large indexes.
 *
 *   tsx bench/collection-load.ts <TASK_STORAGE_DIR> <collection> <query>...
 *
 * Prints `{ ms, size, results }` as JSON: the time `CollectionIndexes.get`
 * took (snapshot load, when there is one in the cache directory, and sync),
 * and the hits of each query.
 */
import { parseConfig } from "../lib/config";
import { silentLogger } from "../lib/log";
import { CollectionIndexes } from "../lib/research/corpus/collection-indexes";
import { createStore } from "../lib/store/create-store";

async function main(): Promise<void> {
  const [storageDir, collection, ...queries] = process.argv.slice(2);
  if (!storageDir || !collection)
    throw new Error("usage: collection-load.ts <TASK_STORAGE_DIR> <collection> <query>...");
  const config = parseConfig({ TASK_STORAGE_DIR: storageDir });
  const store = await createStore(config, silentLogger);
  const warnings: string[] = [];
  const indexes = new CollectionIndexes(store.collections, {
    cacheDir: config.cacheDir,
    warn: (message) => warnings.push(message),
  });
  const started = performance.now();
  const index = await indexes.get(collection);
  const ms = performance.now() - started;
  const results = queries.map((query) => index.search(query, 100));
  const output = `${JSON.stringify({ ms, size: index.size, warnings, results })}\n`;
  // Exit once the output is out (a pipe is written asynchronously).
  await new Promise<void>((resolve) => process.stdout.write(output, () => resolve()));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
