/**
 * Start-up milestones as User Timing marks (`parley:<name>`, milliseconds from navigation start),
 * visible in the browser's performance panel and read by `npm run bench:web`. Names only: never
 * anything from the account.
 */
export type StartMark = "main" | "store-open" | "crypto-ready" | "client-open" | "list-read" | "list-shown" | "connected";

/** Records `parley:<name>` once per page (later calls are ignored, so a retry does not move it). */
export function markStart(name: StartMark): void {
  if (typeof performance === "undefined" || typeof performance.mark !== "function") return;
  if (performance.getEntriesByName(`parley:${name}`, "mark").length > 0) return;
  performance.mark(`parley:${name}`);
}
