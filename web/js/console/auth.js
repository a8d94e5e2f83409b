// Staff sign-in for the console: Cognito managed login (the pool's domain; the emulator locally)
// with the authorization code flow and PKCE, through oidc-client-ts. The tokens stay in this
// tab's sessionStorage (gone when it closes; never localStorage), are renewed with the refresh
// token before they expire, and are revoked at sign-out. The ID token is what the staff routes'
// Cognito authorizer takes; the API checks the staff group again on every route.

import { call } from "../api.js";
import { signInSession } from "../oidc.js";

/** The 401 codes that mean "this token is not accepted" (the authorizer's and the handlers'). */
const TOKEN_REFUSED = new Set(["UNAUTHENTICATED", "NOT_SIGNED_IN"]);

/** The console's own address: where the sign-in and the sign-out come back to. */
const consolePage = () => new URL("console.html", location.origin).href;

const session = signInSession({ settingsKey: "staffSignIn", prefix: "anshin.console.", page: consolePage });
const { renew, signedOut } = session;

/** Call `listener` when the session ends by itself (renewal refused, token revoked). */
export function onSignedOut(listener) {
  session.onSignedOut(listener);
}

function staffOf(user) {
  const profile = user.profile || {};
  let groups = profile["cognito:groups"] || [];
  if (typeof groups === "string") groups = groups.split(/[\s,]+/);
  return {
    staffId: profile.sub,
    name: profile["cognito:username"] || profile.email || profile.sub,
    isStaff: groups.includes(session.settings().staffGroup),
  };
}

/**
 * The signed-in staff member, or null. Completes a sign-in that has just come back (the URL's
 * `code` and `state`), then takes them out of the address bar.
 */
export async function startSession() {
  const users = await session.userManager();
  const query = new URLSearchParams(location.search);
  if (query.has("state") && (query.has("code") || query.has("error"))) {
    const clean = `${location.pathname}${location.hash}`;
    try {
      await users.signinRedirectCallback();
    } finally {
      history.replaceState(null, "", clean);
    }
  }
  const user = await session.currentUser();
  return user ? staffOf(user) : null;
}

/** Go to the managed sign-in page; it comes back to the console. */
export async function signIn() {
  await (await session.userManager()).signinRedirect();
}

/** Sign out, back to the console (js/oidc.js: revoke, forget, end the managed login's session). */
export async function signOut() {
  await session.signOut(consolePage());
}

/**
 * One request to the staff API with the staff member's token: {status, data} as api.js `call`.
 * An expired token is renewed first; a 401 is retried once after a renewal, then ends the session.
 */
export async function staffCall(method, path, { body } = {}) {
  const users = await session.userManager();
  let user = await users.getUser();
  if (!user || user.expired) user = await renew();
  if (!user) {
    signedOut();
    return { status: 401, data: { code: "NOT_SIGNED_IN", message: "Sign in again." } };
  }
  const send = (token) => call(method, path, { body, headers: { Authorization: token } });
  let answer = await send(user.id_token);
  // Only a refused token is worth a renewal: a wrong passphrase is a 401 too, and sent twice it
  // would count twice towards the caller's lockout.
  if (answer.status === 401 && TOKEN_REFUSED.has(answer.data?.code)) {
    user = await renew();
    if (!user) {
      signedOut();
      return answer;
    }
    answer = await send(user.id_token);
  }
  return answer;
}
