"""Values as Kick sends them: ids, codes and counts arrive as numbers or as numeric strings, and
an object may be anything at all."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """An id, code or count sent as a number or a numeric string; None for anything else.
    Strings are ASCII digits, at most 19 (an id): int() refuses strings past 4,300 digits and
    accepts "²", which isdigit() passes."""
    if value is None:  # the common case: absent (a Centrifugo push has no id), checked first
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else None
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 19:
        return int(text)
    return None


def as_dict(value: Any) -> dict[str, Any]:
    """An object as sent, or an empty one for anything else (a list, a string, null)."""
    return value if isinstance(value, dict) else {}
