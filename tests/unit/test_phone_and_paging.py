"""The staff search's phone normal form (E.164, anshin.domain.phones) and the paged lists'
cursor (anshin.domain.paging), pure."""

import pytest
from anshin.domain import errors
from anshin.domain.paging import decode_cursor, encode_cursor
from anshin.domain.phones import is_phone, normalise_phone
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "written",
    [
        "09012345678",
        "090-1234-5678",
        "090 1234 5678",
        "(090) 1234-5678",
        "０９０－１２３４－５６７８",  # full-width, as typed with a Japanese IME
        "090ー1234ー5678",  # the katakana long mark some write for a hyphen
        "+819012345678",
        "+81 90 1234 5678",
        "+81 (0)90-1234-5678",  # the trunk 0 written after the country code
        "010-81-90-1234-5678",  # dialled from Japan through the international prefix
        "819012345678",  # bare digits carry their country code
    ],
)
def test_every_usual_writing_of_a_mobile_number_is_one_e164_number(written: str) -> None:
    assert normalise_phone(written) == "+819012345678"


@pytest.mark.parametrize(
    ("written", "normal"),
    [("03-1234-5678", "+81312345678"), ("0120-000-110", "+81120000110"), ("+1 415 555 0100", "+14155550100")],
)
def test_landlines_toll_free_and_foreign_numbers(written: str, normal: str) -> None:
    assert normalise_phone(written) == normal


@pytest.mark.parametrize(
    "text", ["", "call me", "+", "0", "12345", "+0123456789", "090-1234-567a", "+81 90 1234 5678 9012 3"]
)
def test_what_is_not_a_phone_number_is_refused_without_repeating_it(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        normalise_phone(text)
    assert str(refused.value) == "not a phone number"
    assert not is_phone(text)


@given(st.from_regex(r"0(1[1-9]|[2-9][0-9])[0-9]{7,8}", fullmatch=True))  # 010 is the international prefix
def test_a_national_number_and_its_international_form_normalise_alike(national: str) -> None:
    assert normalise_phone(national) == normalise_phone("+81" + national[1:]) == "+81" + national[1:]


def test_normalising_is_idempotent() -> None:
    assert normalise_phone(normalise_phone("090-1234-5678")) == "+819012345678"


class TestCursor:
    def test_round_trip(self) -> None:
        position = {"pk": "PHONE#ab", "sk": "CONTRACT#2026-11-10T01:00:00.000Z#ctr-1"}
        cursor = encode_cursor(position)
        assert "=" not in cursor and "+" not in cursor and "/" not in cursor  # base64url, unpadded
        assert decode_cursor(cursor, ("pk", "sk"), {"sk": "CONTRACT#"}, pk="PHONE#ab") == position

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            "not base64!",
            encode_cursor({"pk": "PHONE#ab"}),  # a field missing
            encode_cursor({"pk": "PHONE#ab", "sk": "CONTRACT#1", "x": "y"}),  # one too many
            encode_cursor({"pk": "PHONE#other", "sk": "CONTRACT#1"}),  # another list's partition
            encode_cursor({"pk": "PHONE#ab", "sk": "APP#1"}),  # outside the range the list reads
            "bnVsbA",  # base64url of JSON null
            "W10",  # []
            "x" * 3000,
        ],
    )
    def test_anything_else_is_invalid_cursor(self, cursor: str) -> None:
        with pytest.raises(errors.InvalidCursor) as refused:
            decode_cursor(cursor, ("pk", "sk"), {"sk": "CONTRACT#"}, pk="PHONE#ab")
        assert refused.value.code == "INVALID_CURSOR"

    def test_non_string_values_are_invalid(self) -> None:
        import base64
        import json

        raw = base64.urlsafe_b64encode(json.dumps({"pk": "PHONE#ab", "sk": 5}).encode()).decode()
        with pytest.raises(errors.InvalidCursor):
            decode_cursor(raw, ("pk", "sk"), pk="PHONE#ab")
