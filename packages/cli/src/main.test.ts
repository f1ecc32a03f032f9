import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ExitCode } from "./errors.js";
import { main } from "./main.js";

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += d;
  });
  stderr.on("data", (d) => {
    err += d;
  });
  const code = await main(argv, {
    env: { PARLEY_HOME: "/nonexistent/parley-home", ...env },
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  return { code, out, err };
}

describe("main", () => {
  it("prints help for every command and the version", async () => {
    for (const command of ["", "init", "send", "read", "contacts", "groups", "whoami", "verify"]) {
      const { code, out, err } = await run(command ? [command, "--help"] : ["--help"]);
      expect(code).toBe(ExitCode.Ok);
      expect(out).toContain("Usage");
      expect(err).toBe("");
    }
    expect((await run(["help", "send"])).out).toContain("parley send @HANDLE");
    expect((await run(["--version"])).out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("a bad flag is exit code 2 with one line on stderr", async () => {
    const { code, out, err } = await run(["read", "--bogus"]);
    expect(code).toBe(ExitCode.Usage);
    expect(out).toBe("");
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("a profile without an account is exit code 3, before any passphrase is asked", async () => {
    for (const command of [["read"], ["send", "@bob", "hi"], ["whoami"], ["contacts"], ["groups"], ["verify", "@bob"]]) {
      const { code, err } = await run(command);
      expect(code, command.join(" ")).toBe(ExitCode.NoAccount);
      expect(err).toContain("run `parley init --handle NAME` first");
    }
  });

  it("checks the relay URL and the profile name", async () => {
    expect((await run(["whoami", "--relay", "http://x"])).code).toBe(ExitCode.Usage);
    expect((await run(["whoami", "--profile", "../etc"])).code).toBe(ExitCode.Usage);
  });

  it("the interactive chat without a terminal is a usage error", async () => {
    expect((await run([])).code).toBe(ExitCode.Usage);
  });

  it("init without --handle is a usage error", async () => {
    expect((await run(["init"])).code).toBe(ExitCode.Usage);
  });
});
