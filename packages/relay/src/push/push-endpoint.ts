/**
 * Which push endpoints the relay will POST to (spec/relay.md VAL-PUSH-2). An endpoint is a URL
 * a client chose, so without this check a client could aim the relay's requests at its own
 * network: `https:` to a public host only; loopback, private and link-local address literals
 * (and plain `http:` to loopback) only when the relay allows them for tests. Host names that
 * resolve to private addresses are not caught here (spec §13: run the relay where its outbound
 * traffic cannot reach internal services, or behind an egress proxy).
 */

import { createPublicKey } from "node:crypto";
import { isIP } from "node:net";

/** Why the relay refuses to push to `endpoint`, or undefined when it may. */
export function pushEndpointProblem(endpoint: string, allowLoopback: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "the push endpoint is not a URL";
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const local = isLoopback(host);
  if (url.protocol === "http:") return allowLoopback && local ? undefined : "the push endpoint must be an https URL";
  if (url.protocol !== "https:") return "the push endpoint must be an https URL";
  if ((local || isPrivateAddress(host)) && !allowLoopback) return "the push endpoint must be a public host";
  return undefined;
}

/** The endpoint's origin: all the relay ever logs of it (the path is a capability). */
export function endpointOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return "invalid";
  }
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const [a, b] = host.split(".").map(Number) as [number, number];
    return (
      a === 0 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (family === 6) {
    const h = host.toLowerCase();
    return h === "::" || h.startsWith("fc") || h.startsWith("fd") || h.startsWith("fe80") || h.startsWith("::ffff:");
  }
  return false;
}

/** True when `p256dh` is an uncompressed point on P-256 (a push to any other key could never be encrypted). */
export function isP256Point(p256dh: Uint8Array): boolean {
  if (p256dh.length !== 65 || p256dh[0] !== 0x04) return false;
  const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
  try {
    createPublicKey({ format: "jwk", key: { kty: "EC", crv: "P-256", x: b64(p256dh.subarray(1, 33)), y: b64(p256dh.subarray(33)) } });
    return true;
  } catch {
    return false;
  }
}
