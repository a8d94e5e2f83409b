"""The local inbox page (/inbox.html, local only, issue 23): every notification the stack sent, newest
first, with when (Japan time), to whom, what kind in words and what it carries — the member code
of a contract that has just formed, as the subscriber's e-mail would show it."""

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from local.service import LocalService
from tests.e2e.test_applications import application, apply, settled


def test_the_inbox_page_shows_the_member_code_after_a_contract_forms(
    page: Page,
    local_service: LocalService,
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
    capture: Callable[..., None],
) -> None:
    application_id = apply(local_service, application(account()))
    contract_id = str(settled(local_service, application_id)["contractId"])
    sent = outbox(application_id)  # what e-mail delivery received
    code = sent["memberConfirmationCode"]
    assert re.fullmatch(r"\d{8}", code)

    page.goto("/inbox.html")
    expect(page.get_by_role("heading", level=1)).to_contain_text("通知の受信箱")
    # It reads the inbox every few seconds by itself: the message comes without a reload.
    message = page.locator("article.inbox-message[data-kind=CONTRACT_FORMED]").filter(has_text=contract_id)
    expect(message).to_be_visible(timeout=20_000)
    expect(message.get_by_role("heading")).to_contain_text("契約成立のお知らせ")
    expect(message.locator("code.secret")).to_have_text(code)
    expect(message.locator(".inbox-to")).to_contain_text(f"{sent['email']} / {sent['phone']}")
    expect(message).to_contain_text(sent["supportPhoneNumber"])
    expect(message.locator(".inbox-when")).to_contain_text("JST")  # the tab's clock is UTC
    capture(page, "inbox")

    # Newest first; the filter narrows the list to one contract.
    times = page.locator("article.inbox-message .inbox-when time").evaluate_all(
        "(all) => all.map((t) => t.getAttribute('datetime'))"
    )
    assert times == sorted(times, reverse=True)
    page.get_by_label(re.compile("絞り込み")).fill(contract_id)
    expect(page.locator("article.inbox-message")).to_have_count(1)
    page.get_by_role("button", name=re.compile("更新")).click()
    expect(page.locator("article.inbox-message")).to_have_count(1)
    capture(page, "inbox-filtered")
