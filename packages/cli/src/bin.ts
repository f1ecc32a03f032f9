#!/usr/bin/env node
/** `parley`: the interactive chat with no command, or a scriptable command (`parley --help`). */
import { main } from "./main.js";

// A reader that went away (`parley read --follow | head -1`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });

process.exitCode = await main(process.argv.slice(2));
