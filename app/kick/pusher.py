"""Sans-I/O Pusher protocol 7: the codec (text in, typed message out) and `PusherSession`, the
client side of one connection as a state machine; no sockets here.

Frames are JSON objects `{"event", "channel"?, "data"?}`. For channel events `data` is itself a
JSON string (decoded by the normalizer, not here); some servers send `data` as an object for
`pusher:*` events, or leave it out. All three are accepted.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from app.core.events import JSON_ERRORS
from app.core.supervisor import Ending, EndingKind
from app.core.watchdog import SILENT_REASON, SilenceAction, SilenceWatchdog, silent_detail

log = logging.getLogger(__name__)


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


# -- endings ------------------------------------------------------------------------------------

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


# -- the session --------------------------------------------------------------------------------

MAX_ACTIVITY_TIMEOUT = 120.0  # we ping after min(this, server's activity_timeout) of silence
PONG_TIMEOUT = 30.0  # then declare the connection dead if nothing arrives
HANDSHAKE_TIMEOUT = 10.0  # for connection_established
ERROR_CLOSE_TIMEOUT = 2.0  # after a pusher:error in the handshake, for the close that follows

_NOTHING: tuple[ChannelEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionTimeouts:
    handshake: float = HANDSHAKE_TIMEOUT
    max_activity: float = MAX_ACTIVITY_TIMEOUT
    pong: float = PONG_TIMEOUT
    error_close: float = ERROR_CLOSE_TIMEOUT


class PusherSession:
    """One Pusher connection's protocol state, socket-free: handshake, subscriptions,
    keep-alive, the silence watchdog and the verdict on how the connection ended.

    Driven from outside like `centrifugo.CentrifugoSession`: `start(now)` once the socket is
    open, `receive(message, now)` for each WebSocket text message (it returns the channel events
    it carried), `tick(now, live)` at `next_deadline()`, `closed(code, reason, cause)` when the
    socket closed; the silence watchdog (`watchdog`, consulted in `tick`) is fed by whoever sees
    a channel event become a user event, with `watchdog.event(now)`. What to send accumulates
    in `outgoing`; `ending` is how the session ended, once it has; `changed` says something
    other than a channel event happened (the driver then flushes `outgoing` and plans its timer
    again, and clears it); `frozen` says the server stopped answering (drop the socket: a close
    handshake would hang).
    """

    refresh_wanted = False  # Pusher's public channels need no token

    def __init__(
        self,
        channels: Sequence[str],
        confirm_channel: str,
        timeouts: SessionTimeouts | None = None,
        watchdog: SilenceWatchdog | None = None,
    ) -> None:
        self.outgoing: list[str] = []
        self.ending: Ending | None = None
        self.changed = False
        self.frozen = False
        self.subscribed = False  # the confirm channel's subscription succeeded (once)
        self.socket_id = ""
        self.watchdog = watchdog
        self._channels = tuple(channels)
        self._confirm_channel = confirm_channel
        self._timeouts = timeouts or SessionTimeouts()
        self._established = False
        self._deadline: float | None = None  # before connection_established: give up then
        self._activity = self._timeouts.max_activity
        self._last_frame_at = 0.0
        self._pinged_at: float | None = None
        self._now = 0.0
        self._error_code: int | None = None  # from a pusher:error; its close follows
        self._error_message = ""

    # -- driven by the socket driver --------------------------------------------------------

    def start(self, now: float) -> None:
        """The socket is open (connection_established may have come with the upgrade already)."""
        self._now = now
        self._last_frame_at = max(self._last_frame_at, now)
        if not self._established and self._deadline is None and self.ending is None:
            self._deadline = now + self._timeouts.handshake

    def receive(
        self, message: bytes | bytearray | memoryview | str, now: float
    ) -> Sequence[ChannelEvent]:
        """Handles one WebSocket message (one Pusher frame); returns the channel event it
        carried, if any. A malformed frame is logged and skipped (in the handshake it ends the
        session); frames after an ending are ignored."""
        self._last_frame_at = now
        if self.ending is not None:
            return _NOTHING
        try:
            frame = decode_frame(message)
        except FrameError as exc:
            if not self._established:
                self._end(Ending(EndingKind.BACKOFF, ODD_ANSWER, f"bad handshake: {exc}"))
            else:
                log.warning("skipped a malformed frame: %s", exc)
            return _NOTHING
        if type(frame) is ChannelEvent and self._established:  # the hot path
            return (frame,)
        self.changed = True
        self._now = now
        self._control(frame, now)
        return _NOTHING

    def tick(self, now: float, live: bool = False) -> None:
        """Timers: the handshake, the keep-alive ping and its answer, the silence watchdog."""
        self._now = now
        if self.ending is not None:
            return
        if not self._established:
            if self._deadline is not None and now >= self._deadline:
                if self._error_code is not None or self._error_message:
                    self._end(self._verdict(None, "", None))  # the close never came
                else:
                    detail = f"no connection_established within {self._timeouts.handshake:g} s"
                    self._end(Ending(EndingKind.BACKOFF, NO_ANSWER, detail))
            return
        watchdog = self.watchdog
        if watchdog is not None and self.subscribed:
            action = watchdog.check(now, live)
            if action is SilenceAction.RESUBSCRIBE:
                log.warning("no channel event for %g s while live: resubscribing", watchdog.limit)
                self.resubscribe()
            elif action is SilenceAction.RECONNECT:
                self._end(
                    Ending(EndingKind.RECONNECT_NOW, SILENT_REASON, silent_detail(watchdog.limit))
                )
                return
        if self._pinged_at is not None and self._last_frame_at >= self._pinged_at:
            self._pinged_at = None  # answered (any frame will do)
        if self._pinged_at is None:
            if now >= self._last_frame_at + self._activity:
                self._pinged_at = now
                self.outgoing.append(encode_ping())
        elif now >= self._pinged_at + self._timeouts.pong:
            self.frozen = True
            detail = f"no answer to ping in {self._timeouts.pong:g} s: connection dead"
            self._end(Ending(EndingKind.BACKOFF, WENT_SILENT, detail))

    def next_deadline(self) -> float | None:
        """When `tick` next has something to check; None: nothing timed is pending."""
        if self.ending is not None:
            return None
        if not self._established:
            return self._deadline
        if self._pinged_at is not None and self._last_frame_at < self._pinged_at:
            deadline = self._pinged_at + self._timeouts.pong
        else:
            deadline = self._last_frame_at + self._activity
        if self.watchdog is not None:  # (also before the confirmation: it does not wake us)
            deadline = min(deadline, self.watchdog.next_check(self._now))
        return deadline

    def resubscribe(self) -> None:
        """Unsubscribe and subscribe again on the same connection (the silence watchdog)."""
        if self.ending is not None or not self._established:
            return
        for channel in self._channels:
            self.outgoing.append(encode_unsubscribe(channel))
            self.outgoing.append(encode_subscribe(channel))

    def refresh(self, token: str | None, now: float) -> None:
        """Nothing to refresh: `refresh_wanted` is never set."""

    def closed(self, code: int | None, reason: str, cause: Ending | None = None) -> Ending:
        """The WebSocket closed, with `code` and `reason` from the server's close frame (None
        and "" without one); `cause` is what the socket knows of a loss without a close frame
        (a reset, say). An ending decided earlier (a dead connection, a refusal) stands."""
        if self.ending is None:
            self._end(self._verdict(code, reason, cause))
        assert self.ending is not None
        return self.ending

    def take_outgoing(self) -> list[str]:
        out, self.outgoing = self.outgoing, []
        return out

    # -- internals ----------------------------------------------------------------------------

    def _end(self, ending: Ending) -> None:
        if self.ending is None:
            self.ending = ending
            self.changed = True

    def _control(self, frame: ServerMessage, now: float) -> None:
        if not self._established:
            self._handshake(frame, now)
        elif type(frame) is Ping:
            self.outgoing.append(encode_pong())
        elif type(frame) is SubscriptionSucceeded:
            if frame.channel == self._confirm_channel:
                self.subscribed = True  # a resubscription (the watchdog's) changes nothing
        elif type(frame) is PusherError:
            if frame.code is None:  # not fatal: the connection stays, and only this says so
                log.warning("pusher error without a code: %s", frame.message)
            else:  # the close that follows ends the session, and its reason says this
                log.debug("pusher error %s: %s", frame.code, frame.message)
                self._error_code = frame.code
                self._error_message = frame.message
        elif type(frame) is SubscriptionError:
            if frame.channel == self._confirm_channel:
                detail = f"subscription to {frame.channel} refused: {frame.message}"
                self._end(Ending(EndingKind.BACKOFF, SUBSCRIPTION_REFUSED, detail))
            else:
                log.warning("subscription to %s refused: %s", frame.channel, frame.message)

    def _handshake(self, frame: ServerMessage, now: float) -> None:
        if self._error_code is not None or self._error_message:
            return  # a pusher:error came first: waiting for its close
        if type(frame) is ConnectionEstablished:
            self._established = True
            self._deadline = None
            self.socket_id = frame.socket_id
            server_timeout = frame.activity_timeout or self._timeouts.max_activity
            self._activity = min(self._timeouts.max_activity, server_timeout)
            for channel in self._channels:
                self.outgoing.append(encode_subscribe(channel))
        elif type(frame) is PusherError:  # its close follows; wait for it, a little
            self._error_code = frame.code
            self._error_message = frame.message
            self._deadline = now + self._timeouts.error_close
        else:
            kind = type(frame).__name__
            detail = f"bad handshake: expected connection_established, got {kind}"
            self._end(Ending(EndingKind.BACKOFF, ODD_ANSWER, detail))

    def _verdict(self, code: int | None, reason: str, cause: Ending | None) -> Ending:
        close_code = code
        if code is None or code == 1006:
            code = self._error_code if self._error_code is not None else code
        if code is None or code == 1006:
            if self._error_message:  # a pusher:error without a code, then the connection went
                return classify_ending(None, SERVER_ERROR, self._error_message)
            if cause is not None:
                return cause
            return classify_ending(None, LOST, "closed without a close frame")
        detail = describe_close(code)
        if reason and code == close_code:
            detail += f": {reason}"
        elif code == self._error_code and self._error_message:
            detail += f": {self._error_message}"
        return server_closed(code, detail)
