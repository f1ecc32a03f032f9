// Markdown tables whose columns are padded, so the same text reads well on a terminal and
// renders in BENCHMARKS.md; plus the number formats every benchmark table uses.

/**
 * Renders rows as a padded Markdown table. `align` holds "l" or "r" per column (default: first
 * column left, the rest right).
 */
export function markdownTable(headers, rows, align = headers.map((_, i) => (i === 0 ? "l" : "r"))) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell ?? "")));
  const widths = headers.map((_, col) => Math.max(3, ...cells.map((row) => row[col].length)));
  const pad = (text, col) => (align[col] === "r" ? text.padStart(widths[col]) : text.padEnd(widths[col]));
  const line = (row) => `| ${row.map(pad).join(" | ")} |`;
  const rule = `|${widths.map((w, col) => (align[col] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join("\n");
}

/** Operations per second with three significant digits and a thousands separator: "7 512", "918". */
export function formatRate(rate) {
  if (rate === undefined) return "n/a";
  const digits = rate >= 1000 ? 0 : rate >= 100 ? 0 : rate >= 10 ? 1 : 2;
  const rounded =
    rate >= 1000 ? Math.round(rate / 10 ** (Math.floor(Math.log10(rate)) - 2)) * 10 ** (Math.floor(Math.log10(rate)) - 2) : rate;
  return rounded.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }).replaceAll(",", " ");
}

/** A ratio as "1.84×", or "n/a". */
export function formatRatio(value) {
  return value === undefined ? "n/a" : `${value.toFixed(2)}×`;
}

/** A relative spread as "±2.1 %". */
export function formatSpread(value) {
  return value === undefined ? "" : `±${(value * 100).toFixed(1)} %`;
}

/** Bytes as "1 234 B". */
export function formatBytes(bytes) {
  return bytes === undefined ? "n/a" : `${bytes.toLocaleString("en-US").replaceAll(",", " ")} B`;
}
