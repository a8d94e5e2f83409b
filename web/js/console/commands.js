// Remote lock, wipe and backup (Appendix) for the contract's device, like an MDM console's
// remote actions: LOCK and WIPE only with a current identity verification; LOCK asks to confirm
// (a reason is optional), WIPE needs the device id typed back and a reason; each command's
// status follows itself (follow-command.js) in the device's command history, with its attempts
// and next retry, and a command the device has not answered yet can be cancelled (with a reason).
// Status changes are announced in one polite live region. Also the device's revocation.

import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { ConfirmDialog, ReasonField } from "./dialog.js";
import { FINAL, IN_FLIGHT, followCommand } from "./follow-command.js";
import { jst, jstClock } from "./format.js";
import { getPage, path, request } from "./client.js";
import { ErrorNote, LoadMore, Panel, SendButton, StatusBadge, Time, useId, usePaged, useT } from "./ui.js";
import { has } from "./texts.js";

/** Why the device cannot take commands at all (null: it can). */
function deviceBlock(contract) {
  const device = contract.device ?? {};
  if (contract.status === "ENDED") return "commands.block.ended";
  if (device.platform && device.platform !== "android") return "commands.block.notAndroid";
  if (device.revokedAt) return "commands.block.revoked";
  if (device.appRegistered === false) return "commands.block.noApp";
  return null;
}

/** Who asked for or cancelled a command, after its time: their name as recorded with it, or a
 * neutral label for a command recorded before names were (never the staff id). */
function who(t, id, name) {
  return id ? ` · ${name || t("common.staffNotRecorded")}` : "";
}

/** One command of the history: its status (following itself while in flight) and its facts. */
function CommandItem({ command, onView, onAnnounce, onCancel }) {
  const { t } = useT();
  const [trouble, setTrouble] = useState(null);
  const inFlight = IN_FLIGHT.has(command.status);
  const seen = useRef(command.status);
  const latest = useRef(null);
  latest.current = { onView, onAnnounce }; // the follower outlives renders: it calls the newest

  useEffect(() => {
    if (!inFlight) return undefined;
    return followCommand(command.commandId, command.status, (news) => {
      if (news.view) {
        setTrouble(null);
        if (news.view.status !== seen.current) {
          seen.current = news.view.status;
          latest.current.onAnnounce(news.view);
        }
        latest.current.onView(news.view);
      } else {
        setTrouble(news);
      }
    });
  }, [command.commandId, inFlight]);

  const action = t(`commands.action.${command.action}`);
  const nextAt = inFlight && command.nextAttemptAt;
  return html`
    <li class=${`command command-${command.status}`}>
      <div class="command-head">
        <strong>${action}</strong>
        <${StatusBadge} group="commands" status=${command.status} />
        ${inFlight && html`<span class="muted" aria-hidden="true">${t("commands.following")}</span>`}
        ${inFlight &&
        html`<button type="button" class="secondary outline small" aria-label=${t("commands.cancelOf", { action, id: command.commandId })}
            onClick=${() => onCancel(command)}>${t("commands.cancel")}</button>`}
      </div>
      <p class="command-sentence">${t(`commands.sentence.${command.status}`)}</p>
      <dl class="command-facts">
        <div><dt>${t("commands.requestedAt")}</dt><dd><${Time} iso=${command.requestedAt} />${who(t, command.requestedBy, command.requestedByName)}</dd></div>
        <div><dt>${t("commands.attempts")}</dt><dd>${t("commands.attemptsValue", { count: command.attempts ?? 0 })}${command.lastAttemptAt ? ` · ${t("commands.lastAttempt", { at: jstClock(command.lastAttemptAt) })}` : ""}</dd></div>
        ${nextAt && html`<div><dt>${t("commands.nextAttemptAt")}</dt><dd><${Time} iso=${command.nextAttemptAt} /></dd></div>`}
        ${inFlight && command.expiresAt && html`<div><dt>${t("commands.expiresAt")}</dt><dd><${Time} iso=${command.expiresAt} /></dd></div>`}
        ${command.finishedAt && html`<div><dt>${t("commands.finishedAt")}</dt><dd><${Time} iso=${command.finishedAt} /></dd></div>`}
        ${command.reason && html`<div><dt>${t("common.reason")}</dt><dd>${command.reason}</dd></div>`}
        ${command.failureReason && html`<div><dt>${t("commands.failureReason")}</dt><dd>${command.failureReason}</dd></div>`}
        ${command.cancelledAt && html`<div><dt>${t("commands.cancelledAt")}</dt><dd><${Time} iso=${command.cancelledAt} />${who(t, command.cancelledBy, command.cancelledByName)}</dd></div>`}
        ${command.cancelReason && html`<div><dt>${t("commands.cancelReason")}</dt><dd>${has(`commands.cancelReason.${command.cancelReason}`) ? t(`commands.cancelReason.${command.cancelReason}`) : command.cancelReason}</dd></div>`}
        ${command.ranAfterCancel &&
        html`<div class="warning"><dt>${t("commands.ranAfterCancel")}</dt><dd>${t(`commands.status.${command.ranAfterCancel.status}`)} · <${Time} iso=${command.ranAfterCancel.reportedAt} /></dd></div>`}
        ${command.location && html`<div><dt>${t("commands.location")}</dt><dd>${t("commands.locationValue", { lat: command.location.latitude, lon: command.location.longitude, m: command.location.accuracyMeters ?? "—" })}</dd></div>`}
        ${command.backup && html`<div><dt>${t("commands.backup")}</dt><dd>${t("commands.backupValue", { size: (command.backup.size ?? 0).toLocaleString("ja-JP") })}</dd></div>`}
        <div><dt>${t("commands.id")}</dt><dd><code>${command.commandId}</code></dd></div>
      </dl>
      ${trouble?.retrying && html`<p class="muted">${t("commands.retrying")}</p>`}
      ${trouble && !trouble.retrying && html`<${ErrorNote} problem=${trouble.problem} />`}
    </li>
  `;
}

