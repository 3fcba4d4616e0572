"""What the views say about a connection status, in words: the reason, the reconnect countdown,
which provider, how long since the last event; and the numbers (count, uptime). Qt-free."""

from __future__ import annotations

import math
from typing import NamedTuple

from app.core.state import ConnectionState, Status

# Which indicators pulse (design.md §1). Behaviour, not colour: the colours live in the QSS.
PULSING_STATES = frozenset({ConnectionState.CONNECTING, ConnectionState.RECONNECTING})


def format_duration(seconds: float) -> str:
    """`1:02:03` for 3723 s; hours grow past 9 without a leading zero; negatives count as 0."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_count(n: int) -> str:
    """`12,345`: thousands separated, never negative."""
    return f"{max(0, n):,}"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())  # untrusted (a server's close reason): one tidy line


def describe_reason(state: ConnectionState, reason: str) -> str:
    """The reason for Reconnecting / Error: already a plain sentence (the status carries it so),
    tidied into one line."""
    reason = _one_line(reason)
    if not reason:
        return "Kick stopped answering." if state is ConnectionState.ERROR else ""
    return _first_upper(reason)


class Problem(NamedTuple):
    """What a view says about why it is not connected."""

    text: str  # Reconnecting: the attempt line, then the reason; Error: the reason; else ""
    details: str  # the technical detail, for a smaller line under `text`; "" when none
    waiting: bool  # the next attempt is not due yet: "Retry now" can cut the wait short


PROVIDER_NAMES = {"pusher": "Pusher", "centrifugo": "Centrifugo"}
QUIET_AFTER = 60.0  # seconds without an event before the card says how long it has been


def describe_connection(status: Status, last_event_at: float | None, now: float) -> str:
    """`via Centrifugo`, and `· last event 12 min ago` once the last event of this connection
    is older than a minute (or none came in a minute since connecting); "" when not connected."""
    if not status.state.is_connected:
        return ""
    name = PROVIDER_NAMES.get(status.provider, "")
    parts = [f"via {name}"] if name else []
    since = last_event_at if last_event_at is not None else status.connected_at
    if since is not None and now - since >= QUIET_AFTER:
        age = now - since
        ago = f"{int(age)} s" if age < 120 else f"{int(age // 60)} min"
        parts.append(f"last event {ago} ago" if last_event_at is not None else f"no event in {ago}")
    return " · ".join(parts)


def needs_countdown(status: Status) -> bool:
    """Whether `describe_problem`'s text changes with the clock (a 1 s timer redraws it)."""
    return status.state is ConnectionState.RECONNECTING and status.retry_at is not None


def describe_problem(status: Status, now: float) -> Problem:
    """`Attempt 3 · retrying in 4 s` (or `· connecting…` once due) over the plain reason while
    Reconnecting, the reason on Error; the technical detail as `Details: …`."""
    state = status.state
    reason = describe_reason(state, status.reason)
    waiting = False
    if state is ConnectionState.RECONNECTING:
        line = f"Attempt {max(1, status.attempt)}"
        if status.retry_at is not None and status.retry_at - now > 0:
            waiting = True
            line += f" · retrying in {math.ceil(status.retry_at - now)} s"
        else:
            line += " · connecting…"
        text = f"{line}\n{reason}" if reason else line
    elif state is ConnectionState.ERROR:
        text = reason
    else:
        return Problem("", "", False)
    detail = _one_line(status.detail)
    return Problem(text, f"Details: {detail}" if detail else "", waiting)
