// Onboarding's lifecycle: quitting (Ctrl+C) while the profile is still opening closes the client
// that finishes opening afterwards instead of leaving it open behind an ended screen.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { render } from "ink-testing-library";
import { afterEach, expect, test, vi } from "vitest";
import { Onboarding } from "./Onboarding.js";

const tick = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));
let home: string | undefined;
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

test("Ctrl+C while 'Opening…' closes the client once it has opened; the chat never gets it", async () => {
  home = mkdtempSync(join(tmpdir(), "parley-onboarding-"));
  const options = { profile: "default", home, relay: "ws://127.0.0.1:9" };
  mkdirSync(join(home, "profiles", "default", "store"), { recursive: true }); // an existing profile: unlock, not sign-up
  let finishOpening: (client: ParleyClient) => void = () => {};
  const opening = new Promise<ParleyClient>((resolve) => {
    finishOpening = resolve;
  });
  const onReady = vi.fn();
  const onQuit = vi.fn();
  const view = render(<Onboarding options={options} passphrase="secret" opening={opening} onReady={onReady} onQuit={onQuit} />);
  await tick();
  expect(view.lastFrame()).toContain("Opening…");
  view.stdin.write("\x03");
  await tick();
  expect(onQuit).toHaveBeenCalledWith(130);
  // A real client (MemoryStore, never dialled) finishes opening after the user quit.
  const client = await ParleyClient.create({ relayUrl: options.relay, store: new MemoryStore(), displayName: "Alice" });
  const close = vi.spyOn(client, "close");
  finishOpening(client);
  await tick();
  expect(close).toHaveBeenCalled();
  expect(onReady).not.toHaveBeenCalled();
  view.unmount();
});
