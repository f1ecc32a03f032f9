// The one HTTP Range header form media players send, parsed for the media route (media-stream.ts). Pure: no DOM types.

/**
 * The byte range a `Range` header asks for (one range, `bytes=a-b`, `bytes=a-` or `bytes=-n`),
 * undefined for none or the whole file, "unsatisfiable" past the end.
 */
export function parseRange(header: string | null, size: number): { start: number; end: number } | undefined | "unsatisfiable" {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start) return "unsatisfiable";
  if (start === 0 && end === size - 1) return undefined;
  return { start, end };
}
