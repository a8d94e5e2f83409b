// Staff sign-in for the console: Cognito managed login (the pool's domain; the emulator locally)
// with the authorization code flow and PKCE, through oidc-client-ts. The tokens stay in this
// tab's sessionStorage (gone when it closes; never localStorage), are renewed with the refresh
// token before they expire, and are revoked at sign-out. The ID token is what the staff routes'
// Cognito authorizer takes; the API checks the staff group again on every route.

import { UserManager, WebStorageStateStore } from "../../vendor/oidc-client-ts.js";
import { call, loadConfig } from "../api.js";

let manager = null;
let settings = null;
const signedOutListeners = [];
/** The 401 codes that mean "this token is not accepted" (the authorizer's and the handlers'). */
const TOKEN_REFUSED = new Set(["UNAUTHENTICATED", "NOT_SIGNED_IN"]);

/** The console's own address: where the sign-in and the sign-out come back to. */
const consolePage = () => new URL("console.html", location.origin).href;

async function userManager() {
  if (manager) return manager;
  ({ staffSignIn: settings } = await loadConfig());
  if (!settings) throw new Error("config.json has no staffSignIn");
  const store = new WebStorageStateStore({ store: window.sessionStorage, prefix: "anshin.console." });
  manager = new UserManager({
    authority: settings.issuer,
    client_id: settings.clientId,
    redirect_uri: consolePage(),
    post_logout_redirect_uri: consolePage(),
    response_type: "code",
    scope: "openid email profile",
    // Given, not discovered: Cognito's discovery document has no sign-out endpoint, and the
    // console then needs no connection beyond the token endpoint's origin (CSP connect-src).
    metadata: {
      issuer: settings.issuer,
      authorization_endpoint: settings.authorizationEndpoint,
      token_endpoint: settings.tokenEndpoint,
      revocation_endpoint: settings.revocationEndpoint, // absent on the local emulator
    },
    userStore: store,
    stateStore: store,
    loadUserInfo: false,
    automaticSilentRenew: true, // with the refresh token: no iframe
    revokeTokenTypes: ["refresh_token"],
  });
  // A renewal that failed (a network blip) ends the session only once the tokens have expired;
  // until then the next request tries again.
  manager.events.addSilentRenewError(async () => {
    const user = await manager.getUser();
    if (!user || user.expired) signedOut();
  });
  manager.events.addUserSignedOut(() => signedOut());
  return manager;
}

function signedOut() {
  for (const listener of signedOutListeners) listener();
}

/** Call `listener` when the session ends by itself (renewal refused, token revoked). */
export function onSignedOut(listener) {
  signedOutListeners.push(listener);
}

function staffOf(user) {
  const profile = user.profile || {};
  let groups = profile["cognito:groups"] || [];
  if (typeof groups === "string") groups = groups.split(/[\s,]+/);
  return {
    staffId: profile.sub,
    name: profile["cognito:username"] || profile.email || profile.sub,
    isStaff: groups.includes(settings.staffGroup),
  };
}

/**
 * The signed-in staff member, or null. Completes a sign-in that has just come back (the URL's
 * `code` and `state`), then takes them out of the address bar.
 */
export async function startSession() {
  const users = await userManager();
  const query = new URLSearchParams(location.search);
  if (query.has("state") && (query.has("code") || query.has("error"))) {
    const clean = `${location.pathname}${location.hash}`;
    try {
      await users.signinRedirectCallback();
    } finally {
      history.replaceState(null, "", clean);
    }
  }
  let user = await users.getUser();
  if (user && user.expired) user = await renew();
  return user ? staffOf(user) : null;
}

async function renew() {
  try {
    return await (await userManager()).signinSilent();
  } catch {
    await (await userManager()).removeUser();
    return null;
  }
}

/** Go to the managed sign-in page; it comes back to the console. */
export async function signIn() {
  await (await userManager()).signinRedirect();
}

/**
 * Sign out: revoke the refresh token, forget the tokens, and end the managed login's own session
 * (Cognito's /logout takes client_id and logout_uri), which comes back to the console.
 */
export async function signOut() {
  const users = await userManager();
  if (settings.revocationEndpoint) {
    try {
      await users.revokeTokens();
    } catch {
      // already expired or revoked: nothing to revoke
    }
  }
  await users.removeUser();
  const logout = new URL(settings.logoutEndpoint);
  logout.searchParams.set("client_id", settings.clientId);
  logout.searchParams.set("logout_uri", consolePage());
  location.assign(logout.href);
}

/**
 * One request to the staff API with the staff member's token: {status, data} as api.js `call`.
 * An expired token is renewed first; a 401 is retried once after a renewal, then ends the session.
 */
export async function staffCall(method, path, { body } = {}) {
  const users = await userManager();
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
