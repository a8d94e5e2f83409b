// The local notification inbox (served by `make run` at /inbox.html; never deployed): every
// message the service published on the customer-notification topic, newest first, as the
// subscriber's e-mail or SMS would receive it: the member confirmation code of a contract that
// formed (R6.4) or reissued by staff, a cancellation's one-time code and its confirmation (R9),
// and the notices of a credential change and of a device's registration locked out (issue 24). Read from /_local/inbox.json on the same origin, every few seconds.

import { html, render, useEffect, useState } from "/vendor/preact-htm.js";
import { formatJst } from "/js/i18n.js";

const EVERY_MS = 3000;

/** What each kind of message is, in words (Japanese, then English). */
const KINDS = {
  CONTRACT_FORMED: ["契約成立のお知らせ", "Contract formed"],
  CANCELLATION_CODE: ["解約のワンタイムコード", "Cancellation one-time code"],
  CANCELLATION_CONFIRMED: ["解約受付のお知らせ", "Cancellation received"],
  DEVICE_REGISTERED_AGAIN: ["端末の再登録のお知らせ", "Device registered again"],
  PASSPHRASE_CHANGED: ["合言葉の変更のお知らせ", "Passphrase changed"],
  MEMBER_CODE_REISSUED: ["会員確認コード再発行のお知らせ", "Member code reissued"],
  REGISTRATION_LOCKED_OUT: ["端末登録の一時停止のお知らせ", "Device registration locked out"],
};
const CHANNELS = {
  APP: ["サポートアプリ", "support app"],
  WEB: ["解約ページ", "cancel page"],
  MY_PAGE: ["マイページ", "My page"],
  STAFF: ["サポートセンター", "support centre"],
};

/** An instant as "2026-11-30 23:59:59 JST" (the terms count time in Japan). */
const jst = (iso) => formatJst(iso, { seconds: true });

function Label({ ja, en }) {
  return html`${ja} <small lang="en" class="muted">${en}</small>`;
}

const When = ({ iso }) => (iso ? html`<time datetime=${iso}>${jst(iso)}</time>` : "—");
const Code = ({ value, className = "" }) => html`<code class=${className}>${value ?? "—"}</code>`;

/** The facts of one message: [[ja, en, content]] by kind. */
function factsOf(kind, m) {
  switch (kind) {
    case "CONTRACT_FORMED":
      return [
        ["会員確認のためのコード", "member confirmation code", html`<${Code} value=${m.memberConfirmationCode} className="secret" />`],
        ["サポート専用電話番号", "support phone number", m.supportPhoneNumber],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
        ["モバイルサービスの契約番号", "mobile account", html`<${Code} value=${m.mobileContractId} />`],
        ["端末識別番号", "device", html`<${Code} value=${m.deviceId} />`],
        ["受付番号", "application", html`<${Code} value=${m.applicationId} />`],
      ];
    case "CANCELLATION_CODE":
      return [
        ["ワンタイムコード", "one-time code", html`<${Code} value=${m.oneTimeCode} className="secret" />`],
        ["有効期限", "valid until", html`<${When} iso=${m.expiresAt} />`],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
        ["手続き番号", "request", html`<${Code} value=${m.requestId} />`],
      ];
    case "CANCELLATION_CONFIRMED": {
      const channel = CHANNELS[m.channel];
      return [
        ["契約の終了日時", "ends at", html`<${When} iso=${m.endsAt} />`],
        ["お申し出の受付日時", "notice received", html`<${When} iso=${m.receivedAt} />`],
        ["お申し出の経路", "channel", channel ? html`${channel[0]} <small lang="en">(${channel[1]})</small>` : (m.channel ?? "—")],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
      ];
    }
    case "DEVICE_REGISTERED_AGAIN":
    case "PASSPHRASE_CHANGED":
      return [
        ["変更日時", "changed at", html`<${When} iso=${m.at} />`],
        ["この日時まで遠隔ワイプを受け付けません", "wipe refused until", html`<${When} iso=${m.wipeRefusedUntil} />`],
        ["端末識別番号", "device", html`<${Code} value=${m.deviceId} />`],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
      ];
    case "MEMBER_CODE_REISSUED":
      return [
        ["新しい会員確認のためのコード", "new member confirmation code", html`<${Code} value=${m.memberConfirmationCode} className="secret" />`],
        ["サポート専用電話番号", "support phone number", m.supportPhoneNumber],
        ["端末識別番号", "device", html`<${Code} value=${m.deviceId} />`],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
      ];
    case "REGISTRATION_LOCKED_OUT":
      return [
        ["誤ったコードが続いた日時", "wrong codes at", html`<${When} iso=${m.at} />`],
        ["この日時まで端末登録を受け付けません", "registration refused until", html`<${When} iso=${m.lockedUntil} />`],
        ["端末識別番号", "device", html`<${Code} value=${m.deviceId} />`],
        ["契約番号", "contract", html`<${Code} value=${m.contractId} />`],
      ];
    default:
      return [];
  }
}

