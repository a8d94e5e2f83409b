// What every panel of the console shares: the language (a context), the ticking clock, the error
// sentence with its code, a button that sends once, facts as a definition list, status badges,
// and paged lists with their "さらに表示" button.

import { createContext, html, useCallback, useContext, useEffect, useRef, useState } from "../../vendor/preact-htm.js";
import { jst } from "./format.js";
import { errorText, t as text } from "./texts.js";

export const LangContext = createContext("ja");

/** {lang, t}: t(key, values) in the page's language. */
export function useT() {
  const lang = useContext(LangContext);
  return { lang, t: (key, values) => text(lang, key, values) };
}

/** Date.now(), refreshed every `every` ms while `active` (a countdown). */
export function useNow(every = 1000, active = true) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(timer);
  }, [every, active]);
  return now;
}

let counter = 0;
/** An id unique in the page, stable for the component (labels, aria-describedby). */
export function useId(prefix = "c") {
  const id = useRef(null);
  id.current ??= `${prefix}-${++counter}`;
  return id.current;
}

/** An instant in Japan time, machine-readable too. */
export function Time({ iso }) {
  if (!iso) return html`<span>—</span>`;
  return html`<time datetime=${iso}>${jst(iso)}</time>`;
}

/**
 * The error of an answer as a sentence for staff, with the code to quote when escalating.
 * `role="alert"`: announced as it appears.
 */
export function ErrorNote({ problem, context }) {
  const { lang, t } = useT();
  if (!problem) return null;
  return html`
    <div class="console-error" role="alert">
      <p>${errorText(lang, problem, context)}</p>
      <p class="error-code">${t("error.code", { code: problem.code })}</p>
    </div>
  `;
}

/** A submit (or plain) button that is disabled and busy while its request runs. */
export function SendButton({ busy, disabled, label, busyLabel, type = "submit", onClick, kind = "", describedBy }) {
  const { t } = useT();
  return html`
    <button type=${type} class=${kind} disabled=${busy || disabled} aria-busy=${busy ? "true" : undefined}
      aria-describedby=${describedBy} onClick=${onClick}>
      ${busy ? (busyLabel ?? t("common.sending")) : label}
    </button>
  `;
}

/** rows: [[label, value], …]; a row with an undefined value is left out. */
export function Facts({ rows }) {
  return html`
    <dl class="facts-grid">
      ${rows
        .filter(([, value]) => value !== undefined && value !== null && value !== false)
        .map(([term, value]) => html`<div class="fact"><dt>${term}</dt><dd>${value}</dd></div>`)}
    </dl>
  `;
}

/** A contract's or command's status as a word, coloured by kind (never by colour alone). */
export function StatusBadge({ group, status }) {
  const { t } = useT();
  return html`<span class=${`badge badge-${status}`}>${t(`${group}.status.${status}`)}</span>`;
}

/**
 * One paged list (api.md: {items, nextCursor}): loads its first page at once when `auto`,
 * `loadMore()` appends the next page, `reload()` starts again (the items stay shown meanwhile).
 * `fetchPage(cursor)` → request()'s answer. `deps` decide when the list is a new one.
 */
export function usePaged(fetchPage, deps, { auto = true } = {}) {
  const [state, setState] = useState({ items: [], nextCursor: null, loading: auto, problem: null, loaded: false });
  const generation = useRef(0);
  const run = useCallback(async (cursor) => {
    const mine = cursor ? generation.current : ++generation.current;
    setState((s) => ({ ...s, loading: true, problem: null }));
    const answer = await fetchPage(cursor);
    if (mine !== generation.current) return; // a newer load replaced this one
    if (answer.problem) {
      setState((s) => ({ ...s, loading: false, problem: answer.problem }));
      return;
    }
    const items = Array.isArray(answer.data?.items) ? answer.data.items : [];
    setState((s) => ({
      items: cursor ? [...s.items, ...items] : items,
      nextCursor: answer.data?.nextCursor ?? null,
      loading: false,
      problem: null,
      loaded: true,
    }));
  }, deps);
  useEffect(() => {
    if (auto) run(null);
    return () => {
      generation.current += 1; // answers arriving after the list is gone are dropped
    };
  }, [run]);
  return {
    ...state,
    loadMore: () => state.nextCursor && !state.loading && run(state.nextCursor),
    reload: () => run(null),
    replace: (update) => setState((s) => ({ ...s, items: update(s.items) })),
  };
}

/**
 * Under a paged list: how many are shown, and "さらに表示" while there are more. When the last
 * page arrives the button goes, and the focus it had moves to the count (never to nowhere).
 */
export function LoadMore({ list, label }) {
  const { t } = useT();
  const button = useRef(null);
  const count = useRef(null);
  const hadFocus = useRef(false);
  useEffect(() => {
    if (!list.nextCursor && hadFocus.current) count.current?.focus();
    hadFocus.current = false;
  }, [list.nextCursor, list.items.length]);
  if (!list.loaded) return null;
  return html`
    <div class="load-more">
      <p ref=${count} tabindex="-1" class="muted">
        ${t(list.nextCursor ? "list.shownMore" : "list.shownAll", { count: list.items.length })}
      </p>
      ${list.nextCursor &&
      html`<button type="button" ref=${button} class="secondary outline" disabled=${list.loading}
          aria-busy=${list.loading ? "true" : undefined}
          aria-label=${label ? t("list.moreOf", { what: label }) : undefined}
          onClick=${() => {
            hadFocus.current = document.activeElement === button.current;
            list.loadMore();
          }}>${t("list.more")}</button>`}
    </div>
  `;
}

/** A panel of the contract page: a region named by its heading. */
export function Panel({ title, id, children, className = "" }) {
  const headingId = useId("panel");
  return html`
    <section class=${`panel ${className}`} aria-labelledby=${headingId} id=${id}>
      <h2 id=${headingId}>${title}</h2>
      ${children}
    </section>
  `;
}
