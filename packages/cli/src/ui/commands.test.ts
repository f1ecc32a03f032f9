import { describe, expect, test } from "vitest";
import { parseCommand, parseHandle } from "./commands.js";

const command = (line: string) => {
  const parsed = parseCommand(line);
  if (!parsed?.ok) throw new Error(`expected a command from ${line}: ${JSON.stringify(parsed)}`);
  return parsed.command;
};
const error = (line: string) => {
  const parsed = parseCommand(line);
  if (!parsed || parsed.ok) throw new Error(`expected an error from ${line}`);
  return parsed.error;
};

describe("parseCommand", () => {
  test("an empty line is nothing; plain text is a message; // escapes a leading slash", () => {
    expect(parseCommand("   ")).toBeNull();
    expect(command(" hello ")).toEqual({ kind: "text", text: "hello" });
    expect(command("//not a command")).toEqual({ kind: "text", text: "/not a command" });
  });

  test("/msg takes a handle with or without @ and an optional text", () => {
    expect(command("/msg @Bob_1 hi there")).toEqual({ kind: "msg", handle: "bob_1", text: "hi there" });
    expect(command("/msg bob")).toEqual({ kind: "msg", handle: "bob", text: "" });
    expect(error("/msg")).toMatch(/Usage: \/msg/);
    expect(error("/msg @1bob hi")).toMatch(/Usage/);
  });

  test("/reply, /edit take a message number or default to the last", () => {
    expect(command("/reply 3 sure")).toEqual({ kind: "reply", ref: 3, text: "sure" });
    expect(command("/reply sure thing")).toEqual({ kind: "reply", ref: "last", text: "sure thing" });
    expect(command("/edit 2 fixed typo")).toEqual({ kind: "edit", ref: 2, text: "fixed typo" });
    expect(error("/reply 3")).toMatch(/Usage: \/reply/);
    expect(error("/reply 0 x")).toMatch(/Usage/);
    expect(error("/edit")).toMatch(/Usage: \/edit/);
  });

  test("/react takes one emoji or shortcode", () => {
    expect(command("/react 4 :+1:")).toEqual({ kind: "react", ref: 4, emoji: ":+1:" });
    expect(command("/react 🎉")).toEqual({ kind: "react", ref: "last", emoji: "🎉" });
    expect(error("/react 4 two words")).toMatch(/Usage/);
    expect(error("/react")).toMatch(/Usage/);
  });

  test("/delete and /save: optional number; /save an optional folder", () => {
    expect(command("/delete")).toEqual({ kind: "delete", ref: "last" });
    expect(command("/delete 7")).toEqual({ kind: "delete", ref: 7 });
    expect(error("/delete 7 8")).toMatch(/Usage/);
    expect(error("/delete x")).toMatch(/Usage/);
    expect(command("/save")).toEqual({ kind: "save", ref: "last" });
    expect(command("/save 5")).toEqual({ kind: "save", ref: 5 });
    expect(command("/save 5 ~/Downloads/in box")).toEqual({ kind: "save", ref: 5, dir: "~/Downloads/in box" });
  });

  test("/file takes a path (quotes removed)", () => {
    expect(command("/file ./a b.txt")).toEqual({ kind: "file", path: "./a b.txt" });
    expect(command('/file "/tmp/x y.png"')).toEqual({ kind: "file", path: "/tmp/x y.png" });
    expect(error("/file")).toMatch(/Usage: \/file/);
  });

  test("/group subcommands", () => {
    expect(command("/group create Weekend trip @ana @bob")).toEqual({
      kind: "group",
      group: { op: "create", name: "Weekend trip", members: ["ana", "bob"] },
    });
    expect(error("/group create @ana")).toMatch(/Usage: \/group/);
    expect(error("/group create Trip")).toMatch(/Usage/);
    expect(command("/group add @ana")).toEqual({ kind: "group", group: { op: "add", member: "ana" } });
    expect(command("/group remove ana")).toEqual({ kind: "group", group: { op: "remove", member: "ana" } });
    expect(command("/group promote @ana")).toEqual({ kind: "group", group: { op: "promote", member: "ana" } });
    expect(command("/group demote @ana")).toEqual({ kind: "group", group: { op: "demote", member: "ana" } });
    expect(command("/group leave")).toEqual({ kind: "group", group: { op: "leave" } });
    expect(command("/group info")).toEqual({ kind: "group", group: { op: "info" } });
    expect(command("/group rename Ski week")).toEqual({ kind: "group", group: { op: "rename", name: "Ski week" } });
    expect(error("/group add")).toMatch(/Usage/);
    expect(error("/group leave now")).toMatch(/Usage/);
    expect(error("/group")).toMatch(/Usage/);
  });

  test("commands without arguments refuse arguments", () => {
    for (const name of ["verify", "accept", "devices", "help", "quit"]) {
      expect(command(`/${name}`)).toEqual({ kind: name });
      expect(error(`/${name} x`)).toMatch(/Usage/);
    }
    expect(command("/exit")).toEqual({ kind: "quit" });
  });

  test("/link, /unlink, /settings", () => {
    expect(command("/link")).toEqual({ kind: "link" });
    expect(command("/link AbC123_-")).toEqual({ kind: "link", request: "AbC123_-" });
    expect(command("/link confirm 12345 67890")).toEqual({ kind: "link", confirm: "1234567890" });
    expect(command("/unlink 2")).toEqual({ kind: "unlink", device: 2 });
    expect(error("/unlink two")).toMatch(/Usage: \/unlink/);
    expect(command("/settings")).toEqual({ kind: "settings" });
    expect(command("/settings Receipts")).toEqual({ kind: "settings", toggle: "receipts" });
    expect(error("/settings colour")).toMatch(/Usage/);
  });

  test("an unknown command says so", () => {
    expect(error("/frobnicate")).toBe("Unknown command /frobnicate. Type /help for the list.");
  });
});

describe("parseHandle", () => {
  test("handles are 3 to 32 characters, starting with a letter (limits at N and N+1)", () => {
    expect(parseHandle("ab")).toBeUndefined();
    expect(parseHandle("abc")).toBe("abc");
    expect(parseHandle(`a${"b".repeat(31)}`)).toHaveLength(32);
    expect(parseHandle(`a${"b".repeat(32)}`)).toBeUndefined();
    expect(parseHandle("@_ab")).toBeUndefined();
  });
});
