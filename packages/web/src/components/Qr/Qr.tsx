/**
 * A QR code as inline SVG (uqr encodes; React draws one path), dark on light whatever the theme,
 * with a quiet zone, so phone cameras read it. `CodeText` shows the same payload as text with a
 * "Copy code" button, for people who paste instead of scanning.
 */
import { type CSSProperties, useMemo, useState } from "react";
import { encode } from "uqr";
import styles from "./Qr.module.css";

export function Qr({ value, label }: { readonly value: string; readonly label: string }) {
  const { size, path } = useMemo(() => {
    const qr = encode(value, { ecc: "M", border: 4 });
    let d = "";
    qr.data.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      });
    });
    return { size: qr.size, path: d };
  }, [value]);
  return (
    <svg
      className={styles.qr}
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
      // Dense codes (a link approval) get bigger, so each module stays about 4 px wide.
      style={{ "--qr-size": `${Math.max(240, size * 4)}px` } as CSSProperties}
    >
      <rect width={size} height={size} className={styles.light} />
      <path d={path} className={styles.dark} />
    </svg>
  );
}

/** The payload as selectable text with a copy button. */
export function CodeText({ value, label }: { readonly value: string; readonly label: string }) {
  const [copied, setCopied] = useState<"yes" | "no">();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <div className={styles.codeText}>
      <textarea
        className={styles.code}
        aria-label={label}
        readOnly
        value={value}
        rows={Math.min(6, Math.ceil(value.length / 36))}
        spellCheck={false}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button type="button" className={styles.copy} onClick={copy}>
        Copy code
      </button>
      <span className={styles.copied} role="status">
        {copied === "yes" ? "Copied" : copied === "no" ? "Could not copy: select the text instead" : ""}
      </span>
    </div>
  );
}
