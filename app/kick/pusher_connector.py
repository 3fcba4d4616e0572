"""The supervisor's `Connector` for Pusher alone: one Pusher session per attempt over the socket
driver (`realtime.RealtimeConnector` uses it when Pusher is the provider)."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable

from app.core.supervisor import ChannelTarget, Ending, SessionSink
from app.kick.pusher_codec import chat_channel, public_channels
from app.kick.pusher_session import PusherSession, SessionTimeouts
from app.kick.session_driver import NormalizerFactory, drive_session, silence_watchdog
from app.kick.websocket_connect import DEFAULT_TIMEOUTS, Timeouts

EndpointProvider = Callable[[ChannelTarget, bool], Awaitable[str]]
"""(target, fresh) -> WebSocket URL; fresh=True asks for the app key to be discovered again."""


class PusherConnector:
    """Implements the supervisor's `Connector` over a WebSocket."""

    def __init__(
        self,
        endpoint: EndpointProvider,
        normalizer_factory: NormalizerFactory,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        tls: ssl.SSLContext | None = None,
        *,
        silence_limit: float = 0.0,  # the silence watchdog's, in seconds; 0: off
    ) -> None:
        self._endpoint = endpoint
        self._normalizer_factory = normalizer_factory
        self._timeouts = timeouts
        self._tls = tls
        self._silence_limit = silence_limit

    async def run_session(
        self, target: ChannelTarget, sink: SessionSink, *, fresh_endpoint: bool
    ) -> Ending:
        url = await self._endpoint(target, fresh_endpoint)
        timeouts = self._timeouts
        session = PusherSession(
            public_channels(target.chatroom_id, target.channel_id),
            chat_channel(target.chatroom_id),
            SessionTimeouts(timeouts.open, timeouts.max_activity, timeouts.pong, timeouts.close),
            silence_watchdog(self._silence_limit, sink),
        )
        return await drive_session(
            url, session, sink, self._normalizer_factory(target), timeouts, self._tls
        )
