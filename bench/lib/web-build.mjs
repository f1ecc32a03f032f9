// Builds the web client as `npm run build` ships it, for the browser benchmarks.

/**
 * Runs Vite's production build of the web client at `root` (into its dist/). NODE_ENV is set to
 * production for the build: otherwise a test or benchmark environment would make Vite emit
 * React's development build.
 */
export async function buildWebClient(root) {
  const { build } = await import("vite");
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root, mode: "production", logLevel: "warn" });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
