import type { ChatMessage } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { resolveRef, safeFileName, UsageError } from "./actions.js";

function m(id: string, fields: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id,
    contactId: "@bob",
    sender: "b",
    senderDevice: 1,
    outgoing: false,
    kind: "text",
    text: id,
    sentAt: 0,
    receivedAt: 0,
    deleted: false,
    reactions: {},
    status: "received",
    ...fields,
  };
}

describe("resolveRef", () => {
  const list = [m("a", { outgoing: true }), m("b"), m("c", { deleted: true }), m("d", { kind: "notice" })];
  const byId = Object.fromEntries(list.map((x) => [x.id, x]));
  const ids = list.map((x) => x.id);

  test("N is the number shown (1-based); one past the end is refused", () => {
    expect(resolveRef(ids, byId, 1).id).toBe("a");
    expect(resolveRef(ids, byId, 4).id).toBe("d");
    expect(() => resolveRef(ids, byId, 5)).toThrow(UsageError);
  });

  test("the last skips notices and deleted messages, and honours what the command needs", () => {
    expect(resolveRef(ids, byId, "last").id).toBe("b");
    expect(resolveRef(ids, byId, "last", (x) => x.outgoing).id).toBe("a");
    expect(() => resolveRef(ids, byId, 2, (x) => x.outgoing)).toThrow("Message 2 cannot be used for that.");
    expect(() => resolveRef([], {}, "last")).toThrow("There is no such message here.");
  });
});

describe("safeFileName", () => {
  test("keeps only a base name without control characters", () => {
    expect(safeFileName("../../etc/passwd")).toBe("passwd");
    expect(safeFileName("..\\..\\boot.ini")).toBe("boot.ini");
    expect(safeFileName("evil\u001b[2Jname.txt")).toBe("evil[2Jname.txt");
    expect(safeFileName("..")).toBe("file");
    expect(safeFileName("")).toBe("file");
  });
});