export function RemoteActionsPanel({ contract, verification, onChanged }) {
  const { t } = useT();
  const device = contract.device ?? {};
  const contractId = contract.contractId;
  const deviceId = device.deviceId;
  const [dialog, setDialog] = useState(null); // "LOCK" | "WIPE" | "REVOKE" | {cancel: command}
  const [reason, setReason] = useState("");
  const [typedId, setTypedId] = useState("");
  const [busy, setBusy] = useState(null); // the action being sent
  const [problem, setProblem] = useState(null); // of the dialog's request
  const [outcome, setOutcome] = useState(null); // of the last send: {problem} or {notice}
  const [announcement, setAnnouncement] = useState("");
  const blockId = useId("commands-block");
  const verifyId = useId("commands-verify");

  const history = usePaged(
    (cursor) => getPage(path`/contracts/${contractId}/devices/${deviceId}/commands`, cursor),
    [contractId, deviceId],
    { auto: Boolean(deviceId) },
  );

  const block = deviceBlock(contract);
  const needsVerification = !verification.valid;

  /** One sentence per status change (never per poll): what, its status, attempts, next retry. */
  const announce = (view) => {
    const parts = [t("commands.announce", { action: t(`commands.action.${view.action}`), status: t(`commands.status.${view.status}`) })];
    if (view.attempts) parts.push(t("commands.attemptsValue", { count: view.attempts }));
    if (view.nextAttemptAt && !FINAL.has(view.status)) parts.push(`${t("commands.nextAttemptAt")} ${jstClock(view.nextAttemptAt)}`);
    setAnnouncement(parts.join("、"));
    if (FINAL.has(view.status)) onChanged();
  };
  const putView = (view) =>
    history.replace((items) => {
      const others = items.filter((item) => item.commandId !== view.commandId);
      const at = items.findIndex((item) => item.commandId === view.commandId);
      if (at === -1) return [view, ...others];
      const copy = [...items];
      copy[at] = { ...items[at], ...view };
      return copy;
    });

  const open = (which) => {
    setReason("");
    setTypedId("");
    setProblem(null);
    setDialog(which);
  };
  const close = () => {
    setDialog(null);
    setReason("");
    setTypedId("");
  };

  async function send(action) {
    setBusy(action);
    setProblem(null);
    setOutcome(null);
    const body = { action };
    if (action !== "BACKUP") body.verificationId = verification.verificationId;
    if (action === "WIPE") body.confirm = typedId;
    // A reason is the dialog's (LOCK, WIPE): BACKUP has none, and never a leftover one.
    if (action !== "BACKUP" && dialog && reason.trim()) body.reason = reason.trim();
    const answer = await request("POST", path`/contracts/${contractId}/devices/${deviceId}/commands`, body);
    setBusy(null);
    if (answer.problem) {
      if (dialog) setProblem(answer.problem);
      else setOutcome({ problem: answer.problem });
      if (answer.problem.code === "IDENTITY_NOT_VERIFIED") verification.reload();
      onChanged(); // a refused request is audited too: it is on the timeline
      return;
    }
    close();
    const { commandId, status, created } = answer.data ?? {};
    const action_ = t(`commands.action.${action}`);
    setOutcome({ notice: t(created === false ? "commands.alreadyInFlight" : "commands.sent", { action: action_ }) });
    setAnnouncement(t("commands.announce", { action: action_, status: t(`commands.status.${status ?? "PENDING"}`) }));
    const shown = await request("GET", path`/commands/${commandId}`);
    putView(shown.problem ? { commandId, action, status: status ?? "PENDING", attempts: 0 } : shown.data);
    onChanged();
  }

  async function cancelCommand(command) {
    setBusy("CANCEL");
    setProblem(null);
    const answer = await request("POST", path`/commands/${command.commandId}/cancellation`, { reason: reason.trim() });
    setBusy(null);
    if (answer.problem) {
      setProblem(answer.problem);
      const now = await request("GET", path`/commands/${command.commandId}`); // it may have finished meanwhile
      if (!now.problem) putView(now.data);
      return;
    }
    close();
    putView(answer.data);
    announce(answer.data);
  }

  async function revoke() {
    setBusy("REVOKE");
    setProblem(null);
    const answer = await request("POST", path`/contracts/${contractId}/devices/${deviceId}/revocation`, { reason: reason.trim() });
    setBusy(null);
    if (answer.problem) {
      setProblem(answer.problem);
      return;
    }
    setDialog(null);
    setOutcome({ notice: t("commands.revoked", { at: jst(answer.data?.revokedAt) }) });
    onChanged({ reloadContract: true });
  }

  // A new member code, sent by the service to the holder's contact on file (never shown here):
  // the old code dies, and a revoked device may register again with the new one (issue 24).
  async function reissueCode() {
    setBusy("REISSUE");
    setProblem(null);
    const answer = await request("POST", path`/contracts/${contractId}/member-code`, { reason: reason.trim() });
    setBusy(null);
    if (answer.problem) {
      setProblem(answer.problem);
      return;
    }
    setDialog(null);
    setOutcome({ notice: t("commands.reissued", { at: jst(answer.data?.reissuedAt) }) });
    onChanged();
  }

  const deviceLine = t("commands.deviceLine", { model: device.model ?? "—", id: deviceId ?? "—" });
  const cancelling = dialog && typeof dialog === "object" ? dialog.cancel : null;

  return html`
    <${Panel} title=${t("commands.title")} className="panel-commands">
      <p class="muted">${deviceLine}</p>
      ${block && html`<p class="notice" id=${blockId}>${t(block)}</p>`}
      ${!block && needsVerification && html`<p class="notice" id=${verifyId}>${t("commands.block.verify")}</p>`}
      <div class="action-buttons" role="group" aria-label=${t("commands.actions")}>
        <${SendButton} type="button" busy=${busy === "LOCK"} disabled=${Boolean(block) || needsVerification || Boolean(busy)}
          describedBy=${block ? blockId : needsVerification ? verifyId : undefined}
          label=${t("commands.lock")} onClick=${() => open("LOCK")} />
        <${SendButton} type="button" busy=${busy === "BACKUP"} disabled=${Boolean(block) || Boolean(busy)}
          describedBy=${block ? blockId : undefined}
          label=${t("commands.backupNow")} kind="secondary" onClick=${() => send("BACKUP")} />
        <${SendButton} type="button" busy=${busy === "WIPE"} disabled=${Boolean(block) || needsVerification || Boolean(busy)}
          describedBy=${block ? blockId : needsVerification ? verifyId : undefined}
          label=${t("commands.wipe")} kind="danger" onClick=${() => open("WIPE")} />
      </div>
      ${outcome?.notice && html`<p class="notice notice-ok">${outcome.notice}</p>`}
      <${ErrorNote} problem=${outcome?.problem} context="command" />
      <p class="visually-hidden" aria-live="polite" aria-atomic="true">${announcement}</p>

      <h3>${t("commands.history")}</h3>
      ${!deviceId && html`<p class="muted">${t("commands.noDevice")}</p>`}
      ${history.loaded && history.items.length === 0 && html`<p class="muted">${t("commands.none")}</p>`}
      ${history.loading && !history.loaded && html`<p aria-busy="true">${t("common.loading")}</p>`}
      <${ErrorNote} problem=${history.problem} />
      <ol class="commands" aria-label=${t("commands.history")}>
        ${history.items.map(
          (command) => html`<${CommandItem} key=${command.commandId} command=${command} onView=${putView}
            onAnnounce=${announce} onCancel=${(c) => open({ cancel: c })} />`,
        )}
      </ol>
      <${LoadMore} list=${history} label=${t("commands.history")} />

      ${deviceId && !device.revokedAt && contract.status !== "ENDED" &&
      html`<details class="revoke">
          <summary>${t("commands.revokeSummary")}</summary>
          <p>${t("commands.revokeExplain")}</p>
          <button type="button" class="secondary outline" onClick=${() => open("REVOKE")}>${t("commands.revoke")}</button>
        </details>`}
      ${contract.status !== "ENDED" &&
      html`<details class="reissue">
          <summary>${t("commands.reissueSummary")}</summary>
          <p>${t("commands.reissueExplain")}</p>
          <button type="button" class="secondary outline" onClick=${() => open("REISSUE")}>${t("commands.reissue")}</button>
        </details>`}

      <${ConfirmDialog} open=${dialog === "LOCK"} title=${t("commands.lockTitle")} confirmLabel=${t("commands.lockConfirm")}
        busy=${busy === "LOCK"} problem=${problem} problemContext="command"
        canConfirm=${verification.valid} onCancel=${close} onConfirm=${() => send("LOCK")}>
        <p>${t("commands.lockExplain")}</p>
        <p><strong>${deviceLine}</strong></p>
        ${!verification.valid && html`<p class="notice">${t("commands.block.verify")}</p>`}
        <${ReasonField} value=${reason} onInput=${setReason} required=${false} />
      <//>

      <${ConfirmDialog} open=${dialog === "WIPE"} title=${t("commands.wipeTitle")} confirmLabel=${t("commands.wipeConfirm")}
        danger=${true} busy=${busy === "WIPE"} problem=${problem} problemContext="command"
        canConfirm=${verification.valid && typedId === deviceId && reason.trim().length > 0}
        onCancel=${close} onConfirm=${() => send("WIPE")}>
        <${WipeFields} deviceId=${deviceId} deviceLine=${deviceLine} typedId=${typedId} setTypedId=${setTypedId}
          reason=${reason} setReason=${setReason} verified=${verification.valid} />
      <//>

      <${ConfirmDialog} open=${Boolean(cancelling)} title=${t("commands.cancelTitle")} confirmLabel=${t("commands.cancelConfirm")}
        danger=${true} busy=${busy === "CANCEL"} problem=${problem} canConfirm=${reason.trim().length > 0}
        onCancel=${close} onConfirm=${() => cancelCommand(cancelling)}>
        <p>${cancelling && t("commands.cancelExplain", { action: t(`commands.action.${cancelling.action}`), id: cancelling.commandId })}</p>
        <${ReasonField} value=${reason} onInput=${setReason} required=${true} />
      <//>

      <${ConfirmDialog} open=${dialog === "REVOKE"} title=${t("commands.revokeTitle")} confirmLabel=${t("commands.revokeConfirm")}
        danger=${true} busy=${busy === "REVOKE"} problem=${problem} canConfirm=${reason.trim().length > 0}
        onCancel=${close} onConfirm=${revoke}>
        <p>${t("commands.revokeExplain")}</p>
        <p><strong>${deviceLine}</strong></p>
        <${ReasonField} value=${reason} onInput=${setReason} required=${true} />
      <//>

      <${ConfirmDialog} open=${dialog === "REISSUE"} title=${t("commands.reissueTitle")} confirmLabel=${t("commands.reissueConfirm")}
        busy=${busy === "REISSUE"} problem=${problem} canConfirm=${reason.trim().length > 0}
        onCancel=${close} onConfirm=${reissueCode}>
        <p>${t("commands.reissueExplain")}</p>
        <${ReasonField} value=${reason} onInput=${setReason} required=${true} />
      <//>
    <//>
  `;
}

