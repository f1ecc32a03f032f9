/**
 * Device linking as the user meets it (spec/client.md §5): the request a new device hands to the
 * primary, the check code both screens show, the approval that goes back, and the pending
 * approval that certifies nothing until the user has confirmed the code.
 *
 * The check code commits to the new device's keys with 132 bits (40 digits, shown like a safety
 * number), so whoever swaps the request in transit cannot grind keys of his own that show the
 * same code (a 6-digit code falls to about a million tries). The delivery token the approval
 * carries is encrypted to the new device's identity key, so reading the approval in transit
 * gives nothing away either.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, newX25519KeyPair } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { assertDeviceId } from "../keys/identity.js";
import type { ClientContext } from "./context.js";
import { decodeRecord, encodeRecord } from "./records.js";

/** Digits of the check code: 8 groups of 5, each from 40 bits of hash mod 100,000 (≈ 132.9 bits in all). */
export const LINK_CODE_GROUPS = 8;
const LINK_CODE_LABEL = new TextEncoder().encode("Parley/v1/link-code");
const LINK_TOKEN_LABEL = new TextEncoder().encode("Parley/v1/link-token");
/** Bytes of the encrypted token: ephemeral public key, nonce, 32-byte token, tag. */
const SEALED_TOKEN_LENGTH = 32 + 12 + 32 + 16;

/** What a new device sends to the primary device (public keys only). */
export interface LinkRequest {
  readonly deviceId: number;
  readonly signingKey: Uint8Array;
  readonly identityKey: Uint8Array;
}

/** What the primary device hands back once the user confirmed: public data, and the token sealed to the new device. */
export interface LinkApproval {
  readonly certificate: Uint8Array;
  readonly deviceList: Uint8Array;
  readonly displayName: string;
  readonly handle?: string;
  /** The account's delivery token, encrypted to the new device's identity key (see `sealLinkToken`). */
  readonly sealedToken: Uint8Array;
}

/**
 * The check code for a request: SHA-256-based HKDF over a label and the request's device id,
 * signing key and identity key, as 8 groups of 5 digits. Both devices compute it from the keys
 * themselves, never from the transport encoding.
 */
export function linkCode(deps: Deps, request: LinkRequest): string {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, request.deviceId);
  const material = concatBytes(id, request.signingKey, request.identityKey);
  const bytes = deps.crypto.hkdfSha256(material, new Uint8Array(0), LINK_CODE_LABEL, LINK_CODE_GROUPS * 5);
  const groups: string[] = [];
  for (let g = 0; g < LINK_CODE_GROUPS; g++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + (bytes[g * 5 + i] ?? 0);
    groups.push(String(value % 100_000).padStart(5, "0"));
  }
  return groups.join(" ");
}

/** True when `typed` is the same code (spaces and separators ignored). */
export function sameLinkCode(expected: string, typed: string): boolean {
  const a = new TextEncoder().encode(expected.replace(/\D/g, ""));
  const b = new TextEncoder().encode(typed.replace(/\D/g, ""));
  return a.length === b.length && equalBytes(a, b);
}

/** Encodes a request for transport (base64url of a msgpack record). */
export function encodeLinkRequest(request: LinkRequest): string {
  return toBase64Url(encodeRecord(request));
}

/** Parses and checks a request; anything else is ERR_INVALID_ENCODING. */
export function decodeLinkRequest(text: string): LinkRequest {
  const parsed = decodeRecord<Partial<LinkRequest>>(fromBase64Url(text));
  const key = (k: unknown) => k instanceof Uint8Array && k.length === 32;
  if (!parsed || typeof parsed.deviceId !== "number" || !key(parsed.signingKey) || !key(parsed.identityKey)) {
    throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not a link request");
  }
  try {
    assertDeviceId(parsed.deviceId);
  } catch (error) {
    throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: link request device id out of range", { cause: error });
  }
  return { deviceId: parsed.deviceId, signingKey: parsed.signingKey as Uint8Array, identityKey: parsed.identityKey as Uint8Array };
}

export function encodeLinkApproval(approval: LinkApproval): string {
  return toBase64Url(encodeRecord(approval));
}

export function decodeLinkApproval(text: string): LinkApproval {
  const parsed = decodeRecord<Partial<LinkApproval>>(fromBase64Url(text));
  const bytes = (b: unknown) => b instanceof Uint8Array;
  if (
    !parsed ||
    !bytes(parsed.certificate) ||
    !bytes(parsed.deviceList) ||
    typeof parsed.displayName !== "string" ||
    !(parsed.sealedToken instanceof Uint8Array && parsed.sealedToken.length === SEALED_TOKEN_LENGTH)
  ) {
    throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not a link approval");
  }
  return parsed as LinkApproval;
}

