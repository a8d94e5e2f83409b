// My page (mypage.html, issue 23): the signed-in member's account. Its contracts (GET /me: status,
// device, formation and first billable month in Japan time, the end when one is set), each with
// its location opt-out (R16, Art. 16.4: PATCH /me/contracts/{id}) and a cancellation (R9: the
// end a notice received now would give is shown first, then confirmed with that very end; if the
// month turned meanwhile the API answers 409 END_CHANGED and the new end is shown to confirm
// again); the account's invoices (GET /me/invoices: lines, subtotal, tax, total, and why a
// contract was not charged, R12); and the support centre's number and hours (R7).

import { html, render, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { formatJst, formatMonth, formatYen, has, t } from "./i18n.js";
import { memberCall } from "./member/auth.js";
import { MemberBar, SignInPanel, useMember } from "./member/ui.js";
import { Page, useLanguage } from "./ui.js";

const INVOICES_PER_PAGE = 6;
/** At most this many reads of the API per "show more" (each covers up to two years of months). */
const MAX_READS = 5;
const path = (strings, ...values) =>
  strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ""), "");

/** An instant in Japan time, machine-readable too. */
function Instant({ iso }) {
  return iso ? html`<time datetime=${iso}>${formatJst(iso)}</time>` : null;
}

/** What a refusal means on this page: [message key, values]. */
function problemOf(answer) {
  const code = answer.data?.code;
  if (answer.status === 0) return ["mypage.network", {}];
  if (code === "CONTRACT_NOT_FOUND") return ["mypage.cancel.notFound", {}];
  if (code === "CONTRACT_ENDED") return ["cancel.ended", {}];
  return ["mypage.refused", { code: code ?? answer.status }];
}

function deviceTitle(lang, device = {}) {
  const platform = { android: "Android", ios: "iOS" }[device.platform] ?? device.platform ?? "";
  return t(lang, "mypage.contract.title", { model: device.model ?? "", platform });
}

// --- the location opt-out (R16, Art. 16.4) ----------------------------------------------------
function LocationSetting({ lang, contract, pending, onChange }) {
  const busy = pending !== undefined; // the value being sent, shown while it is sent
  const id = `opt-out-${contract.contractId}`;
  const now = html`<p class="location-now" id=${`${id}-now`}>${t(lang, `mypage.location.now.${Boolean(contract.locationOptOut)}`)}</p>`;
  if (contract.status === "ENDED") {
    return html`<div class="location">${now}</div>`;
  }
  return html`
    <fieldset class="location" aria-describedby=${`${id}-explain ${id}-still`}>
      <legend>${t(lang, "mypage.location.legend")}</legend>
      <p id=${`${id}-explain`} class="explain">${t(lang, "location.explain")}</p>
      <p id=${`${id}-still`} class="explain">${t(lang, "location.still")}</p>
      <label for=${id}>
        <input type="checkbox" role="switch" id=${id} checked=${busy ? pending : Boolean(contract.locationOptOut)}
          disabled=${busy} aria-busy=${busy ? "true" : undefined} aria-describedby=${`${id}-now`}
          onChange=${(event) => onChange(event.currentTarget.checked)} />
        ${t(lang, "mypage.location.switch")}
      </label>
      ${now}
    </fieldset>
  `;
}

// --- the cancellation dialog (R9) -------------------------------------------------------------
/**
 * A modal dialog: the R9 end a notice received now gives (GET …/cancellation/preview) and the last
 * month charged, then "confirm" posts that end. 409 END_CHANGED (the month turned meanwhile):
 * nothing was recorded; the new end is shown, and the member confirms again or stops.
 */
