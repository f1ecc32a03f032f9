#!/usr/bin/env node
// An echo bot over parley's scriptable mode: reads `parley read --json --follow` lines on
// standard input and answers every text with `parley send`. The profile, relay and passphrase
// come from the environment (PARLEY_HOME, PARLEY_PROFILE, PARLEY_RELAY, PARLEY_PASSPHRASE), so
// both commands use the same identity; while `read --follow` runs, `parley send` hands its
// message to it. Run:
//   parley read --json --follow | node examples/echo-bot/bot.mjs
// PARLEY_BIN names the parley command (default: `parley` on the PATH).
import { execFile } from "node:child_process";
import { createInterface } from "node:readline";

const [command, ...prefix] = (process.env.PARLEY_BIN ?? "parley").split(" ");

/** Runs `parley send` with `args`; logs a failure and carries on. */
function send(args) {
  return new Promise((resolve) => {
    execFile(command, [...prefix, "send", ...args], (error, _stdout, stderr) => {
      if (error) console.error(`echo-bot: send failed (exit ${error.code}): ${stderr.trim()}`);
      resolve();
    });
  });
}

let replies = Promise.resolve();
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  const message = JSON.parse(line);
  // Only texts from others: not our own messages (copies from our other devices), reactions or edits.
  if (message.kind !== "text" || message.outgoing) continue;
  const to = message.group !== undefined ? ["--group", message.conversation] : [message.conversation];
  const reply = [...to, `echo: ${message.text}`, "--reply-to", message.id];
  console.error(`echo-bot: ${message.from.name} said ${JSON.stringify(message.text)}`);
  replies = replies.then(() => send(reply));
}
await replies;