/** Encrypts the account's delivery token to the new device's X25519 identity key (ephemeral-static, one use). */
export function sealLinkToken(deps: Deps, identityKey: Uint8Array, token: Uint8Array): Uint8Array {
  const ephemeral = newX25519KeyPair(deps);
  const key = tokenKey(deps, deps.crypto.x25519(ephemeral, identityKey), ephemeral.publicKey, identityKey);
  const nonce = deps.crypto.randomBytes(12);
  return concatBytes(ephemeral.publicKey, nonce, deps.crypto.aeadEncrypt(key, nonce, token, LINK_TOKEN_LABEL));
}

/** Opens `sealLinkToken`'s output with the new device's identity key pair; ERR_DECRYPT_FAILED otherwise. */
export function openLinkToken(deps: Deps, identity: { publicKey: Uint8Array; privateKey: Uint8Array }, sealed: Uint8Array): Uint8Array {
  const ephemeralPublic = sealed.subarray(0, 32);
  const shared = deps.crypto.x25519(identity, ephemeralPublic);
  const token = deps.crypto.aeadDecrypt(
    tokenKey(deps, shared, ephemeralPublic, identity.publicKey),
    sealed.subarray(32, 44),
    sealed.subarray(44),
    LINK_TOKEN_LABEL,
  );
  if (token?.length !== 32) throw new ParleyError(ErrorCode.DecryptFailed, "the approval's delivery token does not open");
  return token;
}

function tokenKey(deps: Deps, shared: Uint8Array, ephemeralPublic: Uint8Array, identityKey: Uint8Array): Uint8Array {
  if (shared.every((b) => b === 0)) throw new ParleyError(ErrorCode.InvalidDhOutput, "link token agreement gave the zero value");
  return deps.crypto.hkdfSha256(shared, concatBytes(ephemeralPublic, identityKey), LINK_TOKEN_LABEL, 32);
}

/**
 * An approval the primary device has prepared but not granted. Show `code` and ask the user to
 * compare it with the new device's screen (or type or scan it into `confirm`); only `confirm`
 * certifies the device and publishes the new device list. One use: after `confirm` or `cancel`
 * it refuses further calls.
 */
export class PendingLinkApproval {
  private state: "pending" | "confirming" | "done" = "pending";

  /** @internal Built by `ParleyClient.approveLink`. */
  constructor(
    /** The new device's id. */
    readonly deviceId: number,
    /** What to compare with the new device's screen. */
    readonly code: string,
    private readonly grant: () => Promise<string>,
  ) {}

  /**
   * Certifies the new device, publishes the account's new device list and returns the approval
   * to hand to the new device. Pass the code the new device shows (typed or scanned) to have it
   * checked; without it, calling this states that the user compared the codes.
   */
  async confirm(codeFromNewDevice?: string): Promise<string> {
    if (this.state !== "pending") throw new TypeError("this link approval was already confirmed or cancelled");
    if (codeFromNewDevice !== undefined && !sameLinkCode(this.code, codeFromNewDevice)) {
      throw new ParleyError(ErrorCode.IdentityMismatch, "the code differs from the new device's: the request was changed on the way");
    }
    this.state = "confirming";
    try {
      const approval = await this.grant();
      this.state = "done";
      return approval;
    } catch (error) {
      this.state = "pending";
      throw error;
    }
  }

  /** Abandons the approval: nothing was certified, nothing is. */
  cancel(): void {
    this.state = "done";
  }
}

/**
 * What `confirm` does on the primary device: certifies the new device, publishes the account's
 * new device list, stores it, and returns the approval (with the token sealed to the device).
 */
export async function grantLink(ctx: ClientContext, request: LinkRequest): Promise<string> {
  const local = ctx.local;
  const { certificate, deviceList, sequence } = local.certifyLink(ctx.deps, request);
  await ctx.connection.request({ t: "publish_devices", deviceList });
  await ctx.store.batch([local.adoptDeviceList(deviceList, sequence)]);
  const handle = local.identity.handle;
  return encodeLinkApproval({
    certificate,
    deviceList,
    displayName: local.identity.displayName,
    ...(handle ? { handle } : {}),
    sealedToken: sealLinkToken(ctx.deps, request.identityKey, local.identity.deliveryToken),
  });
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text.trim())) throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not base64url");
  const binary = atob(text.trim().replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
