"""From the signup page to a final status, in the browser, on the deployed local stack (R6):
an eligible applicant (keyboard only) gets a contract, one in arrears a plain refusal (R6.3(2)),
a deferred application waits for staff (R6.2) and then forms, a notification that cannot be sent
forms nothing (R6.4). Every applicant is a member signed in as the account's holder (issue 23):
the form names their account and no other, and the status page shows an application only to a
member of its account."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from anshin.domain.applications import ApplicationStatus
from anshin.domain.screening import CURRENT_TERMS_VERSION, Reason
from playwright.sync_api import Page, expect

from local import faults
from local.service import LocalService
from tests.e2e.browser.forms import (
    APPLICANT,
    DECISION_TIMEOUT,
    application_id_of,
    fill_form,
    new_device_id,
    open_form,
    sign_in,
    submit,
    view,
)
from tests.e2e.conftest import member_request, staff_request

JST = timezone(timedelta(hours=9))


def focused(page: Page) -> str:
    """The focused element: its id, else its class, else its tag."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || e.getAttribute('class') || e.tagName.toLowerCase(); }"
        )
    )


def test_an_eligible_applicant_applies_with_the_keyboard_alone_and_sees_the_contract(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    mobile_contract_id = account()
    page.goto("/")
    expect(page.get_by_role("heading", name="お申し込みには会員ログインが必要です")).to_be_visible()
    expect(page.get_by_label("モバイルサービスの契約番号")).to_have_count(0)  # no form before signing in
    capture(page, "signup-sign-in")
    open_form(page, local_service, mobile_contract_id)
    # The account is the member's: shown, filled in, not editable.
    account_field = page.get_by_label("モバイルサービスの契約番号")
    expect(account_field).to_have_value(mobile_contract_id)
    expect(account_field).not_to_be_editable()
    expect(page.locator(".member-bar")).to_contain_text(mobile_contract_id)
    capture(page, "signup", full_page=True)

    # The focus order is the reading order; every control is reached and worked with keys.
    steps: list[tuple[str, str | None]] = [
        ("brand", None),
        ("header-link", None),  # my page
        ("secondary outline lang-switch", None),
        ("secondary outline sign-out", None),
        ("f-mobileContractId", None),  # read only: the member's own account
        ("f-applicant-name", APPLICANT["name"]),
        ("f-applicant-email", APPLICANT["email"]),
        ("f-applicant-phone", APPLICANT["phone"]),
        ("f-device-deviceId", "imei-490154203237518"),
        ("summary", None),
        ("f-device-platform-0", " "),  # Android
        ("f-device-kind-0", " "),  # smartphone
        ("f-device-model", "Pixel 9"),
        ("terms", None),  # the terms can be scrolled with the keyboard
        ("f-consent-termsVersion", " "),
        ("f-consent-locationOptOut-0", " "),  # provide location data
        ("apply", None),
    ]
    for element, keys in steps:
        page.keyboard.press("Tab")
        assert focused(page) == element
        if keys == " ":
            page.keyboard.press("Space")
        elif keys:
            page.keyboard.type(keys)
    expect(page.get_by_role("radio", name="Android")).to_be_checked()
    expect(page.get_by_role("radio", name="位置情報を提供する", exact=True)).to_be_checked()
    expect(account_field).to_have_value(mobile_contract_id)  # typing into it changed nothing
    page.keyboard.press("Enter")

    application_id = application_id_of(page)
    expect(page.get_by_role("heading", name="ご契約が成立しました")).to_be_visible(timeout=DECISION_TIMEOUT)
    # The contract formed at the notification, shown in Japan time (this browser runs in UTC);
    # the code itself is never shown, only that it was sent.
    formed_at = datetime.fromisoformat(
        view(local_service, application_id, mobile_contract_id)["formedAt"].replace("Z", "+00:00")
    )
    shown = page.locator("dl.outcome time").inner_text()
    assert formed_at.astimezone(JST).strftime("%H:%M:%S") in shown and "日本時間" in shown
    expect(page.locator("[aria-live=polite]")).to_contain_text("会員確認のためのコードとサポート専用電話番号")
    expect(page.locator("[aria-current=step]")).to_contain_text("契約成立")
    expect(page.get_by_role("link", name="マイページへ")).to_be_visible()  # once contracted
    capture(page, "status-contracted")


def test_an_account_in_arrears_is_refused_in_plain_words_with_what_to_do(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    in_arrears = account(in_arrears=True)
    open_form(page, local_service, in_arrears)
    fill_form(page, in_arrears)
    submit(page)
    application_id_of(page)

    status = page.locator("[aria-live=polite]")
    expect(status.get_by_role("heading", name="お申し込みをお受けできませんでした")).to_be_visible(
        timeout=DECISION_TIMEOUT
    )
    expect(status).to_contain_text("料金のお支払いが確認できていません")
    expect(status).to_contain_text("モバイルサービスの窓口にお問い合わせください")
    expect(page.locator("body")).not_to_contain_text("PAYMENT_RISK")  # words, not codes
    capture(page, "status-rejected")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(status).to_contain_text("Please contact your mobile service")
    capture(page, "status-rejected-en")


def test_a_deferred_application_shows_staff_reviewing_then_the_contract_after_their_decision(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    page.clock.install()  # the page's timers, to skip the minutes it follows by itself
    deferred = account(defer_review=True)
    open_form(page, local_service, deferred)
    fill_form(page, deferred)
    submit(page)
    application_id = application_id_of(page)

    expect(page.get_by_role("heading", name="担当者が確認しています")).to_be_visible(timeout=DECISION_TIMEOUT)
    expect(page.locator(".follow")).to_contain_text("状況を自動で確認しています")
    capture(page, "status-deferred")

    # Staff take their time: after 5 minutes without a change the page stops asking by itself
    # and offers a button instead.
    page.clock.fast_forward("06:00")
    refresh = page.get_by_role("button", name="最新の状況を確認する")
    expect(refresh).to_be_visible()
    expect(page.locator(".follow")).to_contain_text("自動の確認を休止しました")
    capture(page, "status-paused")

    status, answer = staff_request(
        local_service, "POST", f"/applications/{application_id}/decision", {"decision": "APPROVE"}
    )
    assert status == 200, answer
    refresh.click()  # asks at once, then follows again until the contract forms
    expect(page.get_by_role("heading", name="ご契約が成立しました")).to_be_visible(timeout=DECISION_TIMEOUT)


def test_an_unknown_application_number_says_so(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    sign_in(page, local_service, account())
    with page.expect_response(re.compile(r"/v1/applications/app-0+$")) as answer:
        page.goto("/status.html?id=app-00000000000000000000000000000000")
    assert answer.value.status == 404
    expect(page.locator("[aria-live=polite]")).to_contain_text("見つかりませんでした")
    expect(page.get_by_role("link", name="新しくお申し込みする")).to_be_visible()
    capture(page, "status-not-found")


def test_a_notification_that_cannot_be_sent_forms_no_contract_and_says_so(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    faults.arm(local_service.endpoint, "send_notification", 4)  # every try of the notification fails
    try:
        mobile_contract_id = account()
        open_form(page, local_service, mobile_contract_id)
        fill_form(page, mobile_contract_id)
        submit(page)
        application_id_of(page)
        status = page.locator("[aria-live=polite]")
        expect(
            status.get_by_role("heading", name="契約成立のお知らせをお送りできませんでした")
        ).to_be_visible(timeout=DECISION_TIMEOUT)
        expect(status).to_contain_text("ご契約は成立していません")
        expect(status).to_contain_text("もう一度お申し込みください")
        capture(page, "status-notification-failed")
    finally:
        faults.disarm(local_service.endpoint, "send_notification")


def test_every_status_and_every_refusal_reason_has_words_in_both_languages(page: Page) -> None:
    page.goto("/status.html")
    texts = page.evaluate("async () => (await import('/js/i18n.js')).MESSAGES")
    for lang in ("ja", "en"):
        for status in ApplicationStatus:
            assert f"status.{status.value}.title" in texts[lang], (lang, status)
        for reason in Reason:  # R6.3 (1)-(5) and R4: why, and what the applicant can do next
            assert f"reason.{reason.value}" in texts[lang], (lang, reason)
            assert f"reason.{reason.value}.next" in texts[lang], (lang, reason)


def an_application(service: LocalService, mobile_contract_id: str) -> str:
    """An application of the account's member, through the API (as the page would send it)."""
    body = {
        "mobileContractId": mobile_contract_id,
        "applicant": APPLICANT,
        "device": {
            "deviceId": new_device_id(),
            "platform": "android",
            "kind": "smartphone",
            "model": "Pixel 9",
        },
        "consent": {"termsVersion": CURRENT_TERMS_VERSION, "locationOptOut": False},
    }
    status, answer = member_request(service, mobile_contract_id, "POST", "/applications", body)
    assert status == 202, answer
    return str(answer["applicationId"])


def test_a_visitor_signs_in_on_the_status_page_and_comes_back_to_the_same_application(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    mobile_contract_id = account()
    application_id = an_application(local_service, mobile_contract_id)
    page.goto(f"/status.html?id={application_id}")
    expect(page.get_by_role("heading", name="お申し込み状況の確認には会員ログインが必要です")).to_be_visible()
    capture(page, "status-sign-in")
    sign_in(page, local_service, mobile_contract_id, start=None)
    # Back on the status page of this application: its id came back with the sign-in's state.
    expect(page).to_have_url(re.compile(rf"/status\.html\?id={application_id}$"))
    expect(page.locator("dl.facts")).to_contain_text(application_id)


def test_the_status_of_another_accounts_application_is_not_found(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    """GET /applications/{id} is member-only: the member of another account gets 404, exactly as
    for a number that does not exist, and the page says "not found"."""
    theirs = an_application(local_service, account())
    mine = account()
    page.goto(f"/status.html?id={theirs}")
    with page.expect_response(re.compile(rf"/v1/applications/{theirs}$")) as answer:
        sign_in(page, local_service, mine, start=None)
    assert answer.value.status == 404
    expect(page.locator("[aria-live=polite]")).to_contain_text("見つかりませんでした")
    expect(page.locator("body")).not_to_contain_text(APPLICANT["name"])
    capture(page, "status-other-account")
