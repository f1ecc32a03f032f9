/** @parley/cli as a library: the entry point and the profile helpers the binary uses. */
export { CliError, ExitCode } from "./errors.js";
export { main } from "./main.js";
export { createClient, DEFAULT_RELAY, openClient, type ProfileOptions, profileDir, resolveProfile } from "./profile.js";
