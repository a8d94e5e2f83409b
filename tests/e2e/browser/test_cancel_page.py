"""Cancelling online from the web page (cancel.html, R9), in the browser, on the deployed local
stack: an iPhone subscriber (no support app) types the member code, reads the one-time code from
the notification inbox (what their e-mail would receive), sees when the contract would end in
Japan time, confirms, and the contract is pending its end. A wrong one-time code says how many
tries are left; an unknown member code goes exactly the same way (nothing tells whether a member
code exists); the page is reached from the signup page, in Japanese first and in English."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from anshin.domain.clock import iso, parse_iso
from anshin.domain.terms import cancellation_end
from playwright.sync_api import Page, expect

from local.inbox import NotificationInbox
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled


@pytest.fixture(scope="module")
def inbox(local_service: LocalService) -> Iterator[NotificationInbox]:
    """What the subscriber's e-mail receives: the customer-notification topic's messages."""
    yield NotificationInbox(
        local_service.endpoint, local_service.output("CustomerNotificationTopicArn"), "cancel"
    )


def iphone_subscriber(
    service: LocalService, account: Callable[..., str], inbox: NotificationInbox
) -> tuple[str, str]:
    """A contract for an iPhone (phone support only: no app to cancel from); (contract id, code)."""
    application_id = apply(service, application(account(), platform="ios"))
    contract_id = str(settled(service, application_id)["contractId"])
    code = str(eventually(lambda: inbox.message_for(application_id))["memberConfirmationCode"])
    return contract_id, code


def one_time_code(inbox: NotificationInbox, contract_id: str) -> dict[str, Any]:
    return eventually(
        lambda: next((n for n in inbox.notices_for(contract_id) if n["kind"] == "CANCELLATION_CODE"), None)
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_an_iphone_subscriber_cancels_on_the_web_and_sees_the_end_in_japan_time_first(
    page: Page,
    local_service: LocalService,
    account: Callable[..., str],
    inbox: NotificationInbox,
    capture: Callable[..., None],
) -> None:
    contract_id, member_code = iphone_subscriber(local_service, account, inbox)
    page.goto("/")
    page.get_by_role("link", name=re.compile("スマホ安心サポートの解約")).click()
    expect(page).to_have_url(re.compile(r"/cancel\.html$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("スマホ安心サポートの解約")
    # A member who can sign in cancels from my page instead (issue 23).
    expect(page.get_by_role("link", name="ログインできる方はマイページから")).to_have_attribute(
        "href", "mypage.html"
    )
    capture(page, "cancel-form")

    page.get_by_label("会員確認のためのコード（8 桁）").fill("1234")
    page.get_by_role("button", name="ワンタイムコードを送る").click()
    expect(page.get_by_text("8 桁の数字を入力してください。")).to_be_visible()  # checked before sending
    page.get_by_label("会員確認のためのコード（8 桁）").fill(member_code)
    page.get_by_role("button", name="ワンタイムコードを送る").click()
    expect(page.get_by_role("heading", name="2. ワンタイムコード")).to_be_focused()
    sent = one_time_code(inbox, contract_id)
    assert re.fullmatch(r"\d{6}", sent["oneTimeCode"]) and sent["email"] == "e2e@example.com"
    capture(page, "cancel-code")

    page.get_by_label("ワンタイムコード（6 桁）").fill(wrong(sent["oneTimeCode"]))
    page.get_by_role("button", name="解約内容を確認する").click()
    expect(
        page.get_by_text("ワンタイムコードが正しくありません。あと 4 回まで入力できます。")
    ).to_be_visible()
    expect(page.get_by_label("ワンタイムコード（6 桁）")).to_have_attribute("aria-invalid", "true")
    capture(page, "cancel-wrong-code")

    page.get_by_label("ワンタイムコード（6 桁）").fill(sent["oneTimeCode"])
    page.get_by_role("button", name="解約内容を確認する").click()
    expect(page.get_by_role("heading", name="3. 解約内容の確認")).to_be_focused()
    shown = page.locator(".ends-at time")
    ends_at = str(shown.get_attribute("datetime"))
    assert ends_at == iso(cancellation_end(parse_iso(ends_at)))  # a month's end (R9)
    expect(shown).to_contain_text("23:59:59")  # the tab's clock is UTC: the page shows JST itself
    expect(shown).to_contain_text("日本時間")
    status, before = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, before["status"]) == (200, "ACTIVE")  # the preview changed nothing
    capture(page, "cancel-preview")

    page.get_by_role("button", name="解約を確定する").click()
    expect(page.get_by_role("heading", name="解約のお申し出を受け付けました")).to_be_focused()
    expect(page.locator(".ends-at time")).to_have_attribute("datetime", ends_at)
    capture(page, "cancel-done")
    status, after = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, after["status"], after["endsAt"]) == (200, "CANCELLATION_PENDING", ends_at)
    confirmed = eventually(
        lambda: next(
            (n for n in inbox.notices_for(contract_id) if n["kind"] == "CANCELLATION_CONFIRMED"), None
        )
    )
    assert (confirmed["channel"], confirmed["endsAt"]) == ("WEB", ends_at)


def test_an_unknown_member_code_goes_the_same_way_in_english_until_every_code_is_wrong(
    page: Page, inbox: NotificationInbox, capture: Callable[..., None]
) -> None:
    page.goto("/cancel.html")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel Smartphone Anshin Support")
    capture(page, "cancel-en")
    page.get_by_label("Member confirmation code (8 digits)").fill("00000000")
    page.get_by_role("button", name="Send me a one-time code").click()
    expect(page.get_by_role("heading", name="2. One-time code")).to_be_focused()  # as for a real code
    page.get_by_label("One-time code (6 digits)").fill("123456")
    page.get_by_role("button", name="Check the cancellation").click()
    expect(page.get_by_text("The one-time code is not correct. You can try 4 more times.")).to_be_visible()
    capture(page, "cancel-en-wrong-code")
    for left in (3, 2, 1, 0):
        page.get_by_role("button", name="Check the cancellation").click()
        expect(page.get_by_text(f"You can try {left} more times.")).to_be_visible()
    page.get_by_role("button", name="Check the cancellation").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("no longer works"))
    capture(page, "cancel-en-locked")
    page.get_by_role("button", name="Start again").click()
    expect(page.get_by_label("Member confirmation code (8 digits)")).to_be_visible()
