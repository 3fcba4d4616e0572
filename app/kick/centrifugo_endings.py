"""How a Centrifugo session ended, as the supervisor's `Ending`: the disconnect codes' classes
and meanings (a `disconnect` push or the WebSocket close code: 3000-3499 and 4000-4499 reconnect;
3500-3999 and 4500-4999 do not reconnect as is), and the plain sentence the user reads for each
kind of ending."""

from __future__ import annotations

from app.core.supervisor import Ending, EndingKind

# Plain sentences for the user (the technical detail goes with them as the Ending's detail).
NO_ANSWER = "Kick's chat server did not answer"
WENT_SILENT = "Kick stopped answering — the connection went quiet"
TOKEN_EXPIRED = "Kick's chat pass ran out — getting a new one"
REFUSED_TOKEN = "Kick's chat server did not accept the connection"
SERVER_ERROR = "Kick's chat server reported an error"
SUBSCRIPTION_REFUSED = "Kick refused to send this channel's chat"
CLOSED = {
    EndingKind.RECONNECT_NOW: "Kick's chat server asked us to reconnect",
    EndingKind.BACKOFF: "Kick's chat server closed the connection",
    EndingKind.STALE_ENDPOINT: "Kick's chat server ended the connection for good",
}

_MEANINGS = {  # Centrifugo's own disconnect codes
    3000: "connection closed",
    3001: "shutdown",
    3004: "internal server error",
    3005: "connection expired",
    3006: "subscription expired",
    3008: "slow",
    3009: "write error",
    3010: "insufficient state",
    3011: "force reconnect",
    3012: "no pong",
    3013: "too many requests",
    3014: "state invalidated",
    3500: "invalid token",
    3501: "bad request",
    3502: "stale",
    3503: "force disconnect",
    3504: "connection limit",
    3505: "channel limit",
    3506: "inappropriate protocol",
    3507: "permission denied",
    3508: "not available",
    3509: "too many errors",
}


def classify_disconnect(code: int | None) -> EndingKind:
    """What a disconnect code (push or WebSocket close) means for the next attempt."""
    if code is None:
        return EndingKind.BACKOFF
    if 3500 <= code <= 3999 or 4500 <= code <= 4999:
        # "Do not reconnect as is": the supervisor tries once more with a fresh negotiation and
        # token (its STALE_ENDPOINT rule), then stops with an Error.
        return EndingKind.STALE_ENDPOINT
    if 3000 <= code <= 3499:
        return EndingKind.RECONNECT_NOW
    return EndingKind.BACKOFF


def describe_disconnect(code: int, reason: str = "") -> str:
    """`server closed 3001 (shutdown)`, with the server's reason when it differs."""
    meaning = _MEANINGS.get(code, "")
    text = f"server closed {code}"
    if meaning:
        text += f" ({meaning})"
    if reason and reason != meaning:
        text += f": {reason}"
    return text


def disconnect_ending(code: int | None, reason: str = "") -> Ending:
    """The ending for a disconnect code, with its plain sentence and technical detail."""
    kind = classify_disconnect(code)
    if code is None:
        return Ending(kind, CLOSED[EndingKind.BACKOFF], reason or "connection lost")
    return Ending(kind, CLOSED[kind], describe_disconnect(code, reason), close_code=code)
