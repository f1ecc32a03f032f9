/**
 * Getting to the chat: on a profile without an account, ask a handle, a display name and a
 * passphrase (twice), create the account, connect and claim the handle (a taken handle: say so
 * and ask again, keeping the account); on a profile with one, ask the passphrase (unless given)
 * and open it (a wrong one: say so and ask again).
 */
import type { ParleyClient } from "@parley/protocol/client";
import { Box, Text, useApp, useInput } from "ink";
import { useEffect, useRef, useState } from "react";
import { CliError } from "../errors.js";
import { createClient, openClient, type ProfileOptions, profileExists } from "../profile.js";
import { parseHandle } from "./commands.js";
import { describeError, errorCode } from "./describe-error.js";
import { useLine } from "./hooks.js";
import { editLine } from "./line-editor.js";

/** Seconds `connect()` may take before the relay is reported unreachable. */
const CONNECT_TIMEOUT_MS = 20_000;

type Step =
  | { kind: "handle" }
  | { kind: "name" }
  | { kind: "passphrase" }
  | { kind: "repeat" }
  | { kind: "unlock" }
  | { kind: "busy"; text: string }
  | { kind: "failed"; text: string };

export interface OnboardingProps {
  readonly options: ProfileOptions;
  readonly passphrase?: string | undefined;
  /** The profile already being opened with `passphrase` (started before the view loaded): unlocking awaits it. */
  readonly opening?: Promise<ParleyClient> | undefined;
  /** The client, opened and connected, with a handle. */
  readonly onReady: (client: ParleyClient) => void;
  readonly onQuit: (code: number) => void;
}

