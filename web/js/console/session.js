// The support session of the call (R7, R14, Appendix): open it with its channel and category,
// close it with an outcome. Refusals are the API's (R7 outside 09:00–21:00 JST, remote support
// for Android only, the R14 categories, which are recorded as refused) and read as sentences.
// The open session's id is kept for this tab (sessionStorage: ids only, no personal data), so a
// reload mid-call can still close it.

import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { jstClock } from "./format.js";
import { path, request } from "./client.js";
import { ErrorNote, Panel, SendButton, Time, useId, useNow, useT } from "./ui.js";

// The API's enums (anshin.domain.support, anshin.services.requests).
export const CHANNELS = ["PHONE", "REMOTE"];
export const SUPPORTED = ["SETTINGS", "APP_USAGE", "TROUBLESHOOTING", "BACKUP", "LOCK_OR_WIPE", "OTHER"];
export const EXCLUDED = [
  "CARD_OR_BANK_ENTRY",
  "RIGHTS_INFRINGEMENT",
  "UNLAWFUL_REQUEST",
  "THIRD_PARTY_CONSENT_MISSING",
  "NO_COOPERATION",
];
export const OUTCOMES = ["RESOLVED", "UNRESOLVED", "ESCALATED"];

const OPENS = 9; // R7: 09:00 (inclusive) to 21:00 (exclusive), Japan time
const CLOSES = 21;
const HOUR = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", hourCycle: "h23" });

/** R7 as the page can tell (the API decides): is it support hours in Japan now? */
export function withinHours(now) {
  const hour = Number(HOUR.format(new Date(now)));
  return hour >= OPENS && hour < CLOSES;
}

const stored = {
  key: (contractId) => `anshin.console.session.${contractId}`,
  read(contractId) {
    try {
      return JSON.parse(sessionStorage.getItem(this.key(contractId)) ?? "null");
    } catch {
      return null;
    }
  },
  write(contractId, session) {
    try {
      if (session) sessionStorage.setItem(this.key(contractId), JSON.stringify(session));
      else sessionStorage.removeItem(this.key(contractId));
    } catch {
      // storage blocked: the session is known until the page is left
    }
  },
};

/** Only what identifies the session (never anything about the caller). */
const keep = ({ sessionId, channel, category, openedAt }) => ({ sessionId, channel, category, openedAt });

export function SessionPanel({ contract, onChanged }) {
  const { t } = useT();
  const contractId = contract.contractId;
  const [session, setSession] = useState(() => stored.read(contractId));
  const [channel, setChannel] = useState("PHONE");
  const [category, setCategory] = useState("");
  const [outcome, setOutcome] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [result, setResult] = useState(null); // a sentence for the last step
  const now = useNow(30_000);
  const channelId = useId("channel");
  const categoryId = useId("category");
  const categoryHelp = useId("category-help");
  const outcomeId = useId("outcome");

  useEffect(() => setSession(stored.read(contractId)), [contractId]);

  const ended = contract.status === "ENDED";
  const inHours = withinHours(now);
  const excluded = EXCLUDED.includes(category);

  async function open(event) {
    event.preventDefault();
    if (busy || !category) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    const answer = await request("POST", "/support-sessions", { contractId, channel, category });
    setBusy(false);
    onChanged(); // opened or refused, it is on the timeline
    if (answer.problem) {
      setProblem(answer.problem);
      if (answer.problem.details?.sessionId) setResult(t("session.refusedRecorded", { id: answer.problem.details.sessionId }));
      return;
    }
    const opened = keep(answer.data);
    stored.write(contractId, opened);
    setSession(opened);
    setOutcome("");
    setResult(t("session.opened"));
  }

  async function close(event) {
    event.preventDefault();
    if (busy || !outcome || !session) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    const answer = await request("PATCH", path`/support-sessions/${session.sessionId}`, { outcome });
    setBusy(false);
    if (answer.problem) {
      setProblem(answer.problem);
      if (answer.problem.code === "SESSION_NOT_OPEN" || answer.problem.code === "SESSION_NOT_FOUND") {
        stored.write(contractId, null); // closed elsewhere: start afresh
        setSession(null);
      }
      return;
    }
    stored.write(contractId, null);
    setSession(null);
    setCategory("");
    setResult(t("session.closed", { outcome: t(`session.outcome.${outcome}`) }));
    onChanged();
  }

  return html`
    <${Panel} title=${t("session.title")} className="panel-session">
      ${ended
        ? html`<p class="notice">${t("session.ended")}</p>`
        : html`<p class=${inHours ? "muted" : "notice"}>
            ${t(inHours ? "session.hours" : "session.outsideHours", { now: jstClock(now) })}</p>`}
      ${session &&
      html`
        <p class="session-open"><strong>${t("session.inProgress")}</strong>${" "}
          ${t(`session.channel.${session.channel}`)} · ${t(`session.category.${session.category}`)} ·
          ${t("session.openedAt")} <${Time} iso=${session.openedAt} /> · <code>${session.sessionId}</code></p>
        <form onSubmit=${close} class="inline-form">
          <div class="field">
            <label for=${outcomeId}>${t("session.outcome")}</label>
            <select id=${outcomeId} required value=${outcome} onChange=${(e) => setOutcome(e.currentTarget.value)}>
              <option value="" disabled>${t("common.choose")}</option>
              ${OUTCOMES.map((o) => html`<option value=${o}>${t(`session.outcome.${o}`)}</option>`)}
            </select>
          </div>
          <${SendButton} busy=${busy} disabled=${!outcome} label=${t("session.close")} />
        </form>
      `}
      ${!session && !ended &&
      html`
        <form onSubmit=${open} class="inline-form">
          <div class="field">
            <label for=${channelId}>${t("session.channel")}</label>
            <select id=${channelId} value=${channel} onChange=${(e) => setChannel(e.currentTarget.value)}>
              ${CHANNELS.map((c) => html`<option value=${c}>${t(`session.channel.${c}`)}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for=${categoryId}>${t("session.category")}</label>
            <select id=${categoryId} required value=${category} aria-describedby=${excluded ? categoryHelp : undefined}
              onChange=${(e) => setCategory(e.currentTarget.value)}>
              <option value="" disabled>${t("common.choose")}</option>
              <optgroup label=${t("session.supported")}>
                ${SUPPORTED.map((c) => html`<option value=${c}>${t(`session.category.${c}`)}</option>`)}
              </optgroup>
              <optgroup label=${t("session.excluded")}>
                ${EXCLUDED.map((c) => html`<option value=${c}>${t(`session.category.${c}`)}</option>`)}
              </optgroup>
            </select>
          </div>
          <${SendButton} busy=${busy} disabled=${!category} label=${t("session.open")} />
        </form>
        ${excluded && html`<p class="notice" id=${categoryHelp}>${t("session.excludedHelp")}</p>`}
      `}
      <${ErrorNote} problem=${problem} context="session" />
      <p role="status" class="muted">${result ?? ""}</p>
    <//>
  `;
}
