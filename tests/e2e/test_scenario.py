"""The whole service, end to end over HTTP, as ``make demo`` runs it (issue 6's scenario)."""

from local.devices import DeviceFleet
from local.scenario import Scenario, table
from local.service import LocalService
from tests.e2e.conftest import member_token, staff_token


def test_apply_contract_lock_wipe_offline_cancel_month_end_and_invoice(
    local_service: LocalService, fleet: DeviceFleet
) -> None:
    scenario = Scenario(
        endpoint=local_service.endpoint,
        api_url=local_service.api_url,
        outputs={
            key: local_service.output(key) for key in ("ContractsTableName", "CustomerNotificationTopicArn")
        },
        staff_token=staff_token(local_service),
        fleet=fleet,
        member_token=lambda account: member_token(local_service, account),
    )
    result = scenario.run()
    print(table(scenario.steps))

    first, second = result["contracts"]
    assert result["lock"]["status"] == "SUCCEEDED" and result["lock"]["contractId"] == first
    assert result["wipe"]["status"] == "EXPIRED" and result["wipe"]["contractId"] == second
    assert result["wipe"]["attempts"] >= 3  # re-sent with backoff while the device was offline
    assert (result["contract"]["status"], result["contract"]["endReason"]) == (
        "ENDED",
        "SUBSCRIBER_CANCELLATION",
    )
    # R12: the account's first contract is first charged two months after it formed; the second
    # is charged from its own month; R13: tax once on the invoice.
    invoice = result["invoice"]
    assert invoice["month"] == result["month"]
    assert invoice["lines"] == [{"contractId": second, "month": result["month"], "amount": 500}]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (500, 50, 550)

    # What a support trainer reads: Japan time, the month end's time travel, R12 explained.
    steps = {step.name: step for step in scenario.steps}
    assert steps["cancelled (R9)"].detail.endswith(" 23:59:59 JST")
    assert steps[f"month end {result['month']} (time-travelled)"].detail.endswith(" JST")
    assert steps["not charged (R12)"].detail.startswith(f"{first}: the account's first contract")
    assert f"{result['wipe']['attempts']} attempts" in steps["wipe expired"].detail
