// Call signalling altered on the network is refused, in real browsers. Bob opens the app through
// a man in the middle (support/mitm-proxy.ts, on [::1] at the relay's port) that can rewrite the
// sealed envelopes it forwards; Alice goes to the relay directly. (a) While the proxy flips a bit
// in every envelope it hands Bob, Alice's offer never rings at Bob: his client reports the
// decryption failure, his page never builds an RTCPeerConnection, Alice's call never hears
// "ringing", no media flows, and her hang-up leaves no call on either side. (b) With Bob's answer
// and ICE altered on their way to Alice, Alice's connection never gets a remote description or a
// candidate and never connects; the call ends without a crash on both sides. (c) With the proxy
// honest again, the same two connect and decode each other's video, the DTLS certificate each
// side saw is the other's own (so the fingerprints that travelled in the encrypted signalling
// were the ones used), and the selected ICE pair is on loopback.
import type { ClientFrame, SealedSendFrame, SendFrame, ServerFrame } from "@parley/protocol/wire";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { launchChromium } from "../support/chromium.js";
import { openConversation, send, waitForMessage } from "./support/chat-page.js";
import { decryptFailures, lastPeerConnection, observe, peerConnections, reportedErrors, transportOf } from "./support/mitm-page.js";
import { flipOneBit, type MitmProxy, startMitmProxy } from "./support/mitm-proxy.js";
import { expectDecoding, keepLocalTracks, localTrackStates } from "./support/video.js";
import { signUp, startChat, startWebRelay, useWebSetup, webTest } from "./support/web.js";

/**
 * Fake camera and microphone, auto-allowed; host candidates on loopback. The host rules are
 * launchChromium's, with [::1] (the proxy's origin) let through as well as 127.0.0.1.
 */
const MEDIA_FLAGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE ::1",
];

let proxy: MitmProxy | undefined;
const web = useWebSetup({
  relay: async () => {
    const relay = await startWebRelay();
    proxy = await startMitmProxy(relay);
    return relay;
  },
  browser: () => launchChromium(MEDIA_FLAGS),
  teardown: () => proxy?.close(),
});

function mitm(): MitmProxy {
  if (!proxy) throw new Error("no proxy: the setup has not run");
  return proxy;
}

/** Flips a bit in every stored envelope of a send (ephemeral typing/presence pass); counts them. */
function tamperSends(counter: { envelopes: number }): (frame: ClientFrame) => ClientFrame {
  return (frame) => {
    if ((frame.t !== "send" && frame.t !== "sealed_send") || frame.ephemeral) return frame;
    const sendFrame = frame as SendFrame | SealedSendFrame;
    counter.envelopes += sendFrame.messages.length;
    return { ...sendFrame, messages: sendFrame.messages.map((m) => ({ ...m, envelope: flipOneBit(m.envelope) })) } as ClientFrame;
  };
}

/** The text of the call view's status line ("Calling…", "Ringing…", "Connecting…"). */
function callStatus(page: Page): Promise<string | null> {
  return page.getByRole("dialog").getByRole("status").first().textContent();
}

const LOOPBACK = /^(127\.0\.0\.1|::1)$/;

