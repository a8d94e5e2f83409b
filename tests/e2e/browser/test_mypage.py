"""My page (mypage.html, issue 23) in the browser, on the deployed local stack: the member of an
account signs in and sees its contracts (status, device, formation and first billable month in
Japan time), its invoice with why a contract was not charged (R12: the account's first contract
is first charged two months after it formed), changes a contract's location opt-out (Art. 16.4),
cancels a contract with its end shown first (R9) — and, when the month turns between the preview
and the confirmation, is shown the new end (409 END_CHANGED) and confirms again — and reads the
support centre's number and hours (R7). Japanese first, English one switch away."""

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from anshin.domain.terms import BillingMonth
from playwright.sync_api import Page, expect

from local.jobs import run_month, time_travel
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService
from tests.e2e.browser.forms import sign_in
from tests.e2e.conftest import staff_request

JST = ZoneInfo("Asia/Tokyo")
#: A month no other test bills: the account's two contracts formed around it.
MONTH = "2024-08"


def jst(iso: str) -> str:
    """An instant as my page shows it: "2026-11-30 23:59 JST"."""
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(JST)
    return f"{at:%Y-%m-%d %H:%M} JST"


@pytest.fixture(scope="module")
def billed_account(local_service: LocalService) -> dict[str, str]:
    """An account with two contracts, billed for MONTH: its first contract (formed in July, so
    first charged in September, 翌々料金月: not on August's invoice) and a second one (formed in
    August, charged from August)."""
    table = local_service.output("ContractsTableName")
    account = f"MC-{uuid.uuid4().hex[:10]}"
    first, second = f"ctr-{uuid.uuid4().hex[:24]}", f"ctr-{uuid.uuid4().hex[:24]}"
    put_account(local_service.endpoint, table, account, slots_held=2, has_formed_contract=True)
    put_contract(
        local_service.endpoint,
        table,
        formed_contract(first, account, datetime(2024, 7, 10, 12, tzinfo=JST), True),
    )
    put_contract(
        local_service.endpoint,
        table,
        formed_contract(second, account, datetime(2024, 8, 5, 9, tzinfo=JST), False),
    )
    run_month(local_service.endpoint, BillingMonth.parse(MONTH))
    return {"account": account, "first": first, "second": second}


def card(page: Page, contract_id: str) -> Any:
    return page.locator(f"article.contract[data-contract='{contract_id}']")


def test_signed_out_my_page_asks_to_sign_in_and_offers_the_cancel_page(
    page: Page, capture: Callable[..., None]
) -> None:
    page.goto("/mypage.html")
    expect(page.get_by_role("heading", name="マイページのご利用には会員ログインが必要です")).to_be_visible()
    expect(page.get_by_role("button", name="会員ログイン")).to_be_visible()
    expect(page.get_by_role("link", name="ログインできない方の解約はこちら")).to_be_visible()
    capture(page, "mypage-sign-in")


def test_the_member_sees_contracts_the_invoice_with_why_not_charged_and_the_support_hours(
    page: Page, local_service: LocalService, billed_account: dict[str, str], capture: Callable[..., None]
) -> None:
    account, first, second = billed_account["account"], billed_account["first"], billed_account["second"]
    sign_in(page, local_service, account, start="/mypage.html")
    expect(page).to_have_url(re.compile(r"/mypage\.html$"))
    contracts = page.get_by_role("region", name="ご契約")
    expect(contracts.locator("article.contract")).to_have_count(2)
    # Newest first; each in Japan time (the tab's clock is UTC), with its first billable month.
    expect(contracts.locator("article.contract").first).to_have_attribute("data-contract", second)
    mine = card(page, first)
    expect(mine).to_contain_text("ご利用中")
    expect(mine).to_contain_text("2024-07-10 12:00 JST")
    expect(mine).to_contain_text("2024年9月")
    expect(mine).to_contain_text("翌々料金月から料金がかかります")
    expect(card(page, second)).to_contain_text("2024年8月")
    capture(page, "mypage", full_page=True)

    invoice = page.locator(f"section.invoice[data-month='{MONTH}']")
    expect(invoice.get_by_role("heading", name=re.compile("2024年8月"))).to_be_visible()
    expect(invoice.get_by_role("table")).to_contain_text(second)
    expect(invoice.get_by_role("table")).not_to_contain_text(first)
    expect(invoice).to_contain_text("小計")
    expect(invoice).to_contain_text("消費税")
    expect(invoice).to_contain_text("合計")
    not_charged = invoice.locator("ul.not-charged li")
    expect(not_charged).to_have_count(1)
    expect(not_charged).to_contain_text(first)
    expect(not_charged).to_contain_text(
        "最初のご契約のため、料金は成立した月の翌々料金月（2024年9月）からかかります"
    )
    capture(page, "mypage-invoice", show=invoice)

    support = page.locator("section.support")
    expect(support.get_by_role("heading")).to_have_text("サポートセンター")
    expect(support).to_contain_text("09:00〜21:00（日本時間・第7条）")
    expect(support.get_by_role("link")).to_have_attribute("href", re.compile(r"^tel:"))
    capture(page, "mypage-support", show=support)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My page")
    expect(not_charged).to_contain_text("first charged two billing months after it formed, in September 2024")
    expect(support).to_contain_text("09:00–21:00 Japan time")
    capture(page, "mypage-en", full_page=True)


