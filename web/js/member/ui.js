// What the member pages share: the sign-in state of this tab (useMember), the panel that asks a
// visitor to sign in, and the bar that says who is signed in, with the sign-out.

import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { t } from "../i18n.js";
import { onSignedOut, signIn, signOut, startSession } from "./auth.js";

/**
 * The member of this tab: {state, member}. state: "checking" | "signedIn" | "signedOut" |
 * "expired" (the session ended while the page was open) | "failed" (a sign-in came back
 * refused) | "unavailable" (no sign-in settings, or they could not be read). A sign-in that has
 * just come back is completed first, so that the page reads its own address only afterwards.
 */
export function useMember() {
  const [session, setSession] = useState({ state: "checking", member: null });
  useEffect(() => {
    let live = true;
    startSession()
      .then((found) => {
        if (!live) return;
        if (found?.failed) setSession({ state: "failed", member: null });
        else setSession(found ? { state: "signedIn", member: found } : { state: "signedOut", member: null });
      })
      .catch(() => live && setSession({ state: "unavailable", member: null }));
    const forget = onSignedOut(() => live && setSession({ state: "expired", member: null }));
    return () => {
      live = false;
      forget();
    };
  }, []);
  return session;
}

/** The sign-in button: to the members' managed login, and back to this page. */
export function SignInButton({ lang, className = "" }) {
  const [going, setGoing] = useState(false);
  const [failed, setFailed] = useState(false);
  const go = async () => {
    setGoing(true);
    setFailed(false);
    try {
      await signIn();
    } catch {
      setGoing(false);
      setFailed(true);
    }
  };
  return html`
    <button type="button" class=${`sign-in ${className}`.trim()} onClick=${go} disabled=${going}
      aria-busy=${going ? "true" : undefined}>${t(lang, "member.signIn")}</button>
    ${failed && html`<p role="alert" class="notice notice-error">${t(lang, "member.unavailable")}</p>`}
  `;
}

/**
 * Asks a visitor who is not signed in (or no longer) to sign in: why (`titleKey`, `bodyKey`), what
 * happened to the session (`state`), and the button. Its heading takes the focus when the session
 * ends while the page is open, so that a screen reader hears it.
 */
export function SignInPanel({ lang, state, titleKey, bodyKey }) {
  const heading = useRef(null);
  useEffect(() => {
    if (state === "expired") heading.current?.focus();
  }, [state]);
  if (state === "checking") return html`<p aria-busy="true">${t(lang, "member.checking")}</p>`;
  if (state === "unavailable") {
    return html`<p role="alert" class="notice notice-error">${t(lang, "member.unavailable")}</p>`;
  }
  const why = state === "expired" ? "member.expired" : state === "failed" ? "member.failed" : null;
  return html`
    <section class="sign-in-panel" aria-labelledby="sign-in-title">
      <h2 id="sign-in-title" ref=${heading} tabindex="-1">${t(lang, titleKey)}</h2>
      ${why && html`<p role="alert" class="notice notice-error">${t(lang, why)}</p>`}
      <p>${t(lang, bodyKey)}</p>
      <${SignInButton} lang=${lang} />
    </section>
  `;
}

/** Who is signed in (the mobile account of the token) and the sign-out, back to `signOutTo`. */
export function MemberBar({ lang, member, signOutTo }) {
  const [leaving, setLeaving] = useState(false);
  const leave = async () => {
    setLeaving(true);
    try {
      await signOut(signOutTo);
    } catch {
      setLeaving(false);
    }
  };
  return html`
    <section class="member-bar" aria-label=${t(lang, "member.signedInAs")}>
      <p>
        <span class="member-label">${t(lang, "member.signedInAs")}</span>${" "}
        <span class="member-account">${t(lang, "member.account", { account: member.account })}</span>
      </p>
      <button type="button" class="secondary outline sign-out" onClick=${leave} disabled=${leaving}
        aria-busy=${leaving ? "true" : undefined}>${t(lang, "member.signOut")}</button>
    </section>
  `;
}
