/** `--help` texts and `--version`. Plain strings only: printing help loads no client code. */

import { readFileSync } from "node:fs";
import type { CommandName } from "./args.js";

const GLOBAL = `Global flags (before or after the command):
  --relay URL             the relay (else PARLEY_RELAY, else ws://localhost:8787)
  --profile NAME          which identity on this machine (else PARLEY_PROFILE, else "default")
  --home DIR              where profiles live (else PARLEY_HOME, else ~/.local/share/parley)
  --passphrase-file PATH  read the profile's passphrase from a file (else PARLEY_PASSPHRASE,
                          else asked on the terminal without echo)
  -h, --help              this help;  -V, --version  the version`;

const MAIN = `parley: end-to-end encrypted chat in the terminal

Usage:
  parley                          the interactive chat (needs a terminal)
  parley init --handle H --name N create this profile's account and claim @H
  parley link                     make this profile a new device of an account you have elsewhere
  parley send @bob "hi"           send a text (--group NAME, --file PATH, --reply-to ID)
  parley read [--json] [--follow] print unread messages and mark them read
  parley contacts [--json]        list contacts
  parley groups [--json]          list groups
  parley whoami [--json]          this profile's account
  parley verify @bob              the safety number to compare with @bob, and its QR code
                                  (--matches DIGITS marks @bob verified, --accept takes a new identity)

${GLOBAL}

Exit codes: 0 ok, 1 failure (relay unreachable, refused), 2 bad usage, 3 no account yet,
4 passphrase missing or wrong (or the profile is in use), 5 no such contact, group or file.
Run \`parley COMMAND --help\` for a command's details.`;

const COMMAND_HELP: Record<CommandName, string> = {
  init: `Usage: parley init --handle HANDLE [--name "Display Name"]

Creates this profile's account and device, connects to the relay and claims @HANDLE.
The display name defaults to the handle. If the handle is taken, the account is kept and
\`parley init --handle OTHER\` claims another one. Running it again with the handle the
profile already has does nothing and exits 0.`,
  link: `Usage: parley link [--approval TEXT]

Makes this profile a new device of an account that already exists on another device.
Prints a link request and a code: give the request to the account's primary device (in the
terminal chat: /link REQUEST, then /link confirm CODE; in the web client: Devices, Link a
device) and check that it shows the same code. On a terminal, then paste the approval it gives
back; otherwise finish with \`parley link --approval TEXT\`.`,
  send: `Usage: parley send @HANDLE [TEXT]
       parley send --group NAME [TEXT]
       parley send @HANDLE --file PATH [CAPTION]

Sends a text (or, with --file, a file with TEXT as its caption) and waits until the relay
has it. Without TEXT (and without --file) the text is read from standard input.
The recipient is @handle (looked up on the relay the first time), a contact id as
\`parley contacts --json\` or \`parley read --json\` print it, or --group with a group's
name or id (\`parley groups\`). --reply-to ID makes it a reply to that message.
While \`parley read --follow\` runs on the same profile, send hands the message to it.`,
  read: `Usage: parley read [--json] [--follow]

Connects, receives everything the relay queued for this device, then prints the unread
messages (received, not yet marked read on this device) oldest first and marks them read
(the senders get read receipts unless turned off). Reactions, edits and deletes that
arrive are printed as lines of their own. --follow keeps running and prints messages as
they arrive, until Ctrl-C (or SIGTERM), then exits 0.
--json prints one JSON object per line; its fields are documented in the README.`,
  contacts: `Usage: parley contacts [--json]

Lists this profile's contacts: handle, display name, whether you verified them.`,
  groups: `Usage: parley groups [--json]

Lists the groups this profile is (or was) in, with their members.`,
  whoami: `Usage: parley whoami [--json]

Prints this profile's handle, display name, user id, device id and relay. Works offline.`,
  verify: `Usage: parley verify @HANDLE [--json] [--accept] [--matches DIGITS]

Prints the safety number you share with @HANDLE and a QR code of it. Compare the digits
with theirs (in person or on a call): if they match, nobody is in the middle. The handle
is looked up on the relay again, so a handle that now names another account is reported
(sending to it is blocked until you accept the change).

  --accept          accept @HANDLE's changed identity (after checking it another way);
                    sending works again and the new safety number is printed
  --matches DIGITS  the 60 digits the other side read out: if they equal your safety
                    number, @HANDLE is marked verified; otherwise exit 1, nothing marked`,
  help: `Usage: parley help [COMMAND]`,
};

/** The help text for `command`, or the main help. */
export function helpText(command?: CommandName): string {
  if (!command || command === "help") return `${MAIN}\n`;
  return `${COMMAND_HELP[command]}\n\n${GLOBAL}\n`;
}

/** The package's version, from its package.json. */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}