function Message({ entry }) {
  const m = entry.message && typeof entry.message === "object" ? entry.message : {};
  const kind = entry.kind ?? m.kind ?? "";
  const [ja, en] = KINDS[kind] ?? ["お知らせ", kind || "notification"];
  const to = [m.email, m.phone].filter(Boolean);
  const facts = factsOf(kind, m);
  return html`
    <article class="inbox-message" data-kind=${kind} aria-labelledby=${`m-${entry.notificationId}`}>
      <header>
        <h2 id=${`m-${entry.notificationId}`} class="inbox-kind">${ja} <small lang="en">${en}</small></h2>
        <p class="inbox-when"><${When} iso=${entry.receivedAt} /></p>
      </header>
      <dl class="outcome">
        <dt><${Label} ja="宛先" en="to" /></dt>
        <dd class="inbox-to">${to.length ? to.join(" / ") : "—"}</dd>
        ${facts.map(([fja, fen, value]) => html`<dt><${Label} ja=${fja} en=${fen} /></dt><dd>${value ?? "—"}</dd>`)}
      </dl>
      <details>
        <summary>元のメッセージ <span lang="en">(JSON)</span></summary>
        <pre><code>${JSON.stringify(m, null, 2)}</code></pre>
      </details>
    </article>
  `;
}

function Inbox() {
  const [state, setState] = useState({ messages: null, problem: null, checkedAt: null });
  const [auto, setAuto] = useState(true);
  const [filter, setFilter] = useState("");

  const read = async () => {
    try {
      const answer = await fetch("/_local/inbox.json", { cache: "no-store", headers: { Accept: "application/json" } });
      if (!answer.ok) throw new Error(String(answer.status));
      const data = await answer.json();
      const messages = Array.isArray(data?.messages) ? [...data.messages] : [];
      messages.sort((a, b) => String(b.receivedAt).localeCompare(String(a.receivedAt)));
      setState({ messages, problem: null, checkedAt: new Date().toISOString() });
    } catch (error) {
      setState((before) => ({ ...before, problem: String(error.message || error), checkedAt: new Date().toISOString() }));
    }
  };

  useEffect(() => {
    read();
  }, []);
  useEffect(() => {
    if (!auto) return undefined;
    const timer = setInterval(read, EVERY_MS);
    return () => clearInterval(timer);
  }, [auto]);

  const wanted = filter.trim().toLowerCase();
  const shown = (state.messages ?? []).filter((entry) => !wanted || JSON.stringify(entry).toLowerCase().includes(wanted));
  return html`
    <main class="container page inbox">
      <h1>通知の受信箱 <small lang="en">Notification inbox</small></h1>
      <p>
        サービスが送ったお知らせ（メール・SMS の代わり）を、新しい順に表示します。ローカル環境専用のページです。
        <br /><span lang="en" class="muted">What the service sent to subscribers (in place of e-mail and SMS), newest first. Local stack only.</span>
      </p>
      <div class="inbox-controls">
        <button type="button" onClick=${read}>更新 <span lang="en">Refresh</span></button>
        <label for="auto">
          <input type="checkbox" role="switch" id="auto" checked=${auto} onChange=${(e) => setAuto(e.currentTarget.checked)} />
          ${" "}自動更新（3 秒ごと） <span lang="en">Auto-refresh every 3 s</span>
        </label>
        <label for="filter" class="inbox-filter">絞り込み <span lang="en">Filter</span>
          <input id="filter" type="search" value=${filter} placeholder="hanako@example.com, ctr-…"
            onInput=${(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <p class="muted" role="status" aria-live="polite">
        ${state.messages !== null && html`${shown.length} 件 <span lang="en">(${shown.length} messages)</span>`}
        ${state.checkedAt && html` · 最終更新 <span lang="en">last read</span> ${jst(state.checkedAt)}`}
      </p>
      ${state.problem && html`<p role="alert" class="notice notice-error">受信箱を読めませんでした <span lang="en">The inbox could not be read</span> (${state.problem})</p>`}
      ${state.messages === null && !state.problem && html`<p aria-busy="true">読み込み中… <span lang="en">Loading…</span></p>`}
      ${state.messages !== null && shown.length === 0 && html`<p>お知らせはまだありません。 <span lang="en">No notifications yet.</span></p>`}
      ${shown.map((entry) => html`<${Message} key=${entry.notificationId} entry=${entry} />`)}
    </main>
  `;
}

render(html`<${Inbox} />`, document.getElementById("app"));
