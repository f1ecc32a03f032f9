/**
 * The message pane: the visible slice of a conversation, newest at the bottom. Each message has
 * its number (for /reply N, /react N …), time, sender, text and marks: a quoted reply above it,
 * "(edited)", "message deleted", reactions, a file's name, size and type, and for our own
 * messages ✓ sent, ✓✓ delivered, ● read. Group system lines are dim and centred on a dash; call
 * history lines start with ☎ (a missed call in yellow).
 */
import type { ChatMessage } from "@parley/protocol/client";
import { Box, Text } from "ink";
import { callLineText } from "../calls.js";
import { formatReactions, formatSize, formatTime, progressBar, snippet, splitMentions, statusMark } from "../format.js";
import { conversationTitle, type Snapshot, userName } from "../store.js";

export interface MessagePaneProps {
  readonly snapshot: Snapshot;
  readonly conversationId: string | undefined;
  readonly width: number;
  readonly height: number;
  /** Messages scrolled up from the newest (0: at the live edge). */
  readonly scroll: number;
  readonly focused: boolean;
}

/** Rows a message takes at `width` columns (an estimate used to fill the pane). */
export function messageRows(m: ChatMessage, width: number): number {
  const head = 14;
  // The sender, time and number take about `head` columns; a file line its name, size and type.
  const length = m.kind === "attachment" ? (m.attachment?.fileName.length ?? 0) + m.text.length + 40 : m.text.length + head;
  const body = Math.ceil(length / Math.max(1, width));
  return Math.max(1, body) + (m.replyTo ? 1 : 0) + (Object.keys(m.reactions).length > 0 ? 1 : 0);
}

/** The ids of the messages that fit in `rows` rows ending `scroll` messages above the newest, oldest first, with their numbers. */
export function visibleSlice(
  ids: readonly string[],
  messages: Readonly<Record<string, ChatMessage>>,
  width: number,
  rows: number,
  scroll: number,
): { id: string; n: number }[] {
  const end = Math.max(0, ids.length - scroll);
  const out: { id: string; n: number }[] = [];
  let used = 0;
  for (let i = end - 1; i >= 0; i--) {
    const id = ids[i] as string;
    const m = messages[id];
    const need = m ? messageRows(m, width) : 1;
    if (used + need > rows && out.length > 0) break;
    used += need;
    out.unshift({ id, n: i + 1 });
  }
  return out;
}

export function MessagePane({ snapshot, conversationId, width, height, scroll, focused }: MessagePaneProps) {
  const inner = Math.max(10, width - 2);
  const rows = Math.max(1, height - 3);
  if (!conversationId) {
    return (
      <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor="gray">
        <Text dimColor>Pick a conversation (Tab, Ctrl+N/Ctrl+P) or start one: /msg @handle hello</Text>
      </Box>
    );
  }
  const ids = snapshot.timelines[conversationId] ?? [];
  const slice = visibleSlice(ids, snapshot.messagesById, inner, rows, scroll);
  const group = snapshot.groupsById[conversationId];
  const presence = snapshot.presence[conversationId]?.presence;
  const subtitle = group ? `${group.members.length} members${group.active ? "" : ", you left"}` : (presence ?? "");
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={focused ? "cyan" : "gray"}>
      <Box justifyContent="space-between" flexShrink={0}>
        <Text bold>{conversationTitle(snapshot, conversationId)}</Text>
        <Text dimColor>
          {scroll > 0 ? `↑ ${scroll} newer below  ` : ""}
          {subtitle}
        </Text>
      </Box>
      {snapshot.contactsById[conversationId]?.pendingIdentity ? (
        <Text color="red" wrap="truncate-end">
          {`⚠ ${conversationTitle(snapshot, conversationId)}'s safety number changed. Check it with /verify, then /accept to send again.`}
        </Text>
      ) : null}
      <Box flexDirection="column" flexGrow={1} justifyContent="flex-end" overflow="hidden">
        {slice.map(({ id, n }) => {
          const m = snapshot.messagesById[id];
          return m ? <MessageLine key={id} n={n} message={m} snapshot={snapshot} width={inner} /> : null;
        })}
      </Box>
    </Box>
  );
}

