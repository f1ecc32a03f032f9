// Module hooks for the cold-start test: appends every module URL Node resolves to the file named
// by PARLEY_RESOLVE_LOG.
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.PARLEY_RESOLVE_LOG, `${resolved.url}\n`);
  return resolved;
}
