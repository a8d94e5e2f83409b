"""Phone numbers as the staff search compares them: one normal form (E.164), so that
``090-1234-5678``, ``09012345678`` and ``+81 90 1234 5678`` are the same number. Pure.

The reading, documented: a Japanese national number (a leading ``0``: ``090…``, ``03…``,
``0120…``) becomes ``+81`` and the number without its ``0``; a number with ``+`` keeps its country
code (``+81 (0)90…``, the trunk ``0`` written after the country code, drops it); ``010`` is
Japan's international prefix and is read as ``+``; bare digits without ``0`` or ``+`` are read as
already carrying their country code. Spaces, hyphens, dots, parentheses and full-width forms are
ignored. Anything else is not a phone number (``ValueError``, whose message never repeats it).
"""

from __future__ import annotations

import re
import unicodedata

#: What people write between digits (after NFKC: full-width forms are folded already).
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc().]")
#: E.164: a country code that does not start with 0, at most 15 digits in all.
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
JAPAN = "81"


def normalise_phone(text: str) -> str:
    """``text`` in E.164 (``+819012345678``), or ``ValueError``."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if compact.startswith("+"):
        digits = compact[1:]
        if digits.startswith(JAPAN + "0"):
            digits = JAPAN + digits[len(JAPAN) + 1 :]  # +81 (0)90...: the trunk prefix drops
    elif compact.startswith("010"):
        digits = compact[3:]  # dialled from Japan to abroad
    elif compact.startswith("0"):
        digits = JAPAN + compact[1:]  # a national number
    else:
        digits = compact
    normal = f"+{digits}"
    if not digits.isascii() or not _E164.match(normal):
        raise ValueError("not a phone number")
    return normal


def is_phone(text: str) -> bool:
    try:
        normalise_phone(text)
    except ValueError:
        return False
    return True
