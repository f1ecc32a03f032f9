/**
 * The interactive chat's root: onboarding or unlocking, then the chat screen, rendered with Ink
 * until the user quits. The first screen needs neither the chat screen's module (with its emoji
 * data) nor the SDK: both are imported once that screen is drawn, while the user types.
 */
import type { ParleyClient } from "@parley/protocol/client";
import { render, useApp } from "ink";
import { useState } from "react";
import { ExitCode } from "../errors.js";
import { loadClientModules, type ProfileOptions } from "../profile.js";
import { Onboarding } from "./Onboarding.js";
import { ChatStore } from "./store.js";

/** The chat screen's module (App.tsx). */
type ChatScreen = typeof import("./App.js");

/** How long quitting waits for queued sends to reach the relay. */
const FLUSH_ON_QUIT_MS = 3_000;

interface RootProps {
  readonly options: ProfileOptions;
  readonly passphrase?: string | undefined;
  /** The profile being opened with `passphrase` since before the view loaded. */
  readonly opening?: Promise<ParleyClient> | undefined;
  /** Imports the chat screen (once: every call gets the same promise). */
  readonly loadChatScreen: () => Promise<ChatScreen>;
  readonly onClient: (client: ParleyClient) => void;
  readonly onQuit: (code: number) => void;
  readonly notify: (sequence: string) => void;
}

function Root({ options, passphrase, opening, loadChatScreen, onClient, onQuit, notify }: RootProps) {
  const [chat, setChat] = useState<{ client: ParleyClient; store: ChatStore; App: ChatScreen["App"] } | undefined>(undefined);
  const { exit } = useApp();
  if (!chat) {
    return (
      <Onboarding
        options={options}
        passphrase={passphrase}
        opening={opening}
        onQuit={onQuit}
        onReady={(client) => {
          onClient(client);
          const store = new ChatStore(client);
          store
            .attach()
            .then(() => client.setPresence("online"))
            .catch(() => {});
          // Loaded since the first screen in all but the rarest case; a failure (a broken
          // install) ends the chat with that error.
          loadChatScreen().then(({ App }) => setChat({ client, store, App }), exit);
        }}
      />
    );
  }
  const { App } = chat;
  return <App client={chat.client} store={chat.store} options={options} notify={notify} onQuit={() => onQuit(ExitCode.Ok)} />;
}

/**
 * Renders the chat until the user quits; resolves with the exit code. `opening`: the profile
 * already being opened with `passphrase` (the caller started it to overlap with loading the view).
 */
export async function startChat(options: ProfileOptions, passphrase?: string, opening?: Promise<ParleyClient>): Promise<number> {
  let client: ParleyClient | undefined;
  let code: number = ExitCode.Ok;
  const notify = (sequence: string) => {
    process.stdout.write(sequence);
  };
  let chatScreen: Promise<ChatScreen> | undefined;
  const loadChatScreen = () => {
    chatScreen ??= import("./App.js");
    return chatScreen;
  };
  const app = render(
    <Root
      options={options}
      passphrase={passphrase}
      opening={opening}
      loadChatScreen={loadChatScreen}
      notify={notify}
      onClient={(c) => {
        client = c;
      }}
      onQuit={(c) => {
        code = c;
      }}
    />,
    { exitOnCtrlC: false, maxFps: 30 },
  );
  // The first screen is drawn: load what comes next while the user reads or types. A failure
  // here is reported where the module is needed.
  setImmediate(() => {
    loadChatScreen().catch(() => {});
    loadClientModules().catch(() => {});
  });
  try {
    await app.waitUntilExit();
  } finally {
    if (client) {
      // Queued sends get a moment to reach the relay; whatever is left stays in the outbox for next time.
      const settle = Promise.all([client.setPresence("offline"), client.flush()]).catch(() => {});
      await Promise.race([settle, new Promise((resolve) => setTimeout(resolve, FLUSH_ON_QUIT_MS).unref())]);
      await client.close().catch(() => {});
    }
  }
  return code;
}
