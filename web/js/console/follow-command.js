// Following one remote command until it is final, without a reload: GET /commands/{id} after
// 1 s, doubling up to 5 s while nothing changes, back to 1 s when its status moves (the next step
// is often near), stopped at a final status. While the tab is hidden it asks every 5 s at most.

import { path, request } from "./client.js";

export const FIRST_DELAY = 1000;
export const LONGEST_DELAY = 5000;
export const FINAL = new Set(["SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"]);
export const IN_FLIGHT = new Set(["PENDING", "SENT"]);

const BROWSER = {
  ask: (commandId) => request("GET", path`/commands/${commandId}`),
  later: (fn, ms) => setTimeout(fn, ms),
  cancel: (timer) => clearTimeout(timer),
  hidden: () => document.visibilityState === "hidden",
};

/**
 * Ask for command `commandId` (last seen with `status`) until it is final. `report` gets
 * {view} after each answer, {problem, retrying: true} for an answer that may pass (offline, 5xx,
 * throttled), and {problem, retrying: false} when asking again cannot help (404, 401, 403).
 * Returns stop(). `io` is the browser's; a test passes its own clock and answers.
 */
export function followCommand(commandId, status, report, io = BROWSER) {
  let delay = FIRST_DELAY;
  let last = status;
  let timer = null;
  let stopped = false;

  function schedule() {
    timer = io.later(check, io.hidden() ? LONGEST_DELAY : delay);
  }

  async function check() {
    timer = null;
    const answer = await io.ask(commandId);
    if (stopped) return;
    if (!answer.problem && answer.data?.status) {
      const view = answer.data;
      if (view.status !== last) {
        last = view.status;
        delay = FIRST_DELAY;
      } else {
        delay = Math.min(delay * 2, LONGEST_DELAY);
      }
      report({ view });
      if (FINAL.has(view.status)) return;
    } else if ([401, 403, 404].includes(answer.status)) {
      report({ problem: answer.problem, retrying: false });
      return;
    } else {
      report({ problem: answer.problem, retrying: true });
      delay = Math.min(delay * 2, LONGEST_DELAY);
    }
    schedule();
  }

  schedule();
  return () => {
    stopped = true;
    if (timer !== null) io.cancel(timer);
  };
}
