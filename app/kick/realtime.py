"""Which realtime provider each connection attempt uses, and the Centrifugo socket driver.

Kick's web client asks, on every connection, which provider to use (design.md §3, issue 14): the
answer offers Pusher (an app key and cluster) and/or Centrifugo (a WebSocket URL, and a token from
a second endpoint). `RealtimeConnector` is the supervisor's `Connector`: per attempt it
negotiates, picks a provider (the user's setting first, then what Kick offered: Centrifugo when
offered, else Pusher; the long-known Pusher key only when negotiation failed), and runs one
session of that protocol. Both protocols end the same way, in an `Ending`; the supervisor alone
decides what comes next.

The Centrifugo driver here is thin: the protocol is `centrifugo.CentrifugoSession` (sans-I/O), the
socket is the same `_Link` the Pusher side uses; this only moves messages and timer ticks between
them, fetches tokens, and runs the silence watchdog.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

from websockets.typing import BytesLike

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, EndingKind, ProviderSink, SessionSink
from app.core.watchdog import (
    DEFAULT_SILENCE_LIMIT,
    SILENT_REASON,
    SilenceAction,
    SilenceWatchdog,
    silent_detail,
)
from app.kick import pusher
from app.kick.api import KickApi, Negotiation, TokenFailed
from app.kick.centrifugo import WENT_SILENT, CentrifugoSession, SessionTimeouts
from app.kick.transport import (
    DEFAULT_TIMEOUTS,
    LOST,
    EventNormalizer,
    NormalizerFactory,
    PusherConnector,
    Timeouts,
    _Link,
    connect_link,
    describe_network_error,
)

log = logging.getLogger(__name__)

AUTO: Final = "auto"
PUSHER: Final = "pusher"
CENTRIFUGO: Final = "centrifugo"
PROVIDERS: Final = (AUTO, PUSHER, CENTRIFUGO)
PROVIDER_NAMES: Final = {PUSHER: "Pusher", CENTRIFUGO: "Centrifugo"}
# Only when the user chose Centrifugo and Kick's negotiation offered none (design.md §3 sample).
KNOWN_CENTRIFUGO_URL: Final = "wss://realtime.us-east-1.platform.kick.com/connection/websocket"

TokenSource = Callable[[], Awaitable[str]]


def provider_name(provider: str) -> str:
    """ "Centrifugo" / "Pusher" for the UI; "" when not known."""
    return PROVIDER_NAMES.get(provider, "")


class _Tap:
    """Passes everything on to the supervisor, noting the first event of the session (the
    provider that delivers). After that first event, `event` is the sink's own method: no cost
    per event."""

    def __init__(self, sink: ProviderSink, on_first_event: Callable[[], None]) -> None:
        self._sink = sink
        self._on_first_event = on_first_event
        self.subscribed = sink.subscribed

    @property
    def live(self) -> bool:
        return self._sink.live

    def provider_chosen(self, provider: str) -> None:
        self._sink.provider_chosen(provider)

    def event(self, event: StreamEvent) -> None:
        self.event = self._sink.event  # type: ignore[method-assign]
        self._on_first_event()
        self._sink.event(event)


class RealtimeConnector:
    """Implements the supervisor's `Connector`: negotiation, then a Pusher or Centrifugo session.

    `provider` (auto | pusher | centrifugo, or a function giving it: a setting) is read at each
    attempt. `hint` is the last provider that delivered events: used only when negotiation
    fails, to pick Centrifugo again at the URL Kick gave last time instead of the long-known
    Pusher key.
    """

    def __init__(
        self,
        api: KickApi,
        normalizer_factory: NormalizerFactory,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        tls: ssl.SSLContext | None = None,
        *,
        provider: str | Callable[[], str] = AUTO,
        silence_limit: float = DEFAULT_SILENCE_LIMIT,
        session_timeouts: SessionTimeouts | None = None,
    ) -> None:
        self._provider = provider
        self.hint = ""
        self._api = api
        self._client_id = str(uuid.uuid4())
        self._pusher_url = ""  # this attempt's, for the Pusher connector's endpoint
        self._last_centrifugo_url = ""
        self._pusher = PusherConnector(
            self._pusher_endpoint, normalizer_factory, timeouts, tls, silence_limit=silence_limit
        )
        self._centrifugo = CentrifugoConnector(
            normalizer_factory, timeouts, tls, session_timeouts, silence_limit=silence_limit
        )

    async def run_session(
        self, target: ChannelTarget, sink: ProviderSink, *, fresh_endpoint: bool
    ) -> Ending:
        provider, url = await self._choose(target)
        sink.provider_chosen(provider)

        def delivered() -> None:
            self.hint = provider

        tapped = _Tap(sink, delivered)
        if provider == CENTRIFUGO:
            client_id = self._client_id

            async def token() -> str:
                return await self._api.fetch_token(client_id)

            ending = await self._centrifugo.run(url, token, target, tapped)
        else:
            self._pusher_url = url
            ending = await self._pusher.run_session(target, tapped, fresh_endpoint=False)
        if ending.kind in (EndingKind.FATAL, EndingKind.STALE_ENDPOINT):
            self._client_id = str(uuid.uuid4())  # a final close: the next attempt is a new client
        return ending

    @property
    def provider(self) -> str:
        """The provider setting for this attempt: auto, pusher or centrifugo."""
        chosen = self._provider() if callable(self._provider) else self._provider
        return chosen if chosen in PROVIDERS else AUTO

    async def _pusher_endpoint(self, target: ChannelTarget, fresh: bool) -> str:
        return self._pusher_url

    async def _choose(self, target: ChannelTarget) -> tuple[str, str]:
        """(provider, WebSocket URL) for this attempt."""
        offer = await self._api.negotiate(target.channel_id, self._client_id)
        if offer.failure:
            log.info("realtime negotiation failed: %s", offer.failure)
        elif offer.centrifugo_url:
            self._last_centrifugo_url = offer.centrifugo_url
        centrifugo_url = self._api.centrifugo_url or offer.centrifugo_url or ""
        pusher_url = self._api.pusher_url or self._offered_pusher_url(offer)
        preference = self.provider
        log.debug("realtime provider setting: %s", preference)
        if preference == AUTO:
            if offer.failure:
                if not centrifugo_url and self.hint == CENTRIFUGO:
                    centrifugo_url = self._last_centrifugo_url
                preference = CENTRIFUGO if centrifugo_url else PUSHER
            else:
                preference = CENTRIFUGO if offer.centrifugo_url or not offer.pusher else PUSHER
                if preference == CENTRIFUGO and not centrifugo_url:
                    preference = PUSHER
        if preference == CENTRIFUGO:
            url = centrifugo_url or self._last_centrifugo_url or KNOWN_CENTRIFUGO_URL
            log.info("realtime provider: Centrifugo at %s", url)
            return CENTRIFUGO, url
        log.info("realtime provider: Pusher at %s", pusher_url)
        return PUSHER, pusher_url

    def _offered_pusher_url(self, offer: Negotiation) -> str:
        if offer.pusher is not None:
            return offer.pusher.url
        return self._api.known_pusher_endpoint().url


class CentrifugoConnector:
    """Runs one Centrifugo session over a `_Link` (see the module's docstring)."""

    def __init__(
        self,
        normalizer_factory: NormalizerFactory,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        tls: ssl.SSLContext | None = None,
        session_timeouts: SessionTimeouts | None = None,
        *,
        silence_limit: float = 0.0,
    ) -> None:
        self._normalizer_factory = normalizer_factory
        self._timeouts = timeouts
        self._tls = tls
        self._session_timeouts = session_timeouts or SessionTimeouts(connect=timeouts.open)
        self._silence_limit = silence_limit

    async def run(
        self, url: str, token: TokenSource, target: ChannelTarget, sink: SessionSink
    ) -> Ending:
        """One session to its end. Cancellation means the user disconnected."""
        try:
            first_token = await token()
        except TokenFailed as exc:
            return Ending(EndingKind.BACKOFF, str(exc), exc.detail)
        session = CentrifugoSession(
            first_token,
            pusher.public_channels(target.chatroom_id, target.channel_id),
            pusher.chat_channel(target.chatroom_id),
            self._session_timeouts,
        )
        drive = _Drive(session, token, sink, self._normalizer_factory(target), self._silence_limit)
        link = await connect_link(url, drive.on_message, self._timeouts, self._tls)
        if isinstance(link, Ending):
            return link
        try:
            return await drive.run(link)
        finally:
            drive.stop()
            await link.close()  # also when the user disconnected (cancellation)


class _Drive:
    """Moves messages, timer ticks and tokens between one `_Link` and one `CentrifugoSession`."""

    def __init__(
        self,
        session: CentrifugoSession,
        token: TokenSource,
        sink: SessionSink,
        normalize: EventNormalizer,
        silence_limit: float,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._session = session
        self._token = token
        self._sink = sink
        self._normalize = normalize
        self._watchdog = SilenceWatchdog(silence_limit, self._loop.time())
        self._watching = silence_limit > 0 and hasattr(sink, "live")  # a bare sink (tests): no
        self._wake = asyncio.Event()
        self._planned_wake: float | None = None
        self._confirmed = False
        self._link: _Link | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def on_message(self, raw: BytesLike) -> None:
        now = self._loop.time()
        session = self._session
        for message in session.receive(raw, now):
            try:
                event = self._normalize(message)
            except ValueError as exc:  # PayloadError: logged and skipped
                log.warning("skipped a malformed event: %s", exc)
                continue
            if event is not None:
                self._watchdog.event(now)
                self._sink.event(event)
        if session.subscribed and not self._confirmed:
            self._confirmed = True  # once: a resubscription is not a new connection
            self._sink.subscribed()
        if session.outgoing:
            self._flush()
        deadline = session.next_deadline()
        planned = self._planned_wake
        if session.ending is not None or (
            deadline is not None and (planned is None or deadline < planned)
        ):
            self._wake.set()  # the timers moved earlier, or the session is over

    async def run(self, link: _Link) -> Ending:
        self._link = link
        session = self._session
        session.start(self._loop.time())
        self._flush()
        while not link.lost.done() and session.ending is None:
            now = self._loop.time()
            session.tick(now)
            if session.refresh_wanted and self._refreshing is None:
                self._refreshing = self._loop.create_task(self._refresh())
            silent = self._check_silence(now)
            if silent is not None:
                return silent
            self._flush()
            if session.ending is not None:
                break
            await self._sleep(now)
        if session.ending is not None:
            if session.ending.reason == WENT_SILENT:
                link.abort()  # frozen: a close handshake would hang
            return session.ending
        return self._closed(link)

    def stop(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()

    def _check_silence(self, now: float) -> Ending | None:
        if not self._watching or not self._confirmed:
            return None
        action = self._watchdog.check(now, getattr(self._sink, "live", False) is True)
        if action is SilenceAction.RESUBSCRIBE:
            log.warning("no channel event for %g s while live: resubscribing", self._watchdog.limit)
            self._session.resubscribe()
        elif action is SilenceAction.RECONNECT:
            return Ending(
                EndingKind.RECONNECT_NOW, SILENT_REASON, silent_detail(self._watchdog.limit)
            )
        return None

    async def _sleep(self, now: float) -> None:
        """Until the next timer, a message that moved the timers earlier, or the link's loss."""
        deadlines = [d for d in (self._session.next_deadline(),) if d is not None]
        if self._watching:  # (also before the confirmation: its arrival does not wake us)
            deadlines.append(self._watchdog.next_check(now))
        self._planned_wake = min(deadlines) if deadlines else None
        timeout = None if self._planned_wake is None else max(0.0, self._planned_wake - now)
        self._wake.clear()
        waiter = self._loop.create_task(self._wake.wait())
        assert self._link is not None
        try:
            await asyncio.wait(
                (self._link.lost, waiter), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()

    async def _refresh(self) -> None:
        try:
            fresh: str | None = await self._token()
        except TokenFailed as exc:
            log.warning("no fresh Centrifugo token: %s (%s)", exc, exc.detail)
            fresh = None
        finally:
            self._refreshing = None
        self._session.refresh(fresh, self._loop.time())
        self._flush()
        self._wake.set()

    def _flush(self) -> None:
        if self._link is not None:
            for text in self._session.take_outgoing():
                self._link.send_text(text)

    def _closed(self, link: _Link) -> Ending:
        rcvd = link.ws.close_rcvd
        if rcvd is not None and rcvd.code not in (1005, 1006):
            return self._session.closed(rcvd.code, rcvd.reason)
        if link.lost_exc is not None:
            return Ending(EndingKind.BACKOFF, *describe_network_error(link.lost_exc))
        return Ending(EndingKind.BACKOFF, LOST, "closed without a close frame")
