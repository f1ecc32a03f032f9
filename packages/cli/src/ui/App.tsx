/**
 * The chat screen: conversation list | message pane, then the typing line, the input and a
 * status/hint line. Under 80 columns one pane shows at a time. One key handler owns the keys:
 * Tab (panes, or the emoji completion), Ctrl+N/Ctrl+P and Alt+↓/↑ (conversations), ↑/↓ (input
 * history, or the list), PgUp/PgDn (scrollback), Esc (close a panel), Ctrl+C (quit).
 */
import type { ParleyClient } from "@parley/protocol/client";
import { Box, Text, useApp, useInput } from "ink";
import { useEffect, useMemo, useRef, useState } from "react";
import type { ProfileOptions } from "../profile.js";
import { type ActionContext, runCommand, UsageError } from "./actions.js";
import { callLineText, incomingCallText, isMissedCall } from "./calls.js";
import { parseCommand } from "./commands.js";
import { ConversationList } from "./components/ConversationList.js";
import { MessagePane, visibleSlice } from "./components/MessagePane.js";
import { describeError, errorCode } from "./describe-error.js";
import { applyCompletion, completions, partialShortcode } from "./emoji.js";
import { useLine, useSnapshot, useTerminalSize } from "./hooks.js";
import { browseHistory, editLine, emptyHistory, emptyLine, lineOf, pushHistory } from "./line-editor.js";
import { notificationSequence } from "./notify.js";
import { type ChatStore, conversationTitle, type Snapshot, userName } from "./store.js";

/** Below this many columns, one pane at a time. */
export const NARROW_COLUMNS = 80;
/** The conversation list's width in the two-pane layout. */
export const LIST_WIDTH = 26;
/** Typing is re-announced this often while the user types, and ends after this long idle. */
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 5_000;

export const HINT = "Tab: panes · Ctrl+N/P: chats · ↑↓: history · PgUp/PgDn: scroll · /help · Ctrl+C: quit";

export interface AppProps {
  readonly client: ParleyClient;
  readonly store: ChatStore;
  readonly options: ProfileOptions;
  /** Where notifications (bell, OSC 9/777) are written; none in tests. */
  readonly notify?: (sequence: string) => void;
  readonly onQuit: () => void;
}

type Status = { text: string; kind: "info" | "error" | "progress" } | undefined;

