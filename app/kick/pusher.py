"""Sans-I/O Pusher protocol 7 codec: text in, typed message out; no sockets here.

Frames are JSON objects `{"event", "channel"?, "data"?}`. For channel events `data` is itself a
JSON string (decoded by the normalizer, not here); some servers send `data` as an object for
`pusher:*` events, or leave it out. All three are accepted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgspec

from app.core.events import JSON_ERRORS


class FrameError(ValueError):
    """A frame that is not a Pusher message; the text says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class ConnectionEstablished:
    socket_id: str
    activity_timeout: float | None  # seconds; None when the server did not say


@dataclass(frozen=True, slots=True)
class SubscriptionSucceeded:
    channel: str


@dataclass(frozen=True, slots=True)
class SubscriptionError:
    channel: str | None
    message: str
    status: int | None


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Pong:
    pass


@dataclass(frozen=True, slots=True)
class PusherError:
    code: int | None  # None: informational, the socket stays open
    message: str


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    event: str
    channel: str | None
    data: Any  # usually a JSON string; an object or None from some servers


ServerMessage = (
    ConnectionEstablished
    | SubscriptionSucceeded
    | SubscriptionError
    | Ping
    | Pong
    | PusherError
    | ChannelEvent
)

_PING = Ping()
_MAX_TIMEOUT = 86_400  # seconds; beyond this an activity_timeout is nonsense: as if not given
_PONG = Pong()


def _as_object(data: Any, event: str) -> dict[str, Any]:
    """`data` of a `pusher:*` frame as an object: sent as a string, an object or not at all."""
    if data is None or data == "":
        return {}
    if isinstance(data, str | bytes):
        try:
            data = msgspec.json.decode(data)
        except JSON_ERRORS as exc:
            raise FrameError(f"{event}: data is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise FrameError(f"{event}: data is {type(data).__name__}, expected an object")
    return data


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def decode_frame(text: str | bytes | bytearray | memoryview) -> ServerMessage:
    """Decode one server frame. Raises FrameError, never anything else."""
    try:
        frame = msgspec.json.decode(text)
    except JSON_ERRORS as exc:
        raise FrameError(f"frame is not JSON ({exc})") from None
    if not isinstance(frame, dict):
        raise FrameError(f"frame is {type(frame).__name__}, expected an object")
    event = frame.get("event")
    if not isinstance(event, str) or not event:
        raise FrameError("frame has no event name")
    channel = frame.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise FrameError(f"{event}: channel is {type(channel).__name__}, expected a string")
    data = frame.get("data")

    if not event.startswith("pusher"):  # the hot path: every chat message
        return ChannelEvent(event, channel, data)
    if event == "pusher:ping":
        return _PING
    if event == "pusher:pong":
        return _PONG
    if event == "pusher:connection_established":
        body = _as_object(data, event)
        socket_id = body.get("socket_id")
        if not isinstance(socket_id, str) or not socket_id:
            raise FrameError(f"{event}: no socket_id")
        timeout = body.get("activity_timeout")
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout <= _MAX_TIMEOUT  # (an int compares exactly, a float conversion
        ):  # of a 300-digit one would raise OverflowError)
            return ConnectionEstablished(socket_id, None)
        return ConnectionEstablished(socket_id, float(timeout))
    if event == "pusher_internal:subscription_succeeded":
        if channel is None:
            raise FrameError(f"{event}: no channel")
        return SubscriptionSucceeded(channel)
    if event == "pusher:error":
        body = _as_object(data, event)
        return PusherError(_int_or_none(body.get("code")), str(body.get("message") or ""))
    if event == "pusher:subscription_error":
        body = _as_object(data, event) if not isinstance(data, str) else _lenient_object(data)
        message = body.get("error") or body.get("message") or body.get("type") or str(data or "")
        return SubscriptionError(channel, str(message), _int_or_none(body.get("status")))
    # Other pusher_internal:* (member_added, ...) and unknown pusher:* events: pass through; the
    # normalizer drops what it does not know.
    return ChannelEvent(event, channel, data)


def _lenient_object(data: str) -> dict[str, Any]:
    try:
        return _as_object(data, "pusher:subscription_error")
    except FrameError:
        return {"error": data}


def _encode(event: str, data: dict[str, Any]) -> str:
    return msgspec.json.encode({"event": event, "data": data}).decode()


def encode_subscribe(channel: str, auth: str = "") -> str:
    return _encode("pusher:subscribe", {"auth": auth, "channel": channel})


def encode_unsubscribe(channel: str) -> str:
    return _encode("pusher:unsubscribe", {"channel": channel})


def encode_ping() -> str:
    return _encode("pusher:ping", {})


def encode_pong() -> str:
    return _encode("pusher:pong", {})


def public_channels(chatroom_id: int, channel_id: int) -> tuple[str, ...]:
    """The five public channels a Kick channel's events arrive on (design.md §3)."""
    return (
        f"chatrooms.{chatroom_id}.v2",
        f"chatrooms.{chatroom_id}",
        f"chatroom_{chatroom_id}",
        f"channel.{channel_id}",
        f"channel_{channel_id}",
    )


def chat_channel(chatroom_id: int) -> str:
    """The subscription whose confirmation means Connected (design.md §1)."""
    return f"chatrooms.{chatroom_id}.v2"


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
