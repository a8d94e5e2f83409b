// The one confirmation dialog of the console: a modal <dialog> (the page behind is inert), its
// title as its name, the focus kept inside (Tab wraps), Esc or "やめる" cancels (not while the
// request runs), and the focus goes back where it was when the dialog closes. Its content is a
// form: the fields a step needs (a reason, the device id typed back) are its children.

import { html, useEffect, useRef } from "../../vendor/preact-htm.js";
import { ErrorNote, SendButton, useId, useT } from "./ui.js";

/** The API's limit of a reason (commands, cancellations, revocations, terminations). */
export const REASON_MAX = 500;

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * open: shown or not; title; confirmLabel: the button that does it; danger: a destructive action
 * (red button); canConfirm: the fields are complete; busy: the request runs; problem: its error;
 * onConfirm(): the form was submitted; onCancel(): Esc or "やめる" (a click outside does nothing: typed text is not lost).
 */
export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  danger = false,
  canConfirm = true,
  busy = false,
  problem = null,
  problemContext,
  onConfirm,
  onCancel,
  children,
}) {
  const { t } = useT();
  const dialog = useRef(null);
  const opener = useRef(null);
  const titleId = useId("dialog-title");

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      opener.current = document.activeElement ?? document.body;
      element.showModal();
      // The first field to fill, else the safe choice ("やめる"), never the destructive button.
      const first = element.querySelector("input:not([disabled]), select:not([disabled]), textarea:not([disabled])");
      (first ?? element.querySelector("button.dialog-cancel"))?.focus();
    } else if (!open && opener.current !== null) {
      if (element.open) element.close();
      const back = opener.current;
      opener.current = null;
      if (back?.isConnected && !back.disabled) back.focus();
    }
  }, [open]);

  useEffect(() => () => dialog.current?.open && dialog.current.close(), []);

  const cancel = () => {
    if (!busy) onCancel();
  };

  const onKeyDown = (event) => {
    if (event.key !== "Tab") return;
    const focusable = [...dialog.current.querySelectorAll(FOCUSABLE)];
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const submit = (event) => {
    event.preventDefault();
    if (!busy && canConfirm) onConfirm();
  };

  return html`
    <dialog ref=${dialog} aria-labelledby=${titleId} class="console-dialog" onKeyDown=${onKeyDown}
      onCancel=${(event) => {
        event.preventDefault(); // Esc: the parent decides (and a running request keeps it open)
        cancel();
      }}
      onClose=${() => {
        // Closed by the browser itself (Chrome closes on a second Esc whatever the page says):
        // the parent hears of it, so that its state and the dialog agree.
        if (open) onCancel();
      }}>
      <article>
        <form onSubmit=${submit} novalidate>
          <header><h2 id=${titleId}>${title}</h2></header>
          ${open && children}
          <${ErrorNote} problem=${problem} context=${problemContext} />
          <footer>
            <button type="button" class="secondary dialog-cancel" disabled=${busy} onClick=${cancel}>${t("common.cancel")}</button>
            <${SendButton} busy=${busy} disabled=${!canConfirm} label=${confirmLabel} kind=${danger ? "danger" : ""} />
          </footer>
        </form>
      </article>
    </dialog>
  `;
}

/** A reason textarea (required or optional), counted against the API's 500 characters. */
export function ReasonField({ value, onInput, required, label, help, max = REASON_MAX }) {
  const { t } = useT();
  const id = useId("reason");
  const helpId = useId("reason-help");
  return html`
    <div class="field">
      <label for=${id}>${label ?? t("common.reason")}${" "}
        <span class="required">${t(required ? "common.required" : "common.optional")}</span></label>
      <textarea id=${id} rows="3" maxlength=${max} required=${required} aria-describedby=${helpId}
        value=${value} onInput=${(e) => onInput(e.currentTarget.value)}></textarea>
      <small id=${helpId}>${help ? `${help} ` : ""}${t("common.reasonCount", { count: [...value].length, max })}</small>
    </div>
  `;
}
