"""How a Pusher session ended, as the supervisor's `Ending`: the close codes' classes and
meanings, and the plain sentence the user reads for each kind of ending. The one place that
turns a close code (or none) into what kind of ending it was, for the session and the socket
driver alike."""

from __future__ import annotations

import dataclasses
import enum

from app.core.supervisor import Ending, EndingKind


class CloseAction(enum.Enum):
    FATAL = "fatal"  # do not retry unchanged
    BACKOFF = "backoff"  # retry after the backoff delay
    RECONNECT_NOW = "reconnect_now"  # retry at once


def classify_close(code: int | None) -> CloseAction:
    """Pusher close-code classes (4000-4099 / 4100-4199 / 4200-4299); anything else is a network
    loss and is retried with backoff."""
    if code is not None:
        if 4000 <= code <= 4099:
            return CloseAction.FATAL
        if 4200 <= code <= 4299:
            return CloseAction.RECONNECT_NOW
    return CloseAction.BACKOFF


CLOSE_UNKNOWN_APP_KEY = 4001

_CLOSE_MEANINGS = {
    4000: "SSL only",
    4001: "unknown app key",
    4003: "application disabled",
    4004: "over connection quota",
    4005: "path not found",
    4006: "invalid version string",
    4007: "unsupported protocol version",
    4008: "no protocol version",
    4009: "unauthorized",
    4100: "over capacity",
    4200: "server restarting",
    4201: "pong not received",
    4202: "closed after inactivity",
}


def describe_close(code: int | None) -> str:
    if code is None:
        return "connection lost"
    meaning = _CLOSE_MEANINGS.get(code)
    return f"server closed {code}" + (f" ({meaning})" if meaning else "")


# What the user reads about an ending the session decides: one plain sentence each. The
# technical reason (the close code, the server's message) goes with it as the Ending's `detail`.
NO_ANSWER = "Kick's chat server did not answer"
ODD_ANSWER = "Kick's chat server answered in a way VMSC does not understand"
WENT_SILENT = "Kick stopped answering — the connection went quiet"
LOST = "The connection to Kick was lost"
SERVER_ERROR = "Kick's chat server reported an error"
SUBSCRIPTION_REFUSED = "Kick refused to send this channel's chat"
CLOSED_BY_SERVER = {  # the server closed the connection with a code
    EndingKind.FATAL: (
        "Kick's chat server refused the connection — retrying will not help; "
        "check for a VMSC update"
    ),
    EndingKind.BACKOFF: "Kick's chat server closed the connection",
    EndingKind.RECONNECT_NOW: "Kick's chat server asked us to reconnect",
}
CLOSED_BY_SERVER[EndingKind.STALE_ENDPOINT] = CLOSED_BY_SERVER[EndingKind.FATAL]


def classify_ending(close_code: int | None, reason: str, detail: str = "") -> Ending:
    """The one place that turns how a session ended into what kind of ending it was: `reason`
    is the plain sentence, `detail` the technical reason (see `Ending`)."""
    action = classify_close(close_code)
    if close_code == CLOSE_UNKNOWN_APP_KEY:
        kind = EndingKind.STALE_ENDPOINT
    elif action is CloseAction.FATAL:
        kind = EndingKind.FATAL
    elif action is CloseAction.RECONNECT_NOW:
        kind = EndingKind.RECONNECT_NOW
    else:
        kind = EndingKind.BACKOFF
    return Ending(kind, reason, detail)


def server_closed(code: int, detail: str) -> Ending:
    """The server closed the connection with `code` (a Pusher one, or any other); `detail`
    names the code, e.g. `server closed 4200 (server restarting)`."""
    ending = classify_ending(code, "", detail)
    return dataclasses.replace(ending, reason=CLOSED_BY_SERVER[ending.kind], close_code=code)
