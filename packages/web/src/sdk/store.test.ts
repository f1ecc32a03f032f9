import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { ParleyStore } from "./store.js";

describe("ParleyStore", () => {
  test("whenShellShown waits for the shell's first paint, runs each callback once, and runs later ones at once", () => {
    const view = new ParleyStore();
    const ran: string[] = [];
    view.whenShellShown(() => ran.push("a"));
    view.whenShellShown(() => ran.push("b"));
    expect(ran).toEqual([]);
    view.shellShown();
    expect(ran).toEqual(["a", "b"]);
    view.shellShown(); // StrictMode runs the shell's effect twice
    expect(ran).toEqual(["a", "b"]);
    view.whenShellShown(() => ran.push("c"));
    expect(ran).toEqual(["a", "b", "c"]);
  });

  test("attach reads contacts, groups and the conversation list of a real client in one go, without connecting it", async () => {
    const client = await ParleyClient.create({ relayUrl: "ws://127.0.0.1:9", store: new MemoryStore(), displayName: "Ann" });
    try {
      const view = new ParleyStore();
      await view.attach(client);
      const s = view.getSnapshot();
      expect(s.me?.displayName).toBe("Ann");
      expect(s.conversations).toEqual([]);
      expect(s.contactsById).toEqual({});
      expect(s.groupsById).toEqual({});
      expect(client.connectionState).not.toBe("ready");
    } finally {
      await client.close();
    }
  });
});
