"""Connection states (design.md §1) and the transitions allowed between them, as data."""

from __future__ import annotations

import enum


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
