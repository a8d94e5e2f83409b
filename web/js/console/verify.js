// Identity verification (R16, Appendix): the caller says the passphrase, staff type it, the API
// checks it. The panel shows the state (GET …/verification: NONE, VERIFIED, LOCKED_OUT), the
// verification's remaining validity as a live countdown, the attempts left before the lockout,
// and the lockout's end. The passphrase lives only in the field until it is sent: it is never
// kept, logged, put in a URL or stored.

import { html, useCallback, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { jstClock, minutesSeconds, msUntil } from "./format.js";
import { path, request } from "./client.js";
import { ErrorNote, Panel, SendButton, useId, useNow, useT } from "./ui.js";

/** Shown as "expiring soon" (and announced once) in its last minute. */
const SOON_MS = 60_000;

/**
 * The contract's verification as the API last said, and what it means now: {status, problem,
 * loading, valid, verificationId, reload, verified(answer)}. `valid` turns false by itself when
 * expiresAt passes (the clock ticks while a verification or a lockout runs).
 */
export function useVerification(contractId) {
  const [status, setStatus] = useState(null);
  const [problem, setProblem] = useState(null);
  const [loading, setLoading] = useState(true);
  const ticking = status?.state === "VERIFIED" || status?.state === "LOCKED_OUT";
  const now = useNow(1000, ticking);

  const reload = useCallback(async () => {
    setLoading(true);
    const answer = await request("GET", path`/contracts/${contractId}/verification`);
    setLoading(false);
    if (answer.problem) {
      setProblem(answer.problem);
      return;
    }
    setProblem(null);
    setStatus(answer.data);
  }, [contractId]);

  useEffect(() => {
    setStatus(null);
    reload();
  }, [reload]);

  // A lockout that ran out: ask again (the API says how many attempts there are now).
  const lockedUntil = status?.state === "LOCKED_OUT" ? status.lockedUntil : null;
  const lockOver = lockedUntil ? msUntil(lockedUntil, now) <= 0 : false;
  useEffect(() => {
    if (lockOver) reload();
  }, [lockOver, reload]);

  const valid = status?.state === "VERIFIED" && Boolean(status.verificationId) && msUntil(status.expiresAt, now) > 0;
  return {
    status,
    problem,
    loading,
    now,
    valid,
    verificationId: valid ? status.verificationId : null,
    reload,
    /** A 201 of POST …/verifications: verified now (the GET that follows fills the rest). */
    verified: (answer) =>
      setStatus((s) => ({ ...(s ?? {}), state: "VERIFIED", failedAttempts: 0, ...answer })),
  };
}

/** The state in one sentence: what staff may do now. Changes only when the state does. */
function stateSentence(t, verification, contract) {
  const { status, valid, now } = verification;
  if (contract.status === "ENDED") return t("verify.state.ended");
  if (!status) return t("common.loading");
  if (status.state === "LOCKED_OUT" && msUntil(status.lockedUntil, now) > 0) {
    return t("verify.state.locked", { until: jstClock(status.lockedUntil) });
  }
  if (valid) {
    return msUntil(status.expiresAt, now) <= SOON_MS
      ? t("verify.state.expiringSoon", { until: jstClock(status.expiresAt) })
      : t("verify.state.verified", { until: jstClock(status.expiresAt) });
  }
  if (status.state === "VERIFIED") return t("verify.state.expired");
  return t("verify.state.none");
}

export function VerifyPanel({ contract, verification, onChanged }) {
  const { t } = useT();
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const field = useRef(null);
  const fieldId = useId("passphrase");
  const helpId = useId("passphrase-help");
  const { status, valid, now } = verification;

  const locked = status?.state === "LOCKED_OUT" && msUntil(status.lockedUntil, now) > 0;
  const ended = contract.status === "ENDED";
  const noPassphrase = contract.passphraseSet === false;
  const blocked = locked || ended || noPassphrase;

  const submit = async (event) => {
    event.preventDefault();
    if (busy || blocked || !passphrase) return;
    setBusy(true);
    setProblem(null);
    const answer = await request("POST", path`/contracts/${contract.contractId}/verifications`, { passphrase });
    setPassphrase(""); // whatever the outcome: the passphrase is not kept
    setBusy(false);
    if (answer.problem) {
      setProblem(answer.problem);
      field.current?.focus();
    } else {
      verification.verified(answer.data);
    }
    await verification.reload();
    onChanged();
  };

  const attemptsLeft = status?.attemptsLeft;
  return html`
    <${Panel} title=${t("verify.title")} className="panel-verify">
      <p role="status" class=${`verify-state ${ended ? "" : valid ? "ok" : locked ? "bad" : ""}`}>
        ${stateSentence(t, verification, contract)}
      </p>
      ${valid && !ended &&
      html`<p class="countdown">${t("verify.remaining")}
          <span role="timer" aria-label=${t("verify.remaining")}>${minutesSeconds(msUntil(status.expiresAt, now))}</span></p>`}
      ${locked && !ended &&
      html`<p class="countdown">${t("verify.lockRemaining")}
          <span role="timer" aria-label=${t("verify.lockRemaining")}>${minutesSeconds(msUntil(status.lockedUntil, now))}</span></p>`}
      ${!locked && typeof attemptsLeft === "number" && status?.failedAttempts > 0 &&
      html`<p class="attempts">${t("verify.attempts", { failed: status.failedAttempts, left: attemptsLeft })}</p>`}
      ${noPassphrase && !ended && html`<p class="notice">${t("verify.noPassphrase")}</p>`}
      ${!ended && html`<${ErrorNote} problem=${verification.problem} />`}
      ${!ended && html`<form onSubmit=${submit} class="inline-form" autocomplete="off">
        <div class="field">
          <label for=${fieldId}>${t("verify.passphrase")}</label>
          <input id=${fieldId} ref=${field} type="password" autocomplete="off" spellcheck=${false}
            maxlength="64" required disabled=${blocked || busy} value=${passphrase}
            aria-describedby=${helpId} onInput=${(e) => setPassphrase(e.currentTarget.value)} />
          <small id=${helpId}>${t("verify.passphraseHelp")}</small>
        </div>
        <${SendButton} busy=${busy} disabled=${blocked || !passphrase} label=${t("verify.submit")} busyLabel=${t("verify.checking")} />
      </form>`}
      <${ErrorNote} problem=${problem} context="verify" />
    <//>
  `;
}
