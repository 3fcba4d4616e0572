"""Sans-I/O Pusher protocol 7, the codec: a server frame's text in, a typed message out, and
the client's frames encoded; the channels a Kick channel's events arrive on. No sockets, no state
(the session is `pusher_session.PusherSession`).

Frames are JSON objects `{"event", "channel"?, "data"?}`. For channel events `data` is itself a
JSON string (decoded by the normalizer, not here); some servers send `data` as an object for
`pusher:*` events, or leave it out. All three are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from app.core.events import JSON_ERRORS
from app.kick.coerce import as_int


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
        return PusherError(as_int(body.get("code")), str(body.get("message") or ""))
    if event == "pusher:subscription_error":
        body = _as_object(data, event) if not isinstance(data, str) else _lenient_object(data)
        message = body.get("error") or body.get("message") or body.get("type") or str(data or "")
        return SubscriptionError(channel, str(message), as_int(body.get("status")))
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
