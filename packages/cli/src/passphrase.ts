/**
 * Where a profile's passphrase comes from: `--passphrase-file`, else PARLEY_PASSPHRASE, else a
 * prompt on the terminal that does not echo. Without a terminal and without either, the command
 * stops with exit code 4 rather than waiting for input nobody can give. The passphrase is never
 * printed or logged.
 */

import { readFile } from "node:fs/promises";
import { CliError, ExitCode } from "./errors.js";

/** The terminal streams a prompt uses (injected in tests). */
export interface PromptStreams {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
}

/** Reads a passphrase file: its content without one trailing newline (CRLF too). */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(ExitCode.Locked, `cannot read the passphrase file ${path}${code === "ENOENT" ? ": no such file" : ""}`);
  }
  return text.replace(/\r?\n$/, "");
}

/**
 * The passphrase for this run. `confirm` asks twice on a terminal (a new account).
 * @throws CliError(Locked) when none is given and there is no terminal, or it is empty.
 */
export async function resolvePassphrase(
  source: { readonly file?: string | undefined; readonly env?: string | undefined },
  streams: PromptStreams = { input: process.stdin, output: process.stderr },
  confirm = false,
): Promise<string> {
  let passphrase: string;
  if (source.file !== undefined) passphrase = await readPassphraseFile(source.file);
  else if (source.env !== undefined && source.env !== "") passphrase = source.env;
  else if (streams.input.isTTY && streams.output.isTTY) {
    passphrase = await promptHidden("Passphrase: ", streams);
    if (confirm && (await promptHidden("Passphrase again: ", streams)) !== passphrase)
      throw new CliError(ExitCode.Locked, "the two passphrases differ");
  } else {
    throw new CliError(ExitCode.Locked, "no passphrase: set PARLEY_PASSPHRASE or pass --passphrase-file (there is no terminal to ask on)");
  }
  if (passphrase === "") throw new CliError(ExitCode.Locked, "the passphrase is empty");
  return passphrase;
}

/** Asks for a line on the terminal with echo off (raw mode); Ctrl-C aborts. */
export function promptHidden(prompt: string, { input, output }: PromptStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(prompt);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    let line = "";
    const done = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write("\n");
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new CliError(ExitCode.Locked, "no passphrase given"));
        if (char === "\u007f" || char === "\b") line = line.slice(0, -1);
        else if (char >= " ") line += char;
      }
    };
    input.on("data", onData);
  });
}
