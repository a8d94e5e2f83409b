// One contract, as staff need it on a call: who and which device, where the contract is in its
// life (R9–R11 dates in JST, the first billable month, R12), the app and passphrase (R16), the
// account's other contracts against the R4 limit; then the call's panels (support session,
// identity verification, remote actions, contract actions) beside the timeline and invoices.
// Any action reloads the timeline (and the contract when it changed it).

import { html, useCallback, useEffect, useState } from "../../vendor/preact-htm.js";
import { month } from "./format.js";
import { path, request } from "./client.js";
import { RemoteActionsPanel } from "./commands.js";
import { ContractActionsPanel } from "./contract-actions.js";
import { InvoicesPanel } from "./invoices.js";
import { SessionPanel } from "./session.js";
import { TimelinePanel } from "./timeline.js";
import { ErrorNote, Facts, StatusBadge, Time, useT } from "./ui.js";
import { useVerification, VerifyPanel } from "./verify.js";

export const CONTRACT_ID = /^ctr-[a-f0-9]{1,64}$/;

function yesNo(t, value, yes, no) {
  if (value === undefined || value === null) return undefined;
  return t(value ? yes : no);
}

function Summary({ contract }) {
  const { lang, t } = useT();
  const device = contract.device ?? {};
  const account = contract.account;
  const others = account?.contracts ?? [];
  return html`
    <div class="summary-grid">
      <section class="summary-block" aria-labelledby="summary-contract">
        <h2 id="summary-contract">${t("contract.section.contract")}</h2>
        <${Facts} rows=${[
          [t("contract.holder"), contract.holderName],
          [t("contract.status"), html`<${StatusBadge} group="contract" status=${contract.status} />`],
          [t("contract.formedAt"), html`<${Time} iso=${contract.formedAt} />`],
          [t("contract.cancellationReceivedAt"), contract.cancellationReceivedAt && html`<${Time} iso=${contract.cancellationReceivedAt} />`],
          [t("contract.endsAt"), contract.endsAt && html`<${Time} iso=${contract.endsAt} />`],
          [t("contract.endedAt"), contract.endedAt && html`<${Time} iso=${contract.endedAt} />`],
          [t("contract.endReasonLabel"), contract.endReason && t(`contract.endReason.${contract.endReason}`)],
          [t("contract.terminationReason"), contract.terminationReason],
          [t("contract.firstBillableMonth"), contract.firstBillableMonth && month(lang, contract.firstBillableMonth)],
          [t("contract.supportPhone"), contract.supportPhoneNumber],
        ]} />
      </section>
      <section class="summary-block" aria-labelledby="summary-device">
        <h2 id="summary-device">${t("contract.section.device")}</h2>
        <${Facts} rows=${[
          [t("contract.deviceId"), device.deviceId && html`<code>${device.deviceId}</code>`],
          [t("contract.device"), [device.model, device.platform && t(`device.platform.${device.platform}`), device.kind && t(`device.kind.${device.kind}`)].filter(Boolean).join(" · ")],
          [t("contract.app"), device.appRegistered === undefined ? undefined
            : device.appRegistered
              ? html`${t("contract.app.yes")}${device.registeredAt ? html` (<${Time} iso=${device.registeredAt} />)` : ""}`
              : t("contract.app.no")],
          [t("contract.revokedAt"), device.revokedAt && html`<${Time} iso=${device.revokedAt} />`],
          [t("contract.passphrase"), yesNo(t, contract.passphraseSet, "contract.passphrase.yes", "contract.passphrase.no")],
          [t("contract.location"), yesNo(t, contract.locationOptOut, "contract.location.optOut", "contract.location.shared")],
        ]} />
      </section>
      <section class="summary-block" aria-labelledby="summary-account">
        <h2 id="summary-account">${t("contract.section.account")}</h2>
        <${Facts} rows=${[
          [t("contract.mobileContractId"), html`<code>${contract.mobileContractId}</code>`],
          [t("contract.slots"), account && t("contract.slotsValue", { used: account.slotsUsed, limit: account.slotsLimit })],
        ]} />
        ${account &&
        html`
          <h3 class="small-heading">${t("contract.others")}</h3>
          ${others.length === 0
            ? html`<p class="muted">${t("contract.noOthers")}</p>`
            : html`<ul class="others">
                ${others.map(
                  (o) => html`<li class=${o.status === "ENDED" ? "ended" : ""}>
                    <a href=${`#/contracts/${encodeURIComponent(o.contractId)}`}>${o.contractId}</a>
                    ${" "}<${StatusBadge} group="contract" status=${o.status} />
                    ${" "}<span class="muted">${o.device?.model ?? ""}</span>
                  </li>`,
                )}
              </ul>`}
        `}
      </section>
    </div>
  `;
}

export function ContractView({ contractId, headingRef }) {
  const { t } = useT();
  const [contract, setContract] = useState(null);
  const [problem, setProblem] = useState(null);
  const [version, setVersion] = useState(0);
  const verification = useVerification(contractId);

  const load = useCallback(async () => {
    const answer = await request("GET", path`/contracts/${contractId}`);
    if (answer.problem) {
      setProblem(answer.problem);
      return;
    }
    setProblem(null);
    setContract(answer.data);
  }, [contractId]);

  useEffect(() => {
    setContract(null);
    setProblem(null);
    load();
  }, [load]);

  /** After any action: the timeline again, and the contract when the action changed it. */
  const changed = useCallback(
    (what = {}) => {
      setVersion((v) => v + 1);
      if (what.reloadContract) load();
    },
    [load],
  );

  // One heading element whatever the state: the focus a route change gave it stays on it.
  const head = html`
    <div class="contract-head">
      <h1 tabindex="-1" ref=${headingRef}>${t("contract.title", { id: contractId })}</h1>
      ${contract && html`<${StatusBadge} group="contract" status=${contract.status} />
        <button type="button" class="secondary outline small" onClick=${() => { load(); changed(); verification.reload(); }}>
          ${t("contract.reload")}</button>`}
    </div>
  `;
  if (!contract) {
    return html`
      ${head}
      ${problem ? html`<${ErrorNote} problem=${problem} context="contract" />` : html`<p aria-busy="true">${t("common.loading")}</p>`}
      <p><a href="#/search">${t("contract.backToSearch")}</a></p>
    `;
  }

  return html`
    ${head}
    <${ErrorNote} problem=${problem} context="contract" />
    <${Summary} contract=${contract} />
    <div class="contract-grid">
      <div class="contract-main">
        <${SessionPanel} contract=${contract} onChanged=${changed} />
        <${VerifyPanel} contract=${contract} verification=${verification} onChanged=${changed} />
        <${RemoteActionsPanel} contract=${contract} verification=${verification} onChanged=${changed} />
        <${ContractActionsPanel} contract=${contract} onChanged=${changed} />
      </div>
      <div class="contract-side">
        <${TimelinePanel} contractId=${contract.contractId} version=${version} />
        <${InvoicesPanel} contract=${contract} />
      </div>
    </div>
  `;
}
