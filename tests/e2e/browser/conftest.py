"""The subscriber pages in a real browser: Debian's Chromium driven by Playwright, against the
deployed local stack (``local_service``), the pages served by ``local.web.WebServer`` as
``make run`` serves them (``.build/web``, assembled by ``make web``; the API at ``/v1``).

Every page state a test reaches is checked with axe (no serious or critical violation) and
photographed at phone and desktop width (``.build/screenshots/``; ``make screenshots`` refreshes
``docs/screenshots/``, which README shows).
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright

from local import members, staff
from local.inbox import InboxCollector
from local.service import LocalService
from local.web import SITE, WebServer

ROOT = Path(__file__).resolve().parents[3]
#: Where the screenshots go: ``.build/screenshots`` on every run (so ``make test`` leaves the
#: work tree as it found it), ``docs/screenshots`` (which README shows) when ``make screenshots``
#: sets ANSHIN_SCREENSHOTS to refresh them on purpose.
SCREENSHOTS = Path(os.environ.get("ANSHIN_SCREENSHOTS") or ROOT / ".build" / "screenshots")
CHROMIUM = "/usr/bin/chromium"
#: Headless, and off the network but for the page's own origin: no updates, sync, QUIC or pings.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 820, "height": 1180}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
#: The console is used at a desk, and must stay usable on a tablet.
CONSOLE_WIDTHS = {"desktop": DESKTOP, "tablet": TABLET}
# What the pages wait for runs through the deployed functions (a passphrase's Argon2id check, the
# workflows), which take seconds on a loaded 2-core machine: assertions wait as long as actions.
expect.set_options(timeout=30_000)

#: axe impacts a page state must not have.
BLOCKING = {"serious", "critical"}


# Package scope: the server and the browser go when the last browser test is done, before the
# rest of the e2e tests (which share the session's deployment) run on.
@pytest.fixture(scope="package")
def inbox_collector(
    local_service: LocalService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InboxCollector]:
    """The local inbox (``/inbox.html``): every notification the stack sends, as ``make run``
    keeps them."""
    collector = InboxCollector(
        local_service.endpoint,
        local_service.output("CustomerNotificationTopicArn"),
        tmp_path_factory.mktemp("inbox") / "inbox.jsonl",
    ).start()
    try:
        yield collector
    finally:
        collector.stop()


@pytest.fixture(scope="package")
def site(local_service: LocalService, console_port: int, inbox_collector: InboxCollector) -> Iterator[str]:
    """The pages' origin, e.g. ``http://127.0.0.1:43210``, with the staff console's sign-in, the
    member pages' sign-in (issue 23) and the local inbox page."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no pages: run `make web` first (make test does)")
    sign_in = staff.console_sign_in(
        local_service.endpoint,
        local_service.output("StaffUserPoolId"),
        local_service.output("StaffConsoleClientId"),
    )
    member_sign_in = members.page_sign_in(
        local_service.endpoint,
        local_service.output("MembersUserPoolId"),
        local_service.output("MembersPagesClientId"),
    )
    server = WebServer(
        local_service.api_url,
        port=console_port,
        sign_in=sign_in,
        member_sign_in=member_sign_in,
        inbox=inbox_collector.messages,
    ).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, site: str, local_service: LocalService) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) at phone width, its clock in UTC so that the page
    has to show Japan time itself. At the end: no script error, no CSP violation, and no request
    that left the page's own origin (nothing from a CDN) but for the member sign-in's (the
    emulator's managed login, issue 23)."""
    yield from watched_tab(browser, site, PHONE, also=(urlsplit(local_service.endpoint).netloc,))


@pytest.fixture
def console(browser: Browser, site: str, local_service: LocalService) -> Iterator[Page]:
    """A fresh tab of the staff console at desktop width (staff work at a desk), as :func:`page`
    watches it; besides the page's origin, only the staff sign-in's (the emulator's managed
    login) may be reached."""
    yield from watched_tab(browser, site, DESKTOP, also=(urlsplit(local_service.endpoint).netloc,))


def watched_tab(
    browser: Browser, site: str, viewport: ViewportSize, also: tuple[str, ...] = ()
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site, viewport=viewport, locale="ja-JP", timezone_id="UTC", color_scheme="light"
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    origins = {urlsplit(site).netloc, *also}

    def on_console(message: Any) -> None:
        # An answer's status (a 400 or 404 a test provokes) is checked by the test itself.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_request(request: Any) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.netloc not in origins:
            problems.append(f"request to another origin: {request.url}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("request", on_request)
    try:
        yield tab
    finally:
        context.close()
    assert problems == []


def check_and_capture(
    page: Page,
    name: str,
    *,
    show: Locator | None = None,
    full_page: bool = False,
    widths: dict[str, ViewportSize] = WIDTHS,
) -> None:
    """axe on the page as it stands (no serious or critical violation) and its screenshots
    ``<SCREENSHOTS>/<name>-<width>.png`` (phone and desktop unless ``widths`` says; overwritten
    each run): the viewport with ``show`` scrolled into view (else the top of the page), or the
    whole page. The page's own viewport is restored afterwards."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for width, viewport in widths.items():
        page.set_viewport_size(viewport)
        results = Axe().run(page)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        assert blocking == [], f"{name} at {width} width:\n" + "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}" for v in blocking
        )
        if show is None:
            page.evaluate("window.scrollTo(0, 0)")
        else:
            show.scroll_into_view_if_needed()
        page.screenshot(
            path=SCREENSHOTS / f"{name}-{width}.png", full_page=full_page, animations="disabled", caret="hide"
        )
    page.set_viewport_size(before or PHONE)


@pytest.fixture
def capture() -> Callable[..., None]:
    return check_and_capture
