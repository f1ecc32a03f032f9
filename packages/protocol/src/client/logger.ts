/**
 * The client's optional logger hook: what happens on the connection, at login, in prekey
 * maintenance and identity re-checks, at four levels. Fields are flat primitives by type and
 * by a runtime filter, so bytes (keys, tokens, ciphertext) cannot reach a log line even by
 * mistake; messages and fields never carry plaintext, keys or delivery tokens.
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Fields of a log line: flat and primitive only (no bytes, no objects). */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Where the client writes its log. `console` fits (`logger: console`), as does any object with
 * these four methods; `level` (default `"info"`) drops lines below it before they are built.
 */
export interface ClientLogger {
  readonly level?: LogLevel | "silent";
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Readonly<Record<LogLevel | "silent", number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
/** Longest string field kept; longer ones are cut (an error message, a relay id). */
const MAX_FIELD_CHARS = 200;

/** The client's internal log: a no-op without a logger, never throws into the client. */
export class Log {
  private readonly threshold: number;

  constructor(private readonly logger: ClientLogger | undefined) {
    this.threshold = logger ? RANK[logger.level ?? "info"] : RANK.silent;
  }

  debug(message: string, fields?: LogFields): void {
    this.write("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.write("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write("error", message, fields);
  }

  private write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.logger || RANK[level] < this.threshold) return;
    try {
      this.logger[level](message, fields ? clean(fields) : undefined);
    } catch {
      // A failing logger must not break messaging.
    }
  }
}

/** Keeps primitive fields only (a Uint8Array passed through a cast is dropped), strings cut short. */
function clean(fields: LogFields): LogFields {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string") out[key] = value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
    else if (typeof value === "number" || typeof value === "boolean") out[key] = value;
  }
  return out;
}

/** An error as log fields: its code and a short message, never its cause chain or stack. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : error.name, error: error.message };
  }
  return { error: String(error) };
}
