// Calls through a real TURN server: a private coturn (support/coturn.ts, `use-auth-secret`) and
// a relay handing out its time-limited credentials (--turn-url, --turn-secret, --turn-ttl 20s).
// - Credentials from the SDK (a Node ParleyClient) are accepted by coturn: two relay-only
//   RTCPeerConnections in Chromium connect over a relay/relay candidate pair.
// - coturn really checks the HMAC scheme: a wrong secret, an expired username and a username
//   changed after signing get 401 and no relay candidate (a well-made one gets one).
// - The web client's "Relay calls through the server" setting (screenshots at phone and desktop
//   sizes in test-output/web/settings/): a video call between two web users uses relay
//   candidates only and both decode video; the call outlives the credentials' lifetime and
//   stays connected, its peer connections get new credentials before the old ones expire (and
//   those authenticate, the old ones no longer do), and a call started after that uses new
//   credentials that coturn accepts.
// - With the setting on and no TURN server on the relay, Settings and the call say so.
import { createHmac } from "node:crypto";
import type { ParleyClient } from "@parley/protocol/client";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { launchChromium, skipWithoutChromium } from "../support/chromium.js";
import { newClient } from "../support/clients.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { type Coturn, skipWithoutCoturn, startCoturn } from "./support/coturn.js";
import { expectDecoding } from "./support/video.js";
import { checkA11y, DESKTOP, PHONE, shot, signUp, startChat, startWebRelay, useWebSetup } from "./support/web.js";

/** Fake camera and microphone, auto-allowed; loopback candidates (this file runs in a loopback-only namespace). */
const MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection"];
/** The relay's TURN credential lifetime in this file (the relay's minimum is 10 s). */
const TTL_S = 20;

const skip = skipWithoutChromium || skipWithoutCoturn;
let coturn: Coturn | undefined;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  if (skip) return;
  coturn = await startCoturn();
});
afterAll(async () => {
  await coturn?.stop();
});

const web = useWebSetup({
  // Without turnserver (outside CI) the tests skip; the relay then starts without TURN.
  relay: () =>
    skip
      ? startWebRelay()
      : startWebRelay(["--turn-url", turnServer().url, "--turn-secret", turnServer().secret, "--turn-ttl", `${TTL_S}s`]),
  browser: () => launchChromium(MEDIA_FLAGS),
  teardown: () => Promise.all(clients.map((c) => c.close())),
});

function turnServer(): Coturn {
  if (!coturn) throw new Error("coturn has not started");
  return coturn;
}

/** A TURN test: skipped where Chromium or turnserver is missing outside CI, run (or failing) everywhere else. */
function turnTest(name: string, timeout: number, fn: () => Promise<void>): void {
  test.skipIf(skip)(name, { timeout }, async () => {
    try {
      await fn();
    } catch (error) {
      console.error(`coturn log (end):\n${turnServer().log().slice(-6000)}`);
      throw error;
    }
  });
}

interface Servers {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

/** The coturn credential for `username` under `secret`. */
function sign(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username).digest("base64");
}

// Page scripts are strings: this project's typecheck has no DOM types.

/**
 * In the page: two relay-only peer connections with `servers` and a data channel between them.
 * Resolves with both connection states, the selected pair's candidate types on each side and
 * the types of every candidate gathered (bounded: 20 s).
 */
function connectRelayPair(page: Page, servers: readonly Servers[]) {
  return page.evaluate(`(async () => {
    const cfg = { iceServers: ${JSON.stringify(servers)}, iceTransportPolicy: "relay" };
    const a = new RTCPeerConnection(cfg), b = new RTCPeerConnection(cfg);
    const gathered = [];
    a.onicecandidate = (e) => { if (e.candidate) { gathered.push(e.candidate.type); b.addIceCandidate(e.candidate); } };
    b.onicecandidate = (e) => { if (e.candidate) { gathered.push(e.candidate.type); a.addIceCandidate(e.candidate); } };
    const channel = a.createDataChannel("probe");
    const received = new Promise((resolve) => { b.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(m.data); }; });
    channel.onopen = () => channel.send("through coturn");
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    const message = await Promise.race([received, new Promise((r) => setTimeout(() => r("timeout"), 20000))]);
    const pairTypes = async (pc) => {
      const stats = await pc.getStats();
      let pairId;
      stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
      const pair = pairId && stats.get(pairId);
      if (!pair) return "none";
      return stats.get(pair.localCandidateId).candidateType + "/" + stats.get(pair.remoteCandidateId).candidateType;
    };
    const result = { message, states: [a.connectionState, b.connectionState], pairs: [await pairTypes(a), await pairTypes(b)], gathered };
    a.close(); b.close();
    return result;
  })()`) as Promise<{ message: string; states: string[]; pairs: string[]; gathered: string[] }>;
}

