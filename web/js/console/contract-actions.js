// Ending the contract: the subscriber's cancellation notice (R9), previewed first (the end it
// gives, in JST, and the last month charged, R12) and recorded after a confirmation step; and the
// company's termination (R10, at once, with its ground and a reason), after a confirmation step.
// An ended contract says so in a sentence instead.

import { html, useState } from "../../vendor/preact-htm.js";
import { ConfirmDialog, ReasonField } from "./dialog.js";
import { jst, month } from "./format.js";
import { path, request } from "./client.js";
import { ErrorNote, Facts, Panel, SendButton, Time, useId, useT } from "./ui.js";

/** R10(1): a breach of the terms; R10(2): continuing is otherwise inappropriate. */
const GROUNDS = ["R10_1", "R10_2"];
const GROUND_TEXT = { R10_1: "R10(1)", R10_2: "R10(2)" };

export function ContractActionsPanel({ contract, onChanged }) {
  const { lang, t } = useT();
  const contractId = contract.contractId;
  const [dialog, setDialog] = useState(null); // "CANCEL" | "TERMINATE"
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState(null); // "PREVIEW" | "CANCEL" | "TERMINATE"
  const [problem, setProblem] = useState(null); // in the panel (the preview's)
  const [dialogProblem, setDialogProblem] = useState(null);
  const [done, setDone] = useState(null);
  const [ground, setGround] = useState("");
  const [reason, setReason] = useState("");
  const groundName = useId("ground");

  const ended = contract.status === "ENDED";
  const pending = contract.status === "CANCELLATION_PENDING";

  async function askPreview() {
    setBusy("PREVIEW");
    setProblem(null);
    setDone(null);
    const answer = await request("GET", path`/contracts/${contractId}/cancellation/preview`);
    setBusy(null);
    if (answer.problem) {
      setProblem(answer.problem);
      if (answer.problem.code === "CONTRACT_ENDED") onChanged({ reloadContract: true });
      return;
    }
    setPreview(answer.data);
    setDialogProblem(null);
    setDialog("CANCEL");
  }

  async function recordNotice() {
    setBusy("CANCEL");
    setDialogProblem(null);
    // The instant the preview was made for: what was confirmed is what is recorded.
    const answer = await request("POST", path`/contracts/${contractId}/cancellation`, { receivedAt: preview.receivedAt });
    setBusy(null);
    if (answer.problem) {
      setDialogProblem(answer.problem);
      // Ended meanwhile (by a colleague, the month end): show the contract as it now stands.
      if (answer.problem.code === "CONTRACT_ENDED") onChanged({ reloadContract: true });
      return;
    }
    setDialog(null);
    const view = answer.data ?? {};
    setDone(
      view.status === "ENDED"
        ? t("actions.cancel.doneEnded", { at: jst(view.endedAt) })
        : t("actions.cancel.done", { at: jst(view.endsAt) }),
    );
    onChanged({ reloadContract: true });
  }

  function startTermination() {
    setGround("");
    setReason("");
    setDialogProblem(null);
    setDone(null);
    setDialog("TERMINATE");
  }

  async function terminate() {
    setBusy("TERMINATE");
    setDialogProblem(null);
    const answer = await request("POST", path`/contracts/${contractId}/termination`, {
      reason: `${GROUND_TEXT[ground]}: ${reason.trim()}`,
    });
    setBusy(null);
    if (answer.problem) {
      setDialogProblem(answer.problem);
      // Ended meanwhile (by a colleague, the month end): show the contract as it now stands.
      if (answer.problem.code === "CONTRACT_ENDED") onChanged({ reloadContract: true });
      return;
    }
    setDialog(null);
    setDone(t("actions.terminate.done", { at: jst(answer.data?.endedAt) }));
    onChanged({ reloadContract: true });
  }

  return html`
    <${Panel} title=${t("actions.title")} className="panel-actions">
      ${ended &&
      html`<p class="notice">${t("actions.ended", { at: jst(contract.endedAt), reason: t(`contract.endReason.${contract.endReason}`) })}</p>`}
      ${!ended &&
      html`
        <div class="action-block">
          <h3>${t("actions.cancel.title")}</h3>
          ${pending
            ? html`<p>${t("actions.cancel.pending", { received: jst(contract.cancellationReceivedAt), at: jst(contract.endsAt) })}</p>`
            : html`<p class="muted">${t("actions.cancel.explain")}</p>`}
          <${SendButton} type="button" kind="secondary" busy=${busy === "PREVIEW"} busyLabel=${t("actions.cancel.previewing")}
            label=${t("actions.cancel.start")} onClick=${askPreview} />
        </div>
        <div class="action-block">
          <h3>${t("actions.terminate.title")}</h3>
          <p class="muted">${t("actions.terminate.explain")}</p>
          <button type="button" class="danger outline" onClick=${startTermination}>${t("actions.terminate.start")}</button>
        </div>
      `}
      <${ErrorNote} problem=${problem} context="contract" />
      <p role="status" class="notice-ok-text">${done ?? ""}</p>

      <${ConfirmDialog} open=${dialog === "CANCEL"} title=${t("actions.cancel.confirmTitle")}
        confirmLabel=${t("actions.cancel.confirm")} busy=${busy === "CANCEL"} problem=${dialogProblem} problemContext="contract"
        canConfirm=${Boolean(preview) && !preview?.existingEndStands}
        onCancel=${() => setDialog(null)} onConfirm=${recordNotice}>
        ${preview &&
        html`
          <p>${preview.existingEndStands
            ? t("actions.cancel.existingStands", { at: jst(preview.endsAt) })
            : t("actions.cancel.willEnd", { at: jst(preview.endsAt) })}</p>
          <${Facts} rows=${[
            [t("actions.cancel.receivedAt"), html`<${Time} iso=${preview.receivedAt} />`],
            [t("actions.cancel.endsAt"), html`<strong><${Time} iso=${preview.endsAt} /></strong>`],
            [t("contract.firstBillableMonth"), month(lang, preview.firstBillableMonth)],
            [t("actions.cancel.lastBilledMonth"), preview.lastBilledMonth ? month(lang, preview.lastBilledMonth) : t("actions.cancel.neverBilled")],
          ]} />
          <p class="muted">${t("actions.cancel.noProration")}</p>
        `}
      <//>

      <${ConfirmDialog} open=${dialog === "TERMINATE"} title=${t("actions.terminate.confirmTitle")}
        confirmLabel=${t("actions.terminate.confirm")} danger=${true} busy=${busy === "TERMINATE"}
        problem=${dialogProblem} problemContext="contract"
        canConfirm=${Boolean(ground) && reason.trim().length > 0}
        onCancel=${() => setDialog(null)} onConfirm=${terminate}>
        <p class="danger-text"><strong>${t("actions.terminate.warning")}</strong></p>
        <fieldset>
          <legend>${t("actions.terminate.ground")} <span class="required">${t("common.required")}</span></legend>
          ${GROUNDS.map(
            (g) => html`<label><input type="radio" name=${groundName} value=${g} checked=${ground === g}
              onChange=${() => setGround(g)} /> ${t(`actions.terminate.ground.${g}`)}</label>`,
          )}
        </fieldset>
        <${ReasonField} value=${reason} onInput=${setReason} required=${true} label=${t("actions.terminate.reason")} max=${480} />
      <//>
    <//>
  `;
}
