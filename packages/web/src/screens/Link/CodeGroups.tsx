// A check code shown in groups of five digits (link codes, 40 digits), readable aloud.
import styles from "../SafetyNumber/page.module.css";

export function CodeGroups({ code, label }: { readonly code: string; readonly label: string }) {
  const groups = code.replace(/\D/g, "").match(/.{1,5}/g) ?? [];
  return (
    <ol className={styles.digits} aria-label={label}>
      {groups.map((g, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the groups are positions in a fixed code
        <li key={i} aria-label={g.split("").join(" ")}>
          {g}
        </li>
      ))}
    </ol>
  );
}
