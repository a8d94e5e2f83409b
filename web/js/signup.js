// The signup page (index.html): one application for one device (R6), checked as the API checks
// it, sent once per attempt whatever the clicks and reloads (Idempotency-Key). Only the holder of
// the mobile account applies (issue 23, docs/members.md): the applicant signs in as a member
// first, and the account is the one of the member's token, shown and not editable.

import { html, render, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { loadConfig, loadText, wait } from "./api.js";
import { formatInstant, has, t, waitWords } from "./i18n.js";
import { memberCall } from "./member/auth.js";
import { MemberBar, SignInButton, SignInPanel, useMember } from "./member/ui.js";
import { loadRules, patternMatches } from "./schema.js";
import { Page, useLanguage } from "./ui.js";

// sessionStorage (this tab only, gone when it closes): the attempt being sent, and the entries.
const ATTEMPT = "anshin.signup.attempt";
const DRAFT = "anshin.signup.draft";

// How each text field is asked for. Its limits (required, lengths, pattern) are the API's.
const TEXT_INPUTS = {
  mobileContractId: { autocomplete: "off", spellcheck: false },
  "applicant.name": { autocomplete: "name" },
  "applicant.email": { type: "email", autocomplete: "email", spellcheck: false },
  "applicant.phone": { type: "tel", autocomplete: "tel", inputmode: "tel" },
  "device.deviceId": { autocomplete: "off", spellcheck: false, autocapitalize: "off" },
  "device.model": { autocomplete: "off" },
};
const CHOICES = ["device.platform", "device.kind"]; // radio groups of the schema's enum values
const CONSENT = "consent.termsVersion"; // a checkbox: ticked sends the version in force
const OPT_OUT = "consent.locationOptOut"; // R16: a yes/no the applicant must choose

const EMPTY = {
  ...Object.fromEntries(Object.keys(TEXT_INPUTS).map((field) => [field, ""])),
  ...Object.fromEntries(CHOICES.map((field) => [field, ""])),
  [CONSENT]: false,
  [OPT_OUT]: "",
};

// The API's 400 errors[].code (pydantic's error types) as the page's own error kinds.
const SERVER_KINDS = {
  missing: "required",
  string_too_short: "tooShort",
  string_too_long: "tooLong",
  string_pattern_mismatch: "pattern",
  literal_error: "choose",
  enum: "choose",
  bool_type: "choose",
  bool_parsing: "choose",
};

const stored = {
  read(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? "null");
    } catch {
      return null;
    }
  },
  write(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      // storage blocked or full: a reload then starts a new attempt
    }
  },
  forget(key) {
    try {
      sessionStorage.removeItem(key);
    } catch {
      // nothing stored
    }
  },
};

const idOf = (field) => `f-${field.replaceAll(".", "-")}`;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The request body, as the API's ApplicationRequest has it. */
function requestOf(values, termsVersion) {
  const text = (field) => values[field].trim();
  return {
    mobileContractId: text("mobileContractId"),
    applicant: { name: text("applicant.name"), email: text("applicant.email"), phone: text("applicant.phone") },
    device: {
      deviceId: text("device.deviceId"),
      platform: values["device.platform"],
      kind: values["device.kind"],
      model: text("device.model"),
    },
    consent: { termsVersion: values[CONSENT] ? termsVersion : "", locationOptOut: values[OPT_OUT] === "true" },
  };
}

/**
 * The form's own check, read from the controls' attributes (required, minlength, maxlength,
 * pattern: all set from the API's schema), on the trimmed value, counting characters as the API
 * does (code points). {field: {kind}} in the order of the form.
 */
