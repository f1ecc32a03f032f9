/**
 * Web Push subscriptions and relay settings of the PostgreSQL store. A subscription is stored
 * only for a registered device (one statement), and device removal deletes it with the rest of
 * the device (REMOVE_DEVICES). A setting is claimed with INSERT … ON CONFLICT DO NOTHING, so
 * nodes starting together on one store all read back the first node's value.
 */

import { bytes } from "./pg-mailboxes.js";
import type { PgContext } from "./pg-store.js";
import type { Store } from "./store.js";

type PushMethods = Pick<Store, "setPushSubscription" | "getPushSubscription" | "deletePushSubscription" | "claimSetting">;

/** The push and settings methods of a PostgreSQL store. */
export function openPgPush(db: PgContext): PushMethods {
  return {
    async setPushSubscription(m, sub) {
      const result = await db.query({
        text:
          "INSERT INTO push_subscriptions (user_id, device_id, endpoint, p256dh, auth) " +
          "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2) " +
          "ON CONFLICT (user_id, device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth",
        values: [m.userId, m.deviceId, sub.endpoint, sub.p256dh, sub.auth],
      });
      return (result.rowCount ?? 0) > 0;
    },
    async getPushSubscription(m) {
      const result = await db.query({
        text: "SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 AND device_id = $2",
        values: [m.userId, m.deviceId],
      });
      const r = result.rows[0];
      return r ? { endpoint: r.endpoint as string, p256dh: bytes(r.p256dh), auth: bytes(r.auth) } : undefined;
    },
    async deletePushSubscription(m, endpoint) {
      await db.query({
        text: "DELETE FROM push_subscriptions WHERE user_id = $1 AND device_id = $2 AND ($3::text IS NULL OR endpoint = $3)",
        values: [m.userId, m.deviceId, endpoint ?? null],
      });
    },
    async claimSetting(name, value) {
      await db.query({ text: "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", values: [name, value] });
      // A separate statement: its snapshot sees the row whichever node's insert won.
      const result = await db.query({ text: "SELECT value FROM settings WHERE name = $1", values: [name] });
      return bytes(result.rows[0]?.value);
    },
  };
}
