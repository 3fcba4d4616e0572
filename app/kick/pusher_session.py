"""Sans-I/O Pusher protocol 7, the session: `PusherSession`, the client side of one connection
as a state machine (handshake, subscriptions, keep-alive, the silence watchdog, the verdict on
how it ended); no sockets here. Frames are decoded by `pusher_codec`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.supervisor import Ending, EndingKind
from app.core.watchdog import SILENT_REASON, SilenceAction, SilenceWatchdog, silent_detail
from app.kick.pusher_codec import (
    ChannelEvent,
    ConnectionEstablished,
    FrameError,
    Ping,
    PusherError,
    ServerMessage,
    SubscriptionError,
    SubscriptionSucceeded,
    decode_frame,
    encode_ping,
    encode_pong,
    encode_subscribe,
    encode_unsubscribe,
)
from app.kick.pusher_endings import (
    LOST,
    NO_ANSWER,
    ODD_ANSWER,
    SERVER_ERROR,
    SUBSCRIPTION_REFUSED,
    WENT_SILENT,
    classify_ending,
    describe_close,
    server_closed,
)

log = logging.getLogger(__name__)

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

    Driven from outside like `CentrifugoSession`: `start(now)` once the socket is
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
