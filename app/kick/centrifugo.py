"""Sans-I/O Centrifugo client protocol (JSON) as Kick serves it: codec and session, no sockets.

Kick's web client moved its chat to Centrifugo in autumn 2026 (design.md §3). The channel names
and the payloads are Pusher's: a publication's data is `{"event": "App\\Events\\...", "data":
"<JSON string>"}`, so it is handed on as the same `pusher.ChannelEvent` the normalizer takes.

`CentrifugoSession` is the whole client side of one connection as a state machine driven from
outside: `start(now)`, `receive(message, now)` for each WebSocket text message (several JSON
frames may share one, separated by `\\n`), `tick(now)` at `next_deadline()`, and
`refresh(token, now)` once the driver has fetched the fresh token `refresh_wanted` asks for.
What to send accumulates in `outgoing` (the driver takes it with `take_outgoing()`); how the
session ended, once it has, is `ending`. The facts come from the official clients
(centrifuge-js, centrifuge-python) and Kick's web client:

- connect `{"id":1,"connect":{"token":T,"name":"js"}}` -> reply `connect` with `client`, `ping`
  (seconds between the server's pings), `pong` (whether it wants them answered), `expires`, `ttl`;
- the server pings with an empty frame `{}`; a connection with no frame for `ping` + a pong window
  is frozen (centrifuge-js calls the window maxServerPingDelay, 10 s);
- refresh `{"id":n,"refresh":{"token":T2}}` before `ttl` runs out; error 109 = token expired;
- disconnect codes (a `disconnect` push or the WebSocket close code) 3000-3499 and 4000-4499:
  reconnect; 3500-3999 and 4500-4999: do not reconnect as is.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from app.core.events import JSON_ERRORS
from app.core.supervisor import Ending, EndingKind
from app.kick.coerce import as_int
from app.kick.pusher import ChannelEvent

log = logging.getLogger(__name__)

CLIENT_NAME = "js"  # what Kick's web client says it is
ERROR_TOKEN_EXPIRED = 109
PONG_WINDOW = 10.0  # seconds past the announced ping interval before the server counts as frozen
REFRESH_MARGIN = 0.1  # refresh when this share of the ttl is left (at least 5 s, at most 60 s)
REFRESH_RETRY = 5.0  # seconds before asking again after a failed token fetch or refresh
CONNECT_TIMEOUT = 10.0  # seconds for the connect reply
MAX_SECONDS = 7 * 24 * 3600.0  # a longer ping interval or ttl is taken as a week

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


class FrameError(ValueError):
    """A frame that is not a Centrifugo reply or push; the text says what is wrong with it."""


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


def _seconds(value: Any) -> float:
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


def _text(value: Any) -> str:
    """A string field (a reason, a message, a client id); "" for anything else, which is
    never turned into text (a deeply nested list cannot be)."""
    return value if isinstance(value, str) else ""


# -- the session --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionTimeouts:
    connect: float = CONNECT_TIMEOUT  # for the connect reply
    pong_window: float = PONG_WINDOW  # past the announced ping interval
    refresh_retry: float = REFRESH_RETRY


class CentrifugoSession:
    """One Centrifugo connection's protocol state, socket-free (see the module's docstring)."""

    def __init__(
        self,
        token: str,
        channels: Sequence[str],
        confirm_channel: str,
        timeouts: SessionTimeouts | None = None,
    ) -> None:
        self.outgoing: list[str] = []
        self.ending: Ending | None = None
        self.client_id = ""
        self.subscribed = False  # the confirm channel's subscription succeeded
        self.refresh_wanted = False  # a fresh token is needed: the driver fetches one
        self._token = token
        self._channels = tuple(channels)
        self._confirm_channel = confirm_channel
        self._timeouts = timeouts or SessionTimeouts()
        self._next_id = 1
        self._pending: dict[int, tuple[str, str]] = {}  # command id -> (method, channel)
        self._connected = False
        self._connect_deadline: float | None = None
        self._ping_interval = 0.0
        self._send_pong = False
        self._last_frame_at = 0.0
        self._refresh_at: float | None = None
        self._last_refresh_sent: float | None = None

    # -- driven by the socket driver --------------------------------------------------------

    def start(self, now: float) -> None:
        """The socket is open: send connect."""
        self._connect_deadline = now + self._timeouts.connect
        self._last_frame_at = now
        self._send("connect", encode_connect, self._token)

    def receive(self, message: bytes | bytearray | memoryview | str, now: float) -> list[Any]:
        """Handles one WebSocket message; returns the channel events it carried, in order.
        A malformed frame is logged and skipped; frames after an ending are ignored."""
        self._last_frame_at = now
        events: list[Any] = []
        for raw in split_frames(message):
            if self.ending is not None:
                break
            try:
                frame = decode_frame(raw)
                event = self._frame(frame, now)
            except FrameError as exc:
                log.warning("skipped a malformed Centrifugo frame: %s", exc)
                continue
            if event is not None:
                events.append(event)
        return events

    def tick(self, now: float) -> None:
        """Timers: the connect reply, the server's pings, the token refresh."""
        if self.ending is not None:
            return
        if not self._connected:
            if self._connect_deadline is not None and now >= self._connect_deadline:
                self._end(
                    Ending(
                        EndingKind.BACKOFF,
                        NO_ANSWER,
                        f"no connect reply within {self._timeouts.connect:g} s",
                    )
                )
            return
        if self._ping_interval > 0:
            limit = self._ping_interval + self._timeouts.pong_window
            if now - self._last_frame_at >= limit:
                self._end(
                    Ending(
                        EndingKind.BACKOFF,
                        WENT_SILENT,
                        f"no ping from the server in {limit:g} s: connection frozen",
                    )
                )
                return
        if self._refresh_at is not None and now >= self._refresh_at:
            self._refresh_at = None
            self.refresh_wanted = True

    def next_deadline(self) -> float | None:
        """When `tick` next has something to check; None: nothing timed is pending."""
        if self.ending is not None:
            return None
        if not self._connected:
            return self._connect_deadline
        deadlines = [d for d in (self._refresh_at,) if d is not None]
        if self._ping_interval > 0:
            deadlines.append(self._last_frame_at + self._ping_interval + self._timeouts.pong_window)
        return min(deadlines) if deadlines else None

    def refresh(self, token: str | None, now: float) -> None:
        """The driver's answer to `refresh_wanted`: a fresh token, or None if it could not get
        one (asked again a little later; the server ends the connection if time runs out)."""
        self.refresh_wanted = False
        if self.ending is not None:
            return
        if token is None:
            self._refresh_at = now + self._timeouts.refresh_retry
            return
        self._token = token
        self._last_refresh_sent = now
        self._send("refresh", encode_refresh, token)

    def resubscribe(self) -> None:
        """Unsubscribe and subscribe again on the same connection (the silence watchdog)."""
        if self.ending is not None or not self._connected:
            return
        for channel in self._channels:
            self.outgoing.append(encode_unsubscribe(self._take_id(), channel))
            self._send("subscribe", encode_subscribe, channel, channel=channel)

    def closed(self, code: int | None, reason: str) -> Ending:
        """The WebSocket closed (with `code` from the close frame, None without one): how the
        session ended. An ending decided earlier (a disconnect push, a frozen server) stands."""
        if self.ending is None:
            self._end(disconnect_ending(code, reason))
        assert self.ending is not None
        return self.ending

    def take_outgoing(self) -> list[str]:
        out, self.outgoing = self.outgoing, []
        return out

    # -- internals ----------------------------------------------------------------------------

    def _take_id(self) -> int:
        command_id = self._next_id
        self._next_id += 1
        return command_id

    def _send(self, method: str, encode: Any, argument: str, *, channel: str = "") -> None:
        command_id = self._take_id()
        self._pending[command_id] = (method, channel)
        self.outgoing.append(encode(command_id, argument))

    def _end(self, ending: Ending) -> None:
        if self.ending is None:
            self.ending = ending
            self.refresh_wanted = False

    def _frame(self, frame: dict[str, Any], now: float) -> Any:
        command_id = as_int(frame.get("id"))
        if command_id:
            self._reply(command_id, frame, now)
            return None
        push = frame.get("push")
        if push is None:
            if not frame:  # {}: the server's ping
                if self._send_pong:
                    self.outgoing.append(PONG)
                return None
            raise FrameError(f"neither a reply nor a push: keys {sorted(frame)[:5]}")
        if not isinstance(push, dict):
            raise FrameError(f"push is {type(push).__name__}, expected an object")
        channel = push.get("channel")
        channel = channel if isinstance(channel, str) else ""
        if "pub" in push:
            return publication_event(channel, push["pub"])
        disconnect = push.get("disconnect")
        if isinstance(disconnect, dict):
            code = as_int(disconnect.get("code"))
            reason = _text(disconnect.get("reason"))
            self._end(disconnect_ending(code, reason))
        elif "unsubscribe" in push and channel == self._confirm_channel:
            self.subscribed = False
            log.warning("the server unsubscribed us from %s", channel)
        # join / leave / message / subscribe pushes: nothing the chat needs
        return None

    def _reply(self, command_id: int, frame: dict[str, Any], now: float) -> None:
        method, channel = self._pending.pop(command_id, ("", ""))
        error = frame.get("error")
        if isinstance(error, dict):
            self._error(method, channel, error, now)
            return
        if method == "connect":
            self._on_connected(frame.get("connect"), now)
        elif method == "subscribe" and channel == self._confirm_channel:
            self.subscribed = True
        elif method == "refresh":
            self._schedule_refresh(frame.get("refresh"), now)

    def _on_connected(self, body: Any, now: float) -> None:
        if not isinstance(body, dict):
            raise FrameError("connect reply without a connect object")
        self._connected = True
        self._connect_deadline = None
        self.client_id = _text(body.get("client"))
        self._ping_interval = _seconds(body.get("ping"))
        self._send_pong = body.get("pong") is True
        self._schedule_refresh(body, now)
        for channel in self._channels:
            self._send("subscribe", encode_subscribe, channel, channel=channel)

    def _schedule_refresh(self, body: Any, now: float) -> None:
        if not isinstance(body, dict) or not body.get("expires"):
            return
        ttl = _seconds(body.get("ttl"))
        margin = min(60.0, max(5.0, ttl * REFRESH_MARGIN))
        due = now + max(0.0, ttl - margin)
        if self._last_refresh_sent is not None:
            # A server that keeps answering with a tiny ttl must not make us fetch tokens back
            # to back: one refresh per `refresh_retry` at most (the server ends an expired one).
            due = max(due, self._last_refresh_sent + self._timeouts.refresh_retry)
        self._refresh_at = due

    def _error(self, method: str, channel: str, error: dict[str, Any], now: float) -> None:
        code = as_int(error.get("code"))
        message = _text(error.get("message"))
        detail = f"{method or 'command'} error {code}: {message}".rstrip(": ")
        if method == "connect":
            if code == ERROR_TOKEN_EXPIRED:
                # A fresh token at once: the supervisor's one immediate fresh attempt.
                self._end(Ending(EndingKind.STALE_ENDPOINT, TOKEN_EXPIRED, detail))
            elif error.get("temporary") is True:
                self._end(Ending(EndingKind.BACKOFF, SERVER_ERROR, detail))
            else:
                self._end(Ending(EndingKind.STALE_ENDPOINT, REFUSED_TOKEN, detail))
        elif method == "refresh":
            log.warning("token refresh refused (%s); asking for a new token", detail)
            self._refresh_at = now + self._timeouts.refresh_retry
        elif method == "subscribe" and channel == self._confirm_channel:
            self._end(Ending(EndingKind.BACKOFF, SUBSCRIPTION_REFUSED, f"{channel}: {detail}"))
        else:
            log.warning("Centrifugo %s (%s)", detail, channel or "no channel")
