// Where Parley's time goes, by primitive: runs each metric on a provider whose every method is
// wrapped to count calls and time them, and reports calls, µs per operation and µs per call,
// plus the time spent outside the provider (encoding, state copies, GC, the harness loop).
// The wrappers add about 0.1 µs per call; totals are a little above the unwrapped run.
import { createProvider } from "@parley/protocol";
import { THROUGHPUT_METRICS } from "./metrics.mjs";
import { parleyAdapterFor } from "./parley.mjs";

/** `crypto` with every method timed into `tally` while `tally.on` is true. */
function instrument(crypto, tally) {
  const wrapped = {};
  for (const [name, value] of Object.entries(crypto)) {
    if (typeof value !== "function") {
      wrapped[name] = value;
      continue;
    }
    wrapped[name] = (...args) => {
      if (!tally.on) return value(...args);
      const start = process.hrtime.bigint();
      try {
        return value(...args);
      } finally {
        const entry = tally.methods.get(name) ?? { calls: 0, ns: 0n };
        entry.calls += 1;
        entry.ns += process.hrtime.bigint() - start;
        tally.methods.set(name, entry);
      }
    };
  }
  return wrapped;
}

/**
 * Per metric: `{ metric, n, totalUs, outsideUs, methods: [{ name, callsPerOp, usPerOp, usPerCall }] }`.
 * Each metric runs once to warm up, then three times for about `seconds`; the run with the
 * median total is kept (a noisy neighbour inflates every µs figure of the run it lands in).
 */
export async function measureBreakdown(providerName = "node", { seconds = 1 } = {}) {
  const tally = { on: false, methods: new Map() };
  const adapter = parleyAdapterFor(instrument(await createProvider(providerName), tally), `parley-${providerName}`);
  const out = [];
  for (const metric of THROUGHPUT_METRICS) {
    const prepare = adapter.prepare[metric.key];
    let n = metric.minOps;
    let start = process.hrtime.bigint();
    await (await prepare(n))();
    const warmRate = n / (Number(process.hrtime.bigint() - start) / 1e9);
    n = Math.max(metric.minOps, Math.ceil(warmRate * seconds));
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const run = await prepare(n);
      tally.methods.clear();
      globalThis.gc?.();
      tally.on = true;
      start = process.hrtime.bigint();
      await run();
      const totalUs = Number(process.hrtime.bigint() - start) / 1000 / n;
      tally.on = false;
      const methods = [...tally.methods]
        .map(([name, { calls, ns }]) => ({
          name,
          callsPerOp: calls / n,
          usPerOp: Number(ns) / 1000 / n,
          usPerCall: Number(ns) / 1000 / calls,
        }))
        .sort((a, b) => b.usPerOp - a.usPerOp);
      const insideUs = methods.reduce((sum, m) => sum + m.usPerOp, 0);
      runs.push({ metric, n, totalUs, outsideUs: totalUs - insideUs, methods });
    }
    out.push(runs.sort((a, b) => a.totalUs - b.totalUs)[1]);
  }
  return out;
}
