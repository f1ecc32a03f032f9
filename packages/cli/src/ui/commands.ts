/**
 * The interactive chat's slash commands: one pure parser from an input line to a typed command
 * (or a usage sentence), so every command's syntax is unit-tested apart from the view.
 */

/** A message reference: a number shown in the message pane, or the newest message. */
export type MessageRef = number | "last";

/** Group subcommands of `/group`. */
export type GroupCommand =
  | { readonly op: "create"; readonly name: string; readonly members: readonly string[] }
  | { readonly op: "add" | "remove" | "promote" | "demote"; readonly member: string }
  | { readonly op: "leave" | "info" }
  | { readonly op: "rename"; readonly name: string };

/** A parsed input line. `text` is a plain message to the focused conversation. */
export type Command =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "msg"; readonly handle: string; readonly text: string }
  | { readonly kind: "reply"; readonly ref: MessageRef; readonly text: string }
  | { readonly kind: "react"; readonly ref: MessageRef; readonly emoji: string }
  | { readonly kind: "edit"; readonly ref: MessageRef; readonly text: string }
  | { readonly kind: "delete"; readonly ref: MessageRef }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "save"; readonly ref: MessageRef; readonly dir?: string }
  | { readonly kind: "group"; readonly group: GroupCommand }
  | { readonly kind: "verify" }
  | { readonly kind: "accept" }
  | { readonly kind: "devices" }
  | { readonly kind: "link"; readonly request?: string; readonly confirm?: string }
  | { readonly kind: "unlink"; readonly device: number }
  | { readonly kind: "settings"; readonly toggle?: "receipts" | "typing" | "presence" }
  | { readonly kind: "help" }
  | { readonly kind: "quit" };

/** The outcome of parsing: a command, nothing to do (empty line), or a usage error for the status line. */
export type ParseResult = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: string } | null;

/** One line per command, for `/help` and the hint in usage errors. */
export const COMMAND_HELP: readonly (readonly [string, string])[] = [
  ["/msg @handle [text]", "open (or start) a conversation, optionally sending a text"],
  ["/reply [N] text", "reply to message N (default: the last)"],
  ["/react [N] emoji", "react to message N (emoji or :shortcode:)"],
  ["/edit [N] text", "edit your message N"],
  ["/delete [N]", "delete your message N for everyone"],
  ["/file PATH", "send a file"],
  ["/save [N] [DIR]", "download the file of message N"],
  ["/group create NAME @a @b", "create a group (also: add|remove|promote|demote @x, leave, info, rename NAME)"],
  ["/verify", "show the safety number and its QR code"],
  ["/accept", "accept the contact's changed identity"],
  ["/devices", "list this account's devices"],
  ["/link REQUEST | /link confirm CODE", "approve a new device"],
  ["/unlink N", "remove device N"],
  ["/settings [receipts|typing|presence]", "show or toggle privacy settings"],
  ["/help", "this list"],
  ["/quit", "leave (also Ctrl+C)"],
];

const USAGE: Record<string, string> = Object.fromEntries(COMMAND_HELP.map(([syntax]) => [syntax.split(" ")[0] as string, syntax]));

function usage(name: string): { ok: false; error: string } {
  return { ok: false, error: `Usage: ${USAGE[name] ?? name}` };
}

const HANDLE = /^@?([A-Za-z][A-Za-z0-9_]{2,31})$/;

/** `@Alice` or `alice` → `alice`; undefined when it is not a handle. */
export function parseHandle(word: string): string | undefined {
  const match = HANDLE.exec(word);
  return match?.[1]?.toLowerCase();
}

/** Splits off an optional leading message number. */
function refAndRest(args: string): { ref: MessageRef; rest: string } | undefined {
  const match = /^(\d+)(?:\s+([\s\S]*))?$/.exec(args);
  if (!match) return { ref: "last", rest: args };
  const n = Number(match[1]);
  if (!Number.isSafeInteger(n) || n < 1) return undefined;
  return { ref: n, rest: (match[2] ?? "").trim() };
}