function validate(form) {
  const errors = {};
  for (const control of form.querySelectorAll("[data-field]")) {
    const field = control.dataset.field;
    if (field in errors) continue;
    if (control.type === "radio") {
      const chosen = form.querySelector(`[data-field="${field}"]:checked`);
      if (control.required && !chosen) errors[field] = { kind: "choose" };
      continue;
    }
    if (control.type === "checkbox") {
      if (control.required && !control.checked) errors[field] = { kind: "consent" };
      continue;
    }
    const value = control.value.trim();
    const length = [...value].length;
    if (!value) {
      if (control.required) errors[field] = { kind: "required" };
    } else if (control.minLength > 0 && length < control.minLength) {
      errors[field] = { kind: "tooShort" };
    } else if (control.maxLength >= 0 && length > control.maxLength) {
      errors[field] = { kind: "tooLong" };
    } else if (control.pattern && !patternMatches(control.pattern, value)) {
      errors[field] = { kind: "pattern" };
    }
  }
  return errors;
}

/** The API's `400 VALIDATION_ERROR` errors by the form's fields; the rest (no such field) apart. */
function serverErrors(answer, rules) {
  const errors = {};
  const other = [];
  for (const error of answer.data?.errors ?? []) {
    const name = String(error.field ?? "");
    const field = name in rules ? name : Object.keys(rules).find((f) => f.startsWith(`${name}.`));
    if (!field || field in errors) {
      if (!field) other.push(error);
      continue;
    }
    let kind = SERVER_KINDS[error.code] ?? "invalid";
    if (kind === "tooShort" && !(rules[field].minLength > 1)) kind = "required";
    errors[field] = { kind };
  }
  return { errors, other };
}

function errorText(lang, field, error, rule) {
  let kind = error.kind;
  if (field === CONSENT && ["required", "tooShort", "choose", "invalid"].includes(kind)) kind = "consent";
  else if ((CHOICES.includes(field) || field === OPT_OUT) && kind === "required") kind = "choose";
  if (kind === "pattern" && has(`error.pattern.${field}`)) return t(lang, `error.pattern.${field}`);
  const key = has(`error.${kind}`) ? `error.${kind}` : "error.invalid";
  return t(lang, key, { min: rule?.minLength, max: rule?.maxLength });
}

/** Only the attributes that have a value (Preact would write an empty `pattern=""`). */
const defined = (attributes) => Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));

/** A field's label, "required" mark, error (right under the control) and help. */
function describedBy(field, { help, error }) {
  const id = idOf(field);
  return [error && `${id}-error`, help && `${id}-help`].filter(Boolean).join(" ") || undefined;
}

function Required({ lang, rule }) {
  return rule?.required ? html` <span class="required">(${t(lang, "form.required")})</span>` : null;
}

function ErrorText({ field, text }) {
  return text ? html`<small id=${`${idOf(field)}-error`} class="field-error">${text}</small>` : null;
}

function TextField({ lang, field, rule, value, error, onValue, readOnly = false, helpKey, children }) {
  const id = idOf(field);
  const input = TEXT_INPUTS[field];
  helpKey ??= `field.${field}.help`;
  const help = has(helpKey) ? t(lang, helpKey) : null;
  const problem = error ? errorText(lang, field, error, rule) : null;
  const attributes = {
    type: input.type ?? "text",
    required: rule.required,
    minlength: rule.minLength,
    maxlength: rule.maxLength,
    pattern: rule.htmlPattern,
    autocomplete: input.autocomplete,
    inputmode: input.inputmode,
    spellcheck: input.spellcheck,
    autocapitalize: input.autocapitalize,
  };
  return html`
    <div class="field">
      <label for=${id}>${t(lang, `field.${field}.label`)}<${Required} lang=${lang} rule=${rule} /></label>
      <input id=${id} name=${field} data-field=${field} value=${value} ...${defined(attributes)}
        readOnly=${readOnly}
        aria-invalid=${problem ? "true" : undefined}
        aria-describedby=${describedBy(field, { help, error: problem })}
        onInput=${(event) => onValue(field, event.currentTarget.value)} />
      <${ErrorText} field=${field} text=${problem} />
      ${help && html`<small id=${`${id}-help`} class="help">${help}</small>`}
      ${children}
    </div>
  `;
}

