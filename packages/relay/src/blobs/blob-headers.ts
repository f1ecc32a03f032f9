/**
 * Parsing of the HTTP headers the blob routes read (spec/relay.md §9): the bearer capability,
 * `Upload-Offset`, `Content-Length`, the PATCH media type and a single `Range`. Pure functions
 * over header values as Node hands them over (a string, a string array, or absent); anything
 * that is not exactly the expected form is refused, never guessed at. Fuzzed in
 * blob-headers.test.ts.
 */

/** The media type a PATCH body must carry (as in tus 1.0). */
export const OFFSET_CONTENT_TYPE = "application/offset+octet-stream";

type HeaderValue = string | readonly string[] | undefined;

/** Decimal digits of a byte count or offset: at most 16, so the value is a safe integer. */
const COUNT = /^[0-9]{1,16}$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]{1,100})$/;

/** A single header value: a repeated header (an array, or Node's comma-joined form) is refused. */
function single(value: HeaderValue): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A non-negative byte count written as plain decimal digits; undefined when absent or malformed. */
export function parseByteCount(value: HeaderValue): number | undefined {
  const text = single(value);
  if (text === undefined || !COUNT.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The capability bytes of `Authorization: Bearer <base64url>`; undefined when absent or malformed. */
export function parseBearer(value: HeaderValue): Uint8Array | undefined {
  const match = BEARER.exec(single(value) ?? "");
  return match ? new Uint8Array(Buffer.from(match[1] as string, "base64url")) : undefined;
}

/** True when the media type (parameters ignored, case-insensitive) is `application/offset+octet-stream`. */
export function isOffsetContentType(value: HeaderValue): boolean {
  const text = single(value);
  if (text === undefined) return false;
  const semicolon = text.indexOf(";");
  return (semicolon < 0 ? text : text.slice(0, semicolon)).trim().toLowerCase() === OFFSET_CONTENT_TYPE;
}

/** An inclusive byte range of a blob. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a `Range` header asks of a blob of `size` bytes (RFC 9110 §14.1.2, one range only):
 * a range within the blob (`bytes=a-b`, `bytes=a-`, `bytes=-n`; an end past the blob is cut to its
 * last byte), "unsatisfiable" (a start at or past the end, or an empty suffix → 416), or
 * undefined when there is no usable Range header (absent, malformed, several ranges, another
 * unit), which the server answers with the whole blob as RFC 9110 allows.
 */
export function parseRange(value: HeaderValue, size: number): ByteRange | "unsatisfiable" | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  const match = /^bytes=([0-9]{0,16})-([0-9]{0,16})$/.exec(text.trim());
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}
