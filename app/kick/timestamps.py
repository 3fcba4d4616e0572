"""Times as Kick sends them (ISO 8601 with or without a zone, "2026-03-14 18:00:18", epoch seconds
or milliseconds), as ISO 8601 UTC: the one spelling a StreamEvent's timestamp has."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TIMESTAMP = re.compile(
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE
)
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
_UTC_SUFFIX = "+00:00"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: object) -> str | None:
    """A payload time (ISO 8601 with or without zone, "2026-03-14 18:00:18", epoch seconds or
    milliseconds) as ISO 8601 UTC; None when it is none of these."""
    if isinstance(value, str):
        if _CANONICAL_UTC.fullmatch(value):  # Kick's chat format: check the calendar, keep as is
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return None
            return value
        match = _TIMESTAMP.fullmatch(value.strip())
        if match is None:
            return None
        date, time, fraction, zone = match.groups()
        zone = _UTC_SUFFIX if zone in (None, "Z", "z") else zone  # naive times are UTC
        # Python takes at most 6 fraction digits; Kick sometimes sends 9.
        text = f"{date}T{time}{(fraction or '')[:7]}{zone}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:  # (a 300-digit int overflows even the division)
            seconds = value / 1000 if value > 100_000_000_000 else value  # ms since the epoch
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    try:
        return moment.astimezone(UTC).isoformat()
    except OverflowError:  # 9999-12-31T23:59-01:00 is in year 10000 in UTC
        return None
