"""The socket driver: one WebSocket session of either protocol, no policy.

It opens the socket (`websocket_connect`) and moves messages, timer ticks and tokens between it
and a socket-free session (`pusher_session.PusherSession`, or `realtime`'s wrapping of
`centrifugo_session.CentrifugoSession`: handshake, subscriptions, keep-alive, the silence
watchdog and the verdict live there; see `Session`), and hands every user event to the
supervisor's sink. How a session ended is classified in one place per protocol
(`pusher_endings.classify_ending`, `centrifugo_endings.classify_disconnect`), and the socket's
own failures by `network_errors.describe_network_error`; what happens next is the supervisor's
business. Every ending says why twice: a plain sentence for the user (`Ending.reason`, one per
kind of failure, chosen from the exception's type by `describe_network_error`, or from the close
code) and the technical detail behind it (`Ending.detail`: the exception's text, the close code).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from websockets.typing import BytesLike

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, SessionSink
from app.core.watchdog import SilenceWatchdog
from app.kick.network_errors import FRAME_TOO_LARGE, describe_network_error
from app.kick.pusher_codec import ChannelEvent
from app.kick.pusher_endings import LOST, classify_ending
from app.kick.websocket_connect import Timeouts, connect_link
from app.kick.websocket_link import MAX_FRAME_BYTES, WebSocketLink

log = logging.getLogger(__name__)

EventNormalizer = Callable[[ChannelEvent], StreamEvent | None]
"""Channel event -> StreamEvent, None when the event is not a user event or a duplicate; raises
ValueError for a malformed payload."""

NormalizerFactory = Callable[[ChannelTarget], EventNormalizer]


def silence_watchdog(limit: float, sink: SessionSink) -> SilenceWatchdog | None:
    """The silence watchdog for a session, when it is on and the sink says whether the channel
    is live (a bare sink, in tests, does not)."""
    if limit > 0 and hasattr(sink, "live"):
        return SilenceWatchdog(limit, asyncio.get_running_loop().time())
    return None


class Session(Protocol):
    """A sans-I/O session of either protocol, as the driver sees it."""

    changed: bool  # something other than a channel event happened: flush, plan the timer again
    frozen: bool  # the server stopped answering: drop the socket, no close handshake

    @property
    def ending(self) -> Ending | None:
        """How the session ended, once it has."""

    @property
    def subscribed(self) -> bool:
        """The chat channel's subscription succeeded (Connected)."""

    @property
    def refresh_wanted(self) -> bool:
        """A fresh token is needed (Centrifugo): the driver fetches one and calls `refresh`."""

    @property
    def watchdog(self) -> SilenceWatchdog | None:
        """The silence watchdog the session consults in `tick`; the driver feeds it each user
        event (`SilenceWatchdog.event`), which only the driver sees."""

    def start(self, now: float) -> None: ...
    def receive(
        self, message: bytes | bytearray | memoryview | str, now: float
    ) -> Sequence[ChannelEvent]: ...
    def tick(self, now: float, live: bool = False) -> None: ...
    def next_deadline(self) -> float | None: ...
    def refresh(self, token: str | None, now: float) -> None: ...
    def closed(self, code: int | None, reason: str, cause: Ending | None = None) -> Ending: ...
    def take_outgoing(self) -> list[str]: ...


TokenSource = Callable[[], Awaitable[str | None]]
"""A fresh token for a session that asks for one (`refresh_wanted`); None when none could be had."""


async def drive_session(
    url: str,
    session: Session,
    sink: SessionSink,
    normalize: EventNormalizer,
    timeouts: Timeouts,
    tls: ssl.SSLContext | None,
    token: TokenSource | None = None,
) -> Ending:
    """Opens the socket and runs `session` over it to its end. Cancellation means the user
    disconnected."""
    drive = _Drive(session, sink, normalize, token)
    link = await connect_link(url, drive.on_message, timeouts, tls)
    if isinstance(link, Ending):
        return link
    try:
        return await drive.run(link)
    finally:
        drive.stop()
        await link.close()  # also when the user disconnected (cancellation)


