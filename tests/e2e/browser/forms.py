"""What the browser tests do on the pages, as an applicant would: by the labels they read."""

import re
from collections.abc import Callable
from typing import Any

import requests
from anshin.store import keys
from playwright.sync_api import Page, expect

from local.service import LocalService

APPLICANT = {"name": "ブラウザ 花子", "email": "hanako@example.com", "phone": "09012345678"}
CONSENT = re.compile("その内容に同意します")
#: How long the status page may take to show a decision (the workflows run asynchronously, and
#: the page asks at growing intervals).
DECISION_TIMEOUT = 90_000


def open_form(page: Page) -> None:
    page.goto("/")
    # Ready once the API's schema and the terms are in: the first field is there.
    expect(page.get_by_label("モバイルサービスの契約番号")).to_be_visible()


def fill_form(page: Page, mobile_contract_id: str, *, device_id: str = "imei-356938035643809") -> None:
    page.get_by_label("モバイルサービスの契約番号").fill(mobile_contract_id)
    page.get_by_label("お名前").fill(APPLICANT["name"])
    page.get_by_label("メールアドレス").fill(APPLICANT["email"])
    page.get_by_label("電話番号").fill(APPLICANT["phone"])
    page.get_by_label("端末識別番号（IMEI など）").fill(device_id)
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


def view(service: LocalService, application_id: str) -> dict[str, Any]:
    answer = requests.get(f"{service.api_url}/applications/{application_id}", timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


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
