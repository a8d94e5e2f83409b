// The contract's timeline (GET …/timeline), like an MDM console's activity feed: one list, newest
// first, each event a text label (no icons), who did it (the staff member's username as recorded
// with the event; never their id) and when (JST), with the details that matter (a reason, an
// outcome, an attempt, a month's charge). Paged; reloaded from the top after any action on the
// page (`version` changes).

import { html } from "../../vendor/preact-htm.js";
import { jst, month, yen } from "./format.js";
import { getPage, path } from "./client.js";
import { ErrorNote, LoadMore, Panel, Time, usePaged, useT } from "./ui.js";
import { has } from "./texts.js";

/** The event's label: its own text, else its kind's with the API's event name. */
function label(t, event) {
  const key = `timeline.event.${event.kind}.${event.event}`;
  if (has(key)) return t(key, { action: event.details?.action ? t(`commands.action.${event.details.action}`) : "" });
  const command = /^COMMAND_(LOCK|WIPE|BACKUP)_REQUESTED(_AGAIN)?$/.exec(event.event ?? "");
  if (command) {
    const key = command[2] ? "timeline.event.CMD.REQUESTED_AGAIN" : "timeline.event.CMD.REQUESTED";
    return t(key, { action: t(`commands.action.${command[1]}`) });
  }
  return `${has(`timeline.kind.${event.kind}`) ? t(`timeline.kind.${event.kind}`) : event.kind}: ${event.event}`;
}

/** Who did it: the staff member's name recorded with the event, a neutral label for an event
 * recorded before names were (`by` without `byName`: never the bare id), else the system. */
function actor(t, event) {
  if (event.details?.by === "SUBSCRIBER") return t("timeline.bySubscriber");
  if (!event.by) return t("timeline.bySystem");
  return event.byName ? t("timeline.by", { by: event.byName }) : t("common.staffNotRecorded");
}

/** A support refusal's code in words: R7, the Appendix, or the R14 category itself. */
function refusal(t, code) {
  if (has(`timeline.refusal.${code}`)) return t(`timeline.refusal.${code}`);
  if (has(`session.category.${code}`)) return `${t("timeline.refusal.excluded")}: ${t(`session.category.${code}`)}`;
  return code;
}

/** The details worth a line, as "name: value" texts; anything else the API sends is left out. */
function details(lang, t, event) {
  const d = event.details ?? {};
  const out = [];
  const add = (key, value) => {
    if (value !== undefined && value !== null && value !== "" && value !== false) out.push(`${t(`timeline.detail.${key}`)}: ${value}`);
  };
  add("attempt", d.attempt);
  add("decision", d.decision && t(`timeline.decision.${d.decision}`));
  // A support session's channel, or the subscriber's own (the app, the web page, my page).
  const channel = has(`session.channel.${d.channel}`) ? `session.channel.${d.channel}` : `timeline.channel.${d.channel}`;
  add("channel", d.channel && t(channel));
  add("locationOptOut", typeof d.locationOptOut === "boolean" && t(`timeline.optOut.${d.locationOptOut}`));
  add("category", d.category && t(`session.category.${d.category}`));
  add("refusal", d.refusal && `${refusal(t, d.refusal)} (${d.refusal})`);
  add("outcome", d.sessionOutcome && t(`session.outcome.${d.sessionOutcome}`));
  add("receivedAt", d.receivedAt && jst(d.receivedAt));
  add("endsAt", d.endsAt && jst(d.endsAt));
  const ending = event.event === "ENDED" || event.event === "CHARGED_PAST_END"; // d.reason: an end reason
  add("endedAt", d.endedAt && jst(d.endedAt));
  add("endReason", ending && d.reason && t(`contract.endReason.${d.reason}`));
  add("reason", !ending && d.reason);
  add("months", Array.isArray(d.months) && d.months.map((m) => month(lang, m)).join(", "));
  add("failureReason", d.failureReason);
  add("month", d.month && month(lang, d.month));
  add("amount", d.amount !== undefined && yen(d.amount));
  add("firstBillableMonth", d.firstBillableMonth && month(lang, d.firstBillableMonth));
  add("deviceId", d.deviceId);
  add("commandId", d.commandId);
  add("sessionId", d.sessionId);
  add("applicationId", d.applicationId);
  return out;
}

export function TimelinePanel({ contractId, version }) {
  const { lang, t } = useT();
  const list = usePaged((cursor) => getPage(path`/contracts/${contractId}/timeline`, cursor), [contractId, version]);
  return html`
    <${Panel} title=${t("timeline.title")} className="panel-timeline">
      <div class="panel-tools">
        <button type="button" class="secondary outline small" disabled=${list.loading} onClick=${list.reload}>
          ${t("timeline.refresh")}</button>
        <span class="muted">${list.loading ? t("common.loading") : ""}</span>
      </div>
      <${ErrorNote} problem=${list.problem} />
      ${list.loaded && list.items.length === 0 && html`<p>${t("timeline.none")}</p>`}
      <ol class="timeline" aria-label=${t("timeline.title")}>
        ${list.items.map((event) => {
          const lines = details(lang, t, event);
          return html`
            <li class=${`event event-${event.kind}`}>
              <div class="event-head">
                <span class="event-kind">${has(`timeline.kind.${event.kind}`) ? t(`timeline.kind.${event.kind}`) : event.kind}</span>
                <strong class="event-label">${label(t, event)}</strong>
              </div>
              <div class="event-meta"><${Time} iso=${event.at} />${" · "}${actor(t, event)}</div>
              ${lines.length > 0 && html`<p class="event-details">${lines.join(" / ")}</p>`}
            </li>
          `;
        })}
      </ol>
      <${LoadMore} list=${list} label=${t("timeline.title")} />
    <//>
  `;
}
