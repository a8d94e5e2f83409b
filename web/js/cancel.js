// The cancellation page (cancel.html, R9): for subscribers without the support app. The member
// confirmation code asks for a one-time code sent to the contact on file; with it the page shows
// when the contract would end (Japan time), and only then does the subscriber confirm.

import { html, render, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { call } from "./api.js";
import { formatInstant, t } from "./i18n.js";
import { Page, useLanguage } from "./ui.js";

const MEMBER_CODE = /^\d{8}$/;
const ONE_TIME_CODE = /^\d{6}$/;

/** What a refusal of the API means on this page: [message key, values, start again?]. */
function refusalOf(answer) {
  const code = answer.data?.code;
  if (answer.status === 0) return ["cancel.network", {}, false];
  if (answer.status === 429 && code === "ONE_TIME_CODE_LOCKED") return ["cancel.locked", {}, true];
  if (answer.status === 429) {
    return ["cancel.tooMany", { minutes: Math.max(1, Math.ceil((answer.retryAfter || 60) / 60)) }, false];
  }
  if (code === "ONE_TIME_CODE_EXPIRED") return ["cancel.expired", {}, true];
  if (code === "CANCELLATION_REQUEST_NOT_FOUND") return ["cancel.notFound", {}, true];
  if (code === "CONTRACT_ENDED") return ["cancel.ended", {}, true];
  return ["cancel.refused", { code: code ?? answer.status }, false];
}

/** One labelled digits field, its error under it (aria-describedby), then its help. */
function DigitsField({ lang, id, label, help, length, value, error, onInput, inputRef }) {
  const described = [error && `${id}-error`, help && `${id}-help`].filter(Boolean).join(" ") || undefined;
  return html`
    <div class="field">
      <label for=${id}>${t(lang, label)}</label>
      <input id=${id} ref=${inputRef} name=${id} type="text" inputmode="numeric" autocomplete="off"
        spellcheck="false" maxlength=${length} required value=${value}
        aria-invalid=${error ? "true" : undefined} aria-describedby=${described}
        onInput=${(e) => onInput(e.currentTarget.value.trim())} />
      ${error && html`<small id=${`${id}-error`} class="field-error">${error}</small>`}
      ${help && html`<small id=${`${id}-help`}>${t(lang, help)}</small>`}
    </div>
  `;
}

function CancelPage() {
  const [lang, setLang] = useLanguage("cancel.docTitle");
  const [step, setStep] = useState("ask"); // ask -> code -> preview -> done
  const [memberCode, setMemberCode] = useState("");
  const [code, setCode] = useState("");
  const [request, setRequest] = useState(null); // {requestId, expiresAt}
  const [shown, setShown] = useState(null); // the preview's or the confirmation's answer
  const [fieldError, setFieldError] = useState(null); // [key, values]
  const [problem, setProblem] = useState(null); // [key, values, restart]
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  const input = useRef(null);

  useEffect(() => {
    // Each step's heading takes the focus, so a screen reader hears where the subscriber is.
    if (step !== "ask") heading.current?.focus();
  }, [step]);

  const restart = () => {
    setStep("ask");
    setRequest(null);
    setShown(null);
    setCode("");
    setProblem(null);
    setFieldError(null);
  };

  const send = async (path, body, onDone) => {
    setBusy(true);
    setProblem(null);
    const answer = await call("POST", path, { body });
    setBusy(false);
    if (answer.status >= 200 && answer.status < 300) {
      setFieldError(null);
      onDone(answer.data);
    } else if (answer.status === 401 && answer.data?.code === "ONE_TIME_CODE_INVALID") {
      setStep("code"); // a wrong code at confirmation: enter it again
      setFieldError(["cancel.code.wrong", { left: answer.data.attemptsLeft ?? 0 }]);
      input.current?.focus();
    } else {
      setProblem(refusalOf(answer));
    }
  };

  const ask = (event) => {
    event.preventDefault();
    if (!MEMBER_CODE.test(memberCode)) {
      setFieldError(["cancel.memberCode.invalid", {}]);
      input.current?.focus();
      return;
    }
    send("/cancellation-requests", { memberConfirmationCode: memberCode }, (data) => {
      setRequest(data);
      setStep("code");
    });
  };

  const check = (event) => {
    event.preventDefault();
    if (!ONE_TIME_CODE.test(code)) {
      setFieldError(["cancel.code.invalid", {}]);
      input.current?.focus();
      return;
    }
    send(`/cancellation-requests/${request.requestId}/preview`, { oneTimeCode: code }, (data) => {
      setShown(data);
      setStep(data.confirmed ? "done" : "preview");
    });
  };

  // The end shown goes with the confirmation: if a notice received now would end the contract
  // otherwise (the month turned meanwhile), nothing is recorded and the new end is shown instead.
  const confirm = async () => {
    const path = `/cancellation-requests/${request.requestId}/confirmation`;
    setBusy(true);
    setProblem(null);
    const answer = await call("POST", path, { body: { oneTimeCode: code, endsAt: shown.endsAt } });
    setBusy(false);
    if (answer.status === 409 && answer.data?.code === "END_CHANGED") {
      // Show the whole preview again (the end and the last month charged), then say why.
      await send(`/cancellation-requests/${request.requestId}/preview`, { oneTimeCode: code }, (data) => {
        setShown(data);
        setProblem(["cancel.endChanged", {}, false]);
      });
      return;
    }
    if (answer.status >= 200 && answer.status < 300) {
      setShown(answer.data);
      setStep("done");
    } else {
      setProblem(refusalOf(answer));
    }
  };

  const error = fieldError && t(lang, fieldError[0], fieldError[1]);
  const instant = (iso) => html`<time datetime=${iso}>${formatInstant(lang, iso)}</time>`;
  let body;
  if (step === "ask") {
    body = html`
      <form onSubmit=${ask} novalidate>
        <h2>${t(lang, "cancel.step.ask")}</h2>
        <${DigitsField} lang=${lang} id="member-code" label="cancel.memberCode.label"
          help="cancel.memberCode.help" length="8" value=${memberCode} error=${error}
          onInput=${setMemberCode} inputRef=${input} />
        <button type="submit" aria-busy=${busy ? "true" : undefined} disabled=${busy}>
          ${t(lang, "cancel.ask.submit")}</button>
      </form>
    `;
  } else if (step === "code") {
    body = html`
      <form onSubmit=${check} novalidate>
        <h2 ref=${heading} tabindex="-1">${t(lang, "cancel.step.code")}</h2>
        <p>${t(lang, "cancel.ask.sent", { time: formatInstant(lang, request.expiresAt) })}</p>
        <${DigitsField} lang=${lang} id="one-time-code" label="cancel.code.label" length="6"
          value=${code} error=${error} onInput=${setCode} inputRef=${input} />
        <button type="submit" aria-busy=${busy ? "true" : undefined} disabled=${busy}>
          ${t(lang, "cancel.code.submit")}</button>
      </form>
    `;
  } else if (step === "preview") {
    const last = shown.lastBilledMonth;
    body = html`
      <h2 ref=${heading} tabindex="-1">${t(lang, "cancel.step.preview")}</h2>
      <p>${t(lang, "cancel.preview.lead")}</p>
      ${shown.existingEndStands && html`<p class="notice">${t(lang, "cancel.preview.existing")}</p>`}
      <dl class="outcome">
        <dt>${t(lang, "cancel.preview.endsAt")}</dt>
        <dd class="ends-at">${instant(shown.endsAt)}</dd>
        <dt>${t(lang, "cancel.preview.lastBilledMonth")}</dt>
        <dd>${last ?? t(lang, "cancel.preview.noneBilled")}</dd>
        <dt>${t(lang, "cancel.preview.contractId")}</dt>
        <dd><code>${shown.contractId}</code></dd>
      </dl>
      <div class="grid">
        <button type="button" onClick=${confirm} aria-busy=${busy ? "true" : undefined} disabled=${busy}>
          ${t(lang, "cancel.preview.confirm")}</button>
        <button type="button" class="secondary outline" onClick=${restart}>${t(lang, "cancel.preview.back")}</button>
      </div>
    `;
  } else {
    body = html`
      <h2 ref=${heading} tabindex="-1">${t(lang, "cancel.step.done")}</h2>
      <p>${t(lang, "cancel.done.body")}</p>
      <dl class="outcome">
        ${shown.receivedAt && html`<dt>${t(lang, "cancel.done.receivedAt")}</dt><dd>${instant(shown.receivedAt)}</dd>`}
        <dt>${t(lang, "cancel.done.endsAt")}</dt>
        <dd class="ends-at">${instant(shown.endsAt)}</dd>
        <dt>${t(lang, "cancel.preview.contractId")}</dt>
        <dd><code>${shown.contractId}</code></dd>
      </dl>
    `;
  }

  return html`
    <${Page} lang=${lang} onLanguage=${setLang}>
      <h1>${t(lang, "cancel.title")}</h1>
      <p>${t(lang, "cancel.intro")}</p>
      <p class="my-page-hint"><a href="mypage.html">${t(lang, "cancel.myPage")}</a></p>
      <section aria-live="polite">
        ${problem && html`<p class="notice notice-error" role="alert">${t(lang, problem[0], problem[1])}</p>`}
        ${problem?.[2] && html`<button type="button" class="secondary" onClick=${restart}>${t(lang, "cancel.restart")}</button>`}
      </section>
      ${body}
    <//>
  `;
}

render(html`<${CancelPage} />`, document.getElementById("app"));
