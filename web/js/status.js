// The status page (status.html?id=<applicationId>): what each status of the application means
// for the applicant, kept up to date by follow() (follow.js) until it is final. Only a member of
// the application's account sees it (GET /applications/{id} is a member route: anyone else gets
// 404, as for an id that does not exist); a visitor signs in first, and comes back to this very
// application (its id travels in the sign-in's state).

import { html, render, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { FINAL, follow } from "./follow.js";
import { formatInstant, has, t } from "./i18n.js";
import { memberCall } from "./member/auth.js";
import { MemberBar, SignInPanel, useMember } from "./member/ui.js";
import { Page, useLanguage } from "./ui.js";

/** follow()'s way of asking, with the member's token. */
const AS_MEMBER = {
  ask: (id) => memberCall("GET", `/applications/${encodeURIComponent(id)}`),
  later: (fn, ms) => setTimeout(fn, ms),
  cancel: (timer) => clearTimeout(timer),
  now: () => Date.now(),
};

const STEPS = ["RECEIVED", "SCREENING", "DECIDED", "CONTRACTED"];
const STEP_OF = {
  RECEIVED: 0,
  SCREENING: 1,
  DEFERRED: 1,
  APPROVED: 2,
  REJECTED: 2,
  NOTIFICATION_FAILED: 2,
  CONTRACTED: 3,
};

function Steps({ lang, status }) {
  const current = STEP_OF[status] ?? 0;
  const refused = status === "REJECTED" || status === "NOTIFICATION_FAILED";
  return html`
    <ol class="steps" aria-label=${t(lang, "status.steps")}>
      ${STEPS.map(
        (step, i) => html`
          <li class=${i < current ? "done" : i === current ? (refused ? "current refused" : "current") : "todo"}
            aria-current=${i === current ? "step" : undefined}>
            ${t(lang, `status.step.${step}`)}${i === current && html`<span class="visually-hidden">${t(lang, "status.current")}</span>`}
          </li>
        `,
      )}
    </ol>
  `;
}

/** What the status means for the applicant: a title, and what to know or do next. */
function Explanation({ lang, view }) {
  const { status } = view;
  if (status === "REJECTED") {
    const known = has(`reason.${view.reason}`);
    const reason = known ? `reason.${view.reason}` : "reason.unknown";
    return html`
      <h2>${t(lang, "status.REJECTED.title")}</h2>
      <dl class="outcome">
        <dt>${t(lang, "status.REJECTED.reason")}</dt>
        <dd>${t(lang, reason, { code: view.reason })}</dd>
        <dt>${t(lang, "status.REJECTED.next")}</dt>
        <dd>${t(lang, `${reason}.next`)}</dd>
      </dl>
    `;
  }
  if (status === "CONTRACTED") {
    return html`
      <h2>${t(lang, "status.CONTRACTED.title")}</h2>
      <p>${t(lang, "status.CONTRACTED.body")}</p>
      <dl class="outcome">
        <dt>${t(lang, "status.CONTRACTED.formedAt")}</dt>
        <dd><time datetime=${view.formedAt}>${formatInstant(lang, view.formedAt)}</time></dd>
        <dt>${t(lang, "status.CONTRACTED.contractId")}</dt>
        <dd><code>${view.contractId}</code></dd>
      </dl>
    `;
  }
  if (status === "NOTIFICATION_FAILED") {
    return html`
      <h2>${t(lang, "status.NOTIFICATION_FAILED.title")}</h2>
      <p>${t(lang, "status.NOTIFICATION_FAILED.body")}</p>
      <p>${t(lang, "status.NOTIFICATION_FAILED.next")}</p>
    `;
  }
  if (has(`status.${status}.title`)) {
    return html`
      <h2>${t(lang, `status.${status}.title`)}</h2>
      <p>${t(lang, `status.${status}.body`)}</p>
    `;
  }
  return html`<h2>${t(lang, "status.unknown.title")}</h2>`;
}

function StatusPage() {
  const [lang, setLang] = useLanguage("status.docTitle");
  const session = useMember();
  const links = [{ href: "mypage.html", key: "member.myPage" }];
  if (session.state !== "signedIn") {
    return html`
      <${Page} lang=${lang} onLanguage=${setLang} links=${links}>
        <h1>${t(lang, "status.title")}</h1>
        <${SignInPanel} lang=${lang} state=${session.state} titleKey="member.status.title"
          bodyKey="member.status.body" />
      <//>
    `;
  }
  return html`<${Following} lang=${lang} setLang=${setLang} links=${links} member=${session.member} />`;
}

function Following({ lang, setLang, links, member }) {
  // Read after the session started: a sign-in that came back has put the id back by then.
  const id = new URLSearchParams(location.search).get("id");
  const [view, setView] = useState(null);
  const [problem, setProblem] = useState(id ? null : "noId");
  const [paused, setPaused] = useState(false);
  const [offered, setOffered] = useState(false); // the button, once shown, stays (keeps the focus)
  const [checkedAt, setCheckedAt] = useState(null);
  const follower = useRef(null);

  useEffect(() => {
    if (!id) return undefined;
    follower.current = follow(
      id,
      (news) => {
        if (news.checkedAt) setCheckedAt(news.checkedAt);
        if (news.view) {
          setView(news.view);
          setProblem(null);
        }
        if (news.problem) setProblem(news.problem);
        if (news.paused) {
          setPaused(true);
          setOffered(true);
        }
      },
      AS_MEMBER,
    );
    return () => follower.current.stop();
  }, [id]);

  const refresh = () => {
    setPaused(false);
    follower.current?.again();
  };
  const final = view && FINAL.has(view.status);

  let live;
  if (problem === "noId" || problem === "notFound") {
    live = html`<p class="notice notice-error">${t(lang, `status.${problem}`)}</p>`;
  } else if (view) {
    live = html`<${Explanation} lang=${lang} view=${view} />`;
  } else {
    live = html`<p aria-busy="true">${t(lang, "app.loading")}</p>`;
  }
  const retrying = problem === "retrying" && html`<p class="notice">${t(lang, "status.retrying")}</p>`;

  return html`
    <${Page} lang=${lang} onLanguage=${setLang} links=${links}>
      <h1>${t(lang, "status.title")}</h1>
      <${MemberBar} lang=${lang} member=${member} signOutTo="/" />
      ${view && html`<${Steps} lang=${lang} status=${view.status} />`}
      <section class="status" aria-live="polite" aria-atomic="true">${live}</section>
      ${retrying}
      ${view && final && view.status === "CONTRACTED" && html`
        <p>${t(lang, "status.CONTRACTED.next")}</p>
        <p>${t(lang, "status.CONTRACTED.myPage")} <a href="mypage.html">${t(lang, "status.toMyPage")}</a></p>
      `}
      ${
        view &&
        html`
        <dl class="facts">
          <dt>${t(lang, "status.applicationId")}</dt>
          <dd><code>${view.applicationId}</code></dd>
          <dt>${t(lang, "status.receivedAt")}</dt>
          <dd><time datetime=${view.receivedAt}>${formatInstant(lang, view.receivedAt)}</time></dd>
        </dl>
      `
      }
      ${
        view &&
        !final &&
        html`
        <div class="follow">
          <p>${t(lang, paused ? "status.paused" : "status.polling")}</p>
          ${checkedAt && html`<p class="checked">${t(lang, "status.checkedAt", { time: formatInstant(lang, checkedAt.toISOString()) })}</p>`}
          ${offered && html`<button type="button" onClick=${refresh}>${t(lang, "status.refresh")}</button>`}
          <p>${t(lang, "status.bookmark")}</p>
        </div>
      `
      }
      ${(final || problem === "noId" || problem === "notFound") && html`<p><a href="index.html">${t(lang, "status.newApplication")}</a></p>`}
    <//>
  `;
}

render(html`<${StatusPage} />`, document.getElementById("app"));
