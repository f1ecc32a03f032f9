/**
 * Human-friendly values of `parley-relay`'s blob flags: durations (`30d`, `12h`, `90m`, `45s`,
 * `500ms`, or plain milliseconds) and byte sizes (`256MiB`, `2GiB`, `512KiB`, `1M`, or plain
 * bytes; binary multiples only, so `M` and `MB` mean MiB). Pure; a bad value is a RangeError
 * naming the flag.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function positiveSafe(n: number, flag: string, text: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${flag} "${text}" must be a positive whole amount`);
  return n;
}

/**
 * Milliseconds of a duration: digits with an optional unit ms, s, m, h or d.
 * @example parseDuration("30d", "--blob-lifetime") // 2592000000
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^([0-9]{1,15})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new RangeError(`${flag} "${text}" is not a duration (e.g. 30d, 12h, 90m, 45s or milliseconds)`);
  return positiveSafe(Number(match[1]) * (DURATION_UNITS[match[2] ?? "ms"] as number), flag, text);
}

/**
 * Bytes of a size: digits with an optional binary unit K, M, G or T (optionally followed by
 * `iB` or `B`), case-insensitive.
 * @example parseByteSize("256MiB", "--max-blob-size") // 268435456
 */
export function parseByteSize(text: string, flag: string): number {
  const match = /^([0-9]{1,16})\s?(?:([kmgt])(?:ib|b)?|(b))?$/i.exec(text.trim());
  if (!match) throw new RangeError(`${flag} "${text}" is not a size (e.g. 256MiB, 2GiB or bytes)`);
  const unit = (match[2] ?? match[3] ?? "").toLowerCase();
  return positiveSafe(Number(match[1]) * (SIZE_UNITS[unit] as number), flag, text);
}
