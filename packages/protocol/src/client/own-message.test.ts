import { describe, expect, test } from "vitest";
import type { Content } from "../content/content.js";
import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import { ownAction, ownMessage } from "./own-message.js";

const ctx = { me: "aa", local: { device: { deviceId: 2 } }, arrivalTime: () => 50 } as unknown as ClientContext;
const content = (body: Record<string, unknown>): Content => ({ id: new Uint8Array(16).fill(1), sentAt: 40, ...body }) as Content;
/** A member's message as we received it (the first test pins ownMessage's fields). */
const bobs: ChatMessage = {
  ...ownMessage(ctx, content({ kind: "text", text: "hi" }), "group:x", { kind: "text", text: "hi" }, "contact"),
  sender: "bb",
  outgoing: false,
  status: "received",
};

describe("own messages", () => {
  test("a sent message is ours, pending, with no reactions; only a group message keeps member receipts", () => {
    const text = content({ kind: "text", text: "hello" });
    const direct = ownMessage(ctx, text, "c1", { kind: "text", text: "hello" }, "contact");
    expect(direct).toEqual({
      id: "01".repeat(16),
      contactId: "c1",
      sender: "aa",
      senderDevice: 2,
      outgoing: true,
      kind: "text",
      text: "hello",
      sentAt: 40,
      receivedAt: 50,
      deleted: false,
      reactions: {},
      status: "pending",
    });
    expect("receipts" in direct).toBe(false);
    expect(ownMessage(ctx, text, "group:x", { kind: "text", text: "hello" }, "group").receipts).toEqual({});
  });

  test("our delete of another member's message changes nothing, unless it counts as the author's (an admin's)", () => {
    const remove = content({ kind: "delete", target: new Uint8Array(16) });
    expect(ownAction(remove, "aa")(bobs)).toBe(bobs);
    expect(ownAction(remove, "aa", (m) => m.sender)(bobs)).toMatchObject({ deleted: true, text: "" });
  });

  test("reactions are ours, edits apply to our own messages only, other kinds change nothing", () => {
    expect(ownAction(content({ kind: "reaction", target: new Uint8Array(16), emoji: "👍", remove: false }), "aa")(bobs).reactions).toEqual({
      "👍": ["aa"],
    });
    expect(ownAction(content({ kind: "edit", target: new Uint8Array(16), text: "forged" }), "aa")(bobs)).toBe(bobs);
    const mine = { ...bobs, sender: "aa" };
    expect(ownAction(content({ kind: "edit", target: new Uint8Array(16), text: "fixed" }), "aa")(mine)).toMatchObject({
      text: "fixed",
      editedAt: 40,
    });
    expect(ownAction(content({ kind: "text", text: "x" }), "aa")(bobs)).toBe(bobs);
  });
});
