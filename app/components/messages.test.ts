import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import en from "../../messages/en.json";
import zh from "../../messages/zh-CN.json";
import { locales, negotiateLocale } from "./locales";

type Tree = { [key: string]: string | Tree };

/** Every message as `namespace.key` → text. */
function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [inner, text] of flatten(value, path)) out.set(inner, text);
  }
  return out;
}

/** The arguments and rich-text tags a message uses (`{name}`, `{count, plural, …}`, `<kbd>`). */
function argumentsOf(message: string): string[] {
  const names = new Set<string>();
  const visit = (elements: unknown[]) => {
    for (const element of elements as {
      type: number;
      value?: string;
      options?: object;
      children?: unknown[];
    }[]) {
      // Types of intl-messageformat's parser: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag.
      if ([1, 2, 3, 4, 5, 6, 8].includes(element.type) && element.value) names.add(element.value);
      if (element.options)
        for (const option of Object.values(element.options) as { value: unknown[] }[]) visit(option.value);
      if (element.children) visit(element.children);
    }
  };
  visit(new IntlMessageFormat(message, "en").getAst() as unknown[]);
  return [...names].sort();
}

const english = flatten(en as Tree);
const chinese = flatten(zh as Tree);

describe("the UI's messages", () => {
  it("has the same keys in English and Chinese", () => {
    expect([...chinese.keys()].sort()).toEqual([...english.keys()].sort());
    expect(english.size).toBeGreaterThan(100);
  });

  it("uses the same placeholders and tags in both languages, and every message parses", () => {
    for (const [key, text] of english) {
      const other = chinese.get(key) ?? "";
      expect(argumentsOf(other), `${key}: ${other}`).toEqual(argumentsOf(text));
    }
  });

  it("leaves no Chinese message untranslated but brand names and symbols", () => {
    const same = [...english].filter(([key, text]) => chinese.get(key) === text && /[a-z]{4,}/.test(text));
    // "{page} · Fathom" and "Webhook" (the word Chinese pages use too) are the same in both.
    expect(same.map(([key]) => key)).toEqual(["layout.titleTemplate", "schedules.webhook"]);
  });
});

describe("negotiateLocale", () => {
  it("picks the first language of Accept-Language the UI has, by quality", () => {
    expect(locales).toEqual(["en", "zh-CN"]);
    expect(negotiateLocale("zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
    expect(negotiateLocale("zh-TW")).toBe("zh-CN");
    expect(negotiateLocale("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4")).toBe("zh-CN");
    expect(negotiateLocale("en;q=0.5, zh-Hans;q=0.8")).toBe("zh-CN");
    expect(negotiateLocale("en-GB,zh;q=0.1")).toBe("en");
    expect(negotiateLocale("zh;q=0, en")).toBe("en");
    expect(negotiateLocale("fr, de")).toBe("en");
    expect(negotiateLocale("*")).toBe("en");
    expect(negotiateLocale("")).toBe("en");
    expect(negotiateLocale(null)).toBe("en");
  });
});
