// Following one application until it is final, without hammering the API: ask now, then at
// growing intervals (1 s doubling to 30 s; back to 1 s whenever the status moves, since the next
// step is often near), and after 5 minutes without a change stop and let the applicant ask.

import { call } from "./api.js";

export const FIRST_DELAY = 1000;
export const LONGEST_DELAY = 30_000;
export const AUTO_FOR = 5 * 60_000; // since the last change of status
export const FINAL = new Set(["CONTRACTED", "REJECTED", "NOTIFICATION_FAILED"]);

const BROWSER = {
  ask: (id) => call("GET", `/applications/${encodeURIComponent(id)}`),
  later: (fn, ms) => setTimeout(fn, ms),
  cancel: (timer) => clearTimeout(timer),
  now: () => Date.now(),
};

/**
 * Ask for application `id` until it is final (or unknown). `report` gets, after each answer,
 * {checkedAt} and then {view} | {problem: "retrying" | "notFound"}, and {paused: true} when it
 * stopped asking by itself. `io` is the browser's (a test passes its own clock and answers).
 * Returns {stop(), again()}: again() asks at once and follows for another 5 minutes.
 */
export function follow(id, report, io = BROWSER) {
  let delay = FIRST_DELAY;
  let status = null;
  let changedAt = io.now();
  let timer = null;
  let asking = false;
  let stopped = false;

  async function check() {
    timer = null;
    asking = true;
    const answer = await io.ask(id);
    asking = false;
    if (stopped) return;
    report({ checkedAt: new Date(io.now()) });
    if (answer.status === 200 && answer.data?.status) {
      if (answer.data.status !== status) {
        status = answer.data.status;
        changedAt = io.now();
        delay = FIRST_DELAY;
      } else {
        delay = Math.min(delay * 2, LONGEST_DELAY);
      }
      report({ view: answer.data });
      if (FINAL.has(status)) return;
    } else if (answer.status === 404 || answer.status === 400) {
      report({ problem: "notFound" });
      return;
    } else {
      // Offline, throttled, a fault on the way: the same backoff (longer if the API asks).
      report({ problem: "retrying" });
      delay = Math.max(Math.min(delay * 2, LONGEST_DELAY), (answer.retryAfter ?? 0) * 1000);
    }
    if (io.now() - changedAt >= AUTO_FOR) {
      report({ paused: true });
      return;
    }
    timer = io.later(check, delay);
  }

  check();
  return {
    stop() {
      stopped = true;
      if (timer !== null) io.cancel(timer);
    },
    again() {
      if (stopped || asking || timer !== null) return; // already following
      changedAt = io.now();
      delay = FIRST_DELAY;
      check();
    },
  };
}
