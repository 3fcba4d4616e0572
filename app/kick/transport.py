"""The socket driver: one Pusher WebSocket session, no policy.

It opens the socket, completes the handshake, subscribes to the channel's public channels, keeps
the connection alive and hands every user event to the supervisor's sink. How the session ended is
classified in one place, `classify_ending`; what happens next is the supervisor's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, EndingKind, SessionSink
from app.kick import pusher

log = logging.getLogger(__name__)

MAX_ACTIVITY_TIMEOUT = 120.0  # we ping after min(this, server's activity_timeout) of silence
PONG_TIMEOUT = 30.0  # then declare the connection dead if nothing arrives
MAX_FRAME_BYTES = 8 * 1024 * 1024  # Kick frames are small; a 1 MB one must still pass

EndpointProvider = Callable[[ChannelTarget, bool], Awaitable[str]]
"""(target, fresh) -> WebSocket URL; fresh=True asks for the app key to be discovered again."""

EventNormalizer = Callable[[pusher.ChannelEvent], StreamEvent | None]
"""Channel event -> StreamEvent, None when the event is not a user event or a duplicate; raises
ValueError for a malformed payload."""

NormalizerFactory = Callable[[ChannelTarget], EventNormalizer]


class _SessionEnd(Exception):
    """Raised inside a session to end it with a known reason."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.reason)
        self.ending = ending


def classify_ending(close_code: int | None, reason: str) -> Ending:
    """The one place that turns how a session ended into what kind of ending it was."""
    action = pusher.classify_close(close_code)
    if close_code == pusher.CLOSE_UNKNOWN_APP_KEY:
        return Ending(EndingKind.STALE_ENDPOINT, reason)
    if action is pusher.CloseAction.FATAL:
        return Ending(EndingKind.FATAL, reason)
    if action is pusher.CloseAction.RECONNECT_NOW:
        return Ending(EndingKind.RECONNECT_NOW, reason)
    return Ending(EndingKind.BACKOFF, reason)


@dataclass(frozen=True, slots=True)
class Timeouts:
    max_activity: float = MAX_ACTIVITY_TIMEOUT
    pong: float = PONG_TIMEOUT
    open: float = 10.0  # TCP + TLS + WebSocket upgrade, and again for connection_established


DEFAULT_TIMEOUTS = Timeouts()


class PusherConnector:
    """Implements the supervisor's `Connector` over `websockets`."""

    def __init__(
        self,
        endpoint: EndpointProvider,
        normalizer_factory: NormalizerFactory,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
    ) -> None:
        self._endpoint = endpoint
        self._normalizer_factory = normalizer_factory
        self._timeouts = timeouts

    async def run_session(
        self, target: ChannelTarget, sink: SessionSink, *, fresh_endpoint: bool
    ) -> Ending:
        url = await self._endpoint(target, fresh_endpoint)
        try:
            async with connect(
                url,
                open_timeout=self._timeouts.open,
                ping_interval=None,  # Pusher keeps alive with its own ping/pong frames
                close_timeout=2.0,
                max_size=MAX_FRAME_BYTES,
                max_queue=1024,
                user_agent_header=None,
            ) as ws:
                normalize = self._normalizer_factory(target)
                session = _Session(ws, target, sink, normalize, self._timeouts)
                return await session.run()
        except _SessionEnd as end:
            return end.ending
        except InvalidStatus as exc:
            code = exc.response.status_code
            return classify_ending(None, f"server refused the connection (HTTP {code})")
        except InvalidURI as exc:
            return Ending(EndingKind.FATAL, f"bad WebSocket URL: {exc}")
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            return classify_ending(None, _network_reason(exc))


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    text = str(exc) or type(exc).__name__
    return f"network error: {text}"