def test_the_member_opts_a_contract_out_of_location_data(
    page: Page, local_service: LocalService, billed_account: dict[str, str], capture: Callable[..., None]
) -> None:
    account, contract_id = billed_account["account"], billed_account["first"]
    sign_in(page, local_service, account, start="/mypage.html")
    mine = card(page, contract_id)
    switch = mine.get_by_role("switch", name="位置情報を提供しない（オプトアウト）")
    expect(mine).to_contain_text("遠隔ロック・遠隔ワイプ")  # what opting out disables (Art. 16.4)
    expect(switch).not_to_be_checked()
    switch.focus()
    page.keyboard.press("Space")  # by keyboard
    news = mine.get_by_role("status")
    expect(news).to_contain_text("位置情報を提供しない設定にしました")
    expect(switch).to_be_checked()
    expect(mine).to_contain_text("現在: 位置情報を提供していません（オプトアウト中）")
    status, seen = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, seen["locationOptOut"]) == (200, True)
    capture(page, "mypage-opt-out", show=mine)

    page.reload()  # as stored
    expect(card(page, contract_id).get_by_role("switch")).to_be_checked()
    card(page, contract_id).get_by_role("switch").uncheck()
    expect(card(page, contract_id).get_by_role("status")).to_contain_text("位置情報を提供する設定にしました")
    status, seen = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, seen["locationOptOut"]) == (200, False)


def next_month_start(now: datetime) -> datetime:
    """The first instant of the billing month after ``now``'s, in Japan."""
    here = now.astimezone(JST)
    return (here.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(
        day=1
    )


def test_the_member_cancels_with_the_end_shown_first_and_confirms_again_when_it_changed(
    page: Page, local_service: LocalService, billed_account: dict[str, str], capture: Callable[..., None]
) -> None:
    account, contract_id = billed_account["account"], billed_account["second"]
    sign_in(page, local_service, account, start="/mypage.html")
    mine = card(page, contract_id)
    mine.get_by_role("button", name=f"契約 {contract_id} を解約する").click()
    dialog = page.get_by_role("dialog", name="この契約を解約しますか")
    expect(dialog).to_be_visible()
    shown = dialog.locator(".ends-at time")
    expect(shown).to_contain_text("23:59 JST")
    first_end = str(shown.get_attribute("datetime"))
    expect(shown).to_have_text(jst(first_end))
    expect(dialog.get_by_role("button", name="やめる")).to_be_focused()  # the safe choice first
    status, contract = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, contract["status"]) == (200, "ACTIVE")  # the preview wrote nothing
    capture(page, "mypage-cancel-confirm")

    # The month turns before the member confirms (the member API's clock moved into the next
    # month): nothing is recorded, the new end is shown, and the member confirms again.
    now = datetime.now(JST)
    offset = (next_month_start(now) + timedelta(hours=1) - now).total_seconds()
    with time_travel(local_service.endpoint, offset, functions=("MembersApiFunctionName",)):
        with page.expect_response(re.compile(rf"/v1/me/contracts/{contract_id}/cancellation$")) as answer:
            dialog.get_by_role("button", name="解約を確定する").click()
        assert (answer.value.status, answer.value.json()["code"]) == (409, "END_CHANGED")
        new_end = answer.value.json()["endsAt"]
        assert new_end > first_end
        expect(dialog.get_by_role("alert")).to_contain_text("契約の終了日時が変わりました")
        expect(shown).to_have_attribute("datetime", new_end)
        expect(shown).to_have_text(jst(new_end))
        status, contract = staff_request(local_service, "GET", f"/contracts/{contract_id}")
        assert (status, contract["status"]) == (200, "ACTIVE")
        capture(page, "mypage-cancel-end-changed")
        dialog.get_by_role("button", name="解約を確定する").click()
        expect(dialog).to_be_hidden()

    news = mine.get_by_role("status")
    expect(news).to_contain_text(f"解約のお申し出を受け付けました。契約は {jst(new_end)} に終了します")
    expect(news).to_be_focused()
    expect(mine).to_contain_text("解約予定")
    expect(mine.get_by_role("button", name=re.compile("解約する"))).to_have_count(0)
    status, contract = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, contract["status"], contract["endsAt"]) == (200, "CANCELLATION_PENDING", new_end)
    capture(page, "mypage-cancelled", show=mine)


def test_stopping_a_cancellation_changes_nothing(
    page: Page, local_service: LocalService, account: Callable[..., str]
) -> None:
    """Esc (or やめる) closes the dialog; the focus goes back to the button; nothing is sent."""
    table = local_service.output("ContractsTableName")
    mobile_contract_id, contract_id = account(), f"ctr-{uuid.uuid4().hex[:24]}"
    put_contract(
        local_service.endpoint,
        table,
        formed_contract(contract_id, mobile_contract_id, datetime(2024, 9, 1, 12, tzinfo=JST), True),
    )
    sign_in(page, local_service, mobile_contract_id, start="/mypage.html")
    button = card(page, contract_id).get_by_role("button", name=f"契約 {contract_id} を解約する")
    button.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".ends-at time")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    status, contract = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert (status, contract["status"]) == (200, "ACTIVE")
