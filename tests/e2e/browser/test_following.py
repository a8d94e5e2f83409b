"""How often the status page asks the API (web/js/follow.js), run in the browser with a clock and
answers of the test's own: never hammering, and never silent for long while things move."""

from typing import Any

from playwright.sync_api import Page

#: Drives follow() with a fake clock: each timer fires at its time, after the previous answer
#: was read. Returns the (fake) times it asked at and what it reported.
DRIVE = """
async ([statuses, pressAgainAt]) => {
  const { follow } = await import("/js/follow.js");
  let now = 0;
  const timers = [];
  const asked = [];
  const reports = [];
  const io = {
    ask: async () => {
      asked.push(now);
      const status = statuses[Math.min(asked.length, statuses.length) - 1];
      return { status: 200, data: { applicationId: "app-x", status } };
    },
    later: (fn, ms) => { timers.push({ at: now + ms, fn }); return timers.length; },
    cancel: () => {},
    now: () => now,
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const follower = follow("app-x", (news) => reports.push(news), io);
  for (let i = 0; i < 200; i++) {
    await settle();
    const next = timers.shift();
    if (!next) {
      if (pressAgainAt === null || now >= pressAgainAt) break;
      now = pressAgainAt;
      follower.again();
      continue;
    }
    now = next.at;
    next.fn();
  }
  await settle();
  return { asked, paused: reports.filter((r) => r.paused).length, pending: timers.length };
}
"""


def drive(page: Page, statuses: list[str], press_again_at: int | None = None) -> dict[str, Any]:
    page.goto("/status.html")  # the site's origin (no id given: the page itself asks nothing)
    result: dict[str, Any] = page.evaluate(DRIVE, [statuses, press_again_at])
    return result


def test_it_asks_at_doubling_intervals_up_to_30_s_and_stops_after_5_minutes_without_change(
    page: Page,
) -> None:
    result = drive(page, ["SCREENING", "SCREENING", "DEFERRED"])
    # SCREENING at 0 s and 1 s; DEFERRED at 3 s: back to 1 s, doubling to 30 s; 5 minutes after
    # the last change it stops (17 requests in 5 minutes, none faster than the API can move).
    deferred = [3_000, 4_000, 6_000, 10_000, 18_000, 34_000]
    every_30_s = list(range(64_000, 304_001, 30_000))
    assert result["asked"] == [0, 1_000, *deferred, *every_30_s]
    assert result["paused"] == 1
    assert result["pending"] == 0


def test_the_button_asks_once_more_and_follows_again(page: Page) -> None:
    result = drive(page, ["DEFERRED"], press_again_at=3_600_000)
    asked = result["asked"]
    assert asked[asked.index(3_600_000) :][:4] == [3_600_000, 3_602_000, 3_606_000, 3_614_000]
    assert result["paused"] == 2


def test_it_stops_at_a_final_status(page: Page) -> None:
    result = drive(page, ["RECEIVED", "SCREENING", "APPROVED", "CONTRACTED"])
    assert result["asked"] == [0, 1_000, 2_000, 3_000]
    assert result["paused"] == 0
    assert result["pending"] == 0
