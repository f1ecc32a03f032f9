// A transfer's progress bar with its numbers and a Cancel button (uploads and downloads alike).
import type { Transfer } from "../../sdk/store.js";
import { humanSize } from "../../sdk/transfers.js";
import styles from "./Attachments.module.css";

export function TransferProgress({
  transfer,
  label,
  onCancel,
}: {
  readonly transfer: Transfer;
  /** What the bar is about, for screen readers: "Downloading report.pdf". */
  readonly label: string;
  readonly onCancel?: () => void;
}) {
  const percent = transfer.total > 0 ? Math.min(100, Math.floor((transfer.loaded / transfer.total) * 100)) : 0;
  return (
    <div className={styles.progressRow}>
      <progress className={styles.progress} max={100} value={percent} aria-label={label} />
      <span className={styles.progressText}>
        {humanSize(transfer.loaded)} of {humanSize(transfer.total)}
      </span>
      {onCancel && (
        <button
          type="button"
          className={styles.linkButton}
          onClick={onCancel}
          aria-label={`Cancel ${label.charAt(0).toLowerCase()}${label.slice(1)}`}
        >
          Cancel
        </button>
      )}
    </div>
  );
}