function CancelDialog({ lang, contract, onClose, onDone }) {
  const dialog = useRef(null);
  const stop = useRef(null);
  const [preview, setPreview] = useState(null);
  const [problem, setProblem] = useState(null); // [key, values]
  const [changed, setChanged] = useState(false);
  const [busy, setBusy] = useState(true);
  const base = path`/me/contracts/${contract.contractId}/cancellation`;

  const look = async () => {
    setBusy(true);
    const answer = await memberCall("GET", `${base}/preview`);
    setBusy(false);
    if (answer.status === 200) setPreview(answer.data);
    else setProblem(problemOf(answer));
    return answer;
  };

  useEffect(() => {
    dialog.current.showModal();
    stop.current?.focus(); // the safe choice first, never the confirmation
    look();
    return () => dialog.current?.open && dialog.current.close();
  }, []);

  const confirm = async (event) => {
    event.preventDefault();
    if (busy || !preview) return;
    setBusy(true);
    setProblem(null);
    const answer = await memberCall("POST", base, { body: { endsAt: preview.endsAt } });
    if (answer.status === 200 || answer.status === 201) {
      setBusy(false);
      onDone(answer.data);
      return;
    }
    if (answer.status === 409 && answer.data?.code === "END_CHANGED") {
      // Show the new end at once (the answer's), then the whole preview again (its last month).
      setPreview((before) => ({ ...before, endsAt: answer.data.endsAt ?? before.endsAt }));
      setChanged(true);
      await look();
      return;
    }
    setBusy(false);
    setProblem(problemOf(answer));
  };

  const titleId = `cancel-title-${contract.contractId}`;
  return html`
    <dialog ref=${dialog} aria-labelledby=${titleId} class="cancel-dialog"
      onCancel=${(event) => {
        event.preventDefault();
        if (!busy || !preview) onClose();
      }}>
      <article>
        <form onSubmit=${confirm} novalidate>
          <header><h2 id=${titleId}>${t(lang, "mypage.cancel.title")}</h2></header>
          <p>${deviceTitle(lang, contract.device)} · <code>${contract.contractId}</code></p>
          <div aria-live="polite">
            ${changed && html`<p class="notice notice-error" role="alert">${t(lang, "cancel.endChanged")}</p>`}
            ${problem && html`<p class="notice notice-error" role="alert">${t(lang, problem[0], problem[1])}</p>`}
            ${!preview && !problem && html`<p aria-busy="true">${t(lang, "mypage.cancel.loading")}</p>`}
            ${preview &&
            html`
              <p>${t(lang, "mypage.cancel.lead")}</p>
              ${preview.existingEndStands && html`<p class="notice">${t(lang, "cancel.preview.existing")}</p>`}
              <dl class="outcome">
                <dt>${t(lang, "cancel.preview.endsAt")}</dt>
                <dd class="ends-at"><${Instant} iso=${preview.endsAt} /></dd>
                <dt>${t(lang, "cancel.preview.lastBilledMonth")}</dt>
                <dd class="last-billed">
                  ${preview.lastBilledMonth ? formatMonth(lang, preview.lastBilledMonth) : t(lang, "cancel.preview.noneBilled")}
                </dd>
              </dl>
            `}
          </div>
          <footer>
            <button type="button" ref=${stop} class="secondary" onClick=${onClose}
              disabled=${busy && Boolean(preview)}>${t(lang, "mypage.cancel.back")}</button>
            <button type="submit" class="danger" disabled=${busy || !preview}
              aria-busy=${busy && preview ? "true" : undefined}>${t(lang, "mypage.cancel.confirm")}</button>
          </footer>
        </form>
      </article>
    </dialog>
  `;
}

// --- one contract -----------------------------------------------------------------------------
function Contract({ lang, contract, news, pending, onOptOut, onCancel }) {
  const id = contract.contractId;
  const device = contract.device ?? {};
  const kind = has(`field.device.kind.${device.kind}`) ? t(lang, `field.device.kind.${device.kind}`) : device.kind;
  const ends = contract.endedAt ?? contract.endsAt;
  const cancellable = contract.status === "ACTIVE" && !contract.endsAt && !contract.endedAt;
  const newsRef = useRef(null);
  useEffect(() => {
    if (news?.focus) newsRef.current?.focus();
  }, [news]);
  return html`
    <article class="contract" aria-labelledby=${`c-${id}`} data-contract=${id}>
      <header class="contract-head">
        <h3 id=${`c-${id}`}>${deviceTitle(lang, device)}</h3>
        <span class=${`badge badge-${contract.status}`}>
          ${has(`mypage.contract.status.${contract.status}`) ? t(lang, `mypage.contract.status.${contract.status}`) : contract.status}
        </span>
      </header>
      <dl class="contract-facts">
        <div><dt>${t(lang, "mypage.contract.id")}</dt><dd><code>${id}</code></dd></div>
        <div><dt>${t(lang, "mypage.contract.device")}</dt><dd>${kind ?? ""}</dd></div>
        <div><dt>${t(lang, "mypage.contract.deviceId")}</dt><dd><code>${device.deviceId}</code></dd></div>
        <div><dt>${t(lang, "mypage.contract.formedAt")}</dt><dd><${Instant} iso=${contract.formedAt} /></dd></div>
        <div>
          <dt>${t(lang, "mypage.contract.firstBillableMonth")}</dt>
          <dd>
            ${formatMonth(lang, contract.firstBillableMonth)}
            ${contract.firstUnderAccount && html`<small class="note">${t(lang, "mypage.contract.firstUnderAccount")}</small>`}
          </dd>
        </div>
        ${ends && html`
          <div>
            <dt>${t(lang, contract.endedAt ? "mypage.contract.endedAt" : "mypage.contract.endsAt")}</dt>
            <dd class="contract-end"><${Instant} iso=${ends} /></dd>
          </div>
        `}
        ${contract.endReason && html`
          <div>
            <dt>${t(lang, "mypage.contract.endReason")}</dt>
            <dd>${has(`mypage.contract.endReason.${contract.endReason}`) ? t(lang, `mypage.contract.endReason.${contract.endReason}`) : contract.endReason}</dd>
          </div>
        `}
      </dl>
      <${LocationSetting} lang=${lang} contract=${contract} pending=${pending} onChange=${onOptOut} />
      <p class=${`contract-news${news?.error ? " notice notice-error" : news ? " notice" : ""}`}
        ref=${newsRef} tabindex="-1" aria-live="polite" role=${news?.error ? "alert" : "status"}>
        ${news && t(lang, news.key, news.values)}
      </p>
      ${cancellable && html`
        <footer>
          <button type="button" class="secondary outline cancel-contract" onClick=${onCancel}
            aria-label=${t(lang, "mypage.cancel.buttonLabel", { contractId: id })}>${t(lang, "mypage.cancel.button")}</button>
        </footer>
      `}
    </article>
  `;
}