function Choice({ lang, field, options, rule, value, error, onValue, describe, children }) {
  const id = idOf(field);
  const problem = error ? errorText(lang, field, error, rule) : null;
  return html`
    <fieldset class="field" aria-describedby=${describe}>
      <legend>${t(lang, `field.${field}.label`)}<${Required} lang=${lang} rule=${rule} /></legend>
      ${children}
      ${options.map(
        (option, i) => html`
          <label for=${`${id}-${i}`}>
            <input type="radio" id=${`${id}-${i}`} name=${field} data-field=${field} value=${option}
              checked=${value === option} required=${rule.required}
              aria-invalid=${problem ? "true" : undefined}
              aria-describedby=${describedBy(field, { error: problem })}
              onChange=${() => onValue(field, option)} />
            ${has(`field.${field}.${option}`) ? t(lang, `field.${field}.${option}`) : option}
          </label>
        `,
      )}
      <${ErrorText} field=${field} text=${problem} />
    </fieldset>
  `;
}

function DeviceIdHelp({ lang }) {
  return html`
    <details class="where">
      <summary>${t(lang, "field.device.deviceId.where")}</summary>
      <dl>
        <dt>${t(lang, "field.device.platform.android")}</dt>
        <dd>${t(lang, "field.device.deviceId.android")}</dd>
        <dt>${t(lang, "field.device.platform.ios")}</dt>
        <dd>${t(lang, "field.device.deviceId.ios")}</dd>
      </dl>
    </details>
  `;
}

