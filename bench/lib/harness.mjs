// The timing harness: a job is split into an untimed `prepare(n)` (key generation, session set-up)
// and the timed closure it returns, which must report how many operations it verified. Every
// library is calibrated and warmed up once (discarded), then the libraries take turns round by
// round, so drift on the machine (thermal, noisy neighbours) hits them all alike.

/** Median of a non-empty list of numbers. */
export function median(values) {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `a / b`, or undefined when either side is missing. */
export function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** Relative half-range of the samples around the median, e.g. 0.03 for ±3 %. */
export function spread(values) {
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / 2 / m;
}

/**
 * Prepares `n` operations, collects garbage from the preparation, then times the run.
 * Throws if the run verified a different number of operations than it was asked for, so an
 * adapter that skips or breaks work cannot post a number.
 */
export async function timeOnce(prepare, n) {
  const run = await prepare(n);
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const verified = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (verified !== n) throw new Error(`asked for ${n} operations, ${verified} were verified`);
  return { n, seconds, rate: n / seconds };
}

/**
 * Operations that take about `roundSeconds`, found by growing a probe until it runs for a
 * tenth of a round (a probe that short is still cold, so this only sizes the warm-up round).
 */
async function calibrate(prepare, { roundSeconds, minOps }) {
  for (let n = minOps; ; n *= 4) {
    const probe = await timeOnce(prepare, n);
    if (probe.seconds >= roundSeconds / 10) return Math.max(minOps, Math.ceil(probe.rate * roundSeconds));
  }
}

/**
 * Measures one metric for several libraries.
 *
 * @param jobs `[{ id, prepare, minOps }]`, where `prepare(n)` resolves to an async or sync
 *   closure running n operations and returning how many it verified.
 * @param options `{ rounds, roundSeconds, onRound }`.
 * @returns `Map<id, { samples: number[], median: number, spread: number, n: number }>` in ops/s.
 */
export async function measureMetric(jobs, { rounds, roundSeconds, onRound = () => {} }) {
  const sized = new Map();
  for (const job of jobs) {
    const probeN = await calibrate(job.prepare, { roundSeconds, minOps: job.minOps ?? 10 });
    const warm = await timeOnce(job.prepare, probeN); // warm-up round, discarded
    sized.set(job.id, Math.max(job.minOps ?? 10, Math.ceil(warm.rate * roundSeconds)));
  }
  const samples = new Map(jobs.map((job) => [job.id, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no library always runs right after the same neighbour.
    const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]);
    for (const job of order) {
      const result = await timeOnce(job.prepare, sized.get(job.id));
      samples.get(job.id).push(result.rate);
      onRound(job.id, round, result);
    }
  }
  const out = new Map();
  for (const job of jobs) {
    const values = samples.get(job.id);
    out.set(job.id, { samples: values, median: median(values), spread: spread(values), n: sized.get(job.id) });
  }
  return out;
}

/**
 * A 100-byte plaintext whose first four bytes carry a counter, so every message of a run is
 * distinct and a decryption that returns a stale or another message's plaintext fails `same`.
 */
export function stampedPlaintext(length = 100) {
  const bytes = new Uint8Array(length);
  for (let i = 4; i < length; i++) bytes[i] = (i * 131 + 7) & 0xff;
  return bytes;
}

/** Writes `counter` into the first four bytes of `plaintext` (big-endian). */
export function stamp(plaintext, counter) {
  plaintext[0] = counter >>> 24;
  plaintext[1] = (counter >>> 16) & 0xff;
  plaintext[2] = (counter >>> 8) & 0xff;
  plaintext[3] = counter & 0xff;
  return plaintext;
}

/** Throws unless `actual` equals `expected` byte for byte (about 0.1 µs for 100 bytes). */
export function assertSame(actual, expected, what) {
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < expected.length && diff === 0; i++) diff |= actual[i] ^ expected[i];
  if (diff !== 0) throw new Error(`${what}: decrypted plaintext differs from the sent plaintext`);
}
