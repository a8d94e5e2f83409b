// Member sign-in for the subscriber pages (issue 23, docs/members.md): only the holder of a
// mobile account applies, follows an application and uses "my page". The members pool's managed
// login, with the authorization code flow and PKCE through oidc-client-ts, as the staff console
// does (js/console/auth.js) but with the members' client and its own sessionStorage prefix. The
// tokens stay in this tab's sessionStorage (never localStorage), shared by the pages of the site
// (one sign-in serves the signup page, the status page and my page), are renewed with the refresh
// token before they expire, and are revoked at sign-out where the pool can (AWS).
//
// Each page that needs a member is its own callback (exactly `/`, `/index.html`, `/status.html`,
// `/mypage.html` are registered): the sign-in comes back to the page it started from, and what
// the page's address carried (the status page's `?id=`) travels in the sign-in's state.

import { call, loadConfig } from "../api.js";
import { signInSession } from "../oidc.js";

/** The claim of the members pool's ID token that names the member's mobile account. */
export const ACCOUNT_CLAIM = "custom:mobileContractId";
/** The pages registered as the members' client's callbacks and sign-out addresses. */
const CALLBACK_PAGES = new Set(["/", "/index.html", "/status.html", "/mypage.html"]);
/** The 401 codes that mean "this token is not accepted": the authorizer's and the page's own. */
const TOKEN_REFUSED = new Set(["UNAUTHENTICATED", "NOT_SIGNED_IN"]);

/** This page's address as registered with the members' client (no query, no hash). */
export function pageAddress(path = location.pathname) {
  return new URL(CALLBACK_PAGES.has(path) ? path : "/", location.origin).href;
}

/** Whether the site offers member sign-in at all (`/config.json`'s `memberSignIn`). */
export async function signInOffered() {
  const config = await loadConfig();
  return Boolean(config.memberSignIn);
}

const session = signInSession({ settingsKey: "memberSignIn", prefix: "anshin.member.", page: () => pageAddress() });
const { renew, signedOut } = session;

/** Call `listener` when the session ends by itself (renewal refused, token no longer accepted). */
export const onSignedOut = session.onSignedOut;

/** The member of a user: {account (the mobile account id), name}. */
function memberOf(user) {
  const profile = user.profile || {};
  return {
    account: typeof profile[ACCOUNT_CLAIM] === "string" ? profile[ACCOUNT_CLAIM] : "",
    name: profile.email || profile["cognito:username"] || "",
  };
}

/**
 * The signed-in member ({account, name}) or null. Completes a sign-in that has just come back
 * (the URL's `code` and `state`): takes them out of the address bar and puts back the query the
 * page had when the sign-in started (the status page's `?id=`). A sign-in that failed (refused,
 * or its state lost) is `{failed: true}`.
 */
export async function startSession() {
  const users = await session.userManager();
  const query = new URLSearchParams(location.search);
  if (query.has("state") && (query.has("code") || query.has("error"))) {
    let search = "";
    try {
      const user = await users.signinRedirectCallback();
      search = typeof user.state?.search === "string" && user.state.search.startsWith("?") ? user.state.search : "";
    } catch {
      history.replaceState(null, "", `${location.pathname}${location.hash}`);
      return { failed: true };
    }
    history.replaceState(null, "", `${location.pathname}${search}${location.hash}`);
  }
  const user = await session.currentUser();
  return user ? memberOf(user) : null;
}

/**
 * Go to the members' sign-in page; it comes back to this page, with this page's query (kept in
 * the sign-in's state, since the registered callback has none).
 */
export async function signIn() {
  await (await session.userManager()).signinRedirect({ state: { search: location.search } });
}

/**
 * Sign out: revoke the refresh token (AWS), forget the tokens, and end the managed login's own
 * session, which comes back to `page` (one of the registered addresses; this page unless told).
 */
export async function signOut(page = location.pathname) {
  await session.signOut(pageAddress(page));
}

/**
 * One request to a member route with the member's ID token (`Authorization: <token>`, no
 * "Bearer"): {status, data, retryAfter} as api.js `call`. An expired token is renewed first; a
 * refused token is renewed and the request sent once more, and if it is refused again the
 * session ends (the page asks to sign in again).
 */
export async function memberCall(method, path, { body, headers = {} } = {}) {
  let users;
  try {
    users = await session.userManager();
  } catch {
    return { status: 0, data: null };
  }
  let user = await users.getUser();
  if (!user || user.expired) user = await renew();
  if (!user) {
    signedOut();
    return { status: 401, data: { code: "NOT_SIGNED_IN" } };
  }
  const send = (token) => call(method, path, { body, headers: { ...headers, Authorization: token } });
  let answer = await send(user.id_token);
  if (answer.status === 401 && TOKEN_REFUSED.has(answer.data?.code ?? "UNAUTHENTICATED")) {
    user = await renew();
    if (!user) {
      signedOut();
      return answer;
    }
    answer = await send(user.id_token);
    if (answer.status === 401) {
      await users.removeUser(); // refused even fresh: this tab is signed out
      signedOut();
    }
  }
  return answer;
}