/**
 * In the page: one relay-only peer connection gathers with `servers`. Resolves with the types of
 * the candidates it got and the ICE candidate errors (code and text) once gathering completes
 * (bounded: 15 s).
 */
function gatherRelay(page: Page, servers: readonly Servers[]) {
  return page.evaluate(`(async () => {
    const Native = window.__NativePC || RTCPeerConnection;
    const pc = new Native({ iceServers: ${JSON.stringify(servers)}, iceTransportPolicy: "relay" });
    const types = [], errors = [];
    let settle;
    const done = new Promise((resolve) => {
      settle = () => setTimeout(resolve, 1000);
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") resolve(); };
      setTimeout(resolve, 15000);
    });
    // A relay candidate or a refusal decides it: give the other a second to show up too.
    pc.onicecandidateerror = (e) => { errors.push({ code: e.errorCode, text: e.errorText }); settle(); };
    pc.onicecandidate = (e) => { if (e.candidate) { types.push(e.candidate.type); settle(); } };
    pc.createDataChannel("probe");
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    pc.close();
    return { types, errors };
  })()`) as Promise<{ types: string[]; errors: { code: number; text: string }[] }>;
}

turnTest("credentials from the SDK are accepted by coturn: relay-only peers connect over relay/relay", 60_000, async () => {
  const turn = turnServer();
  const client = await newClient(web.relay.wsUrl, "Tess");
  clients.push(client);
  const { iceServers, expiresAt, refreshAt } = await client.iceServers();
  const entry = iceServers.find((s) => s.urls.includes(turn.url));
  expect(entry?.username).toMatch(/^\d+:[\w-]+$/);
  expect(Number(entry?.username?.split(":")[0]) * 1000).toBe(expiresAt);
  expect((expiresAt ?? 0) - Date.now()).toBeGreaterThan((TTL_S - 2) * 1000);
  expect(refreshAt).toBeLessThan(expiresAt ?? 0);
  // Cached: the same credentials until the refresh time.
  expect((await client.iceServers()).iceServers).toEqual(iceServers);

  const page = await (await web.browser.newContext()).newPage();
  const result = await connectRelayPair(page, iceServers);
  expect(result.message).toBe("through coturn");
  expect(result.states).toEqual(["connected", "connected"]);
  expect(result.pairs).toEqual(["relay/relay", "relay/relay"]);
  expect(result.gathered.length).toBeGreaterThan(0);
  expect(new Set(result.gathered)).toEqual(new Set(["relay"]));
  // coturn saw this device's username and granted the allocation.
  expect(turn.log()).toContain(`user <${entry?.username}>: incoming packet ALLOCATE processed, success`);
  await page.context().close();
});

turnTest("coturn checks the HMAC scheme: wrong secret, expired or altered usernames get 401 and no relay candidate", 90_000, async () => {
  const turn = turnServer();
  const page = await (await web.browser.newContext()).newPage();
  const now = Math.floor(Date.now() / 1000);
  const valid = `${now + 3600}:probe`;
  const server = (username: string, credential: string): Servers[] => [{ urls: [turn.url], username, credential }];

  // A well-made credential (the relay's scheme, made here) gets a relay candidate: the checks below can fail.
  const good = await gatherRelay(page, server(valid, sign(turn.secret, valid)));
  expect(good.types).toContain("relay");
  expect(good.errors).toEqual([]);

  for (const [what, username, credential] of [
    ["wrong secret", valid, sign("not-the-secret", valid)],
    ["expired", `${now - 5}:probe`, sign(turn.secret, `${now - 5}:probe`)],
    ["username changed after signing", `${now + 7200}:probe`, sign(turn.secret, valid)],
  ] as const) {
    const refused = await gatherRelay(page, server(username, credential));
    expect(refused.types, what).toEqual([]);
    expect(
      refused.errors.map((e) => e.code),
      what,
    ).toContain(401);
  }
  await page.context().close();
});

/**
 * Records every RTCPeerConnection the app makes in window.__pcs (the constructor is the browser's
 * own), and each configuration change in window.__renewals (time and TURN username expiry).
 */
