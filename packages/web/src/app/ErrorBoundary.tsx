// Error boundaries: one per screen and one per timeline row, so one bad message or screen
// cannot blank the app. Logs carry the error's name and code only, never message content.
import { Component, type ReactNode } from "react";

export function logUiError(kind: string, error: unknown): void {
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  console.error(`parley ui: ${kind} ${name}${typeof code === "string" ? ` ${code}` : ""}`);
}

interface Props {
  readonly children: ReactNode;
  /** What to show instead; default a short line. */
  readonly fallback?: ReactNode;
}

export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render(): ReactNode {
    if (this.state.failed)
      return this.props.fallback ?? <p role="alert">This part of Parley failed to show. Reload the page to try again.</p>;
    return this.props.children;
  }
}