export function App({ client, store, options, notify, onQuit }: AppProps) {
  const snapshot = useSnapshot(store);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  const [focus, setFocus] = useState<"list" | "composer">("composer");
  const { line: shownLine, current, set: setLine } = useLine();
  const history = useRef(emptyHistory());
  const [scroll, setScroll] = useState(0);
  const [status, setStatus] = useState<Status>(undefined);
  const [panel, setPanelState] = useState<{ title: string; lines: readonly string[] } | undefined>(undefined);
  const [panelOffset, setPanelOffset] = useState(0);
  const setPanel = (next: { title: string; lines: readonly string[] } | undefined) => {
    setPanelOffset(0);
    setPanelState(next);
  };
  const link = useRef<ActionContext["link"]>({});
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const typingRef = useRef<{ conversationId?: string | undefined; sentAt: number; idle?: ReturnType<typeof setTimeout> }>({ sentAt: 0 });

  // Default to the most recent conversation.
  useEffect(() => {
    if (selectedId === undefined && snapshot.conversations.length > 0) setSelectedId(snapshot.conversations[0]);
  }, [selectedId, snapshot.conversations]);

  // Load the focused conversation's messages.
  useEffect(() => {
    if (!selectedId) return;
    setScroll(0);
    store.loadTimeline(selectedId).catch((error) => setStatus({ text: describeError(error), kind: "error" }));
  }, [selectedId, store]);

  // Background failures worth a sentence: another process took the profile over, the relay refused the login.
  useEffect(
    () =>
      client.on("error", (error) => {
        const code = errorCode(error);
        if (code === "ERR_STORE_TAKEN_OVER" || code === "ERR_RELAY_ID_MISMATCH" || code === "ERR_LIMIT_EXCEEDED")
          setStatus({ text: describeError(error), kind: "error" });
      }),
    [client],
  );

  // Presence goes to contacts only: tell new contacts we are here.
  const contactCount = Object.keys(snapshot.contactsById).length;
  useEffect(() => {
    if (contactCount > 0 && client.settings.presence) client.setPresence("online").catch(() => {});
  }, [contactCount, client]);

  // A message in a conversation that is not focused rings the bell (and notifies on the desktop where supported).
  useEffect(() => {
    store.onIncoming = (m) => {
      // Of call history lines only a missed call is news (the ringing itself already rang the bell).
      if (m.kind === "call" && !isMissedCall(m)) return;
      if (m.contactId === selectedRef.current) return;
      const s = store.getSnapshot();
      notify?.(
        notificationSequence(
          "Parley",
          m.kind === "call"
            ? `${callLineText(s, m)} in ${conversationTitle(s, m.contactId)}`
            : `New message from ${userName(s, m.sender, m.contactId)} in ${conversationTitle(s, m.contactId)}`,
        ),
      );
    };
    // A call rings: the bell and a desktop notice, whichever conversation is open.
    store.onIncomingCall = (call) => notify?.(notificationSequence("Parley", incomingCallText(store.getSnapshot(), call)));
    return () => {
      store.onIncoming = undefined;
      store.onIncomingCall = undefined;
    };
  }, [store, notify]);

  const narrow = columns < NARROW_COLUMNS;
  const showList = !narrow || focus === "list";
  const showPane = !narrow || focus === "composer";
  const listWidth = narrow ? columns : LIST_WIDTH;
  const paneWidth = narrow ? columns : columns - LIST_WIDTH;
  // One row is left free so Ink never fills the whole screen (it would clear it on every frame).
  const mainHeight = Math.max(5, rows - 4);
  const paneRows = Math.max(1, mainHeight - 3);
  const timeline = selectedId ? (snapshot.timelines[selectedId] ?? []) : [];
  const slice = useMemo(
    () => visibleSlice(timeline, snapshot.messagesById, Math.max(10, paneWidth - 2), paneRows, scroll),
    [timeline, snapshot.messagesById, paneWidth, paneRows, scroll],
  );

  // Read receipts only for what is on screen in the focused conversation.
  const marking = useRef(new Set<string>());
  useEffect(() => {
    if (!selectedId || !showPane || panel) return;
    const unread = slice
      .map(({ id }) => snapshot.messagesById[id])
      .filter((m) => m && !m.outgoing && m.kind !== "notice" && m.kind !== "call" && m.status !== "read" && !marking.current.has(m.id))
      .map((m) => m?.id as string);
    if (unread.length === 0) return;
    for (const id of unread) marking.current.add(id);
    client
      .markRead(selectedId, unread)
      .then(() => store.refreshConversations())
      .catch((error) => setStatus({ text: describeError(error), kind: "error" }));
  }, [slice, selectedId, showPane, panel, snapshot.messagesById, client, store]);

  const partial = focus === "composer" ? partialShortcode(shownLine.value.slice(0, shownLine.cursor)) : undefined;
  const suggestions = useMemo(() => (partial ? completions(partial) : []), [partial]);

  const quit = () => {
    onQuit();
    exit();
  };

  const select = (id: string) => {
    if (id !== selectedRef.current) setStatus(undefined);
    setSelectedId(id);
    setPanel(undefined);
  };

  const move = (delta: number) => {
    const ids = store.getSnapshot().conversations;
    if (ids.length === 0) return;
    const at = ids.indexOf(selectedId ?? "");
    const next = ids[(at + delta + ids.length) % ids.length];
    if (next) select(next);
  };

  const sendTyping = (value: string) => {
    const conversationId = selectedRef.current;
    if (!conversationId || !client.settings.typingIndicators) return;
    const t = typingRef.current;
    const typing = value.length > 0 && !value.startsWith("/");
    clearTimeout(t.idle);
    if (!typing) {
      if (t.conversationId) client.setTyping(t.conversationId, false).catch(() => {});
      t.conversationId = undefined;
      return;
    }
    if (t.conversationId !== conversationId || Date.now() - t.sentAt > TYPING_REPEAT_MS) {
      t.conversationId = conversationId;
      t.sentAt = Date.now();
      client.setTyping(conversationId, true).catch(() => {});
    }
    t.idle = setTimeout(() => sendTyping(""), TYPING_IDLE_MS);
  };

  const submit = (value: string) => {
    const parsed = parseCommand(value);
    if (!parsed) return;
    history.current = pushHistory(history.current, value);
    setLine(emptyLine);
    sendTyping("");
    if (!parsed.ok) {
      setStatus({ text: parsed.error, kind: "error" });
      return;
    }
    if (parsed.command.kind !== "text") setPanel(undefined);
    setStatus(undefined);
    setScroll(0);
    const ctx: ActionContext = {
      client,
      store,
      options,
      conversationId: selectedRef.current,
      select,
      status: (text, kind = "info") => setStatus({ text, kind }),
      panel: (title, lines) => setPanel({ title, lines }),
      quit,
      link: link.current,
    };
    runCommand(ctx, parsed.command).catch((error) =>
      setStatus({ text: error instanceof UsageError ? error.message : describeError(error), kind: "error" }),
    );
  };

  useInput((input, key) => {
    const line = current();
    if (key.ctrl && input === "c") return quit();
    if (key.escape) {
      setPanel(undefined);
      return;
    }
    if (key.tab) {
      const code = partialShortcode(line.value.slice(0, line.cursor));
      const first = code ? completions(code)[0] : undefined;
      if (first && focus === "composer") {
        const before = applyCompletion(line.value.slice(0, line.cursor), first.emoji);
        setLine({ value: before + line.value.slice(line.cursor), cursor: before.length });
      } else setFocus((f) => (f === "list" ? "composer" : "list"));
      return;
    }
    if ((key.ctrl && input === "n") || (key.meta && key.downArrow)) return move(1);
    if ((key.ctrl && input === "p") || (key.meta && key.upArrow)) return move(-1);
    if (panel && (key.pageUp || key.pageDown))
      return setPanelOffset((o) => Math.max(0, o + (key.pageUp ? -1 : 1) * Math.max(1, mainHeight - 4)));
    if (key.pageUp) return setScroll((s) => Math.min(Math.max(0, timeline.length - 1), s + Math.max(1, slice.length - 1)));
    if (key.pageDown) return setScroll((s) => Math.max(0, s - Math.max(1, slice.length - 1)));
    if (focus === "list") {
      if (key.upArrow) return move(-1);
      if (key.downArrow) return move(1);
      if (key.return) return setFocus("composer");
      if (input && !key.ctrl && !key.meta) {
        // Typing in the list goes to the input.
        setFocus("composer");
        setLine((l) => editLine(l, input, key));
      }
      return;
    }
    if (key.upArrow || key.downArrow) {
      const browsed = browseHistory(history.current, line.value, key.upArrow ? -1 : 1);
      if (browsed) {
        history.current = browsed.history;
        setLine(lineOf(browsed.line));
      }
      return;
    }
    if (key.return) return submit(line.value);
    // Text and Enter read in one go (a paste, or a slow terminal): each line is sent in turn.
    if (input.length > 1 && input.includes("\r")) {
      const parts = input.split("\r");
      const last = parts.pop() ?? "";
      let pending = line;
      for (const part of parts) {
        submit(editLine(pending, part, key).value);
        pending = emptyLine;
      }
      setLine(editLine(emptyLine, last, key));
      return;
    }
    const next = editLine(line, input, key);
    if (next !== line) {
      setLine(next);
      if (next.value !== line.value) sendTyping(next.value);
    }
  });

  const typers = selectedId ? (snapshot.typing[selectedId] ?? []) : [];
  return (
    <Box flexDirection="column" width={columns}>
      <Box height={mainHeight}>
        {showList ? (
          <ConversationList snapshot={snapshot} selectedId={selectedId} focused={focus === "list"} width={listWidth} height={mainHeight} />
        ) : null}
        {showPane ? (
          panel ? (
            <Panel title={panel.title} lines={panel.lines} width={paneWidth} height={mainHeight} offset={panelOffset} />
          ) : (
            <MessagePane
              snapshot={snapshot}
              conversationId={selectedId}
              width={paneWidth}
              height={mainHeight}
              scroll={scroll}
              focused={focus === "composer"}
            />
          )
        ) : null}
      </Box>
      {snapshot.ringing.length > 0 ? (
        <CallNotice snapshot={snapshot} />
      ) : (
        <TypingLine snapshot={snapshot} conversationId={selectedId} typers={typers} />
      )}
      <Box>
        <Text color={focus === "composer" ? "cyan" : "gray"} bold>
          {"> "}
        </Text>
        <Text>{shownLine.value.slice(0, shownLine.cursor)}</Text>
        <Text inverse>{shownLine.value.charAt(shownLine.cursor) || " "}</Text>
        <Text>{shownLine.value.slice(shownLine.cursor + 1)}</Text>
      </Box>
      <StatusLine status={status} suggestions={suggestions} snapshot={snapshot} width={columns} />
    </Box>
  );
}

