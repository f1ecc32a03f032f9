#!/usr/bin/env node
/** `parley`: the interactive chat with no command, or a scriptable command (`parley --help`). */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
