"""The signup form on its own: its checks are the API's (read from the OpenAPI document), the
API's field errors land beside their fields, one attempt applies once whatever the clicks and
reloads (Idempotency-Key), and the language switch. The applicant is a member signed in as the
account's holder (issue 23): the form cannot name another account (and the API's 403 is shown if
it is forced to), the day's limit of applications is told in words, and an expired sign-in asks
to sign in again."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Request, Route, expect

from local.service import LocalService
from tests.e2e.browser.forms import (
    application_id_of,
    applications_of,
    fill_form,
    open_form,
    sign_in,
    submit,
)

ATTEMPT = "anshin.signup.attempt"
#: The API route a signup posts to, as the page reaches it (same origin).
APPLICATIONS = re.compile(r"/v1/applications$")


def posts(page: Page) -> list[Request]:
    """Every POST the page sends to the API's /applications, as it happens."""
    sent: list[Request] = []
    page.on(
        "request",
        lambda r: sent.append(r) if r.method == "POST" and APPLICATIONS.search(r.url) else None,
    )
    return sent


@pytest.fixture
def filled(page: Page, local_service: LocalService, account: Callable[..., str]) -> tuple[list[Request], str]:
    """The form of a new eligible account, filled in and not sent: (the POSTs as they happen,
    the account)."""
    sent = posts(page)
    mobile_contract_id = account()
    open_form(page, local_service, mobile_contract_id)
    fill_form(page, mobile_contract_id)
    return sent, mobile_contract_id


def error_of(page: Page, label: str) -> str:
    """The error text the field labelled ``label`` is described by (aria-describedby)."""
    field = page.get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    ids = (field.get_attribute("aria-describedby") or "").split()
    errors = [i for i in ids if i.endswith("-error")]
    assert len(errors) == 1, ids
    return page.locator(f"#{errors[0]}").inner_text()


def test_the_limits_are_the_apis_own(
    page: Page, local_service: LocalService, account: Callable[..., str]
) -> None:
    schemas = requests.get(f"{local_service.api_url}/openapi.json", timeout=30).json()["components"][
        "schemas"
    ]
    open_form(page, local_service, account())
    name = page.get_by_label("お名前")
    expect(name).to_have_attribute("maxlength", str(schemas["Applicant"]["properties"]["name"]["maxLength"]))
    expect(name).to_have_attribute("required", "")
    # pydantic's patterns as HTML patterns: the browser anchors them itself and compiles them
    # with the `v` flag, where a class's literal "-" must be escaped.
    email = schemas["Applicant"]["properties"]["email"]["pattern"]
    expect(page.get_by_label("メールアドレス")).to_have_attribute(
        "pattern", email.removeprefix("^").removesuffix("$")
    )
    assert schemas["Device"]["properties"]["deviceId"]["pattern"] == "^[A-Za-z0-9._:-]{1,128}$"
    device_id = page.get_by_label("端末識別番号（IMEI など）")
    expect(device_id).to_have_attribute("pattern", "[A-Za-z0-9._:\\-]{1,128}")
    # Every field with a pattern in the schema has it, and it compiles as the browser compiles it.
    patterns = page.locator("input[pattern]").evaluate_all(
        "(inputs) => inputs.map((i) => { new RegExp(`^(?:${i.pattern})$`, 'v'); return i.name; })"
    )
    assert sorted(patterns) == ["applicant.email", "applicant.phone", "device.deviceId", "mobileContractId"]
    # The choices are the schema's enum values.
    platforms = page.locator("input[name='device.platform']").evaluate_all("(e) => e.map((i) => i.value)")
    assert platforms == schemas["Device"]["properties"]["platform"]["enum"]


