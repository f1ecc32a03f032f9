import { describe, expect, test } from "vitest";
import { linkify, richText, safeHref } from "./linkify.js";

describe("linkify", () => {
  test("plain text stays one segment", () => {
    expect(linkify("see you at 10:30.")).toEqual([{ kind: "text", text: "see you at 10:30." }]);
    expect(linkify("")).toEqual([]);
  });

  test("http and https links, trailing punctuation left out", () => {
    expect(linkify("look: https://example.org/a?b=1#c, then http://x.test.")).toEqual([
      { kind: "text", text: "look: " },
      { kind: "link", text: "https://example.org/a?b=1#c", href: "https://example.org/a?b=1#c" },
      { kind: "text", text: ", then " },
      { kind: "link", text: "http://x.test", href: "http://x.test/" },
      { kind: "text", text: "." },
    ]);
  });

  test("parentheses: balanced ones stay in the URL, a closing one around it does not", () => {
    expect(linkify("(see https://en.wikipedia.org/wiki/Foo_(bar))")).toEqual([
      { kind: "text", text: "(see " },
      { kind: "link", text: "https://en.wikipedia.org/wiki/Foo_(bar)", href: "https://en.wikipedia.org/wiki/Foo_(bar)" },
      { kind: "text", text: ")" },
    ]);
  });

  test("other schemes are never links", () => {
    for (const text of ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "ftp://x.test", "mailto:a@b.c"])
      expect(linkify(text)).toEqual([{ kind: "text", text }]);
    expect(safeHref("javascript:alert(1)")).toBeUndefined();
    expect(safeHref("https://ok.test")).toBe("https://ok.test/");
  });

  test("a scheme alone is not a link", () => {
    expect(linkify("https:// nothing")).toEqual([{ kind: "text", text: "https:// nothing" }]);
  });
});

describe("mentions", () => {
  test("@Name of a mentioned person is a mention segment; longest name wins; links kept", () => {
    expect(richText("hi @Al and @Alice Smith, https://x.test", ["Al", "Alice Smith"])).toEqual([
      { kind: "text", text: "hi " },
      { kind: "mention", text: "@Al" },
      { kind: "text", text: " and " },
      { kind: "mention", text: "@Alice Smith" },
      { kind: "text", text: ", " },
      { kind: "link", text: "https://x.test", href: "https://x.test/" },
    ]);
  });

  test("names with regex characters are matched literally; no names → links only", () => {
    expect(richText("@a.b and @axb", ["a.b"])).toEqual([
      { kind: "mention", text: "@a.b" },
      { kind: "text", text: " and @axb" },
    ]);
    expect(richText("@x", [])).toEqual([{ kind: "text", text: "@x" }]);
  });
});
