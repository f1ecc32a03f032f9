/**
 * Handle rules (spec/relay.md §Handles): NFKC, then lower case, then 3–32 characters of
 * `a-z 0-9 _`, starting with a letter. ASCII only, so no two handles look alike across scripts;
 * case-insensitive because the stored form is the normalised one.
 */

const HANDLE = /^[a-z][a-z0-9_]{2,31}$/;

/** The normalised handle, or undefined when `input` breaks the rules. */
export function normalizeHandle(input: string): string | undefined {
  const handle = input.normalize("NFKC").toLowerCase();
  return HANDLE.test(handle) ? handle : undefined;
}
