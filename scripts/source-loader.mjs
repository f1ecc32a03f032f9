// Loads TypeScript sources of the workspace without a build step, through Vite's module runner
// with the dev-only `@parley/source` export condition (the same resolution the tests use). For
// scripts such as `npm run vectors` and benchmarks that compare source trees.
import { createServer, defaultServerConditions } from "vite";

/** A module loader over Vite's SSR runner; `close()` it when done. */
export async function sourceLoader() {
  const server = await createServer({
    configFile: false,
    logLevel: "error",
    appType: "custom",
    server: { middlewareMode: true, hmr: false, ws: false },
    ssr: { resolve: { conditions: ["@parley/source", ...defaultServerConditions] } },
  });
  return { load: (path) => server.ssrLoadModule(path), close: () => server.close() };
}