/** Parses one input line. A line not starting with `/` (or starting with `//`) is text. */
export function parseCommand(line: string): ParseResult {
  const trimmed = line.trim();
  if (trimmed === "") return null;
  if (!trimmed.startsWith("/")) return { ok: true, command: { kind: "text", text: trimmed } };
  if (trimmed.startsWith("//")) return { ok: true, command: { kind: "text", text: trimmed.slice(1) } };
  const space = trimmed.search(/\s/);
  const name = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const args = space < 0 ? "" : trimmed.slice(space + 1).trim();
  const ok = (command: Command): ParseResult => ({ ok: true, command });
  switch (name) {
    case "/msg": {
      const [first = ""] = args.split(/\s+/);
      const handle = parseHandle(first);
      if (!handle) return usage(name);
      return ok({ kind: "msg", handle, text: args.slice(first.length).trim() });
    }
    case "/reply":
    case "/edit": {
      const parsed = refAndRest(args);
      if (!parsed || parsed.rest === "") return usage(name);
      return ok({ kind: name === "/reply" ? "reply" : "edit", ref: parsed.ref, text: parsed.rest });
    }
    case "/react": {
      const parsed = refAndRest(args);
      if (!parsed || parsed.rest === "" || /\s/.test(parsed.rest)) return usage(name);
      return ok({ kind: "react", ref: parsed.ref, emoji: parsed.rest });
    }
    case "/delete": {
      if (args === "") return ok({ kind: "delete", ref: "last" });
      const parsed = refAndRest(args);
      if (!parsed || parsed.ref === "last" || parsed.rest !== "") return usage(name);
      return ok({ kind: "delete", ref: parsed.ref });
    }
    case "/file":
      return args === "" ? usage(name) : ok({ kind: "file", path: unquote(args) });
    case "/save": {
      if (args === "") return ok({ kind: "save", ref: "last" });
      const parsed = refAndRest(args);
      if (!parsed) return usage(name);
      return ok({ kind: "save", ref: parsed.ref, ...(parsed.rest ? { dir: unquote(parsed.rest) } : {}) });
    }
    case "/group":
      return parseGroup(args);
    case "/verify":
    case "/accept":
    case "/devices":
    case "/help":
    case "/quit":
      return args === "" ? ok({ kind: name.slice(1) as "verify" | "accept" | "devices" | "help" | "quit" }) : usage(name);
    case "/link": {
      if (args === "") return ok({ kind: "link" });
      const confirm = /^confirm\s+([\d\s]+)$/i.exec(args);
      if (confirm?.[1]) return ok({ kind: "link", confirm: confirm[1].replace(/\s+/g, "") });
      if (/\s/.test(args)) return usage(name);
      return ok({ kind: "link", request: args });
    }
    case "/unlink": {
      const n = Number(args);
      return /^\d+$/.test(args) && Number.isSafeInteger(n) ? ok({ kind: "unlink", device: n }) : usage(name);
    }
    case "/settings": {
      if (args === "") return ok({ kind: "settings" });
      const toggle = args.toLowerCase();
      return toggle === "receipts" || toggle === "typing" || toggle === "presence" ? ok({ kind: "settings", toggle }) : usage(name);
    }
    case "/q":
    case "/exit":
      return ok({ kind: "quit" });
    default:
      return { ok: false, error: `Unknown command ${name}. Type /help for the list.` };
  }
}

function parseGroup(args: string): ParseResult {
  const words = args.split(/\s+/).filter(Boolean);
  const op = words[0]?.toLowerCase();
  const fail = usage("/group");
  switch (op) {
    case "create": {
      const rest = words.slice(1);
      const firstMember = rest.findIndex((w) => w.startsWith("@"));
      const nameWords = firstMember < 0 ? rest : rest.slice(0, firstMember);
      const members = firstMember < 0 ? [] : rest.slice(firstMember).map(parseHandle);
      if (nameWords.length === 0 || members.length === 0 || members.some((m) => m === undefined)) return fail;
      return { ok: true, command: { kind: "group", group: { op, name: nameWords.join(" "), members: members as string[] } } };
    }
    case "add":
    case "remove":
    case "promote":
    case "demote": {
      const member = words.length === 2 ? parseHandle(words[1] as string) : undefined;
      return member ? { ok: true, command: { kind: "group", group: { op, member } } } : fail;
    }
    case "leave":
    case "info":
      return words.length === 1 ? { ok: true, command: { kind: "group", group: { op } } } : fail;
    case "rename": {
      const name = args.slice(args.toLowerCase().indexOf("rename") + 6).trim();
      return name ? { ok: true, command: { kind: "group", group: { op, name } } } : fail;
    }
    default:
      return fail;
  }
}

function unquote(text: string): string {
  const match = /^(["'])(.*)\1$/.exec(text);
  return match?.[2] ?? text;
}
