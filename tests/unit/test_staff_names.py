"""Staff by name (issue 23), pure: the name taken from the verified claims, and the fields that
store who acted beside their id."""

from typing import Any

import pytest
from anshin.domain import staff
from anshin.domain.staff import StaffMember


@pytest.mark.parametrize(
    ("claims", "name"),
    [
        ({"sub": "u-1", "cognito:username": "sato.hanako", "email": "sato@example.jp"}, "sato.hanako"),
        ({"sub": "u-1", "email": "sato@example.jp"}, "sato@example.jp"),
        ({"sub": "u-1", "cognito:username": " ", "email": "sato@example.jp"}, "sato@example.jp"),
        # A pool whose usernames are generated makes the username the sub: never shown.
        ({"sub": "u-1", "cognito:username": "u-1", "email": "sato@example.jp"}, "sato@example.jp"),
        ({"sub": "u-1", "cognito:username": "u-1"}, "unknown"),
        ({"sub": "u-1"}, "unknown"),
    ],
)
def test_the_name_is_the_username_else_the_email_else_unknown_never_the_sub(
    claims: dict[str, Any], name: str
) -> None:
    assert staff.name_from_claims(claims) == name


def test_the_name_is_stored_beside_the_id_under_one_scheme() -> None:
    sato = StaffMember(id="u-1", name="sato.hanako")
    assert staff.recorded(sato) == {"staffId": "u-1", "staffName": "sato.hanako"}
    assert staff.recorded(sato, "requestedBy") == {"requestedBy": "u-1", "requestedByName": "sato.hanako"}
    assert [staff.name_field(f) for f in ("cancelledBy", "decidedBy", "closedBy")] == [
        "cancelledByName",
        "decidedByName",
        "closedByName",
    ]


def test_an_old_record_without_a_name_reads_as_none_and_its_entry_has_the_id_only() -> None:
    assert staff.name_of({"staffId": "u-1"}) is None
    assert (
        staff.name_of({"cancelledBy": "u-1", "cancelledByName": "sato.hanako"}, "cancelledBy")
        == "sato.hanako"
    )
    assert staff.entry_fields({"requestedBy": "u-1"}, "requestedBy") == {"staffId": "u-1"}
    assert staff.entry_fields({"staffId": "u-1", "staffName": "sato.hanako"}) == {
        "staffId": "u-1",
        "staffName": "sato.hanako",
    }


def test_a_staff_member_is_a_frozen_value() -> None:
    sato = StaffMember(id="u-1", name="sato.hanako")
    assert sato == StaffMember("u-1", "sato.hanako")
    with pytest.raises(AttributeError):
        sato.name = "someone"  # type: ignore[misc]
