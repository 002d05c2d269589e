import type { ConfirmOptions } from './context';
import { button, el } from './dom';

/**
 * A modal confirmation (the browser's <dialog>: focus stays inside, Escape cancels);
 * resolves true when the user confirms.
 */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const title = el('h2', { id: 'confirm-title' }, options.title);
    const message = el('p', { id: 'confirm-message' }, options.message);
    const dialog = el('dialog', { class: 'modal confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-message' });
    let confirmed = false;
    const cancel = button('Cancel', () => dialog.close());
    const ok = button(
      options.confirmLabel,
      () => {
        confirmed = true;
        dialog.close();
      },
      { class: 'primary' },
    );
    dialog.append(title, message, el('div', { class: 'actions' }, cancel, ok));
    openModal(dialog, ok, () => resolve(confirmed));
  });
}

/** Shows `dialog` as a modal with the focus on `focus`; `onClose` runs once it is closed (and removed). */
export function openModal(dialog: HTMLDialogElement, focus: HTMLElement, onClose: () => void): void {
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  focus.focus();
}
