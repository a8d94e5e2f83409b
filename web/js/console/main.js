// The support centre console (staff): sign-in (auth.js), the frame (service name, staff id,
// sign-out, language, navigation) and the views by hash route: #/search, #/contracts/<id>,
// #/queue. A signed-in user who is not support staff sees "権限がありません", never a broken
// screen. On a route change the view's heading takes the focus, and the title says where one is.

import { html, render, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { currentLanguage, LANGUAGES, rememberLanguage } from "../i18n.js";
import { onSignedOut, signIn, signOut, startSession } from "./auth.js";
import { whenForbidden } from "./client.js";
import { CONTRACT_ID, ContractView } from "./contract.js";
import { QueueView } from "./queue.js";
import { SearchView } from "./search.js";
import { t } from "./texts.js";
import { LangContext } from "./ui.js";

/** Sign in or out: both leave the page; if they cannot start (no settings), say so. */
function leave(step, failed) {
  Promise.resolve()
    .then(step)
    .catch(() => failed());
}

/** The route of a hash: {name: "search" | "contract" | "queue" | "unknown", contractId?}. */
export function routeOf(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "search")) return { name: "search" };
  if (parts.length === 1 && parts[0] === "queue") return { name: "queue" };
  if (parts.length === 2 && parts[0] === "contracts" && CONTRACT_ID.test(parts[1])) {
    return { name: "contract", contractId: parts[1] };
  }
  return { name: "unknown" };
}

function useRoute() {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const changed = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function LanguageSwitch({ lang, onLanguage }) {
  const other = LANGUAGES.find((l) => l !== lang);
  return html`<button type="button" class="secondary outline small lang-switch" lang=${other}
    onClick=${() => onLanguage(other)}>${t(other, "lang.name")}</button>`;
}

/** The frame: a skip link, the header, then the view in <main>. */
function Frame({ lang, onLanguage, staff, route, onSignOut, children }) {
  const tr = (key, values) => t(lang, key, values);
  const main = useRef(null);
  const nav = [
    ["search", "#/search", "nav.search"],
    ["queue", "#/queue", "nav.queue"],
  ];
  return html`
    <a class="skip-link" href="#/" onClick=${(e) => {
      e.preventDefault();
      (main.current?.querySelector("h1") ?? main.current)?.focus();
    }}>${tr("nav.skip")}</a>
    <header class="console-header">
      <div class="console-header-inner">
        <a class="brand" href="#/search">${tr("app.name")}</a>
        ${staff &&
        html`<nav aria-label=${tr("nav.label")}>
            <ul>
              ${nav.map(
                ([name, href, key]) => html`<li><a href=${href} aria-current=${route?.name === name ? "page" : undefined}>${tr(key)}</a></li>`,
              )}
            </ul>
          </nav>`}
        <div class="header-tools">
          ${staff && html`<span class="staff-id">${tr("header.staff", { id: staff.name })}</span>`}
          <${LanguageSwitch} lang=${lang} onLanguage=${onLanguage} />
          ${staff && html`<button type="button" class="secondary small" onClick=${onSignOut}>${tr("header.signOut")}</button>`}
        </div>
      </div>
    </header>
    <main class="console-main" ref=${main} tabindex="-1">${children}</main>
  `;
}

function Console() {
  const [lang, setLang] = useState(currentLanguage);
  const [phase, setPhase] = useState("starting"); // starting | signedOut | expired | forbidden | failed | ready
  const [staff, setStaff] = useState(null);
  const route = useRoute();
  const heading = useRef(null);
  const firstRoute = useRef(true);
  const tr = (key, values) => t(lang, key, values);

  const signOutNow = () => leave(signOut, () => setPhase("failed"));
  const chooseLanguage = (next) => {
    rememberLanguage(next);
    setLang(next);
  };

  async function start() {
    setPhase("starting");
    let session;
    try {
      session = await startSession();
    } catch {
      setPhase("failed");
      return;
    }
    if (!session) {
      setPhase("signedOut");
      return;
    }
    setStaff(session);
    setPhase(session.isStaff ? "ready" : "forbidden");
  }

  useEffect(() => {
    onSignedOut(() => {
      setStaff(null);
      setPhase("expired");
    });
    whenForbidden(() => setPhase("forbidden"));
    start();
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  // The title and, after a route change, the focus on the view's heading.
  const titleKey =
    phase !== "ready" ? `phase.${phase}.title` : route.name === "contract" ? "contract.docTitle" : `${route.name}.docTitle`;
  useEffect(() => {
    document.title = `${tr(titleKey, { id: route.contractId ?? "" })} | ${tr("app.name")}`;
  }, [titleKey, lang, route.contractId]);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    heading.current?.focus();
  }, [route.name, route.contractId]);

  let view;
  if (phase === "starting") {
    view = html`<h1>${tr("app.name")}</h1><p aria-busy="true">${tr("phase.starting.body")}</p>`;
  } else if (phase === "failed") {
    view = html`<h1>${tr("phase.failed.title")}</h1><p>${tr("phase.failed.body")}</p>
      <button type="button" onClick=${start}>${tr("phase.failed.retry")}</button>`;
  } else if (phase === "signedOut" || phase === "expired") {
    view = html`<h1>${tr(`phase.${phase}.title`)}</h1><p>${tr(`phase.${phase}.body`)}</p>
      <button type="button" onClick=${() => leave(signIn, () => setPhase("failed"))}>${tr("phase.signIn")}</button>`;
  } else if (phase === "forbidden") {
    view = html`<h1>${tr("phase.forbidden.title")}</h1>
      <p>${tr("phase.forbidden.body")}</p>
      ${staff && html`<p class="muted">${tr("header.staff", { id: staff.name })}</p>`}
      <p class="error-code">${tr("error.code", { code: "FORBIDDEN" })}</p>
      <button type="button" onClick=${signOutNow}>${tr("header.signOut")}</button>`;
  } else if (route.name === "search") {
    view = html`<${SearchView} headingRef=${heading} />`;
  } else if (route.name === "queue") {
    view = html`<${QueueView} headingRef=${heading} />`;
  } else if (route.name === "contract") {
    view = html`<${ContractView} key=${route.contractId} contractId=${route.contractId} headingRef=${heading} />`;
  } else {
    view = html`<h1 tabindex="-1" ref=${heading}>${tr("unknown.title")}</h1>
      <p>${tr("unknown.body")}</p><p><a href="#/search">${tr("nav.search")}</a></p>`;
  }

  const ready = phase === "ready";
  return html`
    <${LangContext.Provider} value=${lang}>
      <${Frame} lang=${lang} onLanguage=${chooseLanguage} staff=${ready ? staff : null} route=${route} onSignOut=${signOutNow}>${view}<//>
    <//>
  `;
}

render(html`<${Console} />`, document.getElementById("app"));
