// The account's invoices (R12, R13), newest month first: each month's lines (one per charged
// contract, this contract's marked), subtotal, tax and total in yen. One month can also be
// looked up directly (GET /accounts/{m}/invoices/{YYYY-MM}). Read only.

import { html, useState } from "../../vendor/preact-htm.js";
import { month, yen } from "./format.js";
import { getPage, path, request } from "./client.js";
import { ErrorNote, LoadMore, Panel, SendButton, useId, usePaged, useT } from "./ui.js";

function Invoice({ invoice, contractId, open }) {
  const { lang, t } = useT();
  const lines = Array.isArray(invoice.lines) ? invoice.lines : [];
  const title = month(lang, invoice.month);
  return html`
    <details class="invoice" open=${open}>
      <summary>
        <span class="invoice-month">${title}</span>
        <span class="invoice-total">${t("invoices.summary", { total: yen(invoice.total), count: lines.length })}</span>
      </summary>
      <div class="table-scroll">
        <table class="striped dense">
          <caption class="visually-hidden">${t("invoices.caption", { month: title })}</caption>
          <thead>
            <tr>
              <th scope="col">${t("invoices.contract")}</th>
              <th scope="col">${t("invoices.lineMonth")}</th>
              <th scope="col" class="num">${t("invoices.amount")}</th>
            </tr>
          </thead>
          <tbody>
            ${lines.map(
              (line) => html`<tr class=${line.contractId === contractId ? "this-contract" : ""}>
                <td><code>${line.contractId}</code>${line.contractId === contractId ? html` <span class="tag">${t("invoices.thisContract")}</span>` : ""}</td>
                <td>${month(lang, line.month ?? invoice.month)}</td>
                <td class="num">${yen(line.amount)}</td>
              </tr>`,
            )}
          </tbody>
          <tfoot>
            <tr><th scope="row" colspan="2">${t("invoices.subtotal")}</th><td class="num">${yen(invoice.subtotal)}</td></tr>
            <tr><th scope="row" colspan="2">${t("invoices.tax")}</th><td class="num">${yen(invoice.tax)}</td></tr>
            <tr class="total"><th scope="row" colspan="2">${t("invoices.total")}</th><td class="num">${yen(invoice.total)}</td></tr>
          </tfoot>
        </table>
      </div>
    </details>
  `;
}

export function InvoicesPanel({ contract }) {
  const { t } = useT();
  const account = contract.mobileContractId;
  const list = usePaged((cursor) => getPage(path`/accounts/${account}/invoices`, cursor), [account]);
  const [wanted, setWanted] = useState("");
  const [one, setOne] = useState(null); // {invoice} | {problem}
  const [busy, setBusy] = useState(false);
  const monthId = useId("invoice-month");

  async function lookUp(event) {
    event.preventDefault();
    if (busy || !/^\d{4}-\d{2}$/.test(wanted)) return;
    setBusy(true);
    const answer = await request("GET", path`/accounts/${account}/invoices/${wanted}`);
    setBusy(false);
    setOne(answer.problem ? { problem: answer.problem } : { invoice: { month: wanted, ...answer.data } });
  }

  return html`
    <${Panel} title=${t("invoices.title")} className="panel-invoices">
      <p class="muted">${t("invoices.account", { account })}</p>
      ${list.loading && !list.loaded && html`<p aria-busy="true">${t("common.loading")}</p>`}
      <${ErrorNote} problem=${list.problem} />
      ${list.loaded && list.items.length === 0 && !list.nextCursor && html`<p>${t("invoices.none")}</p>`}
      ${list.items.map((invoice, i) => html`<${Invoice} key=${invoice.month} invoice=${invoice} contractId=${contract.contractId} open=${i === 0} />`)}
      <${LoadMore} list=${list} label=${t("invoices.title")} />
      <form class="inline-form" onSubmit=${lookUp}>
        <div class="field">
          <label for=${monthId}>${t("invoices.lookUp")}</label>
          <input id=${monthId} type="month" min="2015-08" value=${wanted} onInput=${(e) => setWanted(e.currentTarget.value)} />
        </div>
        <${SendButton} busy=${busy} disabled=${!wanted} kind="secondary" label=${t("invoices.show")} />
      </form>
      <${ErrorNote} problem=${one?.problem} context="invoice" />
      ${one?.invoice && html`<${Invoice} invoice=${one.invoice} contractId=${contract.contractId} open=${true} />`}
    <//>
  `;
}
