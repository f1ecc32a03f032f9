/**
 * Prekey upkeep at the relay (spec/client.md §8): topping one-time prekeys up to a target per
 * kind from the relay's reported counts, rotating the signed prekey and the last-resort ML-KEM
 * prekey on a schedule, and deleting private keys once no queued message can need them. It runs
 * at login, on `prekeys_low`, and on a timer while connected; the clock is the client's.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import type { PreKeysLowFrame } from "../wire/frames.js";
import type { ClientContext } from "./context.js";
import { KEM_PREKEY_BATCH, ONE_TIME_PREKEY_BATCH, type PreKeyUpload } from "./local-prekeys.js";
import { errorFields, type Log } from "./logger.js";

/** One-time X25519 prekeys the relay should hold for us: a new device's batch; top-ups refill to it. */
export const ONE_TIME_PREKEY_TARGET = ONE_TIME_PREKEY_BATCH;
/** One-time ML-KEM prekeys the relay should hold: 50 records (~63 KB) fit one upload frame with room to spare. */
export const KEM_PREKEY_TARGET = KEM_PREKEY_BATCH;
/** Signed and last-resort prekeys are replaced weekly (the spec's SHOULD; Signal rotates on a similar scale). */
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 3600_000;
/** How long replaced or handed-out private keys are kept: the relay's message lifetime (30 days), after which no queued message can name them. */
export const PREKEY_RETENTION_MS = 30 * 24 * 3600_000;
/** Least time between two top-ups: a relay repeating `prekeys_low` cannot make us generate keys in a loop. */
export const PREKEY_TOPUP_MIN_INTERVAL_MS = 60_000;
/** Most one-time private keys kept per kind (held at the relay plus handed out and waiting): bounds local storage whatever the relay says. */
export const MAX_LOCAL_ONE_TIME_PREKEYS = 5 * ONE_TIME_PREKEY_TARGET;
/** How often the rotation and retention schedule is checked while connected (it is also checked at every login). */
export const PREKEY_CHECK_INTERVAL_MS = 3600_000;

export class PreKeyMaintenance {
  private running: Promise<void> = Promise.resolve();
  private lastTopUpAt = Number.NEGATIVE_INFINITY;
  /** A first upload is due on this connection: `prekeys_low` sent before it counts nothing of ours. */
  private initialPending = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly log: Log,
  ) {}

  /** Called when logging in by registering: until `initialUpload` is done, `prekeys_low` is stale. */
  expectInitialUpload(): void {
    this.initialPending = true;
  }

  /** A registering device's first upload: every current prekey. */
  initialUpload(): Promise<void> {
    return this.serialise(async () => {
      await this.ctx.connection.request({ t: "upload_prekeys", ...this.ctx.local.preKeys.fullUpload() });
      this.initialPending = false;
      this.lastTopUpAt = this.ctx.now();
    });
  }

  /** After every login: rotate if due, prune, and (re)start the periodic check. */
  afterLogin(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => this.ctx.spawn(() => this.check()), PREKEY_CHECK_INTERVAL_MS);
      (this.timer as { unref?: () => void }).unref?.();
    }
    return this.check();
  }

  /** Stops the periodic check (close). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Rotation and retention, one run at a time. */
  check(): Promise<void> {
    return this.serialise(async () => {
      const now = this.ctx.now();
      const local = this.ctx.local;
      if (now - local.preKeys.currentPreKeysCreatedAt() >= SIGNED_PREKEY_ROTATION_MS) await this.rotate(now);
      const deletes = local.preKeys.pruneExpired(now, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS);
      if (deletes.length > 0) {
        await this.ctx.store.batch(deletes);
        this.log.info("deleted expired prekeys", { count: deletes.length });
      }
    });
  }

  /**
   * `prekeys_low`: the relay holds `oneTime` and `kem` one-time keys. Marks the rest as handed
   * out, and tops each kind up to its target; ignored within PREKEY_TOPUP_MIN_INTERVAL_MS of the
   * last top-up (the relay says so again at the next fetch or login).
   */
  onLow(frame: PreKeysLowFrame): Promise<void> {
    return this.serialise(async () => {
      const now = this.ctx.now();
      if (this.initialPending) {
        this.log.debug("prekeys_low ignored: first upload pending", { oneTime: frame.oneTime, kem: frame.kem });
        return;
      }
      if (now - this.lastTopUpAt < PREKEY_TOPUP_MIN_INTERVAL_MS) {
        this.log.debug("prekeys_low ignored: topped up recently", { oneTime: frame.oneTime, kem: frame.kem });
        return;
      }
      this.lastTopUpAt = now;
      const preKeys = this.ctx.local.preKeys;
      const marks = preKeys.markHandedOut(frame, now);
      const wanted = {
        oneTime: Math.max(0, ONE_TIME_PREKEY_TARGET - Math.min(frame.oneTime, ONE_TIME_PREKEY_TARGET)),
        kem: Math.max(0, KEM_PREKEY_TARGET - Math.min(frame.kem, KEM_PREKEY_TARGET)),
      };
      const prune = preKeys.pruneExpired(now, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS);
      if (wanted.oneTime === 0 && wanted.kem === 0) {
        await this.ctx.store.batch([...marks, ...prune]);
        return;
      }
      const { writes, upload } = preKeys.generateOneTimePreKeys(this.ctx.deps, wanted);
      // Stored before the upload: the relay may hand a key out the moment it has it.
      await this.ctx.store.batch([...marks, ...prune, ...writes]);
      await this.upload(upload, "one-time prekeys");
      this.log.info("topped up one-time prekeys", { oneTime: wanted.oneTime, kem: wanted.kem });
    });
  }

  private async rotate(now: number): Promise<void> {
    const preKeys = this.ctx.local.preKeys;
    const { writes, upload, signedId } = preKeys.newRotation(this.ctx.deps);
    await this.ctx.store.batch(writes);
    await this.upload(upload, "rotated prekeys");
    await this.ctx.store.batch(preKeys.completeRotation(signedId, now));
    this.log.info("rotated signed and last-resort prekeys", { signedPreKeyId: signedId });
  }

  /** Uploads; a refusal (TOO_MANY_PREKEYS, a bad record) stored nothing at the relay, so the new private keys go too. */
  private async upload(upload: PreKeyUpload, what: string): Promise<void> {
    try {
      await this.ctx.connection.request({ t: "upload_prekeys", ...upload });
    } catch (error) {
      if (ParleyError.is(error, ErrorCode.Relay)) {
        await this.ctx.store.batch(this.ctx.local.preKeys.discardUpload(upload));
        this.log.warn(`relay refused ${what}`, errorFields(error));
      }
      throw error;
    }
  }

  private serialise(task: () => Promise<void>): Promise<void> {
    const next = this.running.then(task);
    this.running = next.catch(() => undefined);
    return next;
  }
}