const RECORD_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const expiryOf = (c) => { const t = ((c && c.iceServers) || []).find((s) => s.username); return t ? Number(t.username.split(":")[0]) : 0; };
  window.__NativePC = Native;
  window.__pcs = [];
  window.__renewals = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); window.__pcs.push(this); }
    setConfiguration(c) {
      window.__renewals.push({ at: Date.now(), expiry: expiryOf(c) });
      return super.setConfiguration(c);
    }
  };
})()`;

interface PeerFacts {
  readonly state: string;
  readonly policy: string;
  /** The expiry (Unix seconds) in the TURN username the connection has now. */
  readonly expiry: number;
  readonly servers: Servers[];
  readonly pair: string;
  readonly localTypes: string[];
}

/** The app's newest peer connection: state, policy, TURN username expiry, selected pair and local candidate types. */
function newestPeer(page: Page): Promise<PeerFacts> {
  return page.evaluate(`(async () => {
    const pc = window.__pcs[window.__pcs.length - 1];
    const config = pc.getConfiguration();
    const turn = (config.iceServers || []).find((s) => s.username);
    const stats = await pc.getStats();
    let pairId;
    const localTypes = [];
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      if (s.type === "local-candidate") localTypes.push(s.candidateType);
    });
    const pair = pairId && stats.get(pairId);
    return {
      state: pc.connectionState,
      policy: config.iceTransportPolicy,
      expiry: turn ? Number(turn.username.split(":")[0]) : 0,
      servers: config.iceServers,
      pair: pair ? stats.get(pair.localCandidateId).candidateType + "/" + stats.get(pair.remoteCandidateId).candidateType : "none",
      localTypes,
    };
  })()`);
}

/** Scrolls Settings so the Privacy heading is at the top, below the sticky header. */
async function showPrivacy(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const heading = document.getElementById("settings-privacy");
    heading.scrollIntoView({ block: "start" });
    let scroller = heading.parentElement;
    while (scroller && getComputedStyle(scroller).overflowY !== "auto") scroller = scroller.parentElement;
    if (scroller) scroller.scrollTop -= 110;
  })()`);
}

/** Turns "Relay calls through the server" on in Settings; returns to the conversations. */
async function turnOnRelayCalls(page: Page, screenshots: boolean): Promise<void> {
  await page.getByRole("link", { name: "Settings" }).first().click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor({ timeout: 30_000 });
  const toggle = page.getByRole("checkbox", { name: "Relay calls through the server" });
  expect(await toggle.isChecked()).toBe(false);
  expect(await toggle.getAttribute("aria-describedby")).toBe("privacy-relayCalls-hint");
  // Keyboard: focus and Space.
  await toggle.focus();
  await page.keyboard.press("Space");
  expect(await toggle.isChecked()).toBe(true);
  expect(await page.evaluate(`localStorage.getItem("parley.relayCalls")`)).toBe("1");
  // This relay has TURN: no warning.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await page.getByRole("alert").filter({ hasText: "no relay for calls" }).count()).toBe(0);
  if (screenshots) {
    const viewport = page.viewportSize();
    await page.setViewportSize(PHONE);
    await showPrivacy(page);
    await shot(page, "settings", "relay-calls-on");
    await page.setViewportSize(DESKTOP);
    await showPrivacy(page);
    await shot(page, "settings", "relay-calls-on");
    await checkA11y(page);
    if (viewport) await page.setViewportSize(viewport);
  }
  await page.getByRole("button", { name: "Back to conversations" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
}

/** Waits until the app's newest peer connection on `page` is connected over relay/relay with relay candidates only. */
async function expectRelayOnly(page: Page): Promise<PeerFacts> {
  await expect.poll(async () => (await newestPeer(page)).pair, { timeout: 30_000 }).toBe("relay/relay");
  const facts = await newestPeer(page);
  expect(facts.state).toBe("connected");
  expect(facts.policy).toBe("relay");
  expect(facts.localTypes.length).toBeGreaterThan(0);
  expect(new Set(facts.localTypes)).toEqual(new Set(["relay"]));
  return facts;
}

turnTest(
  "relay-only calls: Settings toggle, a video call over TURN only, credentials renewed under a running call, a later call with new ones",
  240_000,
  async () => {
    const alice = await signUp(web.browser, web.relay, "rosa", "Rosa");
    const bob = await signUp(web.browser, web.relay, "sam", "Sam", PHONE);
    const a = alice.page;
    const b = bob.page;
    // The app looks RTCPeerConnection up when it makes one: wrapping it now records every call's.
    await a.evaluate(RECORD_PEER_CONNECTIONS);
    await b.evaluate(RECORD_PEER_CONNECTIONS);
    await turnOnRelayCalls(a, true);
    await turnOnRelayCalls(b, false);
    await startChat(a, "sam");
    await send(a, "call over the relay?");
    await openConversation(b, "Rosa");
    await waitForMessage(b, "call over the relay?");

    // A video call: both sides connect over relay/relay only and decode each other's video.
    await a.getByRole("button", { name: "Video call Sam" }).click();
    const ringing = b.getByRole("alertdialog", { name: "Rosa" });
    await ringing.waitFor({ timeout: 30_000 });
    await ringing.getByRole("button", { name: "Accept" }).click();
    await expectDecoding(a, "Video of Sam", "4:3");
    await expectDecoding(b, "Video of Rosa", "4:3");
    const firstA = await expectRelayOnly(a);
    const firstB = await expectRelayOnly(b);
    expect(firstA.expiry * 1000).toBeGreaterThan(Date.now());

    // The call outlives the credentials it started with: still connected over TURN, still decoding,
    // and each peer connection now holds newer credentials, handed over before the old ones expired.
    const pastExpiry = Math.max(firstA.expiry, firstB.expiry) * 1000 + 2_000 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, pastExpiry)));
    for (const [page, first, label] of [
      [a, firstA, "Video of Sam"],
      [b, firstB, "Video of Rosa"],
    ] as const) {
      const now = await newestPeer(page);
      const renewals = await page.evaluate("window.__renewals");
      expect(now.state).toBe("connected");
      expect(now.pair).toBe("relay/relay");
      expect(now.expiry, `first ${first.expiry}, renewals ${JSON.stringify(renewals)}, now ${Date.now()}`).toBeGreaterThan(first.expiry);
      expect(now.expiry * 1000).toBeGreaterThan(Date.now());
      await expectDecoding(page, label, "4:3");
      // An ICE restart now gathers with the renewed servers: coturn accepts them, and refuses the first ones.
      expect((await gatherRelay(page, now.servers)).types).toContain("relay");
      const stale = await gatherRelay(page, first.servers);
      expect(stale.types).toEqual([]);
      expect(stale.errors.map((e) => e.code)).toContain(401);
    }
    expect(await a.evaluate("window.__pcs.length")).toBe(1);

    await a.getByRole("button", { name: "Hang up" }).click();
    await a.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });

    // A call started after the first credentials expired: new credentials, accepted by coturn.
    await b.getByRole("button", { name: "Video call Rosa" }).click();
    const ringingA = a.getByRole("alertdialog", { name: "Sam" });
    await ringingA.waitFor({ timeout: 30_000 });
    await ringingA.getByRole("button", { name: "Accept" }).click();
    await expectDecoding(a, "Video of Sam", "4:3");
    await expectDecoding(b, "Video of Rosa", "4:3");
    const secondA = await expectRelayOnly(a);
    const secondB = await expectRelayOnly(b);
    expect(await a.evaluate("window.__pcs.length")).toBe(2);
    expect(secondA.expiry).toBeGreaterThan(firstA.expiry);
    expect(secondB.expiry).toBeGreaterThan(firstB.expiry);
    await b.getByRole("button", { name: "Hang up" }).click();
    await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
    expect(alice.offOrigin).toEqual([]);
    expect(bob.offOrigin).toEqual([]);
  },
);

