// Placeholder (H4 owns): the composer's "attach a file" button.
export function AttachButton(_props: { readonly conversationId: string; readonly disabled?: boolean }) {
  return null;
}
