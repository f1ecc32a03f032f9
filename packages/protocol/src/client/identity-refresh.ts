/**
 * Background identity re-checks (spec/client.md §9): every contact's handle is looked up again
 * now and then, so a handle that now names another account (or a contact's new device list) is
 * noticed — without showing the relay the contact list. Lookups go over the anonymous
 * connection (never the logged-in one), one contact at a time, with random gaps, each contact
 * at most once per interval. A relay that refuses anonymous lookups gets none: there is no
 * fallback to the logged-in connection.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import type { HandleFrame } from "../wire/frames.js";
import { learnHandle } from "./contact-identity.js";
import type { ClientContext } from "./context.js";
import { errorFields, type Log } from "./logger.js";

/** Mean gap between two re-checks: at this pace 100 contacts take about 17 h, so no burst ties them together. */
export const IDENTITY_RECHECK_MEAN_GAP_MS = 10 * 60_000;
/** Least time between two re-checks of one contact. */
export const IDENTITY_RECHECK_INTERVAL_MS = 24 * 3600_000;

/** Tuning of the re-checks (`ParleyClientOptions.identityRecheck`); `false` turns them off. */
export interface IdentityRecheckOptions {
  /** Mean gap between two lookups in ms (each gap is uniform in [0, 2 × mean]); default 10 min. */
  readonly meanGapMs?: number;
  /** Least time between two re-checks of one contact in ms; default 24 h. */
  readonly intervalMs?: number;
}

export class IdentityRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly checkedAt = new Map<string, number>();
  private refused = false;
  private readonly meanGapMs: number;
  private readonly intervalMs: number;

  constructor(
    private readonly ctx: ClientContext,
    private readonly log: Log,
    private readonly options: IdentityRecheckOptions | false = {},
  ) {
    this.meanGapMs = options === false ? 0 : (options.meanGapMs ?? IDENTITY_RECHECK_MEAN_GAP_MS);
    this.intervalMs = options === false ? 0 : (options.intervalMs ?? IDENTITY_RECHECK_INTERVAL_MS);
  }

  /** Starts (after a login) unless turned off or already running; the first lookup waits a random gap too. */
  start(): void {
    if (this.options === false || this.timer || this.refused || this.ctx.closed) return;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A contact just looked up by the user (findContact) needs no re-check soon. */
  noteChecked(contactId: string): void {
    this.checkedAt.set(contactId, this.ctx.now());
  }

  private schedule(): void {
    const gap = Math.floor(Math.random() * 2 * this.meanGapMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ctx.spawn(async () => {
        await this.checkOne();
        if (!this.ctx.closed && !this.refused && !this.timer) this.schedule();
      });
    }, gap);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Re-checks the contact whose last check is oldest, if one is due. */
  private async checkOne(): Promise<void> {
    const now = this.ctx.now();
    const due = (await this.ctx.contacts())
      .filter((c) => c.handle !== undefined && now - (this.checkedAt.get(c.id) ?? Number.NEGATIVE_INFINITY) >= this.intervalMs)
      .sort((a, b) => (this.checkedAt.get(a.id) ?? 0) - (this.checkedAt.get(b.id) ?? 0));
    const contact = due[0];
    if (!contact?.handle) return;
    this.checkedAt.set(contact.id, now);
    try {
      const answer = (await this.ctx.anonymous().request({ t: "lookup_handle", handle: contact.handle })) as HandleFrame;
      await learnHandle(this.ctx, contact.handle, answer, contact);
      this.log.debug("identity re-checked", { remaining: due.length - 1 });
    } catch (error) {
      if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "UNAUTHORIZED") {
        // An older relay answers lookups only when logged in: re-check nothing rather than reveal the list.
        this.refused = true;
        this.log.info("relay refuses anonymous handle lookups: identity re-checks are off");
        return;
      }
      // A released handle, a timeout, a dropped connection: keep what we know, try later.
      this.log.debug("identity re-check failed", errorFields(error));
    }
  }
}