def test_field_errors_appear_next_to_their_fields(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    sent = posts(page)
    mobile_contract_id = account()
    open_form(page, local_service, mobile_contract_id)

    # Nothing filled in but the account (the member's): every other field says what it needs,
    # the first one has the focus.
    submit(page)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("入力内容を確認してください（9 件）")
    expect(page.get_by_label("お名前")).to_be_focused()
    assert error_of(page, "お名前") == "入力してください。"
    expect(page.get_by_label("モバイルサービスの契約番号")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-device-platform-error")).to_have_text("どちらかを選んでください。")
    expect(page.locator("#f-consent-termsVersion-error")).to_have_text(
        "お申し込みには、利用規約への同意が必要です。"
    )
    capture(page, "signup-errors", full_page=True)

    # A value the API's pattern refuses is refused here first; correcting it clears the error.
    fill_form(page, mobile_contract_id)
    page.get_by_label("電話番号").fill("090-1234-5678")
    submit(page)
    expect(page.get_by_label("電話番号")).to_be_focused()
    assert error_of(page, "電話番号") == "電話番号を、ハイフンを入れずに半角数字で入力してください。"
    assert sent == []  # refused in the page: nothing was sent
    page.get_by_label("電話番号").fill("09012345678")
    expect(page.get_by_label("電話番号")).not_to_have_attribute("aria-invalid", "true")

    # The page's checks bypassed (the attributes removed): the API's 400 errors[] land beside
    # the same fields, and the first of them has the focus.
    page.locator("#f-applicant-name").evaluate("(e) => e.removeAttribute('maxlength')")
    page.locator("#f-applicant-email").evaluate("(e) => e.removeAttribute('pattern')")
    page.get_by_label("お名前").fill("名" * 201)
    page.get_by_label("メールアドレス").fill("hanako@example")
    with page.expect_response(APPLICATIONS) as answer:
        submit(page)
    assert answer.value.status == 400
    fields = {e["field"] for e in answer.value.json()["errors"]}
    assert fields == {"applicant.name", "applicant.email"}
    expect(page.get_by_label("お名前")).to_be_focused()
    assert error_of(page, "お名前") == "200 文字以内で入力してください。"
    assert error_of(page, "メールアドレス").startswith("メールアドレスの形式で入力してください")
    expect(alert).to_contain_text("入力内容を確認してください（2 件）")
    assert len(sent) == 1


def test_a_double_click_applies_once(
    page: Page,
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    filled: tuple[list[Request], str],
) -> None:
    sent, mobile_contract_id = filled
    page.get_by_role("button", name="申し込む").dblclick()
    application_id = application_id_of(page)
    assert len(sent) == 1
    assert applications_of(local_service, aws_client, mobile_contract_id) == [application_id]


def test_a_reload_while_sending_applies_once(
    page: Page,
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    filled: tuple[list[Request], str],
) -> None:
    sent, mobile_contract_id = filled

    # The first attempt reaches the API and is applied, but its answer never comes back: the
    # applicant reloads the page while it is still sending.
    first: list[dict[str, Any]] = []

    def answer_lost(route: Route) -> None:
        first.append(route.fetch().json())
        route.request.frame.page.evaluate("() => { window.answerLost = true; }")

    page.route(APPLICATIONS, answer_lost)
    submit(page)
    expect(page.get_by_role("button", name="送信しています…")).to_be_disabled()
    page.wait_for_function("() => window.answerLost === true")
    page.unroute(APPLICATIONS)
    stored = json.loads(page.evaluate(f"() => sessionStorage.getItem('{ATTEMPT}')"))
    assert stored["sending"] is True
    page.reload()

    # The reloaded page sends the same attempt again, with the same key, and gets its answer.
    application_id = application_id_of(page)
    assert application_id == first[0]["applicationId"]
    assert len(sent) == 2
    keys = {r.headers["idempotency-key"] for r in sent}
    assert keys == {stored["key"]}
    assert applications_of(local_service, aws_client, mobile_contract_id) == [application_id]


def test_an_attempt_sent_again_after_a_failure_keeps_its_key_and_new_entries_get_a_new_one(
    page: Page, filled: tuple[list[Request], str]
) -> None:
    sent, _ = filled
    page.route(APPLICATIONS, lambda route: route.abort("connectionfailed"))
    submit(page)
    expect(page.get_by_role("alert")).to_contain_text("送信できませんでした")
    page.reload()  # the entries are kept for this tab
    expect(page.get_by_label("お名前")).to_have_value("ブラウザ 花子")
    submit(page)
    expect(page.get_by_role("alert")).to_contain_text("送信できませんでした")
    page.get_by_label("機種名").fill("Pixel 9 Pro")
    submit(page)
    expect(page.get_by_role("alert")).to_contain_text("送信できませんでした")
    keys = [r.headers["idempotency-key"] for r in sent]
    assert len(keys) == 3 and keys[0] == keys[1] != keys[2]


def test_english_is_one_switch_away_and_stays_for_the_tab(
    page: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    open_form(page, local_service, account())
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for Smartphone Anshin Support")
    expect(page.get_by_label("Mobile service contract number")).to_be_visible()
    # The terms stay in Japanese, marked as such.
    expect(page.locator("#terms pre")).to_have_attribute("lang", "ja")
    capture(page, "signup-en")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for Smartphone Anshin Support")
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    # Every text exists in both languages.
    ja, en = page.evaluate(
        "async () => { const { MESSAGES } = await import('/js/i18n.js');"
        " return [Object.keys(MESSAGES.ja).sort(), Object.keys(MESSAGES.en).sort()]; }"
    )
    assert ja == en


def test_a_member_cannot_name_another_account_and_the_apis_403_is_shown_if_forced(
    page: Page,
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    filled: tuple[list[Request], str],
    account: Callable[..., str],
    capture: Callable[..., None],
) -> None:
    sent, mine = filled
    other = account()
    field = page.get_by_label("モバイルサービスの契約番号")
    expect(field).not_to_be_editable()
    field.press_sequentially(other[-4:])  # typing into it changes nothing
    expect(field).to_have_value(mine)
    # Forced: the read-only attribute taken away, another account typed in. The API trusts the
    # token, not the body: 403 NOT_ACCOUNT_HOLDER, nothing written.
    field.evaluate("(e) => e.removeAttribute('readonly')")
    field.fill(other)
    with page.expect_response(APPLICATIONS) as answer:
        submit(page)
    assert (answer.value.status, answer.value.json()["code"]) == (403, "NOT_ACCOUNT_HOLDER")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"ログイン中の会員のモバイルサービスの契約番号（{mine}）に限ります")
    expect(alert).to_be_focused()
    capture(page, "signup-not-holder", show=alert)
    assert applications_of(local_service, aws_client, other) == []
    assert applications_of(local_service, aws_client, mine) == []
    page.get_by_role("button", name="English").click()
    expect(alert).to_contain_text(
        f"You can apply only for the mobile service contract of the member signed in ({mine})"
    )
    assert len(sent) == 1


def test_the_days_limit_of_applications_is_told_with_the_wait_in_words(
    page: Page, filled: tuple[list[Request], str], capture: Callable[..., None]
) -> None:
    """429 TOO_MANY_APPLICATIONS (more than 10 a day per member or account) is not retried: the
    page says when to apply again, in both languages (the answer is the test's, as the API
    gives it)."""
    sent, _ = filled
    page.route(
        APPLICATIONS,
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": str(3 * 3600 + 20 * 60), "Content-Type": "application/json"},
            body=json.dumps(
                {"code": "TOO_MANY_APPLICATIONS", "message": "Too many applications today; try again later."}
            ),
        ),
    )
    submit(page)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("本日のお申し込みの上限（1 日 10 件）に達しました。3 時間 20 分ほど待って")
    expect(alert).to_contain_text("日本時間")
    assert len(sent) == 1  # not sent again by itself
    capture(page, "signup-too-many", show=alert)
    page.get_by_role("button", name="English").click()
    expect(alert).to_contain_text("Please wait about 3 h 20 min and apply again after")


def test_an_expired_sign_in_asks_to_sign_in_again_and_keeps_the_entries(
    page: Page, local_service: LocalService, filled: tuple[list[Request], str], capture: Callable[..., None]
) -> None:
    """The API refuses the token (401) and the session cannot be renewed (the sign-in's token
    endpoint refuses the refresh token, as when it has expired or been revoked): the session is
    over, the request is not sent again, the page asks to sign in, and the entries are still
    there after. (Whether the emulator renews a refresh token varies with its own bookkeeping:
    the refusal is made here, so the test says one thing every time.)"""
    sent, mine = filled
    refused_refresh = re.compile(r"/oauth2/token$")
    page.route(
        APPLICATIONS,
        lambda route: route.fulfill(
            status=401,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"code": "UNAUTHENTICATED", "message": "Sign in."}),
        ),
    )
    page.route(
        refused_refresh,
        lambda route: route.fulfill(
            status=400,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"error": "invalid_grant"}),
        ),
    )
    submit(page)
    heading = page.get_by_role("heading", name="お申し込みには会員ログインが必要です")
    expect(heading).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("ログインの有効期限が切れました")
    assert len(sent) == 1  # refused, not renewable: never sent again with the refused token
    capture(page, "signup-expired")
    page.unroute(APPLICATIONS)
    page.unroute(refused_refresh)
    sign_in(page, local_service, mine, start=None)
    expect(page.get_by_label("お名前")).to_have_value("ブラウザ 花子")
