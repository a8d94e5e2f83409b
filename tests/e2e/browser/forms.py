"""What the browser tests do on the pages, as an applicant would: by the labels they read. Only
a member, holder of the mobile account, applies and follows an application (issue 23): the
tests sign in through the members pool's managed login (the emulator's) first."""

import re
import secrets
from collections.abc import Callable
from typing import Any

from anshin.store import keys
from playwright.sync_api import Page, expect

from local import members
from local.service import LocalService
from tests.e2e.conftest import member_request

APPLICANT = {"name": "ブラウザ 花子", "email": "hanako@example.com", "phone": "09012345678"}
CONSENT = re.compile("その内容に同意します")
#: How long the status page may take to show a decision (the workflows run asynchronously, and
#: the page asks at growing intervals).
DECISION_TIMEOUT = 90_000


def new_device_id() -> str:
    """A device id no other test applied for: one device has one live contract (R6.3(1), issue
    24), so two tests contracting the same device would refuse whichever applies second."""
    return "imei-" + "".join(secrets.choice("0123456789") for _ in range(15))


def member_of(service: LocalService, mobile_contract_id: str) -> members.MemberAccount:
    """The member holding ``mobile_contract_id`` (created once in the members pool)."""
    return members.ensure(service.endpoint, service.output("MembersUserPoolId"), mobile_contract_id)


def sign_in(page: Page, service: LocalService, mobile_contract_id: str, start: str | None = "/") -> None:
    """Sign in on ``start`` (else the page the tab is on) as the holder of ``mobile_contract_id``,
    through the page's "会員ログイン" and the emulator's managed login; back on the page, signed in."""
    member = member_of(service, mobile_contract_id)
    if start is not None:
        page.goto(start)
    page.locator("button.sign-in").first.click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.locator("#username").fill(member.username)
    page.locator("#password").fill(member.password)
    page.locator("button[type=submit]").click()
    expect(page.locator(".member-account")).to_contain_text(mobile_contract_id)


def open_form(page: Page, service: LocalService | None = None, mobile_contract_id: str | None = None) -> None:
    """The signup form, signed in first as the holder of ``mobile_contract_id`` when given (else
    the tab is signed in already)."""
    if service is not None and mobile_contract_id is not None:
        sign_in(page, service, mobile_contract_id)
    else:
        page.goto("/")
    # Ready once the API's schema and the terms are in: the first field is there.
    expect(page.get_by_label("モバイルサービスの契約番号")).to_be_visible()


def fill_form(page: Page, mobile_contract_id: str | None = None, *, device_id: str | None = None) -> None:
    """Every field but the account, which is the signed-in member's (shown, not editable); the
    device is a new one unless ``device_id`` is given."""
    if mobile_contract_id is not None:
        expect(page.get_by_label("モバイルサービスの契約番号")).to_have_value(mobile_contract_id)
    page.get_by_label("お名前").fill(APPLICANT["name"])
    page.get_by_label("メールアドレス").fill(APPLICANT["email"])
    page.get_by_label("電話番号").fill(APPLICANT["phone"])
    page.get_by_label("端末識別番号（IMEI など）").fill(device_id or new_device_id())
    page.get_by_role("radio", name="Android").check()
    page.get_by_role("radio", name="スマートフォン").check()
    page.get_by_label("機種名").fill("Pixel 9")
    page.get_by_role("checkbox", name=CONSENT).check()
    page.get_by_role("radio", name="位置情報を提供する", exact=True).check()


def submit(page: Page) -> None:
    page.get_by_role("button", name="申し込む").click()


def application_id_of(page: Page) -> str:
    """The application id of the status page the form led to."""
    page.wait_for_url(re.compile(r"/status\.html\?id=app-[0-9a-f]+$"))
    return page.url.rsplit("=", 1)[1]


def view(service: LocalService, application_id: str, mobile_contract_id: str) -> dict[str, Any]:
    """The application as its account's member sees it (GET /applications/{id} is member-only)."""
    status, answer = member_request(service, mobile_contract_id, "GET", f"/applications/{application_id}")
    assert status == 200, answer
    return answer


def applications_of(
    service: LocalService, aws_client: Callable[[str], Any], mobile_contract_id: str
) -> list[str]:
    """The ids of every application stored for the account (its gsi1 partition)."""
    items = aws_client("dynamodb").query(
        TableName=service.output("ContractsTableName"),
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.account_pk(mobile_contract_id)}},
    )["Items"]
    return [item["applicationId"]["S"] for item in items if item.get("type", {}).get("S") == "APPLICATION"]
