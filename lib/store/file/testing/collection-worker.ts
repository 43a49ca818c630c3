import { createInterface } from "node:readline";
import { documentIdOf } from "../../collections/collection-records";
import { FileTaskStore } from "../file-store";

/**
 * One "container" of the multi-process collection test: opens the store on
 * the root it is given, says `ready`, and on `go` creates the collection
 * `shared` and puts the one document every worker puts (the same bytes),
 * then prints what it got and exits.
 *
 *   node --import tsx collection-worker.ts <root> <worker name>
 */
const [root, worker] = process.argv.slice(2);
if (!root || !worker) throw new Error("usage: collection-worker.ts <root> <worker name>");

async function main(root: string, worker: string): Promise<void> {
  const original = new Uint8Array(1024 * 1024).map((_, index) => (index * 7 + (index >> 10)) & 0xff);
  const store = new FileTaskStore({ root, leaseTtlMs: 1000, pollMs: 50 });
  const lines = createInterface({ input: process.stdin });
  process.stdout.write("ready\n");
  for await (const line of lines) {
    if (line !== "go") continue;
    const now = new Date().toISOString();
    const collection = await store.collections.createCollection({
      name: "shared",
      description: `by ${worker}`,
      createdAt: now,
    });
    const document = await store.collections.putDocument(
      {
        id: documentIdOf(original),
        collection: "shared",
        title: `put by ${worker}`,
        filename: "same.pdf",
        type: null,
        mediaType: null,
        bytes: original.byteLength,
        pages: null,
        characters: null,
        passages: null,
        status: "queued",
        error: null,
        job: worker,
        createdAt: now,
        indexedAt: null,
      },
      original,
    );
    process.stdout.write(
      `${JSON.stringify({ collection: collection.created, document: document.created, title: document.document.title })}\n`,
    );
    break;
  }
  lines.close();
  await store.close();
}

main(root, worker).catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
