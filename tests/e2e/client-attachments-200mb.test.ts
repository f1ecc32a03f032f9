// A 200 MB attachment through a real relay with memory bounded: sender and receiver run in a
// child process (support/attachment-memory-child.mjs) that records its RSS before the transfer
// and its peak during it. The file is generated piece by piece and never exists whole, so a
// growth far below the file's size shows neither side buffers it (encryption, upload, download
// and decryption all stream). A 20 MB run first measures the fixed cost (buffers of one upload
// segment, garbage the collector has not reclaimed yet); the 200 MB run must stay within it plus
// a small margin, i.e. memory does not grow with the file. PARLEY_ATTACHMENT_TEST_MB changes the
// large size (e.g. for a quick run).

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBuilt, type RelayProcess, startRelay } from "./support/relay-process.js";

const root = new URL("../../", import.meta.url).pathname;
const MB = 1_000_000;
const size = Number(process.env.PARLEY_ATTACHMENT_TEST_MB ?? 200) * MB;
const SMALL = 20 * MB;
/** Absolute bound on the growth: under half of a 200 MB file (measured: ≈ 60 MiB at any size, see the log line). */
const MAX_GROWTH = 96 * 1024 * 1024;
/**
 * How much more the large run may grow than the small one: the file is 180 MB larger, so any
 * buffering proportional to it would show as ~180 MB; runs on a busy machine vary by ±20 MiB.
 */
const MAX_EXTRA_GROWTH = 48 * 1024 * 1024;

let relay: RelayProcess;

beforeAll(async () => {
  ensureBuilt();
  relay = await startRelay();
});

afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

interface Run {
  received: number;
  baselineRss: number;
  peakRss: number;
  maxRss: number;
  uploadSeconds: number;
  downloadSeconds: number;
  sentHash: string;
  receivedHash: string;
}

async function transfer(bytes: number): Promise<Run & { growth: number }> {
  const child = join(root, "tests/e2e/support/attachment-memory-child.mjs");
  const dist = join(root, "packages/protocol/dist");
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", child, relay.wsUrl, dist, String(bytes)], {
    maxBuffer: 1024 * 1024,
    timeout: 540_000,
  });
  const result = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Run;
  const growth = result.peakRss - result.baselineRss;
  console.log(
    `attachment ${bytes / MB} MB: RSS ${(result.baselineRss / 2 ** 20).toFixed(0)} MiB before, peak ${(result.peakRss / 2 ** 20).toFixed(0)} MiB ` +
      `(growth ${(growth / 2 ** 20).toFixed(1)} MiB, maxRSS ${(result.maxRss / 2 ** 20).toFixed(0)} MiB); ` +
      `upload ${result.uploadSeconds.toFixed(1)} s, download ${result.downloadSeconds.toFixed(1)} s`,
  );
  expect(result.received).toBe(bytes);
  expect(result.receivedHash).toBe(result.sentHash);
  return { ...result, growth };
}

test(`a ${size / MB} MB file round trip keeps RSS growth well under the file size, and independent of it`, {
  timeout: 600_000,
}, async () => {
  const small = await transfer(SMALL);
  const large = await transfer(size);
  expect(large.growth).toBeLessThan(Math.min(MAX_GROWTH, size / 2));
  expect(large.maxRss - large.baselineRss).toBeLessThan(Math.min(MAX_GROWTH, size / 2));
  expect(large.growth).toBeLessThan(small.growth + MAX_EXTRA_GROWTH);
});
