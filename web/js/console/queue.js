// The deferred applications (R6.2), oldest first (first come, first served, R6.1): approve or
// reject each (each asks to confirm: approving forms a contract that is charged, R12; rejecting
// refuses for "other business reasons", R6.3(5)). After a decision the row says what was decided.

import { html, useRef, useState } from "../../vendor/preact-htm.js";
import { ConfirmDialog } from "./dialog.js";
import { getPage, path, request } from "./client.js";
import { ErrorNote, LoadMore, Time, usePaged, useT } from "./ui.js";
import { has } from "./texts.js";

export function QueueView({ headingRef }) {
  const { t } = useT();
  const list = usePaged((cursor) => getPage("/applications", cursor, { status: "DEFERRED" }), []);
  const [asking, setAsking] = useState(null); // {application, decision}
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [decided, setDecided] = useState({}); // applicationId → {decision} | {problem}
  const results = useRef({});

  async function decide() {
    const { application, decision } = asking;
    setBusy(true);
    setProblem(null);
    const body = decision === "REJECT" ? { decision, reason: "OTHER" } : { decision };
    const answer = await request("POST", path`/applications/${application.applicationId}/decision`, body);
    setBusy(false);
    if (answer.problem && answer.problem.code !== "NOT_DEFERRED") {
      setProblem(answer.problem);
      return;
    }
    // NOT_DEFERRED: decided meanwhile (by someone else): the row says so instead of the buttons.
    setDecided((d) => ({ ...d, [application.applicationId]: answer.problem ? { problem: answer.problem } : { decision } }));
    setAsking(null);
    setTimeout(() => results.current[application.applicationId]?.focus(), 0);
  }

  const deviceText = (device = {}) =>
    [device.platform && t(`device.platform.${device.platform}`), device.kind && t(`device.kind.${device.kind}`), device.model]
      .filter(Boolean)
      .join(" · ");
  const reasonText = (code) => (!code ? "—" : has(`queue.reason.${code}`) ? t(`queue.reason.${code}`) : code);

  return html`
    <h1 tabindex="-1" ref=${headingRef}>${t("queue.title")}</h1>
    <p class="muted">${t("queue.intro")}</p>
    <div class="panel-tools">
      <button type="button" class="secondary outline small" disabled=${list.loading} onClick=${list.reload}>${t("queue.refresh")}</button>
    </div>
    ${list.loading && !list.loaded && html`<p aria-busy="true">${t("common.loading")}</p>`}
    <${ErrorNote} problem=${list.problem} />
    ${list.loaded && list.items.length === 0 && html`<p>${t("queue.none")}</p>`}
    ${list.items.length > 0 &&
    html`
      <div class="table-scroll" role="region" aria-label=${t("queue.tableLabel")} tabindex="0">
        <table class="striped dense queue">
          <thead>
            <tr>
              <th scope="col">${t("queue.receivedAt")}</th>
              <th scope="col">${t("queue.applicant")}</th>
              <th scope="col">${t("queue.account")}</th>
              <th scope="col">${t("queue.device")}</th>
              <th scope="col">${t("queue.reason")}</th>
              <th scope="col">${t("queue.decision")}</th>
            </tr>
          </thead>
          <tbody>
            ${list.items.map((application) => {
              const id = application.applicationId;
              const result = decided[id];
              const name = application.applicantName;
              return html`
                <tr key=${id}>
                  <td><${Time} iso=${application.receivedAt} /></td>
                  <th scope="row">${name}<br /><code class="small">${id}</code></th>
                  <td><code>${application.mobileContractId}</code></td>
                  <td>${deviceText(application.device)}</td>
                  <td>${reasonText(application.deferredReason)}</td>
                  <td>
                    ${result
                      ? html`<p class="decided" tabindex="-1" ref=${(el) => (results.current[id] = el)}>
                          ${result.decision ? t(`queue.decided.${result.decision}`) : t("queue.decidedElsewhere")}</p>`
                      : html`<div class="row-actions">
                          <button type="button" class="small" aria-label=${t("queue.approveOf", { name, id })}
                            onClick=${() => { setProblem(null); setAsking({ application, decision: "APPROVE" }); }}>${t("queue.approve")}</button>
                          <button type="button" class="small danger outline" aria-label=${t("queue.rejectOf", { name, id })}
                            onClick=${() => { setProblem(null); setAsking({ application, decision: "REJECT" }); }}>${t("queue.reject")}</button>
                        </div>`}
                  </td>
                </tr>
              `;
            })}
          </tbody>
        </table>
      </div>
    `}
    <${LoadMore} list=${list} label=${t("queue.title")} />

    <${ConfirmDialog} open=${Boolean(asking)} busy=${busy} problem=${problem} problemContext="application"
      danger=${asking?.decision === "REJECT"}
      title=${asking ? t(`queue.confirm.${asking.decision}.title`) : ""}
      confirmLabel=${asking ? t(`queue.confirm.${asking.decision}.button`) : ""}
      onCancel=${() => setAsking(null)} onConfirm=${decide}>
      ${asking &&
      html`
        <p>${t(`queue.confirm.${asking.decision}.body`)}</p>
        <p><strong>${asking.application.applicantName}</strong> · <code>${asking.application.applicationId}</code>
          · <code>${asking.application.mobileContractId}</code></p>
      `}
    <//>
  `;
}
