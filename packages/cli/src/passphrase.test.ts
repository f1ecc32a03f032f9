import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ExitCode } from "./errors.js";
import { resolvePassphrase } from "./passphrase.js";

const noTerminal = { input: new PassThrough() as unknown as NodeJS.ReadStream, output: new PassThrough() as unknown as NodeJS.WriteStream };

describe("resolvePassphrase", () => {
  it("reads --passphrase-file without its trailing newline, before PARLEY_PASSPHRASE", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "parley-pass-")), "p");
    writeFileSync(file, "correct horse\r\n");
    expect(await resolvePassphrase({ file, env: "other" }, noTerminal)).toBe("correct horse");
  });

  it("takes PARLEY_PASSPHRASE as is", async () => {
    expect(await resolvePassphrase({ env: " spaced " }, noTerminal)).toBe(" spaced ");
  });

  it("without a terminal and without a source, stops with exit code 4 instead of waiting", async () => {
    await expect(resolvePassphrase({}, noTerminal)).rejects.toMatchObject({ code: ExitCode.Locked });
  });

  it("refuses an empty passphrase file and a missing one", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "parley-pass-")), "p");
    writeFileSync(file, "\n");
    await expect(resolvePassphrase({ file }, noTerminal)).rejects.toMatchObject({
      code: ExitCode.Locked,
      message: "the passphrase is empty",
    });
    await expect(resolvePassphrase({ file: `${file}.missing` }, noTerminal)).rejects.toMatchObject({ code: ExitCode.Locked });
  });
});