/** The newest call ringing here, on the line the typing mark uses (a call matters more). */
function CallNotice({ snapshot }: { snapshot: Snapshot }) {
  const call = snapshot.ringing.at(-1);
  if (!call) return <Text> </Text>;
  return (
    <Text color="yellow" bold wrap="truncate-end">
      {`☎ ${incomingCallText(snapshot, call)}`}
    </Text>
  );
}

function TypingLine({
  snapshot,
  conversationId,
  typers,
}: {
  snapshot: Snapshot;
  conversationId: string | undefined;
  typers: readonly string[];
}) {
  if (typers.length === 0) return <Text> </Text>;
  const names = typers.map((u) => userName(snapshot, u, conversationId));
  return (
    <Text color="magenta" italic>
      {`✎ ${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…`}
    </Text>
  );
}

function StatusLine({
  status,
  suggestions,
  snapshot,
  width,
}: {
  status: Status;
  suggestions: { name: string; emoji: string }[];
  snapshot: Snapshot;
  width: number;
}) {
  if (suggestions.length > 0) {
    return <Text wrap="truncate-end">{`Tab: ${suggestions.map((s) => `${s.emoji} :${s.name}:`).join("  ")}`}</Text>;
  }
  if (status) {
    return (
      <Text color={status.kind === "error" ? "red" : status.kind === "progress" ? "blue" : "green"} wrap="truncate-end">
        {status.text}
      </Text>
    );
  }
  const connection = snapshot.connection === "ready" ? "" : `[${snapshot.connection}] `;
  const me = snapshot.me.handle ? `@${snapshot.me.handle} · ` : "";
  return (
    <Text dimColor wrap="truncate-end">
      {`${connection}${me}${width < NARROW_COLUMNS ? "Tab: list/chat · /help · Ctrl+C: quit" : HINT}`}
    </Text>
  );
}

function Panel({
  title,
  lines,
  width,
  height,
  offset,
}: {
  title: string;
  lines: readonly string[];
  width: number;
  height: number;
  offset: number;
}) {
  const rows = Math.max(1, height - 3);
  const start = Math.max(0, Math.min(offset, lines.length - rows));
  const more = start + rows < lines.length;
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor="cyan" overflow="hidden">
      <Box justifyContent="space-between" flexShrink={0}>
        <Text bold>{title}</Text>
        <Text dimColor>{`${start > 0 ? "PgUp ↑ " : ""}${more ? "PgDn ↓ " : ""}Esc: close`}</Text>
      </Box>
      {lines.slice(start, start + rows).map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static lines of one panel
        <Text key={start + i} wrap="truncate-end">
          {l === "" ? " " : l}
        </Text>
      ))}
    </Box>
  );
}
