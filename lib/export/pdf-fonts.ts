import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { AppError } from "../errors";

/**
 * The fonts a PDF export embeds for text the standard fonts cannot draw
 * (docs/ARCHITECTURE.md, "Exports"): Noto Sans for Latin, Greek, Cyrillic
 * and Vietnamese, Noto Sans SC for Chinese (and Japanese kana and CJK
 * punctuation). Both ship with the app as npm packages (OFL-1.1), so an
 * export needs no network and no system font; the standalone server carries
 * the files through output tracing (next.config.js). pdfkit embeds only the
 * glyphs a document uses, so a Chinese report's PDF stays small although
 * the font files are large (about 10 MB each for Noto Sans SC).
 */
export type EmbeddedFace = "latin" | "latin-bold" | "latin-italic" | "cjk" | "cjk-bold";

const FILES: Record<EmbeddedFace, { package: string; file: string }> = {
  latin: { package: "@expo-google-fonts/noto-sans", file: "400Regular/NotoSans_400Regular.ttf" },
  "latin-bold": { package: "@expo-google-fonts/noto-sans", file: "700Bold/NotoSans_700Bold.ttf" },
  "latin-italic": {
    package: "@expo-google-fonts/noto-sans",
    file: "400Regular_Italic/NotoSans_400Regular_Italic.ttf",
  },
  cjk: { package: "@expo-google-fonts/noto-sans-sc", file: "400Regular/NotoSansSC_400Regular.ttf" },
  "cjk-bold": { package: "@expo-google-fonts/noto-sans-sc", file: "700Bold/NotoSansSC_700Bold.ttf" },
};

/**
 * A package's folder: under `node_modules` in the working directory (where
 * the standalone server's traced files are too), else wherever Node resolves
 * it from there. Not from this module's URL: bundled, that resolves to a
 * module number, not a path.
 */
function packageFolder(name: string): string {
  const local = path.join(process.cwd(), "node_modules", name);
  if (existsSync(path.join(local, "package.json"))) return local;
  try {
    return path.dirname(
      createRequire(path.join(process.cwd(), "package.json")).resolve(`${name}/package.json`),
    );
  } catch (error) {
    throw new AppError("internal", `The PDF font package ${name} is not installed`, { cause: error });
  }
}

/** Font files read once per process, and only when a PDF first needs them. */
const loaded = new Map<EmbeddedFace, Buffer>();

/** The bytes of an embedded face's font file (read once, then kept). */
export function embeddedFont(face: EmbeddedFace): Buffer {
  let bytes = loaded.get(face);
  if (bytes === undefined) {
    const { package: name, file } = FILES[face];
    const location = path.join(packageFolder(name), file);
    try {
      bytes = readFileSync(location);
    } catch (error) {
      throw new AppError("internal", `The PDF font file ${name}/${file} could not be read`, { cause: error });
    }
    loaded.set(face, bytes);
  }
  return bytes;
}

/**
 * Characters drawn with the Chinese font: Han ideographs, kana, bopomofo,
 * CJK symbols and punctuation, full-width forms. Everything else goes to
 * Noto Sans (which draws a placeholder box for a script neither font has,
 * such as Arabic or Hangul; the text stays extractable).
 */
const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u2e80-\u2fdf\u3000-\u303f\u31c0-\u31ef\u3200-\u33ff\ufe30-\ufe4f\uff00-\uffef]/u;

/** A piece of text and the family that draws it. */
export interface ScriptSegment {
  text: string;
  family: "latin" | "cjk";
}

/** Splits text into runs of one family each (in order; joined they are the text). */
export function scriptSegments(text: string): ScriptSegment[] {
  const segments: ScriptSegment[] = [];
  for (const character of text) {
    const family = CJK.test(character) ? "cjk" : "latin";
    const last = segments.at(-1);
    // A space between two Chinese runs stays with them (no font switch for it).
    if (last && (last.family === family || (character === " " && last.family === "cjk")))
      last.text += character;
    else segments.push({ text: character, family });
  }
  return segments;
}