function SignupForm({ lang, config, rules, terms, member }) {
  // The account is the signed-in member's, whatever a draft of another sign-in said.
  const [values, setValues] = useState(() => ({
    ...EMPTY,
    ...(stored.read(DRAFT) ?? {}),
    mobileContractId: member.account,
  }));
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null); // {key, values, role}
  const [sending, setSending] = useState(false);
  const [focus, setFocus] = useState(null); // {target: "field" | "notice"}
  const sendingNow = useRef(false); // set before any await: a second click finds it at once
  const form = useRef(null);
  const noticeRef = useRef(null);

  useEffect(() => {
    if (!focus) return;
    const target =
      focus.target === "field" ? form.current?.querySelector('[aria-invalid="true"]') : noticeRef.current;
    target?.focus();
  }, [focus]);

  // A reload while an attempt was on its way: send the same attempt again (same key, same body)
  // to learn its answer; the API applies it at most once.
  useEffect(() => {
    const attempt = stored.read(ATTEMPT);
    if (attempt?.sending) {
      setNotice({ key: "signup.resuming", role: "status" });
      send(attempt);
    }
  }, []);

  const onValue = (field, value) => {
    setValues((before) => {
      const next = { ...before, [field]: value };
      stored.write(DRAFT, next);
      return next;
    });
    if (errors[field]) setErrors(({ [field]: _, ...rest }) => rest);
  };

  async function send(attempt) {
    sendingNow.current = true;
    setSending(true);
    stored.write(ATTEMPT, { ...attempt, sending: true });
    let answer;
    for (let tries = 0; ; tries++) {
      answer = await memberCall("POST", "/applications", {
        body: attempt.body,
        headers: { "Idempotency-Key": attempt.key },
      });
      // The same attempt still being processed, or the service busy: the same key again, later.
      // Not the day's limit of applications (R6 abuse limit): that one lasts for hours.
      const again =
        [409, 429, 503].includes(answer.status) && answer.data?.code !== "TOO_MANY_APPLICATIONS";
      if (!again || tries >= 3) break;
      await wait(answer.retryAfter * 1000 || 1000 * 2 ** tries);
    }
    stored.write(ATTEMPT, { ...attempt, sending: false });
    if (answer.status === 202 && answer.data?.applicationId) {
      stored.forget(ATTEMPT);
      stored.forget(DRAFT);
      location.assign(`status.html?id=${encodeURIComponent(answer.data.applicationId)}`);
      return; // the button stays disabled until the status page opens
    }
    sendingNow.current = false;
    setSending(false);
    if (answer.status === 400 && answer.data?.code === "VALIDATION_ERROR") {
      const found = serverErrors(answer, rules);
      const count = Object.keys(found.errors).length + found.other.length;
      setErrors(found.errors);
      setNotice({ key: "signup.invalid", values: { count }, role: "alert" });
      setFocus({ target: Object.keys(found.errors).length ? "field" : "notice" });
      return;
    }
    const code = answer.data?.code;
    let key = "signup.refused";
    let values = { code: code ?? answer.status };
    if (answer.status === 0 || answer.status >= 500) key = answer.status === 503 ? "signup.busy" : "signup.network";
    else if (answer.status === 401) key = "signup.expired";
    else if (code === "NOT_ACCOUNT_HOLDER") key = "signup.notHolder";
    else if (code === "MEMBERS_ONLY" || answer.status === 403) key = "signup.membersOnly";
    else if (code === "TOO_MANY_APPLICATIONS") {
      const seconds = answer.retryAfter || 3600;
      const until = new Date(Date.now() + seconds * 1000).toISOString();
      key = "signup.tooMany";
      // In the language shown, whenever it is switched.
      values = (shown) => ({ wait: waitWords(shown, seconds), time: formatInstant(shown, until) });
    } else if (answer.status === 429) key = "signup.busy";
    else if (code === "REQUEST_IN_PROGRESS") key = "signup.inProgress";
    else if (code === "IDEMPOTENCY_KEY_REUSED") {
      stored.forget(ATTEMPT); // the next press is a new attempt with a new key
      key = "signup.keyReused";
    }
    const texts = (shown) => ({ account: member.account, ...(typeof values === "function" ? values(shown) : values) });
    setNotice({ key, values: texts, role: "alert", signIn: answer.status === 401 });
    setFocus({ target: "notice" });
  }

  function onSubmit(event) {
    event.preventDefault();
    if (sendingNow.current) return; // a double click, or Enter while sending
    const found = validate(event.currentTarget);
    setErrors(found);
    const count = Object.keys(found).length;
    if (count) {
      setNotice({ key: "signup.invalid", values: { count }, role: "alert" });
      setFocus({ target: "field" });
      return;
    }
    setNotice(null);
    const body = requestOf(values, config.termsVersion);
    // One key per attempt: the same entries sent again (a retry after a failure, or after a
    // reload) are the same attempt; changed entries are a new one.
    const previous = stored.read(ATTEMPT);
    const same = previous && JSON.stringify(previous.body) === JSON.stringify(body);
    send(same ? previous : { key: newKey(), body });
  }

  const field = (name, extra = {}) => ({
    lang,
    field: name,
    rule: rules[name] ?? {},
    value: values[name],
    error: errors[name],
    onValue,
    ...extra,
  });
  const consentProblem = errors[CONSENT] ? errorText(lang, CONSENT, errors[CONSENT], rules[CONSENT]) : null;

  return html`
    <form ref=${form} novalidate onSubmit=${onSubmit} aria-describedby="signup-intro">
      <section aria-labelledby="s-account">
        <h2 id="s-account">${t(lang, "section.account")}</h2>
        <${TextField} ...${field("mobileContractId", { readOnly: true, helpKey: "field.mobileContractId.signedIn" })} />
      </section>

      <section aria-labelledby="s-applicant">
        <h2 id="s-applicant">${t(lang, "section.applicant")}</h2>
        <${TextField} ...${field("applicant.name")} />
        <${TextField} ...${field("applicant.email")} />
        <${TextField} ...${field("applicant.phone")} />
      </section>

      <section aria-labelledby="s-device">
        <h2 id="s-device">${t(lang, "section.device")}</h2>
        <${TextField} ...${field("device.deviceId")}><${DeviceIdHelp} lang=${lang} /><//>
        ${CHOICES.map((name) => html`<${Choice} ...${field(name, { options: rules[name]?.enum ?? [] })} />`)}
        <${TextField} ...${field("device.model")} />
      </section>

      <section aria-labelledby="s-terms">
        <h2 id="s-terms">${t(lang, "section.terms")}</h2>
        <p>${t(lang, "terms.intro", { version: config.termsVersion })}</p>
        <div id="terms" class="terms" tabindex="0" role="region" aria-label=${t(lang, "terms.region")}>
          <pre lang="ja">${terms}</pre>
        </div>
        <div class="field">
          <label for=${idOf(CONSENT)} class="consent">
            <input type="checkbox" id=${idOf(CONSENT)} name=${CONSENT} data-field=${CONSENT}
              checked=${values[CONSENT]} required=${rules[CONSENT]?.required}
              aria-invalid=${consentProblem ? "true" : undefined}
              aria-describedby=${describedBy(CONSENT, { error: consentProblem })}
              onChange=${(event) => onValue(CONSENT, event.currentTarget.checked)} />
            ${t(lang, "field.consent.termsVersion.label", { version: config.termsVersion })}
            <${Required} lang=${lang} rule=${rules[CONSENT]} />
          </label>
          <${ErrorText} field=${CONSENT} text=${consentProblem} />
        </div>
      </section>

      <section aria-labelledby="s-location">
        <h2 id="s-location">${t(lang, "section.location")}</h2>
        <${Choice} ...${field(OPT_OUT, { options: ["false", "true"], describe: "location-explain location-still" })}>
          <p id="location-explain">${t(lang, "location.explain")}</p>
          <p id="location-still">${t(lang, "location.still")}</p>
        <//>
      </section>

      ${notice &&
      html`<p ref=${noticeRef} tabindex="-1" role=${notice.role}
        class=${notice.role === "alert" ? "notice notice-error" : "notice"}>${t(
          lang,
          notice.key,
          typeof notice.values === "function" ? notice.values(lang) : notice.values,
        )}</p>`}
      ${notice?.signIn && html`<${SignInButton} lang=${lang} className="secondary" />`}
      <button type="submit" id="apply" disabled=${sending} aria-busy=${sending ? "true" : undefined}>
        ${sending ? t(lang, "signup.sending") : t(lang, "signup.submit")}
      </button>
    </form>
  `;
}

