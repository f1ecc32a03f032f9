/**
 * Telling the user about a message in a conversation that is not focused: the terminal bell,
 * plus a desktop notification where the terminal is known to show one (OSC 9 for iTerm2,
 * WezTerm, ghostty, kitty's OSC 9 support; OSC 777 for VTE terminals, foot, urxvt). The text
 * names the conversation only: message content never leaves the window.
 */

/** The escape sequence(s) to write for a notification titled `title` with `body`, for this environment. */
export function notificationSequence(title: string, body: string, env: NodeJS.ProcessEnv = process.env): string {
  const clean = (s: string) => s.replace(/[\p{Cc};]/gu, " ").slice(0, 120);
  const program = env.TERM_PROGRAM ?? "";
  const term = env.TERM ?? "";
  let desktop = "";
  if (/^(iTerm\.app|WezTerm|ghostty)$/.test(program) || term === "xterm-kitty" || term === "xterm-ghostty") {
    desktop = `\u001b]9;${clean(title)}: ${clean(body)}\u0007`;
  } else if (env.VTE_VERSION || /^(foot|rxvt)/.test(term)) {
    desktop = `\u001b]777;notify;${clean(title)};${clean(body)}\u0007`;
  }
  // Inside tmux a sequence must be wrapped to reach the outer terminal.
  if (desktop && env.TMUX) desktop = `\u001bPtmux;${desktop.replaceAll("\u001b", "\u001b\u001b")}\u001b\\`;
  return `\u0007${desktop}`;
}
