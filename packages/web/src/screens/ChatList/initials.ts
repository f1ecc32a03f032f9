/** Up to two initials of a name, for the avatar. */
export function initials(name: string): string {
  const words = name.replace(/^@/, "").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [words[0]];
  return letters
    .map((w) => (w ? ([...w][0] ?? "") : ""))
    .join("")
    .toUpperCase();
}
