// What the tampering tests observe inside a page, without changing the app: an init script
// that counts RTCPeerConnection constructions (and what each connection is given: remote
// descriptions, remote candidates, its connection states), and a look at the page's
// ParleyClient through React's DevTools hook (the app's StoreContext holds the store, whose
// `client` is the SDK client) to record the codes of the errors the client reports. Page
// scripts are strings: this project's typecheck has no DOM types.
import type { Page } from "playwright-core";

/** Runs before the app's own scripts (context.addInitScript, then a reload). */
export const OBSERVE_SCRIPT = `(() => {
  if (window.__mitm) return;
  const roots = new Set();
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    renderers: new Map(), supportsFiber: true, isDisabled: false,
    inject(renderer) { const id = this.renderers.size + 1; this.renderers.set(id, renderer); return id; },
    onCommitFiberRoot(_id, root) { roots.add(root); },
    onCommitFiberUnmount() {}, onPostCommitFiberRoot() {}, onScheduleFiberRoot() {}, checkDCE() {},
  };
  const mitm = { pcs: [], errors: [], hooked: new WeakSet(), roots };
  window.__mitm = mitm;
  const Native = window.RTCPeerConnection;
  class Observed extends Native {
    constructor(...args) {
      super(...args);
      this.__remoteDescriptions = 0;
      this.__remoteCandidates = 0;
      this.__states = [];
      this.addEventListener("connectionstatechange", () => this.__states.push(this.connectionState));
      mitm.pcs.push(this);
    }
    setRemoteDescription(...args) { this.__remoteDescriptions++; return super.setRemoteDescription(...args); }
    addIceCandidate(...args) { this.__remoteCandidates++; return super.addIceCandidate(...args); }
  }
  window.RTCPeerConnection = Observed;
  mitm.client = () => {
    for (const root of roots) {
      const stack = [root.current];
      let steps = 0;
      while (stack.length > 0 && steps++ < 100000) {
        const fiber = stack.pop();
        if (!fiber) continue;
        const value = fiber.memoizedProps && fiber.memoizedProps.value;
        if (value && typeof value === "object" && "client" in value && value.client && value.client.calls) return value.client;
        if (fiber.sibling) stack.push(fiber.sibling);
        if (fiber.child) stack.push(fiber.child);
      }
    }
    return undefined;
  };
})()`;

/** Adds the observer to the user's browser profile and reloads the page so it runs before the app. */
export async function observe(page: Page): Promise<void> {
  await page.context().addInitScript(OBSERVE_SCRIPT);
  await page.reload();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor({ timeout: 60_000 });
  await page.waitForFunction("window.__mitm && window.__mitm.client() !== undefined", undefined, { timeout: 30_000 });
  await page.evaluate(`(() => {
    const mitm = window.__mitm;
    const client = mitm.client();
    if (mitm.hooked.has(client)) return;
    mitm.hooked.add(client);
    client.on("error", (e) => mitm.errors.push(String((e && e.code) || (e && e.name) || e)));
  })()`);
}

/** How many times the client reported ERR_DECRYPT_FAILED. */
export function decryptFailures(page: Page): Promise<number> {
  return page.evaluate(`window.__mitm.errors.filter((c) => c === "ERR_DECRYPT_FAILED").length`);
}

/** Every error code the client reported, oldest first. */
export function reportedErrors(page: Page): Promise<string[]> {
  return page.evaluate("window.__mitm.errors.slice()");
}

/** How many RTCPeerConnections the page has constructed. */
export function peerConnections(page: Page): Promise<number> {
  return page.evaluate("window.__mitm.pcs.length");
}

/** What the page's last RTCPeerConnection was given and what it did. */
export interface PeerConnectionView {
  readonly connectionState: string;
  readonly signalingState: string;
  /** Every connection state it went through. */
  readonly states: string[];
  readonly hasRemoteDescription: boolean;
  readonly remoteDescriptions: number;
  readonly remoteCandidates: number;
  /** RTP packets received on every inbound stream. */
  readonly packetsReceived: number;
}

/** The page's last RTCPeerConnection (throws when it has none). */
export function lastPeerConnection(page: Page): Promise<PeerConnectionView> {
  return page.evaluate(`(async () => {
    const pc = window.__mitm.pcs[window.__mitm.pcs.length - 1];
    if (!pc) throw new Error("no RTCPeerConnection in this page");
    let packetsReceived = 0;
    if (pc.signalingState !== "closed") {
      const stats = await pc.getStats();
      stats.forEach((s) => { if (s.type === "inbound-rtp") packetsReceived += s.packetsReceived || 0; });
    }
    return {
      connectionState: pc.connectionState,
      signalingState: pc.signalingState,
      states: pc.__states.slice(),
      hasRemoteDescription: pc.remoteDescription !== null,
      remoteDescriptions: pc.__remoteDescriptions,
      remoteCandidates: pc.__remoteCandidates,
      packetsReceived,
    };
  })()`);
}

/** The DTLS and ICE facts of the page's last, connected RTCPeerConnection (getStats). */
export interface TransportView {
  readonly dtlsState: string;
  /** Fingerprint of this side's own DTLS certificate. */
  readonly localFingerprint: string;
  /** Fingerprint of the certificate the other side presented in the DTLS handshake. */
  readonly remoteFingerprint: string;
  readonly fingerprintAlgorithm: string;
  /** The a=fingerprint of the remote description (what came over the encrypted signalling). */
  readonly signalledFingerprint: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
}

/** Reads the connected transport of the page's last RTCPeerConnection. */
export function transportOf(page: Page): Promise<TransportView> {
  return page.evaluate(`(async () => {
    const pc = window.__mitm.pcs[window.__mitm.pcs.length - 1];
    const stats = await pc.getStats();
    let transport;
    stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId) transport = s; });
    if (!transport) throw new Error("no transport with a selected candidate pair");
    const local = stats.get(transport.localCertificateId);
    const remote = stats.get(transport.remoteCertificateId);
    const pair = stats.get(transport.selectedCandidatePairId);
    const localCandidate = stats.get(pair.localCandidateId);
    const remoteCandidate = stats.get(pair.remoteCandidateId);
    const signalled = (pc.remoteDescription.sdp.match(/a=fingerprint:\\S+ ([0-9A-F:]+)/i) || [])[1] || "";
    return {
      dtlsState: transport.dtlsState,
      localFingerprint: local ? local.fingerprint : "",
      remoteFingerprint: remote ? remote.fingerprint : "",
      fingerprintAlgorithm: remote ? remote.fingerprintAlgorithm : "",
      signalledFingerprint: signalled.toUpperCase(),
      localAddress: localCandidate.address || localCandidate.ip,
      remoteAddress: remoteCandidate.address || remoteCandidate.ip,
    };
  })()`);
}