export function Onboarding({ options, passphrase, opening, onReady, onQuit }: OnboardingProps) {
  const fresh = useRef(!profileExists(options));
  const [step, setStep] = useState<Step>(
    fresh.current ? { kind: "handle" } : passphrase ? { kind: "busy", text: "Opening…" } : { kind: "unlock" },
  );
  const [error, setError] = useState<string | undefined>(undefined);
  const { line, current, set: setLine } = useLine();
  const answers = useRef<{ handle?: string; name?: string; passphrase?: string | undefined }>({});
  const client = useRef<ParleyClient | undefined>(undefined);
  /** Set when the user quit here: a client that finishes opening afterwards is closed, not used. */
  const quitting = useRef(false);
  /** Keeps `c` unless the user has quit meanwhile (then closes it): true when onboarding goes on with it. */
  const adopt = (c: ParleyClient): boolean => {
    if (quitting.current) {
      void c.close().catch(() => {});
      return false;
    }
    client.current = c;
    return true;
  };
  /** The chat takes `c` over (and closes it when it ends). */
  const handOver = (c: ParleyClient) => {
    if (quitting.current) return;
    client.current = undefined;
    onReady(c);
  };
  /** Ends onboarding with `code`, closing the client it opened (the chat never took it over). */
  const quit = (code: number) => {
    quitting.current = true;
    onQuit(code);
    void client.current?.close().catch(() => {});
    exit();
  };
  const { exit } = useApp();

  const fail = (err: unknown, next: Step) => {
    setError(describeError(err));
    setStep(next);
  };

  const claim = async (c: ParleyClient, handle: string) => {
    setStep({ kind: "busy", text: `Claiming @${handle}…` });
    try {
      await c.claimHandle(handle);
      handOver(c);
    } catch (err) {
      fail(err, { kind: "handle" });
    }
  };

  const connect = async (c: ParleyClient) => {
    setStep({ kind: "busy", text: `Connecting to ${options.relay}…` });
    await c.connect({ timeoutMs: CONNECT_TIMEOUT_MS });
  };

  const unlock = async (pass: string, pending?: Promise<ParleyClient>) => {
    setStep({ kind: "busy", text: "Opening…" });
    let c: ParleyClient;
    try {
      c = await (pending ?? openClient(options, pass));
    } catch (err) {
      if (errorCode(err) === "ERR_STORE_PASSPHRASE") return fail(err, { kind: "unlock" });
      if (err instanceof CliError) return fail(err, { kind: "failed", text: err.message });
      return fail(err, { kind: "failed", text: describeError(err) });
    }
    if (!adopt(c)) return;
    try {
      await connect(c);
    } catch (err) {
      return fail(err, { kind: "failed", text: describeError(err) });
    }
    if (c.handle) handOver(c);
    else setStep({ kind: "handle" });
  };

  const create = async () => {
    const { name = "", passphrase: pass = "", handle = "" } = answers.current;
    setStep({ kind: "busy", text: "Creating your account…" });
    try {
      const c = await createClient(options, pass, name);
      if (!adopt(c)) return;
      await connect(c);
      await claim(c, handle);
    } catch (err) {
      fail(err, { kind: "failed", text: describeError(err) });
    }
  };

  // A passphrase given on start opens at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once on mount
  useEffect(() => {
    if (!fresh.current && passphrase) void unlock(passphrase, opening);
  }, []);

  const submit = (value: string) => {
    setError(undefined);
    setLine({ value: "", cursor: 0 });
    switch (step.kind) {
      case "handle": {
        const handle = parseHandle(value.trim());
        if (!handle) return setError("Handles are 3 to 32 letters, digits or _, starting with a letter.");
        answers.current.handle = handle;
        if (client.current) return void claim(client.current, handle);
        return setStep({ kind: "name" });
      }
      case "name":
        if (value.trim() === "") return setError("Type the name your contacts will see.");
        answers.current.name = value.trim();
        if (!passphrase) return setStep({ kind: "passphrase" });
        answers.current.passphrase = passphrase;
        return void create();
      case "passphrase":
        if (value.length < 8) return setError("Use at least 8 characters.");
        answers.current.passphrase = value;
        return setStep({ kind: "repeat" });
      case "repeat":
        if (value !== answers.current.passphrase) {
          answers.current.passphrase = undefined;
          setError("The two passphrases differ; type it again.");
          return setStep({ kind: "passphrase" });
        }
        return void create();
      case "unlock":
        if (value === "") return;
        return void unlock(value);
      default:
        return;
    }
  };

  useInput((input, key) => {
    if (key.ctrl && input === "c") return quit(step.kind === "failed" ? 1 : 130);
    if (step.kind === "failed") {
      if (key.return || key.escape || input === "q") quit(1);
      return;
    }
    if (step.kind === "busy") return;
    if (key.return) return submit(current().value);
    // Text and Enter read in one go (a paste, or a slow terminal): submit the first line; what
    // follows stays typed for the next question.
    if (input.length > 1 && input.includes("\r")) {
      const [first = "", ...rest] = input.split("\r");
      submit(editLine(current(), first, key).value);
      setLine(editLine({ value: "", cursor: 0 }, rest.join(""), key));
      return;
    }
    setLine((l) => editLine(l, input, key));
  });

  const prompts: Record<string, { label: string; mask: boolean }> = {
    handle: { label: "Choose a handle (how people find you, e.g. @alice):", mask: false },
    name: { label: "Your display name:", mask: false },
    passphrase: { label: "A passphrase to encrypt this profile on disk (8+ characters):", mask: true },
    repeat: { label: "The passphrase again:", mask: true },
    unlock: { label: `Passphrase for profile "${options.profile}":`, mask: true },
  };
  const prompt = prompts[step.kind];
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold color="cyan">
        Parley{fresh.current && step.kind !== "unlock" ? " — new account" : ""}
      </Text>
      <Text dimColor>{`profile ${options.profile} · relay ${options.relay}`}</Text>
      <Text> </Text>
      {step.kind === "busy" ? <Text color="yellow">{step.text}</Text> : null}
      {step.kind === "failed" ? (
        <Text>
          <Text color="red">{step.text}</Text>
          <Text dimColor> (Enter to quit)</Text>
        </Text>
      ) : null}
      {prompt ? (
        <>
          <Text>{prompt.label}</Text>
          <Box>
            <Text color="cyan" bold>
              {"> "}
            </Text>
            <Text>{prompt.mask ? "•".repeat(line.value.length) : line.value}</Text>
            <Text inverse> </Text>
          </Box>
        </>
      ) : null}
      {error && step.kind !== "failed" ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}
