// The staff API as the console uses it: auth.js's staffCall (token attached and refreshed), plus
// what every panel needs: one place that notices "not staff", the error of an answer, paths
// with their ids encoded, and paged lists ({items, nextCursor}, api.md).

import { staffCall } from "./auth.js";

/** Codes that mean the signed-in user is not support staff (handler's and gateway's). */
const NOT_STAFF = new Set(["FORBIDDEN", "NOT_STAFF"]);
let onForbidden = () => {};

/** main.js registers what a "not staff" answer does (the 権限がありません page). */
export function whenForbidden(callback) {
  onForbidden = callback;
}

/**
 * One request: {status, data, problem}. `problem` is null for a 2xx answer, else
 * {status, code, message, details}: the API's {code, message}, or a code the console makes up
 * when the answer had none (NETWORK for no answer at all, HTTP_<status> otherwise).
 * Never throws. Request bodies (a passphrase) are never logged or put in a URL.
 */
export async function request(method, path, body) {
  let answer;
  try {
    answer = await staffCall(method, path, body === undefined ? {} : { body });
  } catch {
    answer = { status: 0, data: null };
  }
  const status = answer?.status ?? 0;
  const data = answer?.data ?? null;
  if (status >= 200 && status < 300) return { status, data, problem: null };
  const problem = problemOf(status, data);
  if (status === 403 && NOT_STAFF.has(problem.code)) onForbidden();
  return { status, data, problem };
}

/** The error of a non-2xx answer, in one shape. */
export function problemOf(status, data) {
  if (status === 0) return { status, code: "NETWORK", message: "", details: {} };
  const code = typeof data?.code === "string" && data.code ? data.code : `HTTP_${status}`;
  const { code: _code, message = "", ...details } = data && typeof data === "object" ? data : {};
  return { status, code, message: String(message), details };
}

/** A path from segments: each value is URL-encoded ("/contracts/ctr-1/devices/a:b"). */
export function path(strings, ...values) {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}

/** "?limit=20&cursor=…" from the defined values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const PAGE_SIZE = 20;

/** A GET of one page of a paged list. */
export function getPage(listPath, cursor, extra = {}) {
  return request("GET", listPath + query({ ...extra, limit: PAGE_SIZE, cursor }));
}
