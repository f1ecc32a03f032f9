/**
 * X25519 agreement as the protocol uses it: the all-zero output of a low-order public key is
 * rejected here (VAL-006), so no caller can forget the check.
 */

import type { KeyPair } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";

/** X25519(ours, theirs), throwing ERR_INVALID_DH_OUTPUT for the all-zero result. */
export function agree(deps: Deps, ours: KeyPair, theirPublicKey: Uint8Array): Uint8Array {
  const shared = deps.crypto.x25519(ours, theirPublicKey);
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new ParleyError(ErrorCode.InvalidDhOutput, "X25519 produced the all-zero value (VAL-006)");
  return shared;
}
