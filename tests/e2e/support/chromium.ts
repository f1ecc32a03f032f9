// Real Chromium for browser tests: where it is, how it is launched (headless, no network beyond
// loopback), and the rule that a missing browser skips the test locally but fails it in CI.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; `.ci/run` installs it. Override with PARLEY_CHROMIUM. */
export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";

/** CI sets CI=true; there a browser test must run, never skip. */
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";

/** True when the browser test should be skipped: no Chromium here and not in CI. */
export const skipWithoutChromium = !existsSync(CHROMIUM_PATH) && !inCi;

/** Throws a loud, actionable error when Chromium is missing (reached in CI only: elsewhere the test is skipped). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. CI=true needs it: install it with ` +
        "`apt-get install -y chromium` (.ci/run does), or point PARLEY_CHROMIUM at a Chromium binary.",
    );
}

/**
 * Launches headless Chromium. Background networking, component updates and sync are off, and
 * the host resolver maps every name except 127.0.0.1 to "not found", so the page cannot reach
 * anything outside loopback even by mistake (tests also record and check every request).
 * `extraArgs` are added to these flags (e.g. a fake camera).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
      ...extraArgs,
    ],
  });
}
