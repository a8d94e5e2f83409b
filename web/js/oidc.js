// One sign-in session against a Cognito user pool's managed login, shared by the staff console
// (js/console/auth.js) and the member pages (js/member/auth.js): OpenID Connect authorization
// code + PKCE through oidc-client-ts. The tokens stay in this tab's sessionStorage under the
// session's own prefix (gone when the tab closes; never localStorage), are renewed with the
// refresh token before they expire (no iframe), and are revoked at sign-out where the pool can
// (AWS; the local emulator has no revocation endpoint). The endpoints are given by /config.json,
// not discovered: Cognito's discovery document has no sign-out endpoint, and the page then
// connects to nothing but the token endpoint's origin (CSP connect-src).

import { UserManager, WebStorageStateStore } from "../vendor/oidc-client-ts.js";
import { loadConfig } from "./api.js";

/**
 * A session of the pool that `/config.json` describes under `settingsKey` (`staffSignIn`,
 * `memberSignIn`), stored under `prefix`, coming back to `page()` (its registered address).
 */
export function signInSession({ settingsKey, prefix, page }) {
  let manager = null;
  let settings = null;
  const listeners = [];
  const signedOut = () => {
    for (const listener of [...listeners]) listener();
  };

  async function userManager() {
    if (manager) return manager;
    settings = (await loadConfig())[settingsKey];
    if (!settings) throw new Error(`config.json has no ${settingsKey}`);
    const store = new WebStorageStateStore({ store: window.sessionStorage, prefix });
    manager = new UserManager({
      authority: settings.issuer,
      client_id: settings.clientId,
      redirect_uri: page(),
      post_logout_redirect_uri: page(),
      response_type: "code",
      scope: "openid email profile",
      metadata: {
        issuer: settings.issuer,
        authorization_endpoint: settings.authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint,
        revocation_endpoint: settings.revocationEndpoint, // absent on the local emulator
      },
      userStore: store,
      stateStore: store,
      loadUserInfo: false,
      automaticSilentRenew: true,
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

  /** Fresh tokens from the refresh token, or null (and forgotten) when they cannot be had. */
  async function renew() {
    const users = await userManager();
    try {
      return await users.signinSilent();
    } catch {
      await users.removeUser();
      return null;
    }
  }

  /** The signed-in user (renewed if expired), or null. */
  async function currentUser() {
    const users = await userManager();
    const user = await users.getUser();
    return user && user.expired ? renew() : user;
  }

  /**
   * Sign out: revoke the refresh token (AWS), forget the tokens, and end the managed login's own
   * session (Cognito's /logout takes client_id and logout_uri), which comes back to `logoutPage`.
   */
  async function signOut(logoutPage = page()) {
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
    logout.searchParams.set("logout_uri", logoutPage);
    location.assign(logout.href);
  }

  /** Call `listener` when the session ends by itself; returns what removes it. */
  function onSignedOut(listener) {
    listeners.push(listener);
    return () => {
      const at = listeners.indexOf(listener);
      if (at >= 0) listeners.splice(at, 1);
    };
  }

  return { userManager, renew, currentUser, signOut, onSignedOut, signedOut, settings: () => settings };
}
