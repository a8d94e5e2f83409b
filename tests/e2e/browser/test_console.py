# ruff: noqa: F811
"""The support centre console (issue 16) on the local stack, as a support-staff member works a
phone call: sign in with the managed login, find the caller, verify, act on the device, follow
the command, record a cancellation, decide a deferred application. Every state is checked with
axe and captured (docs/screenshots/console-*.png) at desktop and tablet width."""

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from local.devices import DeviceFleet
from local.jobs import time_travel
from local.service import LocalService
from local.staff import DEMO_NOT_STAFF, DEMO_STAFF, StaffAccount
from tests.e2e.browser.conftest import CONSOLE_WIDTHS
from tests.e2e.conftest import staff_request
from tests.e2e.test_applications import application, apply, execution_states, settled, until_status
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - the fixture

JST = ZoneInfo("Asia/Tokyo")
JST_HOURS = range(9, 21)  # R7: the support centre's hours


def unique_phone() -> str:
    return "090" + str(uuid.uuid4().int)[:8]


def sign_in(console: Page, account: StaffAccount = DEMO_STAFF) -> None:
    """Through the sign-in page the console sends staff to (the emulator's managed login)."""
    console.goto("/console.html")
    console.get_by_role("button", name="サインイン").click()
    console.wait_for_url(re.compile(r"/oauth2/authorize"))
    console.locator("#username").fill(account.username)
    console.locator("#password").fill(account.password)
    console.locator("button[type=submit]").click()
    # Back on the console once it has exchanged the code for tokens: signed in.
    expect(console.get_by_role("button", name="サインアウト")).to_be_visible()


def capture_console(capture: Callable[..., None], console: Page, name: str, **kw: Any) -> None:
    capture(console, f"console-{name}", widths=CONSOLE_WIDTHS, **kw)


def open_contract(console: Page, contract_id: str) -> None:
    console.goto(f"/console.html#/contracts/{contract_id}")
    expect(console.get_by_role("heading", name=f"契約 {contract_id}")).to_be_visible()


def verify(console: Page, passphrase: str) -> None:
    panel = console.get_by_role("region", name="本人確認（合言葉）")
    panel.get_by_label("合言葉", exact=True).fill(passphrase)
    panel.get_by_role("button", name="本人確認する").click()