turnTest("relay-only calls without a TURN server: Settings and the call say so", 120_000, async () => {
  const plain = await startWebRelay();
  try {
    const alice = await signUp(web.browser, plain, "uma", "Uma");
    await signUp(web.browser, plain, "vic", "Vic");
    const a = alice.page;
    await a.getByRole("link", { name: "Settings" }).first().click();
    await a.getByRole("checkbox", { name: "Relay calls through the server" }).check();
    const warning = a.getByRole("alert").filter({ hasText: "This server has no relay for calls" });
    await warning.waitFor({ timeout: 10_000 });
    await showPrivacy(a);
    await shot(a, "settings", "relay-calls-no-turn");
    await a.getByRole("button", { name: "Back to conversations" }).click();
    await startChat(a, "vic");
    // Count camera/microphone requests from here on.
    await a.evaluate(`(() => {
      const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      window.__gum = 0;
      navigator.mediaDevices.getUserMedia = (c) => { window.__gum++; return real(c); };
    })()`);
    await a.getByRole("button", { name: /^Video call / }).click();
    const notice = a.getByRole("alert").filter({ hasText: "no relay for calls" });
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.textContent()).toContain("Relay calls through the server");
    await shot(a, "settings", "relay-calls-no-turn-call");
    await a.setViewportSize(PHONE);
    await shot(a, "settings", "relay-calls-no-turn-call");
    // The camera never turned on for a call that cannot connect; no call view is left behind.
    expect(await a.evaluate("window.__gum")).toBe(0);
    expect(await a.getByRole("dialog").count()).toBe(0);
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await notice.waitFor({ state: "detached" });
    expect(alice.pageErrors).toEqual([]);
  } finally {
    await plain.stop();
    plain.cleanup();
  }
});
