import type { ReactNode } from "react";
import { Icon } from "./icons";

/**
 * A Delete button that asks once more before it deletes: pressed, it turns
 * into a group of "Delete" (runs `onDelete`) and "Keep" (asks no more). The
 * parent keeps `confirming` and `deleting`, which its request also changes.
 */
export function ConfirmDelete({
  confirming,
  onConfirming,
  deleting,
  onDelete,
  words,
  prompt,
}: {
  confirming: boolean;
  onConfirming: (confirming: boolean) => void;
  deleting: boolean;
  onDelete: () => void;
  /** The button texts and the accessible names of the button and of the confirming group. */
  words: { delete: string; deleting: string; keep: string; deleteLabel: string; confirmLabel: string };
  /** A sentence shown beside the two buttons while confirming. */
  prompt?: ReactNode;
}) {
  if (!confirming) {
    return (
      <button
        type="button"
        className="button button-danger"
        onClick={() => onConfirming(true)}
        aria-label={words.deleteLabel}
      >
        <Icon name="trash" /> {words.delete}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={words.confirmLabel}>
      {prompt ? <span className="small">{prompt}</span> : null}
      <button type="button" className="button button-danger" onClick={onDelete} disabled={deleting}>
        {deleting ? words.deleting : words.delete}
      </button>
      <button type="button" className="button" onClick={() => onConfirming(false)} disabled={deleting}>
        {words.keep}
      </button>
    </span>
  );
}
