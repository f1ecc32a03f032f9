// Placeholder (H5 owns): The safety number with a contact: digits, QR code, scanning.
export function SafetyNumber({ conversationId }: { readonly conversationId: string }) {
  return <h2>SafetyNumber {conversationId}</h2>;
}
