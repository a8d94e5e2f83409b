// Find the caller's contract: by contract id, mobile account (mobileContractId), the caller's
// phone number or the device's id (IMEI), in one form (POST /contract-searches: the number never goes into a URL). The
// results, ended contracts marked, are paged ("さらに表示"). The last search is kept in memory
// only (never in the URL or storage), so coming back from a contract shows it again.

import { html, useState } from "../../vendor/preact-htm.js";
import { request } from "./client.js";
import { ErrorNote, LoadMore, StatusBadge, Time, useId, useT } from "./ui.js";

// What each kind accepts (checked here for a quick sentence; the API checks again): the API's own
// patterns for the ids; for a phone, digits with the usual separators, full-width forms too
// (the API normalises it to E.164, anshin.domain.phones).
const KINDS = {
  contractId: { type: "text", inputmode: "text", maxlength: 68, valid: (v) => /^ctr-[a-f0-9]{1,64}$/.test(v) },
  mobileContractId: { type: "text", inputmode: "text", maxlength: 64, valid: (v) => /^[A-Za-z0-9-]{1,64}$/.test(v) },
  phone: {
    type: "tel",
    inputmode: "tel",
    maxlength: 40,
    valid: (v) => /^\+?[0-9]{6,16}$/.test(v.normalize("NFKC").replace(/[\s\-\u2010-\u2015\u2212\u30fc().]/g, "")),
  },
  // Which contract holds a device (one device, one live contract): every contract that
  // protected it, newest first.
  deviceId: { type: "text", inputmode: "text", maxlength: 128, valid: (v) => /^[A-Za-z0-9._:-]{1,128}$/.test(v) },
};
const SEARCH_LIMIT = 20;

// The last search of this page (memory only): {kind, value, items, nextCursor}.
let remembered = null;

export function SearchView({ headingRef }) {
  const { t } = useT();
  const [kind, setKind] = useState(remembered?.kind ?? "contractId");
  const [value, setValue] = useState(remembered?.value ?? "");
  const [result, setResult] = useState(
    remembered ? { items: remembered.items, nextCursor: remembered.nextCursor, loaded: true, loading: false } : null,
  );
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [invalid, setInvalid] = useState(false);
  const [asked, setAsked] = useState(remembered ? { kind: remembered.kind, value: remembered.value } : null);
  const inputId = useId("search-value");
  const helpId = useId("search-help");
  const errorId = useId("search-error");
  const kindName = useId("search-kind");

  async function run(criteria, cursor) {
    setBusy(true);
    setProblem(null);
    setResult((r) => (r ? { ...r, loading: true } : r));
    const body = { [criteria.kind]: criteria.value, limit: SEARCH_LIMIT };
    if (cursor) body.cursor = cursor;
    const answer = await request("POST", "/contract-searches", body);
    setBusy(false);
    if (answer.problem) {
      setProblem(answer.problem);
      setResult((r) => (r ? { ...r, loading: false } : r));
      return;
    }
    const items = Array.isArray(answer.data?.items) ? answer.data.items : [];
    setResult((r) => {
      const next = {
        items: cursor && r ? [...r.items, ...items] : items,
        nextCursor: answer.data?.nextCursor ?? null,
        loaded: true,
        loading: false,
      };
      remembered = { ...criteria, items: next.items, nextCursor: next.nextCursor };
      return next;
    });
  }

  function submit(event) {
    event.preventDefault();
    const text = value.trim();
    if (!KINDS[kind].valid(text)) {
      setInvalid(true);
      event.currentTarget.querySelector(`#${inputId}`)?.focus();
      return;
    }
    setInvalid(false);
    const criteria = { kind, value: text };
    setAsked(criteria);
    setResult(null);
    run(criteria, null);
  }

  const spec = KINDS[kind];
  const list = result && {
    ...result,
    loadMore: () => result.nextCursor && !busy && run(asked, result.nextCursor),
  };

  return html`
    <h1 tabindex="-1" ref=${headingRef}>${t("search.title")}</h1>
    <form class="search-form" onSubmit=${submit} novalidate autocomplete="off">
      <fieldset>
        <legend>${t("search.by")}</legend>
        <div class="kind-choice">
          ${Object.keys(KINDS).map(
            (k) => html`<label><input type="radio" name=${kindName} value=${k} checked=${kind === k}
              onChange=${() => { setKind(k); setValue(""); setInvalid(false); }} /> ${t(`search.kind.${k}`)}</label>`,
          )}
        </div>
      </fieldset>
      <div class="search-row">
        <div class="field">
          <label for=${inputId}>${t(`search.kind.${kind}`)}</label>
          <input id=${inputId} type=${spec.type} inputmode=${spec.inputmode} maxlength=${spec.maxlength}
            autocomplete="off" spellcheck=${false} autocapitalize="off" required value=${value}
            aria-invalid=${invalid ? "true" : undefined} aria-describedby=${invalid ? `${errorId} ${helpId}` : helpId}
            onInput=${(e) => setValue(e.currentTarget.value)} />
          ${invalid && html`<small id=${errorId} class="field-error">${t(`search.invalid.${kind}`)}</small>`}
          <small id=${helpId}>${t(`search.help.${kind}`)}</small>
        </div>
        <button type="submit" disabled=${busy} aria-busy=${busy ? "true" : undefined}>${t("search.submit")}</button>
      </div>
    </form>
    <${ErrorNote} problem=${problem} context="search" />
    <p role="status" class="search-count">
      ${result?.loaded ? t(result.items.length ? "search.found" : "search.none", { count: result.items.length }) : ""}
    </p>
    ${result?.items.length > 0 &&
    html`
      <div class="table-scroll" role="region" aria-label=${t("search.results")} tabindex="0">
        <table class="striped dense results">
          <thead>
            <tr>
              <th scope="col">${t("search.col.contract")}</th>
              <th scope="col">${t("search.col.holder")}</th>
              <th scope="col">${t("search.col.status")}</th>
              <th scope="col">${t("search.col.device")}</th>
              <th scope="col">${t("search.col.formedAt")}</th>
              <th scope="col">${t("search.col.end")}</th>
              <th scope="col">${t("search.col.account")}</th>
            </tr>
          </thead>
          <tbody>
            ${result.items.map(
              (c) => html`
                <tr key=${c.contractId} class=${c.status === "ENDED" ? "ended" : ""}>
                  <td><a href=${`#/contracts/${encodeURIComponent(c.contractId)}`}>${c.contractId}</a></td>
                  <td>${c.holderName}</td>
                  <td><${StatusBadge} group="contract" status=${c.status} /></td>
                  <td>${[c.device?.model, c.device?.platform && t(`device.platform.${c.device.platform}`)].filter(Boolean).join(" · ")}</td>
                  <td><${Time} iso=${c.formedAt} /></td>
                  <td>${c.endedAt ? html`<${Time} iso=${c.endedAt} />` : c.endsAt ? html`<${Time} iso=${c.endsAt} />` : "—"}</td>
                  <td><code>${c.mobileContractId}</code></td>
                </tr>
              `,
            )}
          </tbody>
        </table>
      </div>
    `}
    ${list && html`<${LoadMore} list=${list} label=${t("search.results")} />`}
  `;
}
