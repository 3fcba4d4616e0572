"""Sans-I/O Centrifugo client protocol, the session: `CentrifugoSession`, the whole client side
of one connection as a state machine, no sockets (frames are `centrifugo_codec`'s).

It is driven from outside: `start(now)`, `receive(message, now)` for each WebSocket text message
(several JSON frames may share one, separated by `\\n`), `tick(now)` at `next_deadline()`, and
`refresh(token, now)` once the driver has fetched the fresh token `refresh_wanted` asks for.
What to send accumulates in `outgoing` (the driver takes it with `take_outgoing()`); how the
session ended, once it has, is `ending`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.supervisor import Ending, EndingKind
from app.kick.centrifugo_codec import (
    ERROR_TOKEN_EXPIRED,
    PONG,
    FrameError,
    as_seconds,
    as_text,
    decode_frame,
    encode_connect,
    encode_refresh,
    encode_subscribe,
    encode_unsubscribe,
    publication_event,
    split_frames,
)
from app.kick.centrifugo_endings import (
    NO_ANSWER,
    REFUSED_TOKEN,
    SERVER_ERROR,
    SUBSCRIPTION_REFUSED,
    TOKEN_EXPIRED,
    WENT_SILENT,
    disconnect_ending,
)
from app.kick.coerce import as_int

log = logging.getLogger(__name__)

PONG_WINDOW = 10.0  # seconds past the announced ping interval before the server counts as frozen
REFRESH_MARGIN = 0.1  # refresh when this share of the ttl is left (at least 5 s, at most 60 s)
REFRESH_RETRY = 5.0  # seconds before asking again after a failed token fetch or refresh
CONNECT_TIMEOUT = 10.0  # seconds for the connect reply

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
            reason = as_text(disconnect.get("reason"))
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
        self.client_id = as_text(body.get("client"))
        self._ping_interval = as_seconds(body.get("ping"))
        self._send_pong = body.get("pong") is True
        self._schedule_refresh(body, now)
        for channel in self._channels:
            self._send("subscribe", encode_subscribe, channel, channel=channel)

    def _schedule_refresh(self, body: Any, now: float) -> None:
        if not isinstance(body, dict) or not body.get("expires"):
            return
        ttl = as_seconds(body.get("ttl"))
        margin = min(60.0, max(5.0, ttl * REFRESH_MARGIN))
        due = now + max(0.0, ttl - margin)
        if self._last_refresh_sent is not None:
            # A server that keeps answering with a tiny ttl must not make us fetch tokens back
            # to back: one refresh per `refresh_retry` at most (the server ends an expired one).
            due = max(due, self._last_refresh_sent + self._timeouts.refresh_retry)
        self._refresh_at = due

    def _error(self, method: str, channel: str, error: dict[str, Any], now: float) -> None:
        code = as_int(error.get("code"))
        message = as_text(error.get("message"))
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
