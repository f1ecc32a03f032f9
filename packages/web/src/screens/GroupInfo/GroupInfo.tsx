// Placeholder (H4 owns): A group's info: members and roles, settings, rename, leave.
export function GroupInfo({ conversationId }: { readonly conversationId: string }) {
  return <h2>GroupInfo {conversationId}</h2>;
}