// --- invoices (R12, R13) ----------------------------------------------------------------------
function notChargedText(lang, item) {
  if (item.reason === "NOT_YET_BILLABLE") {
    const key = item.firstUnderAccount ? "mypage.notCharged.NOT_YET_BILLABLE.first" : "mypage.notCharged.NOT_YET_BILLABLE";
    return t(lang, key, { month: formatMonth(lang, item.firstBillableMonth) });
  }
  if (item.reason === "ENDED_BEFORE") return t(lang, "mypage.notCharged.ENDED_BEFORE", { time: formatJst(item.endedAt) });
  if (item.reason === "FORMED_AFTER") return t(lang, "mypage.notCharged.FORMED_AFTER");
  if (item.reason === "NOT_BILLED") return t(lang, "mypage.notCharged.NOT_BILLED");
  return t(lang, "mypage.notCharged.unknown", { code: item.reason });
}

function Invoice({ lang, invoice, devices }) {
  const lines = Array.isArray(invoice.lines) ? invoice.lines : [];
  const notCharged = Array.isArray(invoice.notCharged) ? invoice.notCharged : [];
  const title = formatMonth(lang, invoice.month);
  const device = (contractId) => (devices[contractId] ? html` <span class="muted">${devices[contractId]}</span>` : "");
  return html`
    <section class="invoice" aria-labelledby=${`inv-${invoice.month}`} data-month=${invoice.month}>
      <h3 id=${`inv-${invoice.month}`}>${title}<span class="invoice-total">${formatYen(invoice.total)}</span></h3>
      ${lines.length > 0 && html`
        <div class="table-scroll">
          <table class="striped">
            <caption class="visually-hidden">${t(lang, "mypage.invoice.caption", { month: title })}</caption>
            <thead>
              <tr>
                <th scope="col">${t(lang, "mypage.invoice.contract")}</th>
                <th scope="col" class="num">${t(lang, "mypage.invoice.amount")}</th>
              </tr>
            </thead>
            <tbody>
              ${lines.map((line) => html`<tr><td><code>${line.contractId}</code>${device(line.contractId)}</td><td class="num">${formatYen(line.amount)}</td></tr>`)}
            </tbody>
            <tfoot>
              <tr><th scope="row">${t(lang, "mypage.invoice.subtotal")}</th><td class="num">${formatYen(invoice.subtotal)}</td></tr>
              <tr><th scope="row">${t(lang, "mypage.invoice.tax")}</th><td class="num">${formatYen(invoice.tax)}</td></tr>
              <tr class="total"><th scope="row">${t(lang, "mypage.invoice.total")}</th><td class="num">${formatYen(invoice.total)}</td></tr>
            </tfoot>
          </table>
        </div>
      `}
      ${notCharged.length > 0 && html`
        <h4>${t(lang, "mypage.invoice.notCharged")}</h4>
        <ul class="not-charged">
          ${notCharged.map((item) => html`<li><code>${item.contractId}</code>${device(item.contractId)}${notChargedText(lang, item)}</li>`)}
        </ul>
      `}
    </section>
  `;
}

