// Placeholder (H5 owns): unread count in the title and favicon, desktop notifications when hidden.
export function Attention() {
  return null;
}
