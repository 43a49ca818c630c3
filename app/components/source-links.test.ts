import { describe, expect, it } from "vitest";
import { collectionSourceHref } from "./source-links";

const id = "0123456789abcdef0123456789abcdef";

describe("collectionSourceHref", () => {
  it("links a collection's document at the cited page with the start of its passage", () => {
    const href = collectionSourceHref({
      documentRef: `collection:my-papers/${id}`,
      page: 3,
      passages: ["The lighthouse keeper\n recorded forty-two storms & more."],
    });
    const url = new URL(href!, "http://x");
    expect(url.pathname).toBe(`/collections/my-papers/documents/${id}`);
    expect(url.searchParams.get("page")).toBe("3");
    expect(url.searchParams.get("passage")).toBe("The lighthouse keeper recorded forty-two storms & more.");
  });

  it("links the document alone without page or passage", () => {
    expect(collectionSourceHref({ documentRef: `collection:notes/${id}` })).toBe(
      `/collections/notes/documents/${id}`,
    );
  });

  it("has nothing for web pages and built-in documents", () => {
    expect(collectionSourceHref({})).toBeUndefined();
    expect(collectionSourceHref({ documentRef: "sotu/1861-lincoln", page: 2 })).toBeUndefined();
  });
});