webTest(
  "altered call signalling is refused in both directions; an honest call then connects with end-to-end DTLS",
  { timeout: 240_000 },
  async () => {
    const alice = await signUp(web.browser, web.relay, "alice", "Alice");
    const bob = await signUp(web.browser, mitm().relay, "bob", "Bob");
    const a = alice.page;
    const b = bob.page;
    await Promise.all([observe(a), observe(b)]);
    expect(mitm().openSockets).toBeGreaterThan(0);
    await startChat(a, "bob");
    await send(a, "call you?");
    await openConversation(b, "Alice");
    await waitForMessage(b, "call you?");
    await send(b, "sure");
    await waitForMessage(a, "sure");
    expect(await decryptFailures(a)).toBe(0);
    expect(await decryptFailures(b)).toBe(0);
    const videoCall = a.getByRole("button", { name: "Video call Bob" });

    // (a) Every envelope to Bob is altered: Alice's offer reaches him and is refused.
    let toBob = 0;
    mitm().toBrowser = (frame: ServerFrame) => {
      if (frame.t !== "message") return frame;
      toBob++;
      return { ...frame, envelope: flipOneBit(frame.envelope) };
    };
    await videoCall.click();
    const aliceView = a.getByRole("dialog", { name: "Bob" });
    await aliceView.waitFor();
    await expect.poll(() => toBob, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => decryptFailures(b), { timeout: 30_000 }).toBe(toBob);
    // The refused offer was the only way to ring; a moment more shows nothing arrives by another path.
    await b.waitForTimeout(1_500);
    expect(await b.getByRole("alertdialog").count()).toBe(0);
    expect(await b.getByRole("dialog").count()).toBe(0);
    expect(await peerConnections(b)).toBe(0);
    expect(await callStatus(a)).toBe("Calling…");
    const aliceOffered = await lastPeerConnection(a);
    expect(aliceOffered).toMatchObject({ hasRemoteDescription: false, remoteCandidates: 0, packetsReceived: 0 });
    expect(aliceOffered.states).not.toContain("connected");
    expect(await keepLocalTracks(a)).toBe(2);
    await aliceView.getByRole("button", { name: "Hang up" }).click();
    await aliceView.waitFor({ state: "detached", timeout: 15_000 });
    await a.getByRole("status").filter({ hasText: "Call cancelled" }).waitFor({ timeout: 15_000 });
    await expect.poll(() => localTrackStates(a), { timeout: 10_000 }).toEqual(["ended", "ended"]);
    expect((await lastPeerConnection(a)).signalingState).toBe("closed");
    await waitForMessage(a, "Cancelled video call");
    // The cancel was altered too: refused as well, and Bob has no call and no call line.
    await expect.poll(() => decryptFailures(b), { timeout: 30_000 }).toBe(toBob);
    expect(toBob).toBeGreaterThanOrEqual(2);
    expect(await b.getByRole("alertdialog").count()).toBe(0);
    expect(await b.getByText(/video call/i).count()).toBe(0);
    expect(await peerConnections(b)).toBe(0);
    mitm().toBrowser = undefined;

    // (b) Bob's offer arrives intact and rings; his answer and ICE are altered on the way to Alice.
    const aliceFailuresBefore = await decryptFailures(a);
    const fromBob = { envelopes: 0 };
    await videoCall.click();
    const ringing = b.getByRole("alertdialog", { name: "Alice" });
    await ringing.waitFor({ timeout: 30_000 });
    await expect.poll(() => callStatus(a), { timeout: 15_000 }).toBe("Ringing…");
    mitm().toRelay = tamperSends(fromBob);
    await ringing.getByRole("button", { name: "Accept" }).click();
    const bobView = b.getByRole("dialog", { name: "Alice" });
    await bobView.waitFor();
    // The answer and at least one batch of candidates reached Alice, altered, and were refused.
    await expect.poll(() => fromBob.envelopes, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await decryptFailures(a)) - aliceFailuresBefore, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await a.waitForTimeout(1_500);
    await expect.poll(async () => (await decryptFailures(a)) - aliceFailuresBefore - fromBob.envelopes, { timeout: 10_000 }).toBe(0);
    const aliceSide = await lastPeerConnection(a);
    expect(aliceSide).toMatchObject({ hasRemoteDescription: false, remoteDescriptions: 0, remoteCandidates: 0, packetsReceived: 0 });
    expect(aliceSide.states).not.toContain("connected");
    expect(await callStatus(a)).toBe("Ringing…");
    const bobSide = await lastPeerConnection(b);
    expect(bobSide.states).not.toContain("connected");
    expect(bobSide.packetsReceived).toBe(0);
    expect(await callStatus(b)).toBe("Connecting…");
    expect(await keepLocalTracks(b)).toBe(2);
    // Alice gives up; her cancel reaches Bob intact: the call ends on both sides, not connected.
    await a.getByRole("dialog", { name: "Bob" }).getByRole("button", { name: "Hang up" }).click();
    await a.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await bobView.waitFor({ state: "detached", timeout: 15_000 });
    await b.getByRole("status").filter({ hasText: "Call cancelled" }).waitFor({ timeout: 15_000 });
    await expect.poll(() => localTrackStates(b), { timeout: 10_000 }).toEqual(["ended", "ended"]);
    expect((await lastPeerConnection(b)).signalingState).toBe("closed");
    expect((await lastPeerConnection(a)).states).not.toContain("connected");
    mitm().toRelay = undefined;

    // (c) An honest path: the same two connect and see each other.
    await videoCall.click();
    const honestRing = b.getByRole("alertdialog", { name: "Alice" });
    await honestRing.waitFor({ timeout: 30_000 });
    await honestRing.getByRole("button", { name: "Accept" }).click();
    await expectDecoding(a, "Video of Bob", "4:3");
    await expectDecoding(b, "Video of Alice", "4:3");
    const [atAlice, atBob] = await Promise.all([transportOf(a), transportOf(b)]);
    expect(atAlice.dtlsState).toBe("connected");
    expect(atBob.dtlsState).toBe("connected");
    // End-to-end DTLS: the certificate each side saw in the handshake is the other's own, and is
    // the one named in the description that came through the encrypted signalling.
    expect(atAlice.remoteFingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(atAlice.remoteFingerprint).toBe(atBob.localFingerprint);
    expect(atBob.remoteFingerprint).toBe(atAlice.localFingerprint);
    expect(atAlice.localFingerprint).not.toBe(atBob.localFingerprint);
    expect(atAlice.signalledFingerprint).toBe(atBob.localFingerprint);
    expect(atBob.signalledFingerprint).toBe(atAlice.localFingerprint);
    for (const side of [atAlice, atBob]) {
      expect(side.localAddress).toMatch(LOOPBACK);
      expect(side.remoteAddress).toMatch(LOOPBACK);
    }
    await a.getByRole("dialog", { name: "Bob" }).getByRole("button", { name: "Hang up" }).click();
    await a.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await b.getByRole("dialog").waitFor({ state: "detached", timeout: 15_000 });
    await waitForMessage(a, /Video call · \d+:\d\d/);
    await waitForMessage(b, /Video call · \d+:\d\d/);

    // Bob's only RTCPeerConnections are the two calls that reached him.
    expect(await peerConnections(b)).toBe(2);
    expect(await peerConnections(a)).toBe(3);
    // Nothing but decryption failures was reported, and no page crashed.
    expect(new Set([...(await reportedErrors(a)), ...(await reportedErrors(b))])).toEqual(new Set(["ERR_DECRYPT_FAILED"]));
    expect(alice.pageErrors).toEqual([]);
    expect(bob.pageErrors).toEqual([]);
    expect([...alice.offOrigin, ...bob.offOrigin]).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  },
);
