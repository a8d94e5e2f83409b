"""Paged lists (the staff API): the page size's bounds and the opaque cursor. Pure.

A cursor is the base64url of a JSON object of strings: the DynamoDB key the next page starts
after (its ``LastEvaluatedKey``), or a position of our own (a month). It is validated before use:
what does not decode to exactly the fields the list expects, with the partition it reads, is
``InvalidCursor`` (400), never a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from typing import cast

from anshin.domain.errors import InvalidCursor

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
#: Longer than any key of ours encodes to.
MAX_CURSOR_CHARS = 2048


def encode_cursor(position: Mapping[str, str]) -> str:
    text = json.dumps(dict(position), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, fields: Collection[str], prefixes: Mapping[str, str] | None = None, **fixed: str
) -> dict[str, str]:
    """The position ``cursor`` names: exactly ``fields``, all strings, each of ``fixed`` (the
    partition the list reads) with that value and each of ``prefixes`` starting so (within the
    range the list reads); otherwise ``InvalidCursor``."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if (
        not isinstance(position, dict)
        or set(position) != set(fields)
        or not all(isinstance(value, str) and value for value in position.values())
        or any(position.get(name) != value for name, value in fixed.items())
        or any(not position[name].startswith(start) for name, start in (prefixes or {}).items())
    ):
        raise InvalidCursor()
    return cast(dict[str, str], position)
