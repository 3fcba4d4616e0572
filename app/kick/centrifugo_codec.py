"""Sans-I/O Centrifugo client protocol (JSON) as Kick serves it, the codec: frames in, frames
out, no sockets and no state (the session is `centrifugo_session.CentrifugoSession`).

Kick's web client moved its chat to Centrifugo in autumn 2026 (design.md §3). The channel names
and the payloads are Pusher's: a publication's data is `{"event": "App\\Events\\...", "data":
"<JSON string>"}`, so it is handed on as the same `pusher_codec.ChannelEvent` the normalizer
takes. The facts come from the official clients (centrifuge-js, centrifuge-python) and Kick's
web client:

- connect `{"id":1,"connect":{"token":T,"name":"js"}}` -> reply `connect` with `client`, `ping`
  (seconds between the server's pings), `pong` (whether it wants them answered), `expires`, `ttl`;
- the server pings with an empty frame `{}`; a connection with no frame for `ping` + a pong window
  is frozen (centrifuge-js calls the window maxServerPingDelay, 10 s);
- refresh `{"id":n,"refresh":{"token":T2}}` before `ttl` runs out; error 109 = token expired;
- disconnect codes (a `disconnect` push or the WebSocket close code): see `centrifugo_endings`.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from app.core.events import JSON_ERRORS
from app.kick.pusher_codec import ChannelEvent

CLIENT_NAME = "js"  # what Kick's web client says it is
ERROR_TOKEN_EXPIRED = 109
MAX_SECONDS = 7 * 24 * 3600.0  # a longer ping interval or ttl is taken as a week


class FrameError(ValueError):
    """A frame that is not a Centrifugo reply or push; the text says what is wrong with it."""


# -- encoding -----------------------------------------------------------------------------------


def _command(command_id: int, method: str, params: dict[str, Any]) -> str:
    return msgspec.json.encode({"id": command_id, method: params}).decode()


def encode_connect(command_id: int, token: str) -> str:
    params: dict[str, Any] = {"name": CLIENT_NAME}
    if token:
        params = {"token": token, "name": CLIENT_NAME}
    return _command(command_id, "connect", params)


def encode_subscribe(command_id: int, channel: str) -> str:
    return _command(command_id, "subscribe", {"channel": channel})


def encode_unsubscribe(command_id: int, channel: str) -> str:
    return _command(command_id, "unsubscribe", {"channel": channel})


def encode_refresh(command_id: int, token: str) -> str:
    return _command(command_id, "refresh", {"token": token})


PONG = "{}"


# -- decoding -----------------------------------------------------------------------------------


def split_frames(message: bytes | bytearray | memoryview | str) -> list[bytes]:
    """The JSON frames of one WebSocket message: one per line, blank lines skipped."""
    # (a str with a lone surrogate goes through as the bytes JSON decoding then refuses)
    raw = message.encode("utf-8", "surrogatepass") if isinstance(message, str) else bytes(message)
    return [line for line in raw.split(b"\n") if line.strip()]


def decode_frame(raw: bytes) -> dict[str, Any]:
    """One reply or push as an object. Raises FrameError, never anything else."""
    try:
        frame = msgspec.json.decode(raw)
    except JSON_ERRORS as exc:
        raise FrameError(f"frame is not JSON ({exc})") from None
    if not isinstance(frame, dict):
        raise FrameError(f"frame is {type(frame).__name__}, expected an object")
    return frame


def publication_event(channel: str, pub: Any) -> ChannelEvent:
    """A publication as the channel event the normalizer takes. Kick's data is an object
    `{"event", "data"}`; a JSON string of that object is accepted too."""
    if not isinstance(pub, dict):
        raise FrameError(f"publication is {type(pub).__name__}, expected an object")
    data = pub.get("data")
    if isinstance(data, str):
        try:
            data = msgspec.json.decode(data)
        except JSON_ERRORS as exc:
            raise FrameError(f"publication data is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise FrameError(f"publication data is {type(data).__name__}, expected an object")
    event = data.get("event")
    if not isinstance(event, str) or not event:
        raise FrameError("publication has no event name")
    return ChannelEvent(event, channel, data.get("data"))


def as_seconds(value: Any) -> float:
    """A duration in seconds from a number or a numeric string, at most `MAX_SECONDS`; 0 when
    absent, negative or odd (NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        seconds = float(value)
    except OverflowError:  # an int past any float
        seconds = math.inf if isinstance(value, int) and value > 0 else 0.0
    except ValueError:
        return 0.0
    if math.isnan(seconds):
        return 0.0
    return min(max(seconds, 0.0), MAX_SECONDS)


def as_text(value: Any) -> str:
    """A string field (a reason, a message, a client id); "" for anything else, which is
    never turned into text (a deeply nested list cannot be)."""
    return value if isinstance(value, str) else ""