export interface MessageLineProps {
  readonly n: number;
  readonly message: ChatMessage;
  readonly snapshot: Snapshot;
  readonly width: number;
}

export function MessageLine({ n, message: m, snapshot, width }: MessageLineProps) {
  if (m.kind === "notice") {
    return (
      <Box flexShrink={0} width={width}>
        <Text dimColor italic wrap="wrap">
          {`${String(n).padStart(3)} ${formatTime(m.receivedAt)} — ${m.text}`}
        </Text>
      </Box>
    );
  }
  if (m.kind === "call") {
    const missed = m.call?.direction === "incoming" && m.call.outcome === "missed";
    return (
      <Box flexShrink={0} width={width}>
        <Text wrap="wrap" {...(missed ? { color: "yellow" } : { dimColor: true })}>
          {`${String(n).padStart(3)} ${formatTime(m.sentAt)} ☎ ${callLineText(snapshot, m)}`}
        </Text>
      </Box>
    );
  }
  const sender = userName(snapshot, m.sender, m.contactId);
  const quoted = m.replyTo ? snapshot.messagesById[m.replyTo] : undefined;
  const quotedNumber = m.replyTo ? (snapshot.timelines[m.contactId]?.indexOf(m.replyTo) ?? -1) + 1 : 0;
  const reactions = formatReactions(m.reactions);
  const transfer = Object.values(snapshot.transfers).find(
    (t) => t.conversationId === m.contactId && t.fileName === m.attachment?.fileName && t.direction === "down",
  );
  const mentionNames = [snapshot.me.handle ?? "", snapshot.me.displayName];
  const mark = m.outgoing ? statusMark(m.status) : "";
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {m.replyTo ? (
        <Text dimColor wrap="truncate-end">
          {`      ┌ ${quotedNumber > 0 ? `${quotedNumber} ` : ""}${quoted ? `${userName(snapshot, quoted.sender, m.contactId)}: ${quoted.deleted ? "(deleted)" : snippet(quoted.kind === "attachment" ? `📎 ${quoted.attachment?.fileName ?? ""}` : quoted.text, width - 20)}` : "(earlier message)"}`}
        </Text>
      ) : null}
      <Text wrap="wrap">
        <Text dimColor>{`${String(n).padStart(3)} ${formatTime(m.sentAt)} `}</Text>
        <Text bold color={m.outgoing ? "green" : "cyan"}>
          {sender}
        </Text>
        <Text>: </Text>
        {m.deleted ? (
          <Text dimColor italic>
            message deleted
          </Text>
        ) : m.kind === "attachment" && m.attachment ? (
          <Text>
            <Text color="blue">{`📎 ${m.attachment.fileName}`}</Text>
            <Text dimColor>{` (${formatSize(m.attachment.size)}, ${m.attachment.contentType})`}</Text>
            {m.text ? <Text>{` ${m.text}`}</Text> : null}
          </Text>
        ) : (
          splitMentions(m.text, m.mentions && m.mentions.length > 0 ? [] : mentionNames).map((part, i) =>
            part.mention ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text
              <Text key={i} color="yellow" bold>
                {part.text}
              </Text>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text
              <Text key={i}>{part.text}</Text>
            ),
          )
        )}
        {m.editedAt !== undefined && !m.deleted ? <Text dimColor> (edited)</Text> : null}
        {mark ? <Text color={m.status === "failed" ? "red" : m.status === "read" ? "cyan" : "gray"}>{` ${mark}`}</Text> : null}
        {transfer ? <Text color="blue">{` ${progressBar(transfer.loaded, transfer.total, 10)}`}</Text> : null}
      </Text>
      {reactions ? <Text>{`      ${reactions}`}</Text> : null}
    </Box>
  );
}
