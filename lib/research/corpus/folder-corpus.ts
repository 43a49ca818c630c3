import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { extractMainText } from "../web/extract-main-text";
import type { CorpusDocument, CorpusSource } from "./corpus-document";

/** File extensions a corpus folder may hold. */
export const CORPUS_EXTENSIONS = [".txt", ".md", ".markdown", ".html", ".htm", ".json"] as const;

const jsonDocumentSchema = z
  .object({
    title: z.string().optional(),
    url: z.string().optional(),
    text: z.string().optional(),
    content: z.string().optional(),
    body: z.string().optional(),
  })
  .refine((value) => (value.text ?? value.content ?? value.body) !== undefined, {
    message: "expected a text, content or body field",
  });
const jsonFileSchema = z.union([jsonDocumentSchema, z.array(jsonDocumentSchema)]);

/**
 * A folder of documents (searched recursively; hidden files skipped):
 * `.txt` and `.md` as text (a Markdown file's first `# heading` is its
 * title), `.html` through the same main-text extraction as web pages, and
 * `.json` holding `{title?, url?, text|content|body}` or an array of them.
 * A file that cannot be parsed is skipped with a warning rather than failing
 * every search.
 */
export function createFolderCorpus(
  directory: string,
  warn: (message: string) => void = console.warn,
): CorpusSource {
  const root = path.resolve(directory);
  const listFiles = async () => {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
      .filter((relative) => !relative.split(path.sep).some((part) => part.startsWith(".")))
      .filter((relative) =>
        (CORPUS_EXTENSIONS as readonly string[]).includes(path.extname(relative).toLowerCase()),
      )
      .sort();
  };
  return {
    kind: "folder",
    directory: root,
    listFiles,
    async loadDocuments() {
      const documents: CorpusDocument[] = [];
      for (const relative of await listFiles()) {
        const raw = await readFile(path.join(root, relative), "utf8");
        const ref = `doc:${relative.split(path.sep).join("/")}`;
        try {
          documents.push(...parseCorpusFile(relative, raw, ref));
        } catch (error) {
          warn(`Skipping corpus file ${relative}: ${(error as Error).message}`);
        }
      }
      return documents;
    },
  };
}

/** Turns one file's content into documents, by extension. */
export function parseCorpusFile(relative: string, raw: string, ref: string): CorpusDocument[] {
  const extension = path.extname(relative).toLowerCase();
  const fallbackTitle = titleFromFileName(relative);
  switch (extension) {
    case ".json": {
      const parsed = jsonFileSchema.parse(JSON.parse(raw));
      const items = Array.isArray(parsed) ? parsed : [parsed];
      return items.map((item, index) => ({
        ref: items.length > 1 ? `${ref}#${index + 1}` : ref,
        title: item.title?.trim() || (items.length > 1 ? `${fallbackTitle} (${index + 1})` : fallbackTitle),
        ...(item.url ? { url: item.url } : {}),
        text: item.text ?? item.content ?? item.body ?? "",
      }));
    }
    case ".html":
    case ".htm": {
      const extracted = extractMainText(raw);
      return [{ ref, title: extracted.title || fallbackTitle, text: extracted.text }];
    }
    case ".md":
    case ".markdown": {
      const heading = /^#\s+(.+)$/m.exec(raw)?.[1]?.trim();
      return [{ ref, title: heading || fallbackTitle, text: raw }];
    }
    default:
      return [{ ref, title: fallbackTitle, text: raw }];
  }
}

function titleFromFileName(relative: string): string {
  const base = path.basename(relative, path.extname(relative)).replace(/[-_]+/g, " ").trim();
  return base === "" ? relative : base.charAt(0).toUpperCase() + base.slice(1);
}