class _Drive:
    """Moves messages, timer ticks and tokens between one `WebSocketLink` and one session."""

    def __init__(
        self,
        session: Session,
        sink: SessionSink,
        normalize: EventNormalizer,
        token: TokenSource | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._session = session
        self._sink = sink
        self._normalize = normalize
        self._token = token
        watchdog = session.watchdog
        self._feed = watchdog.event if watchdog is not None else None
        self._wake = asyncio.Event()
        self._confirmed = False
        self._link: WebSocketLink | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def on_message(self, raw: BytesLike) -> None:
        link = self._link  # (None for a message that came with the upgrade's answer)
        now = link.last_read_at if link is not None else self._loop.time()  # this read's time
        session = self._session
        for message in session.receive(raw, now):
            try:
                event = self._normalize(message)
            except ValueError as exc:  # PayloadError: logged and skipped
                log.warning("skipped a malformed event: %s", exc)
                continue
            if event is not None:
                if self._feed is not None:
                    self._feed(now)  # the channel is not silent
                self._sink.event(event)
        if session.changed:  # rare: a control frame, an ending
            session.changed = False
            if session.subscribed and not self._confirmed:
                self._confirmed = True  # once: a resubscription is not a new connection
                self._sink.subscribed()
            self._flush()
            self._wake.set()  # the timers may have moved earlier, or the session is over

    async def run(self, link: WebSocketLink) -> Ending:
        self._link = link
        session = self._session
        session.start(self._loop.time())
        session.changed = False
        if session.subscribed and not self._confirmed:  # (everything came with the upgrade)
            self._confirmed = True
            self._sink.subscribed()
        self._flush()
        while not link.lost.done() and session.ending is None:
            now = self._loop.time()
            session.tick(now, getattr(self._sink, "live", False) is True)
            if session.refresh_wanted and self._refreshing is None and self._token is not None:
                self._refreshing = self._loop.create_task(self._refresh(self._token))
            self._flush()
            if session.ending is not None:
                break
            await self._sleep(now)
        if session.ending is not None:
            if session.frozen:
                link.abort()  # a close handshake would hang
            return session.ending
        return self._closed(link)

    def stop(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()

    async def _sleep(self, now: float) -> None:
        """Until the next timer, a message that may have moved it earlier, or the link's loss."""
        deadline = self._session.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - now)
        self._wake.clear()
        self._session.changed = False
        waiter = self._loop.create_task(self._wake.wait())
        assert self._link is not None
        try:
            await asyncio.wait(
                (self._link.lost, waiter), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()

    async def _refresh(self, token: TokenSource) -> None:
        try:
            fresh = await token()
        finally:
            self._refreshing = None
        self._session.refresh(fresh, self._loop.time())
        self._flush()
        self._wake.set()

    def _flush(self) -> None:
        if self._link is not None:
            for text in self._session.take_outgoing():
                self._link.send_text(text)

    def _closed(self, link: WebSocketLink) -> Ending:
        """The socket closed before the session decided an ending: the session's verdict, from
        the close frame, or from what the socket knows."""
        sent = link.ws.close_sent
        if sent is not None and sent.code == 1009:  # we refused a frame over MAX_FRAME_BYTES
            detail = f"a frame over the {MAX_FRAME_BYTES:,}-byte limit (close 1009)"
            return self._session.closed(None, "", classify_ending(None, FRAME_TOO_LARGE, detail))
        rcvd = link.ws.close_rcvd
        if link.lost_exc is not None:
            cause = classify_ending(None, *describe_network_error(link.lost_exc))
        else:
            cause = classify_ending(None, LOST, "closed without a close frame")
        if rcvd is None:
            return self._session.closed(None, "", cause)
        return self._session.closed(rcvd.code, rcvd.reason, cause)
