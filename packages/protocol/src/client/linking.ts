/**
 * Device linking as the user meets it (spec/client.md §6): the request a new device hands to the
 * primary and the approval that goes back (transport encodings), and the pending approval that
 * certifies nothing until the user has confirmed the check code. The check code and the sealing
 * of the delivery token to the new device are protocol cryptography: keys/device-link.ts.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import { type LinkRequest, SEALED_LINK_TOKEN_LENGTH, sameLinkCode, sealLinkToken } from "../keys/device-link.js";
import { assertDeviceId } from "../keys/identity.js";
import type { ClientContext } from "./context.js";
import { ownDevicesChanged } from "./device-lists.js";
import { decodeRecord, encodeRecord } from "./records.js";

export {
  LINK_CODE_GROUPS,
  type LinkRequest,
  linkCode,
  openLinkToken,
  SEALED_LINK_TOKEN_LENGTH,
  sameLinkCode,
  sealLinkToken,
} from "../keys/device-link.js";

/** What the primary device hands back once the user confirmed: public data, and the token sealed to the new device. */
export interface LinkApproval {
  readonly certificate: Uint8Array;
  readonly deviceList: Uint8Array;
  readonly displayName: string;
  readonly handle?: string;
  /** The account's delivery token, encrypted to the new device's identity key (see `sealLinkToken`). */
  readonly sealedToken: Uint8Array;
}

/** Encodes a request for transport (base64url of a msgpack record). */
export function encodeLinkRequest(request: LinkRequest): string {
  return toBase64Url(encodeRecord(request));
}

/**
 * The record inside a pasted or scanned link text. Text that is not one is the user's input, not
 * our storage: ERR_INVALID_ENCODING, never decodeRecord's ERR_INVALID_STATE ("stored record corrupt").
 */
function decodeLinkText<T>(text: string, what: string): Partial<T> | undefined {
  try {
    return decodeRecord<Partial<T>>(fromBase64Url(text));
  } catch (error) {
    throw new ParleyError(ErrorCode.InvalidEncoding, `invalid encoding: not a ${what}`, { cause: error });
  }
}

/** Parses and checks a request; anything else is ERR_INVALID_ENCODING. */
export function decodeLinkRequest(text: string): LinkRequest {
  const parsed = decodeLinkText<LinkRequest>(text, "link request");
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

/** Parses and checks an approval; anything else is ERR_INVALID_ENCODING. */
export function decodeLinkApproval(text: string): LinkApproval {
  const parsed = decodeLinkText<LinkApproval>(text, "link approval");
  const bytes = (b: unknown) => b instanceof Uint8Array;
  if (
    !parsed ||
    !bytes(parsed.certificate) ||
    !bytes(parsed.deviceList) ||
    typeof parsed.displayName !== "string" ||
    !(parsed.sealedToken instanceof Uint8Array && parsed.sealedToken.length === SEALED_LINK_TOKEN_LENGTH)
  ) {
    throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: not a link approval");
  }
  return parsed as LinkApproval;
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
  ownDevicesChanged(ctx);
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