class _Session:
    def __init__(
        self,
        ws: ClientConnection,
        target: ChannelTarget,
        sink: SessionSink,
        normalize: EventNormalizer,
        timeouts: Timeouts,
    ) -> None:
        self._ws = ws
        self._target = target
        self._sink = sink
        self._normalize = normalize
        self._timeouts = timeouts
        self._chat_channel = pusher.chat_channel(target.chatroom_id)
        self._loop = asyncio.get_running_loop()
        self._last_frame_at = self._loop.time()
        self._dead_reason: str | None = None
        self._error_code: int | None = None  # from a pusher:error before the close

    async def run(self) -> Ending:
        activity_timeout = await self._handshake()
        for channel in pusher.public_channels(self._target.chatroom_id, self._target.channel_id):
            await self._ws.send(pusher.encode_subscribe(channel))
        watchdog = asyncio.create_task(self._watchdog(activity_timeout))
        try:
            async for raw in self._ws:
                self._last_frame_at = self._loop.time()
                self._handle(raw)
        except ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        return self._ending()

    async def _handshake(self) -> float:
        try:
            async with asyncio.timeout(self._timeouts.open):
                raw = await self._ws.recv()
        except TimeoutError:
            raise _SessionEnd(
                Ending(EndingKind.BACKOFF, "server sent no connection_established")
            ) from None
        except ConnectionClosed:
            raise _SessionEnd(self._ending()) from None
        try:
            message = pusher.decode_frame(raw)
        except pusher.FrameError as exc:
            raise _SessionEnd(Ending(EndingKind.BACKOFF, f"bad handshake: {exc}")) from None
        if isinstance(message, pusher.PusherError):
            self._error_code = message.code
            with contextlib.suppress(ConnectionClosed):
                await self._ws.recv()  # wait for the close that follows
            raise _SessionEnd(self._ending(message.message))
        if not isinstance(message, pusher.ConnectionEstablished):
            raise _SessionEnd(
                Ending(
                    EndingKind.BACKOFF,
                    f"bad handshake: expected connection_established, got {type(message).__name__}",
                )
            )
        server_timeout = message.activity_timeout or self._timeouts.max_activity
        return min(self._timeouts.max_activity, server_timeout)

    def _handle(self, raw: str | bytes) -> None:
        try:
            message = pusher.decode_frame(raw)
            if type(message) is pusher.ChannelEvent:
                event = self._normalize(message)
                if event is not None:
                    self._sink.event(event)
            else:
                self._handle_control(message)
        except ValueError as exc:  # FrameError, PayloadError: logged and skipped
            log.warning("skipped a malformed frame: %s", exc)

    def _handle_control(self, message: Any) -> None:
        if isinstance(message, pusher.Ping):
            self._send_soon(pusher.encode_pong())
        elif isinstance(message, pusher.SubscriptionSucceeded):
            if message.channel == self._chat_channel:
                self._sink.subscribed()
        elif isinstance(message, pusher.PusherError):
            log.warning("pusher error %s: %s", message.code, message.message)
            if message.code is not None:
                self._error_code = message.code
        elif isinstance(message, pusher.SubscriptionError):
            log.warning("subscription to %s refused: %s", message.channel, message.message)
            if message.channel == self._chat_channel:
                self._dead_reason = f"chat subscription refused: {message.message}"
                self._ws.transport.abort()

    def _send_soon(self, frame: str) -> None:
        task = self._loop.create_task(self._ws.send(frame))
        task.add_done_callback(_ignore_closed)

    async def _watchdog(self, activity_timeout: float) -> None:
        """Ping after `activity_timeout` of silence; no frame `pong_timeout` later = half-open."""
        while True:
            idle_until = self._last_frame_at + activity_timeout
            if self._loop.time() < idle_until:
                await asyncio.sleep(idle_until - self._loop.time())
                continue
            pinged_at = self._loop.time()
            await self._ws.send(pusher.encode_ping())
            await asyncio.sleep(self._timeouts.pong)
            if self._last_frame_at < pinged_at:
                self._dead_reason = (
                    f"no answer to ping in {self._timeouts.pong:g} s: connection dead"
                )
                self._ws.transport.abort()  # half-open: a close handshake would hang
                return

    def _ending(self, fallback: str = "") -> Ending:
        if self._dead_reason is not None:
            return Ending(EndingKind.BACKOFF, self._dead_reason)
        rcvd = self._ws.protocol.close_rcvd
        code = rcvd.code if rcvd is not None else None
        if code is None or code == 1006:
            code = self._error_code if self._error_code is not None else code
        if code is None or code == 1006:
            return classify_ending(None, fallback or "connection lost")
        reason = pusher.describe_close(code)
        if rcvd is not None and rcvd.reason and code == rcvd.code:
            reason += f": {rcvd.reason}"
        return classify_ending(code, reason)


def _ignore_closed(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("send failed: %s", task.exception())
