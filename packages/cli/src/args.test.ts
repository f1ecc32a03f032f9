import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";
import { CliError, ExitCode } from "./errors.js";

function usageError(argv: string[]): CliError {
  try {
    parseArgs(argv);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`parsed ${JSON.stringify(argv)} without an error`);
}

describe("parseArgs", () => {
  it("takes no command as the interactive chat", () => {
    expect(parseArgs([]).command).toBeUndefined();
  });

  it("accepts global flags before and after the command, in both --flag value and --flag=value forms", () => {
    const args = parseArgs(["--relay", "ws://r:1", "send", "@bob", "hi there", "--profile=work", "--home", "/tmp/h"]);
    expect(args.command).toBe("send");
    expect(args.global).toMatchObject({ relay: "ws://r:1", profile: "work", home: "/tmp/h", help: false, version: false });
    expect(args.positionals).toEqual(["@bob", "hi there"]);
  });

  it("keeps a command's own flags apart from the global ones", () => {
    const args = parseArgs(["send", "--group", "Trip", "see you", "--passphrase-file", "p.txt"]);
    expect(args.flags).toEqual({ group: "Trip" });
    expect(args.global.passphraseFile).toBe("p.txt");
  });

  it("reads boolean flags and short -h / -V", () => {
    expect(parseArgs(["read", "--json", "--follow"]).flags).toEqual({ json: true, follow: true });
    expect(parseArgs(["-h"]).global.help).toBe(true);
    expect(parseArgs(["-V"]).global.version).toBe(true);
  });

  it("treats everything after -- as text, even when it looks like a flag", () => {
    expect(parseArgs(["send", "@bob", "--", "--not-a-flag"]).positionals).toEqual(["@bob", "--not-a-flag"]);
  });

  it("refuses unknown commands and flags with exit code 2, naming the help", () => {
    expect(usageError(["sned"])).toMatchObject({ code: ExitCode.Usage, message: 'unknown command "sned": see `parley --help`' });
    expect(usageError(["send", "--bogus"])).toMatchObject({ code: ExitCode.Usage });
    expect(usageError(["send", "--bogus"]).message).toContain("parley send --help");
    // A command's flag is not accepted by another command.
    expect(usageError(["read", "--group", "x"]).message).toContain("unknown flag --group");
    expect(usageError(["-x"]).code).toBe(ExitCode.Usage);
  });

  it("refuses a value flag without a value, and a value on a boolean flag", () => {
    expect(usageError(["send", "@bob", "--file"]).message).toBe("--file needs a value: see `parley send --help`");
    expect(usageError(["init", "--handle", "--name", "x"]).message).toContain("--handle needs a value");
    expect(usageError(["init", "--handle="]).message).toContain("--handle needs a value");
    expect(usageError(["read", "--json=yes"]).message).toContain("--json takes no value");
  });

  it("checks the number of positional arguments at the limit and one over", () => {
    expect(parseArgs(["send", "@bob", "hi"]).positionals).toHaveLength(2);
    expect(usageError(["send", "@bob", "hi", "there"]).message).toContain('too many arguments for `parley send` ("there")');
    expect(parseArgs(["verify", "@bob"]).positionals).toEqual(["@bob"]);
    expect(usageError(["verify"]).message).toContain("needs an argument");
    expect(usageError(["verify", "@bob", "@carol"]).code).toBe(ExitCode.Usage);
    expect(usageError(["whoami", "extra"]).code).toBe(ExitCode.Usage);
  });

  it("does not count arguments when --help is asked", () => {
    expect(parseArgs(["verify", "--help"]).global.help).toBe(true);
  });
});
