"""The address per-source limits count (issue 24): CloudFront's viewer address, else the connection's."""

from typing import Any

import pytest
from anshin.runtime.http import caller_address


def event(headers: dict[str, str] | None = None, multi: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "headers": headers or {},
        "multiValueHeaders": multi or {k: [v] for k, v in (headers or {}).items()},
        "requestContext": {"identity": {"sourceIp": "130.176.1.1"}},  # a CloudFront address
    }


@pytest.mark.parametrize(
    ("value", "counted"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        ("2001:db8:1:2:3:4:5:6:443", "2001:db8:1:2::/64"),  # unbracketed, as CloudFront writes it
        ("[2001:db8:1:2::9]:443", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.10:443", "198.51.100.10"),
    ],
)
def test_the_viewer_address_counts_without_its_port(value: str, counted: str) -> None:
    assert caller_address(event({"CloudFront-Viewer-Address": value})) == counted
    assert caller_address(event({"cloudfront-viewer-address": value})) == counted


def test_two_ports_of_one_viewer_are_one_caller() -> None:
    first = caller_address(event({"CloudFront-Viewer-Address": "198.51.100.10:1000"}))
    assert first == caller_address(event({"CloudFront-Viewer-Address": "198.51.100.10:2000"}))


@pytest.mark.parametrize("value", ["", "not-an-address", "198.51.100.10", "999.1.1.1:80"])
def test_without_a_usable_viewer_address_the_connection_counts(value: str) -> None:
    assert caller_address(event({"CloudFront-Viewer-Address": value})) == "130.176.1.1"
    assert caller_address(event()) == "130.176.1.1"
    assert caller_address({}) == "unknown"


def test_of_several_values_the_last_one_counts() -> None:
    several = {"CloudFront-Viewer-Address": ["203.0.113.9:1", "198.51.100.10:2"]}
    assert caller_address(event(multi=several)) == "198.51.100.10"