/** The wipe's two safeguards: the device id typed back exactly, and a reason. */
function WipeFields({ deviceId, deviceLine, typedId, setTypedId, reason, setReason, verified }) {
  const { t } = useT();
  const id = useId("wipe-confirm");
  const helpId = useId("wipe-confirm-help");
  const mismatch = typedId.length > 0 && typedId !== deviceId;
  return html`
    <p class="danger-text"><strong>${t("commands.wipeWarning")}</strong></p>
    <p><strong>${deviceLine}</strong></p>
    ${!verified && html`<p class="notice">${t("commands.block.verify")}</p>`}
    <div class="field">
      <label for=${id}>${t("commands.wipeTypeId")} <span class="required">${t("common.required")}</span></label>
      <input id=${id} type="text" autocomplete="off" spellcheck=${false} autocapitalize="off" maxlength="128" required
        value=${typedId} aria-invalid=${mismatch ? "true" : undefined} aria-describedby=${helpId}
        onInput=${(e) => setTypedId(e.currentTarget.value)} />
      <small id=${helpId} class=${mismatch ? "field-error" : ""}>
        ${mismatch ? t("commands.wipeMismatch") : t("commands.wipeTypeHelp", { id: deviceId })}
      </small>
    </div>
    <${ReasonField} value=${reason} onInput=${setReason} required=${true} />
  `;
}
