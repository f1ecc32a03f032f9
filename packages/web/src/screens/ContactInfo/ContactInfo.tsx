// Placeholder (H5 owns): A contact's info: name, handle, presence, verification.
export function ContactInfo({ conversationId }: { readonly conversationId: string }) {
  return <h2>ContactInfo {conversationId}</h2>;
}
