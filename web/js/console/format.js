// Formatting shared by every panel: instants in Japan time (the terms count time in JST, R9–R12),
// months, yen, and the short durations of countdowns. Always ja-JP digits and "JST", whatever the
// language of the page, so that what staff read out matches what the subscriber's papers say.

const INSTANT = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const CLOCK = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const YEN = new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" });

/** An ISO 8601 instant as "2026/11/30 23:59:59 JST" ("" for none; the input itself if unreadable). */
export function jst(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return `${INSTANT.format(at)} JST`;
}

/** Only the time of day in Japan: "12:30:05 JST" (for retries and countdown ends, today). */
export function jstClock(iso) {
  const at = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return `${CLOCK.format(at)} JST`;
}

/** A billing month "2026-11" as "2026年11月" (Japanese) or "2026-11" (English). */
export function month(lang, value) {
  const match = /^(\d{4})-(\d{2})$/.exec(value ?? "");
  if (!match) return value ?? "";
  return lang === "ja" ? `${match[1]}年${Number(match[2])}月` : value;
}

/** An amount of yen: "￥550". */
export function yen(amount) {
  const value = Number(amount);
  return Number.isFinite(value) ? YEN.format(value) : String(amount ?? "");
}

/** Milliseconds as "9:05" (minutes:seconds), never negative. */
export function minutesSeconds(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

/** Milliseconds from now until `iso` (negative once past; NaN when unreadable). */
export function msUntil(iso, now = Date.now()) {
  return new Date(iso).getTime() - now;
}
