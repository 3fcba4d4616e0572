"""Connection states (design.md §1), the transitions allowed between them, as data, and the
`Status` the supervisor announces. Light on purpose: the window's first paint shows a `Status`
before the supervisor's module (asyncio) is loaded."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ConnectionState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ERROR = "error"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_connected(self) -> bool:
        return self in (ConnectionState.CONNECTED, ConnectionState.LIVE)


_S = ConnectionState

# Every state can be left by the user's Disconnect. Reconnect attempts stay in RECONNECTING (the
# card shows the attempt number) until a subscription is confirmed again.
TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    _S.DISCONNECTED: frozenset({_S.CONNECTING}),
    _S.CONNECTING: frozenset({_S.CONNECTED, _S.LIVE, _S.RECONNECTING, _S.ERROR, _S.DISCONNECTED}),
    _S.CONNECTED: frozenset({_S.LIVE, _S.RECONNECTING, _S.ERROR, _S.DISCONNECTED}),
    _S.LIVE: frozenset({_S.CONNECTED, _S.RECONNECTING, _S.ERROR, _S.DISCONNECTED}),
    _S.RECONNECTING: frozenset({_S.CONNECTED, _S.LIVE, _S.ERROR, _S.DISCONNECTED}),
    _S.ERROR: frozenset({_S.CONNECTING, _S.DISCONNECTED}),
}


class IllegalTransition(RuntimeError):
    def __init__(self, old: ConnectionState, new: ConnectionState) -> None:
        super().__init__(f"illegal connection state transition {old} -> {new}")
        self.old = old
        self.new = new


def check_transition(old: ConnectionState, new: ConnectionState) -> None:
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(old, new)


@dataclass(frozen=True, slots=True)
class Status:
    state: ConnectionState = ConnectionState.DISCONNECTED
    slug: str = ""
    display_name: str = ""
    reason: str = ""  # why the last attempt failed (Reconnecting, Error), in plain words
    detail: str = ""  # the technical reason behind `reason` (may be empty): the details line
    close_code: int | None = None  # the server's close / disconnect code behind `reason`, if any
    attempt: int = 0  # number of the current / next reconnect attempt; 0 while connected
    retry_at: float | None = None  # clock() time of the next attempt while waiting for it
    connected_at: float | None = None  # clock() time the current connection was established
    event_count: int = 0  # events since the current connection was established
    is_live: bool = False
    provider: str = ""  # "pusher" or "centrifugo": what the current / last attempt speaks
    last_event_at: float | None = None  # clock() time of the last event of this connection

    @property
    def channel(self) -> str:
        return self.display_name or self.slug

    @property
    def full_reason(self) -> str:
        """The reason with its detail in parentheses, for the log and the terminal."""
        return reason_with_detail(self.reason, self.detail)


def reason_with_detail(reason: str, detail: str) -> str:
    """`reason (detail)`; either alone when the other is empty."""
    if reason and detail:
        return f"{reason} ({detail})"
    return reason or detail
