import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { CorpusSource } from "./corpus-document";

/**
 * A cheap identity of a corpus's content: a hash of every file's relative
 * name, size and modification time, plus `version` (bumped when the way
 * passages are cut or indexed changes). Any added, removed or edited file
 * changes it, and with it the cached index is rebuilt.
 */
export async function corpusFingerprint(corpus: CorpusSource, version: string): Promise<string> {
  const hash = createHash("sha256").update(`${version}\n${corpus.kind}\n`);
  const files = await corpus.listFiles();
  const infos = await Promise.all(files.map((file) => stat(path.join(corpus.directory, file))));
  files.forEach((file, index) => {
    const info = infos[index]!;
    hash.update(`${file}\0${info.size}\0${Math.trunc(info.mtimeMs)}\n`);
  });
  return hash.digest("hex");
}
