// Where the call tests run: a network namespace whose only interface is loopback, so WebRTC can
// gather nothing but 127.0.0.1 / ::1 candidates and no media can leave the machine. The call
// config's globalSetup checks it once per run: in CI anything else fails the run; elsewhere (a
// developer running the config by hand) it says so and goes on.
import { networkInterfaces } from "node:os";

/** Names of the network interfaces this process sees, other than loopback. */
export function nonLoopbackInterfaces(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([, addresses]) => (addresses ?? []).some((a) => !a.internal))
    .map(([name]) => name);
}

const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";

export default function setup(): void {
  const others = nonLoopbackInterfaces();
  if (others.length === 0) return;
  const why =
    `the call tests are meant to run in a loopback-only network namespace, but this process sees ${others.join(", ")}; ` +
    "`npm test` runs them under `unshare --net` (needs root, util-linux and iproute2)";
  if (inCi) throw new Error(why);
  console.warn(`note: ${why}`);
}
