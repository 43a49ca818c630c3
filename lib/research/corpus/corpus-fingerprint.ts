import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { CorpusSource } from "./corpus-document";

/**
 * A cheap identity of a corpus's content: a hash of every file's relative
 * name, size and modification time, plus `version` (bumped when the way
 * passages are cut or indexed changes). Any added, removed or edited file
 * changes it, and with it the cached index is rebuilt.
 *
 * A corpus with a `contentVersion` (the built-in one: its package's
 * version) is identified by it and its file names instead: no file is
 * read, and the fingerprint stays the same when the files are copied (their
 * times change), as they are into the app at build time.
 */
export async function corpusFingerprint(corpus: CorpusSource, version: string): Promise<string> {
  const hash = createHash("sha256").update(`${version}\n${corpus.kind}\n`);
  const files = await corpus.listFiles();
  const contentVersion = await corpus.contentVersion?.();
  if (contentVersion !== undefined) {
    hash.update(`version\0${contentVersion}\n`);
    for (const file of files) hash.update(`${file}\n`);
    return hash.digest("hex");
  }
  const infos = await Promise.all(files.map((file) => stat(path.join(corpus.directory, file))));
  files.forEach((file, index) => {
    const info = infos[index]!;
    hash.update(`${file}\0${info.size}\0${Math.trunc(info.mtimeMs)}\n`);
  });
  return hash.digest("hex");
}
