// Preloaded (`node --expose-gc --require …`) into both benchmarked servers, and nothing else:
// on SIGUSR2 it runs a full garbage collection, so the bench reads VmRSS after a collection
// rather than whenever V8 last felt like collecting. It touches no server code.
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc === "function") {
    globalThis.gc();
    globalThis.gc();
  }
});
