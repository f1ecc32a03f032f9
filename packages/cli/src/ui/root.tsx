/** The interactive chat's root: onboarding or unlocking, then the chat screen, rendered with Ink until the user quits. */
import type { ParleyClient } from "@parley/protocol/client";
import { render } from "ink";
import { useState } from "react";
import { ExitCode } from "../errors.js";
import type { ProfileOptions } from "../profile.js";
import { App } from "./App.js";
import { Onboarding } from "./Onboarding.js";
import { ChatStore } from "./store.js";

/** How long quitting waits for queued sends to reach the relay. */
const FLUSH_ON_QUIT_MS = 3_000;

interface RootProps {
  readonly options: ProfileOptions;
  readonly passphrase?: string | undefined;
  readonly onClient: (client: ParleyClient) => void;
  readonly onQuit: (code: number) => void;
  readonly notify: (sequence: string) => void;
}

function Root({ options, passphrase, onClient, onQuit, notify }: RootProps) {
  const [chat, setChat] = useState<{ client: ParleyClient; store: ChatStore } | undefined>(undefined);
  if (!chat) {
    return (
      <Onboarding
        options={options}
        passphrase={passphrase}
        onQuit={onQuit}
        onReady={(client) => {
          onClient(client);
          const store = new ChatStore(client);
          store
            .attach()
            .then(() => client.setPresence("online"))
            .catch(() => {});
          setChat({ client, store });
        }}
      />
    );
  }
  return <App client={chat.client} store={chat.store} options={options} notify={notify} onQuit={() => onQuit(ExitCode.Ok)} />;
}

/** Renders the chat until the user quits; resolves with the exit code. */
export async function startChat(options: ProfileOptions, passphrase?: string): Promise<number> {
  let client: ParleyClient | undefined;
  let code: number = ExitCode.Ok;
  const notify = (sequence: string) => {
    process.stdout.write(sequence);
  };
  const app = render(
    <Root
      options={options}
      passphrase={passphrase}
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
  await app.waitUntilExit();
  if (client) {
    // Queued sends get a moment to reach the relay; whatever is left stays in the outbox for next time.
    const settle = Promise.all([client.setPresence("offline"), client.flush()]).catch(() => {});
    await Promise.race([settle, new Promise((resolve) => setTimeout(resolve, FLUSH_ON_QUIT_MS).unref())]);
    await client.close().catch(() => {});
  }
  return code;
}