function Invoices({ lang, devices }) {
  const [list, setList] = useState({ items: [], nextCursor: null, loading: true, problem: null, loaded: false });
  // One page of the API reads a bounded span of months and may hold fewer invoices than asked
  // (none, for a long stretch of months without a charge): read on until there are some to
  // show or the list is over.
  const more = async (cursor) => {
    setList((before) => ({ ...before, loading: true, problem: null }));
    const found = [];
    let next = cursor;
    let answer;
    for (let reads = 0; reads < MAX_READS; reads++) {
      const query = new URLSearchParams({ limit: String(INVOICES_PER_PAGE - found.length) });
      if (next) query.set("cursor", next);
      answer = await memberCall("GET", `/me/invoices?${query}`);
      if (answer.status !== 200) break;
      found.push(...(answer.data?.items ?? []));
      next = answer.data?.nextCursor ?? null;
      if (!next || found.length >= INVOICES_PER_PAGE) break;
    }
    setList((before) =>
      answer.status === 200
        ? {
            items: [...(cursor ? before.items : []), ...found],
            nextCursor: next,
            loading: false,
            problem: null,
            loaded: true,
          }
        : { ...before, items: [...(cursor ? before.items : []), ...found], loading: false, problem: problemOf(answer) },
    );
  };
  useEffect(() => {
    more(null);
  }, []);
  return html`
    <section class="invoices" aria-labelledby="s-invoices">
      <h2 id="s-invoices">${t(lang, "mypage.invoices")}</h2>
      <p>${t(lang, "mypage.invoices.intro")}</p>
      ${list.problem && html`<p role="alert" class="notice notice-error">${t(lang, list.problem[0], list.problem[1])}</p>`}
      ${list.loaded && list.items.length === 0 && html`<p>${t(lang, "mypage.invoices.none")}</p>`}
      ${list.items.map((invoice) => html`<${Invoice} key=${invoice.month} lang=${lang} invoice=${invoice} devices=${devices} />`)}
      ${list.loading && html`<p aria-busy="true">${t(lang, "app.loading")}</p>`}
      ${list.nextCursor && !list.loading &&
      html`<button type="button" class="secondary outline" onClick=${() => more(list.nextCursor)}>${t(lang, "mypage.invoices.more")}</button>`}
    </section>
  `;
}