def test_staff_sign_in_and_find_the_caller_by_phone_number(
    console: Page, subscriber: Callable[..., Subscriber], capture: Callable[..., None]
) -> None:
    phone = unique_phone()
    caller = subscriber(phone=phone)
    console.goto("/console.html")
    expect(console.get_by_role("button", name="サインイン")).to_be_visible()
    capture_console(capture, console, "signed-out")

    sign_in(console)
    expect(console.get_by_role("heading", name="契約を探す")).to_be_visible()
    capture_console(capture, console, "search")

    console.get_by_role("radio", name="電話番号").check()
    # As the caller says it: with hyphens.
    console.get_by_role("textbox", name="電話番号").fill(f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")
    console.get_by_role("button", name="検索", exact=True).click()
    results = console.get_by_role("region", name="検索結果")
    expect(results.get_by_role("link", name=caller.contract_id)).to_be_visible()
    capture_console(capture, console, "search-results")
    assert phone not in console.url  # a POST: the number never sits in the address

    results.get_by_role("link", name=caller.contract_id).click()
    expect(console.get_by_role("heading", name=f"契約 {caller.contract_id}")).to_be_visible()
    expect(console.locator("main")).to_contain_text(caller.device.device_id)
    expect(console.locator("main")).to_contain_text("JST")
    capture_console(capture, console, "contract", full_page=True)


def test_verify_wrong_then_right_then_lock_and_watch_it_succeed(
    console: Page, subscriber: Callable[..., Subscriber], capture: Callable[..., None]
) -> None:
    caller = subscriber()
    sign_in(console)
    open_contract(console, caller.contract_id)

    verify(console, "not-the-passphrase")
    panel = console.get_by_role("region", name="本人確認（合言葉）")
    expect(panel.get_by_role("alert")).to_contain_text("エラーコード: IDENTITY_NOT_VERIFIED")
    capture_console(capture, console, "verify-wrong", show=panel)

    verify(console, "sakura-2026")
    expect(panel.get_by_role("timer")).to_be_visible()
    capture_console(capture, console, "verified", show=panel)

    actions = console.get_by_role("region", name="遠隔操作")
    actions.get_by_role("button", name="ロック", exact=True).click()
    dialog = console.get_by_role("dialog", name="端末をロックしますか")
    expect(dialog).to_be_visible()
    capture_console(capture, console, "lock-confirm")
    dialog.get_by_role("button", name="ロックする").click()
    history = actions.get_by_role("list", name="コマンドの履歴")
    # The live status, without a reload: PENDING → SENT → SUCCEEDED.
    expect(history.get_by_role("listitem").first).to_contain_text("成功", timeout=45_000)
    capture_console(capture, console, "lock-succeeded", show=actions)
    # Who asked, by their staff username (issue 23), in the history and on the timeline: the
    # verifications and the lock request all name the demo staff member.
    expect(history.get_by_role("listitem").first).to_contain_text(f"· {DEMO_STAFF.username}")
    timeline = console.get_by_role("region", name="タイムライン")
    timeline.get_by_role("button", name="タイムラインを更新").click()
    for label in ("本人確認ができました", "ロックを依頼しました", "合言葉が一致しませんでした"):
        event = timeline.get_by_role("listitem").filter(has_text=label).first
        expect(event).to_contain_text(f"担当者 {DEMO_STAFF.username}")
    expect(timeline).not_to_contain_text("担当者（記録なし）")


def test_wipe_needs_verification_then_the_device_id_typed_back_and_a_reason(
    console: Page, subscriber: Callable[..., Subscriber], capture: Callable[..., None]
) -> None:
    caller = subscriber()
    sign_in(console)
    open_contract(console, caller.contract_id)
    actions = console.get_by_role("region", name="遠隔操作")
    wipe = actions.get_by_role("button", name="ワイプ（データ消去）")
    expect(wipe).to_be_disabled()  # no verification yet
    capture_console(capture, console, "wipe-blocked", show=actions)

    verify(console, "sakura-2026")
    expect(wipe).to_be_enabled()
    wipe.click()
    dialog = console.get_by_role("dialog", name="端末のデータを消去（ワイプ）しますか")
    confirm = dialog.get_by_role("button", name="ワイプする")
    dialog.get_by_label("確認のため、端末識別番号を入力").fill("not-the-device")
    dialog.get_by_label("理由").fill("端末を紛失し、ご本人がデータ消去を希望")
    expect(confirm).to_be_disabled()  # the id typed back must match
    dialog.get_by_label("確認のため、端末識別番号を入力").fill(caller.device.device_id)
    expect(confirm).to_be_enabled()
    capture_console(capture, console, "wipe-confirm")
    confirm.click()
    history = actions.get_by_role("list", name="コマンドの履歴")
    expect(history.get_by_role("listitem").first).to_contain_text("成功", timeout=45_000)
    # The reason is in the audit: the timeline shows it with the staff member.
    timeline = console.get_by_role("region", name="タイムライン")
    timeline.get_by_role("button", name="タイムラインを更新").click()
    expect(timeline).to_contain_text("端末を紛失し、ご本人がデータ消去を希望")


def test_an_offline_devices_command_shows_its_retries_and_is_cancelled(
    console: Page,
    subscriber: Callable[..., Subscriber],
    fleet: DeviceFleet,
    aws_client: Callable[[str], Any],
    capture: Callable[..., None],
) -> None:
    caller = subscriber()
    fleet.set_online(caller.device, False)
    sign_in(console)
    open_contract(console, caller.contract_id)
    verify(console, "sakura-2026")
    actions = console.get_by_role("region", name="遠隔操作")
    actions.get_by_role("button", name="ロック", exact=True).click()
    console.get_by_role("dialog", name="端末をロックしますか").get_by_role(
        "button", name="ロックする"
    ).click()
    history = actions.get_by_role("list", name="コマンドの履歴")
    row = history.get_by_role("listitem").first
    # Re-sent while the device does not answer: the attempts and the next retry are shown.
    expect(row).to_contain_text(re.compile(r"送信回数([2-9]|\d\d) 回"), timeout=30_000)
    expect(row).to_contain_text("次の再送")
    capture_console(capture, console, "command-retrying", show=actions)

    row.get_by_role("button", name=re.compile("^取り消す")).click()
    dialog = console.get_by_role("dialog", name="コマンドを取り消しますか")
    dialog.get_by_label("理由").fill("ご本人が端末を見つけたため")
    dialog.get_by_role("button", name="コマンドを取り消す").click()
    expect(row).to_contain_text("担当者が取り消しました")
    expect(row).to_contain_text(f"· {DEMO_STAFF.username}")  # who cancelled it, by name
    capture_console(capture, console, "command-cancelled", show=actions)
    [command_id] = re.findall(r"cmd-[a-f0-9]{32}", row.inner_text())
    cancelled = caller.shown(command_id)
    assert cancelled["status"] == "CANCELLED" and cancelled["cancelReason"] == "ご本人が端末を見つけたため"
    # The delivery workflow ends at its next follow-up instead of pushing again.
    states = execution_states(caller.service, aws_client, "CommandDeliveryStateMachineArn", command_id)
    assert states[-1] == "Cancelled", states
    assert caller.shown(command_id)["attempts"] == cancelled["attempts"]


def test_a_deferred_application_approved_from_the_queue_becomes_a_contract(
    console: Page, local_service: LocalService, account: Callable[..., str], capture: Callable[..., None]
) -> None:
    body = application(account(defer_review=True))
    body["applicant"]["name"] = "保留 花子"
    application_id = apply(local_service, body)
    until_status(local_service, application_id, "DEFERRED")
    sign_in(console)
    console.get_by_role("link", name="保留中の申込み").click()
    expect(console.get_by_role("heading", name="保留中の申込み（第6条2項）")).to_be_visible()
    approve = console.get_by_role("button", name=f"承認 保留 花子（{application_id}）")
    expect(approve).to_be_visible()
    capture_console(capture, console, "queue")
    approve.click()
    console.get_by_role("dialog").get_by_role("button", name="承認する").click()
    assert settled(local_service, application_id)["status"] == "CONTRACTED"


def test_a_signed_in_user_who_is_not_staff_is_refused(console: Page, capture: Callable[..., None]) -> None:
    sign_in(console, DEMO_NOT_STAFF)
    expect(console.get_by_role("heading", name="権限がありません")).to_be_visible()
    expect(console.get_by_role("button", name="サインアウト")).to_be_visible()
    capture_console(capture, console, "not-staff")
    console.get_by_role("button", name="サインアウト").click()
    expect(console.get_by_role("button", name="サインイン")).to_be_visible()


def test_a_cancellation_notice_shows_its_r9_end_date_before_it_is_recorded(
    console: Page,
    local_service: LocalService,
    subscriber: Callable[..., Subscriber],
    capture: Callable[..., None],
) -> None:
    caller = subscriber()
    sign_in(console)
    open_contract(console, caller.contract_id)
    ends = console.get_by_role("region", name="契約の終了")
    ends.get_by_role("button", name="解約の申し出を記録…").click()
    dialog = console.get_by_role("dialog", name="解約の申し出を記録しますか")
    status, preview = staff_request(
        local_service, "GET", f"/contracts/{caller.contract_id}/cancellation/preview"
    )
    assert status == 200, preview
    end = datetime.fromisoformat(preview["endsAt"].replace("Z", "+00:00"))
    expect(dialog).to_contain_text(f"契約は {end.astimezone(JST):%Y/%m/%d %H:%M:%S} JST に終了します")
    capture_console(capture, console, "cancellation-confirm")
    dialog.get_by_role("button", name="解約を記録する").click()
    expect(console.locator("main")).to_contain_text("解約予定")
    _, contract = staff_request(local_service, "GET", f"/contracts/{caller.contract_id}")
    assert contract["status"] == "CANCELLATION_PENDING" and contract["endsAt"] == preview["endsAt"]
    capture_console(capture, console, "cancellation-recorded", full_page=True)


def test_a_support_session_is_refused_out_of_hours_and_for_excluded_requests_then_opened_and_closed(
    console: Page,
    local_service: LocalService,
    subscriber: Callable[..., Subscriber],
    capture: Callable[..., None],
) -> None:
    caller = subscriber()
    sign_in(console)
    open_contract(console, caller.contract_id)
    panel = console.get_by_role("region", name="サポート対応")

    def open_session(category: str, at_jst_hour: int, answer: str) -> None:
        """Ask at ``at_jst_hour`` o'clock Japan time (the support API's clock moved there) and
        wait for the panel to show ``answer``."""
        now = datetime.now(JST)
        offset = (now.replace(hour=at_jst_hour, minute=30) - now).total_seconds()
        with time_travel(local_service.endpoint, offset, functions=("SupportApiFunctionName",)):
            panel.get_by_label("相談の内容").select_option(label=category)
            panel.get_by_role("button", name="対応を開始").click()
            expect(panel).to_contain_text(answer)

    open_session("設定", 22, "エラーコード: OUTSIDE_SUPPORT_HOURS")  # R7: open 09:00-21:00 JST
    capture_console(capture, console, "session-refused-hours", show=panel)
    # R14: never done for the subscriber, whatever the hour.
    open_session("カード番号・口座番号の入力を伴う作業", 10, "エラーコード: CARD_OR_BANK_ENTRY")
    capture_console(capture, console, "session-refused-r14", show=panel)
    open_session("設定", 10, "サポート対応を開始しました")
    close = panel.get_by_role("button", name="対応を終了")
    capture_console(capture, console, "session-open", show=panel)
    panel.get_by_label("対応の結果").select_option(label="解決")
    close.click()
    expect(panel.get_by_role("button", name="対応を開始")).to_be_visible()
    timeline = console.get_by_role("region", name="タイムライン")
    timeline.get_by_role("button", name="タイムラインを更新").click()
    for event in (
        "サポートの依頼をお断りしました",
        "サポート対応を開始しました",
        "サポート対応を終了しました",
    ):
        expect(timeline).to_contain_text(event)
    capture_console(capture, console, "timeline", show=timeline)


def test_a_late_notice_before_months_already_charged_is_on_the_timeline(
    console: Page, local_service: LocalService, capture: Callable[..., None]
) -> None:
    """R9, R13: a notice that arrived in March, recorded after May was billed, ends the contract
    at the end of March; May's charge stands, and the timeline says so in words."""
    from anshin.domain.terms import BillingMonth

    from local.jobs import run_month
    from local.seed import formed_contract, put_account, put_contract

    table = local_service.output("ContractsTableName")
    account, contract_id = f"MC-{uuid.uuid4().hex[:10]}", f"ctr-{uuid.uuid4().hex[:24]}"
    put_account(local_service.endpoint, table, account, slots_held=1, has_formed_contract=True)
    put_contract(
        local_service.endpoint,
        table,
        formed_contract(contract_id, account, datetime(2025, 1, 10, 12, tzinfo=JST), False),
    )
    run_month(local_service.endpoint, BillingMonth.parse("2025-05"))  # a month no other test bills
    status, ended = staff_request(
        local_service,
        "POST",
        f"/contracts/{contract_id}/cancellation",
        {"receivedAt": "2025-03-15T03:00:00Z"},
    )
    assert (status, ended["status"], ended["endedAt"]) == (200, "ENDED", "2025-03-31T14:59:59.999Z"), ended
    status, invoice = staff_request(local_service, "GET", f"/accounts/{account}/invoices/2025-05")
    assert status == 200 and [line["contractId"] for line in invoice["lines"]] == [contract_id]  # R13
    sign_in(console)
    open_contract(console, contract_id)
    timeline = console.get_by_role("region", name="タイムライン")
    expect(timeline).to_contain_text(
        "終了日より後の月がすでに請求済みでした（請求は取り消されません・第13条）"
    )
    expect(timeline).to_contain_text("請求済みの月")
    capture_console(capture, console, "timeline-charged-past-end", show=timeline)


def test_find_which_contract_holds_a_device_then_revoke_it_and_reissue_the_member_code(
    console: Page, subscriber: Callable[..., Subscriber], capture: Callable[..., None]
) -> None:
    """Issue 24: the caller says someone else's contract protects their phone, or it was stolen."""
    caller = subscriber()
    sign_in(console)
    console.get_by_role("radio", name="端末識別番号").check()
    console.get_by_role("textbox", name="端末識別番号").fill(caller.device.device_id)
    console.get_by_role("button", name="検索", exact=True).click()
    results = console.get_by_role("region", name="検索結果")
    expect(results.get_by_role("link", name=caller.contract_id)).to_be_visible()
    capture_console(capture, console, "search-by-device")

    results.get_by_role("link", name=caller.contract_id).click()
    actions = console.get_by_role("region", name="遠隔操作")
    actions.get_by_text("端末トークンの無効化（紛失・乗っ取りの疑い）").click()
    actions.get_by_role("button", name="端末トークンを無効化").click()
    dialog = console.get_by_role("dialog", name="端末トークンを無効化しますか")
    dialog.get_by_role("textbox").fill("お客様から盗難の申告")
    dialog.get_by_role("button", name="無効化する").click()
    expect(actions).to_contain_text("端末トークンを無効化しました")

    actions.get_by_text("会員確認コードの再発行").click()
    actions.get_by_role("button", name="会員確認コードを再発行").click()
    dialog = console.get_by_role("dialog", name="会員確認コードを再発行しますか")
    expect(dialog).to_contain_text("この画面には表示されません")
    dialog.get_by_role("textbox").fill("無効化した端末を新しいコードで登録し直すため")
    capture_console(capture, console, "reissue-confirm")
    dialog.get_by_role("button", name="再発行して送る").click()
    expect(actions).to_contain_text("新しい会員確認コードをお客様の連絡先に送りました")
    capture_console(capture, console, "reissued", show=actions)
    timeline = console.get_by_role("region", name="タイムライン")
    timeline.get_by_role("button", name="タイムラインを更新").click()
    expect(timeline).to_contain_text("会員確認コードを再発行し、お客様の連絡先に送りました")