function SignupPage() {
  const [lang, setLang] = useLanguage("signup.docTitle");
  const [setup, setSetup] = useState({ state: "loading" });
  const session = useMember();

  const load = () => {
    setSetup({ state: "loading" });
    loadConfig()
      .then((config) => Promise.all([config, loadRules(), loadText(config.termsDocument)]))
      .then(([config, rules, terms]) => setSetup({ state: "ready", config, rules, terms }))
      .catch(() => setSetup({ state: "failed" }));
  };
  useEffect(load, []);

  let content;
  if (session.state !== "signedIn") {
    content = html`<${SignInPanel} lang=${lang} state=${session.state} titleKey="member.signup.title"
      bodyKey="member.signup.body" />`;
  } else if (!session.member.account) {
    content = html`
      <${MemberBar} lang=${lang} member=${session.member} signOutTo="/" />
      <p role="alert" class="notice notice-error">${t(lang, "member.noAccount")}</p>
    `;
  } else if (setup.state === "ready") {
    content = html`
      <${MemberBar} lang=${lang} member=${session.member} signOutTo="/" />
      <${SignupForm} lang=${lang} config=${setup.config} rules=${setup.rules} terms=${setup.terms}
        member=${session.member} />
    `;
  } else if (setup.state === "failed") {
    content = html`
      <p role="alert" class="notice notice-error">${t(lang, "app.loadFailed")}</p>
      <button type="button" onClick=${load}>${t(lang, "app.retry")}</button>
    `;
  } else {
    content = html`<p aria-busy="true">${t(lang, "app.loading")}</p>`;
  }
  return html`
    <${Page} lang=${lang} onLanguage=${setLang} links=${[{ href: "mypage.html", key: "member.myPage" }]}>
      <h1>${t(lang, "signup.title")}</h1>
      <p id="signup-intro">${t(lang, "signup.intro")}</p>
      ${content}
    <//>
  `;
}

// Back to this page after applying (the browser's back/forward cache keeps it as it was left,
// button disabled): start afresh, with nothing of the attempt that was sent.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) location.reload();
});

render(html`<${SignupPage} />`, document.getElementById("app"));