// --- the support centre (R7) ------------------------------------------------------------------
function japanClock(now = new Date()) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(now)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.hour}:${parts.minute}`;
}

function Support({ lang, support }) {
  if (!support) return null;
  const hours = support.hours ?? { opens: "09:00", closes: "21:00" };
  const now = japanClock();
  const open = now >= hours.opens && now < hours.closes;
  return html`
    <section class="support" aria-labelledby="s-support">
      <h2 id="s-support">${t(lang, "mypage.support")}</h2>
      <dl class="outcome">
        <dt>${t(lang, "mypage.support.phone")}</dt>
        <dd class="support-phone"><a href=${`tel:${support.phoneNumber}`}>${support.phoneNumber}</a></dd>
        <dt>${t(lang, "mypage.support.hours")}</dt>
        <dd class="support-hours">${t(lang, "mypage.support.hoursValue", hours)}</dd>
      </dl>
      <p>${open ? t(lang, "mypage.support.open") : t(lang, "mypage.support.closed", hours)} ${t(lang, "mypage.support.ask")}</p>
    </section>
  `;
}

// --- the page ---------------------------------------------------------------------------------
function Account({ lang, member }) {
  const [me, setMe] = useState({ state: "loading" });
  const [news, setNews] = useState({}); // contractId -> {key, values, error, focus}
  const [saving, setSaving] = useState({}); // contractId -> the opt-out value being sent
  const [cancelling, setCancelling] = useState(null); // the contract whose dialog is open
  const opener = useRef(null);

  // A refresh that fails (a network blip right after an action) keeps what the page shows and
  // says so; only a first load that fails has nothing to show.
  const load = async () => {
    const answer = await memberCall("GET", "/me");
    const problem = answer.data?.code ?? answer.status;
    if (answer.status === 200) setMe({ state: "ready", data: answer.data });
    else setMe((before) => (before.state === "ready" ? { ...before, stale: problem } : { state: "failed", problem }));
  };
  useEffect(() => {
    load();
  }, []);

  const replace = (contract) =>
    setMe((before) => ({
      ...before,
      data: {
        ...before.data,
        contracts: before.data.contracts.map((c) => (c.contractId === contract.contractId ? { ...c, ...contract } : c)),
      },
    }));

  const optOut = async (contract, value) => {
    const id = contract.contractId;
    setSaving((s) => ({ ...s, [id]: value }));
    setNews((n) => ({ ...n, [id]: { key: "mypage.location.saving" } }));
    const answer = await memberCall("PATCH", path`/me/contracts/${id}`, { body: { locationOptOut: value } });
    setSaving(({ [id]: _, ...rest }) => rest);
    if (answer.status === 200) {
      replace(answer.data?.contractId ? answer.data : { ...contract, locationOptOut: value });
      setNews((n) => ({ ...n, [id]: { key: `mypage.location.saved.${value}`, values: { contractId: id } } }));
    } else {
      replace({ ...contract }); // the switch goes back to what is stored
      const [key, values] = problemOf(answer);
      const code = answer.data?.code ?? answer.status;
      setNews((n) => ({
        ...n,
        [id]: { key: key === "mypage.refused" ? "mypage.location.failed" : key, values: { code, ...values }, error: true },
      }));
    }
  };

  const openCancel = (contract) => {
    opener.current = document.activeElement;
    setCancelling(contract);
  };
  const closeCancel = () => {
    setCancelling(null);
    if (opener.current?.isConnected) opener.current.focus();
  };
  const cancelled = async (answer) => {
    const contract = cancelling;
    setCancelling(null);
    const id = contract.contractId;
    setNews((n) => ({
      ...n,
      [id]: { key: "mypage.cancel.done", values: { contractId: id, time: formatJst(answer?.endsAt) }, focus: true },
    }));
    replace({ ...contract, status: answer?.status ?? "CANCELLATION_PENDING", endsAt: answer?.endsAt, endReason: answer?.endReason });
    await load();
  };

  if (me.state === "loading") return html`<p aria-busy="true">${t(lang, "app.loading")}</p>`;
  if (me.state === "failed") {
    return html`
      <p role="alert" class="notice notice-error">${t(lang, "mypage.loadFailed", { code: me.problem })}</p>
      <button type="button" onClick=${() => { setMe({ state: "loading" }); load(); }}>${t(lang, "app.retry")}</button>
    `;
  }
  const contracts = Array.isArray(me.data.contracts) ? me.data.contracts : [];
  const devices = Object.fromEntries(contracts.map((c) => [c.contractId, deviceTitle(lang, c.device)]));
  const live = contracts.filter((c) => c.status !== "ENDED").length;
  return html`
    <section class="contracts" aria-labelledby="s-contracts">
      <h2 id="s-contracts">${t(lang, "mypage.contracts")}</h2>
      ${me.stale && html`<p role="status" class="notice">${t(lang, "mypage.refreshFailed", { code: me.stale })}
        <button type="button" class="secondary outline small" onClick=${load}>${t(lang, "app.retry")}</button></p>`}
      ${contracts.length > 0 && html`<p class="muted">${t(lang, "mypage.contracts.count", { count: live })}</p>`}
      ${contracts.length === 0 && html`<p>${t(lang, "mypage.contracts.none")}</p>`}
      ${contracts.map(
        (contract) => html`<${Contract} key=${contract.contractId} lang=${lang} contract=${contract}
          news=${news[contract.contractId]} pending=${saving[contract.contractId]}
          onOptOut=${(value) => optOut(contract, value)} onCancel=${() => openCancel(contract)} />`,
      )}
      <p><a href="index.html">${t(lang, "mypage.apply")}</a></p>
    </section>
    <${Invoices} lang=${lang} devices=${devices} />
    <${Support} lang=${lang} support=${me.data.support} />
    ${cancelling && html`<${CancelDialog} lang=${lang} contract=${cancelling} onClose=${closeCancel} onDone=${cancelled} />`}
  `;
}

function MyPage() {
  const [lang, setLang] = useLanguage("mypage.docTitle");
  const session = useMember();
  let content;
  if (session.state !== "signedIn") {
    content = html`
      <${SignInPanel} lang=${lang} state=${session.state} titleKey="member.mypage.title" bodyKey="member.mypage.body" />
      <p><a href="cancel.html">${t(lang, "mypage.cancelPage")}</a></p>
    `;
  } else if (!session.member.account) {
    content = html`
      <${MemberBar} lang=${lang} member=${session.member} signOutTo="/mypage.html" />
      <p role="alert" class="notice notice-error">${t(lang, "member.noAccount")}</p>
    `;
  } else {
    content = html`
      <${MemberBar} lang=${lang} member=${session.member} signOutTo="/mypage.html" />
      <${Account} lang=${lang} member=${session.member} />
    `;
  }
  return html`
    <${Page} lang=${lang} onLanguage=${setLang}>
      <h1>${t(lang, "mypage.title")}</h1>
      <p>${t(lang, "mypage.intro")}</p>
      ${content}
    <//>
  `;
}

render(html`<${MyPage} />`, document.getElementById("app"));
