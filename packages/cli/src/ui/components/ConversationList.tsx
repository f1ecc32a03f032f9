/** The conversation list: title, unread count, presence dot and typing mark per conversation. */
import { Box, Text } from "ink";
import { conversationTitle, type Snapshot } from "../store.js";

export interface ConversationListProps {
  readonly snapshot: Snapshot;
  readonly selectedId: string | undefined;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
}

/** ● online, ◐ away, ○ offline (a shape for each, not only a colour); groups get no dot. */
export function presenceDot(presence: "online" | "away" | "offline" | undefined): { mark: string; color: string } {
  if (presence === "online") return { mark: "●", color: "green" };
  if (presence === "away") return { mark: "◐", color: "yellow" };
  return { mark: "○", color: "gray" };
}

export function ConversationList({ snapshot, selectedId, focused, width, height }: ConversationListProps) {
  const ids = snapshot.conversations;
  const selectedIndex = Math.max(0, ids.indexOf(selectedId ?? ""));
  const rows = Math.max(1, height - 2);
  const start = Math.min(Math.max(0, selectedIndex - rows + 1), Math.max(0, ids.length - rows));
  const visible = ids.slice(start, start + rows);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={focused ? "cyan" : "gray"} overflow="hidden">
      {visible.length === 0 ? <Text dimColor>No conversations. /msg @handle</Text> : null}
      {visible.map((id) => {
        const summary = snapshot.conversationsById[id];
        const isGroup = summary?.group !== undefined || snapshot.groupsById[id] !== undefined;
        const dot = isGroup ? { mark: "#", color: "blue" } : presenceDot(snapshot.presence[id]?.presence);
        const unread = summary?.unread ?? 0;
        const typing = (snapshot.typing[id]?.length ?? 0) > 0;
        const selected = id === selectedId;
        const title = conversationTitle(snapshot, id).replace(/^# /, "");
        const suffix = `${typing ? " ✎" : ""}${unread > 0 ? ` (${unread})` : ""}`;
        const room = Math.max(1, width - 6 - suffix.length);
        return (
          <Box key={id}>
            <Text inverse={selected && focused} bold={selected}>
              {selected ? ">" : " "}
              <Text color={dot.color}>{dot.mark}</Text> {title.length > room ? `${title.slice(0, room - 1)}…` : title}
            </Text>
            {typing ? <Text color="magenta"> ✎</Text> : null}
            {unread > 0 ? (
              <Text color="yellow" bold>
                {` (${unread})`}
              </Text>
            ) : null}
          </Box>
        );
      })}
    </Box>
  );
}
