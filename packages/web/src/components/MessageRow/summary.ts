/** One-line texts about a message: its summary (labels, previews, quotes) and group receipt counts. */
import type { ChatMessage, MemberStatus } from "@parley/protocol/client";

/** "Read by 2 of 3" / "Delivered to 1 of 3" for an outgoing group message, from per-member receipts. */
export function groupReceiptText(receipts: Readonly<Record<string, MemberStatus>> | undefined, members: number): string | undefined {
  if (!receipts || members <= 0) return undefined;
  const states = Object.values(receipts);
  const read = states.filter((r) => r === "read").length;
  const delivered = states.filter((r) => r === "read" || r === "delivered").length;
  const failed = states.filter((r) => r === "failed").length;
  const parts: string[] = [];
  if (read > 0) parts.push(`Read by ${read} of ${members}`);
  else if (delivered > 0) parts.push(`Delivered to ${delivered} of ${members}`);
  if (failed > 0) parts.push(`not sent to ${failed}`);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/** What a message says, in one line (for labels, previews and quotes). */
export function messageSummary(m: ChatMessage): string {
  if (m.deleted) return "Message deleted";
  if (m.kind === "attachment") return m.text ? `${m.attachment?.fileName ?? "File"}: ${m.text}` : (m.attachment?.fileName ?? "File");
  return m.text;
}
