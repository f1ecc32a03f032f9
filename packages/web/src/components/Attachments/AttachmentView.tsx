// Placeholder (H4 owns): an attachment inside a message row.
import type { ChatMessage } from "@parley/protocol/client";

export function AttachmentView({ message }: { readonly message: ChatMessage }) {
  const a = message.attachment;
  if (!a) return null;
  return <span>📎 {a.fileName}</span>;
}
