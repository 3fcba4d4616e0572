"""Which realtime provider each connection attempt uses, and the Centrifugo socket driver.

Kick's web client asks, on every connection, which provider to use (design.md §3, issue 14): the
answer offers Pusher (an app key and cluster) and/or Centrifugo (a WebSocket URL, and a token from
a second endpoint). `RealtimeConnector` is the supervisor's `Connector`: per attempt it
negotiates, picks a provider (the user's setting first, then what Kick offered: Centrifugo when
offered, else Pusher; the long-known Pusher key only when negotiation failed), and runs one
session of that protocol. Both protocols end the same way, in an `Ending`; the supervisor alone
decides what comes next.

Both protocols run over the same socket driver (`session_driver.drive_session`), which only
moves messages, timer ticks and tokens; the protocol, the keep-alive, the silence watchdog and
the verdict on the ending are the socket-free sessions' (`pusher_session.PusherSession`; for
Centrifugo, `centrifugo_session.CentrifugoSession` with the watchdog around it, `_Driven`). This
module fetches the Centrifugo tokens.
"""

from __future__ import annotations

import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, EndingKind, ProviderSink, SessionSink
from app.core.watchdog import (
    DEFAULT_SILENCE_LIMIT,
    SILENT_REASON,
    SilenceAction,
    SilenceWatchdog,
    silent_detail,
)
from app.kick.api import KickApi
from app.kick.centrifugo_endings import WENT_SILENT
from app.kick.centrifugo_session import CentrifugoSession, SessionTimeouts
from app.kick.pusher_codec import ChannelEvent, chat_channel, public_channels
from app.kick.pusher_connector import PusherConnector
from app.kick.realtime_negotiation import Negotiation, TokenFailed
from app.kick.session_driver import NormalizerFactory, drive_session, silence_watchdog
from app.kick.websocket_connect import DEFAULT_TIMEOUTS, Timeouts

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
    """Runs one Centrifugo session over the shared socket driver (see the module's docstring)."""

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
        session = _Driven(
            CentrifugoSession(
                first_token,
                public_channels(target.chatroom_id, target.channel_id),
                chat_channel(target.chatroom_id),
                self._session_timeouts,
            ),
            silence_watchdog(self._silence_limit, sink),
        )

        async def fresh_token() -> str | None:
            try:
                return await token()
            except TokenFailed as exc:
                log.warning("no fresh Centrifugo token: %s (%s)", exc, exc.detail)
                return None

        return await drive_session(
            url,
            session,
            sink,
            self._normalizer_factory(target),
            self._timeouts,
            self._tls,
            fresh_token,
        )


class _Driven:
    """A `CentrifugoSession` in the shape the socket driver drives (`session_driver.Session`), with
    the silence watchdog, which `PusherSession` has inside. Socket-free, like both."""

    def __init__(self, session: CentrifugoSession, watchdog: SilenceWatchdog | None) -> None:
        self.changed = False
        self.frozen = False
        self.watchdog = watchdog
        self._session = session
        self._silent: Ending | None = None  # the watchdog's ending
        self._confirmed = False
        self._now = 0.0
        self._planned: float | None = None  # the deadline the driver last planned for

    @property
    def ending(self) -> Ending | None:
        return self._silent or self._session.ending

    @property
    def subscribed(self) -> bool:
        return self._confirmed  # once: an unsubscribe push is logged, not a new state

    @property
    def refresh_wanted(self) -> bool:
        return self._session.refresh_wanted

    def start(self, now: float) -> None:
        self._now = now
        self._session.start(now)

    def receive(
        self, message: bytes | bytearray | memoryview | str, now: float
    ) -> list[ChannelEvent]:
        session = self._session
        events: list[ChannelEvent] = session.receive(message, now)
        if session.outgoing or session.ending is not None:
            self.changed = True
        elif session.subscribed and not self._confirmed:
            self._confirmed = True
            self.changed = True
        else:
            deadline = session.next_deadline()
            planned = self._planned
            if deadline is not None and (planned is None or deadline < planned):
                self.changed = True  # the timers moved earlier
        return events

    def tick(self, now: float, live: bool = False) -> None:
        self._now = now
        session = self._session
        session.tick(now)
        if session.ending is not None:
            self.frozen = session.ending.reason == WENT_SILENT
            return
        watchdog = self.watchdog
        if watchdog is None or not self._confirmed:
            return
        action = watchdog.check(now, live)
        if action is SilenceAction.RESUBSCRIBE:
            log.warning("no channel event for %g s while live: resubscribing", watchdog.limit)
            session.resubscribe()
        elif action is SilenceAction.RECONNECT:
            detail = silent_detail(watchdog.limit)
            self._silent = Ending(EndingKind.RECONNECT_NOW, SILENT_REASON, detail)

    def next_deadline(self) -> float | None:
        if self.ending is not None:
            return None
        deadline = self._session.next_deadline()
        if self.watchdog is not None:  # (also before the confirmation: it does not wake us)
            check = self.watchdog.next_check(self._now)
            deadline = check if deadline is None else min(deadline, check)
        self._planned = deadline
        return deadline

    def refresh(self, token: str | None, now: float) -> None:
        self._session.refresh(token, now)

    def closed(self, code: int | None, reason: str, cause: Ending | None = None) -> Ending:
        """A close frame's code decides (Centrifugo's disconnect codes); without one (1005,
        1006 or none at all), what the socket knows does."""
        ending = self.ending
        if ending is not None:
            return ending
        if (code is None or code in (1005, 1006)) and cause is not None:
            return cause
        return self._session.closed(code, reason)

    def take_outgoing(self) -> list[str]:
        return self._session.take_outgoing()
