// Placeholder (H4 owns): wraps the conversation so files can be dropped (and pasted) onto it.
import type { ReactNode } from "react";

export function DropZone({ children }: { readonly conversationId: string; readonly children: ReactNode }) {
  return <>{children}</>;
}
