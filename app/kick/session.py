"""Kick's side of the supervisor: slug -> ids (with the id cache), and the realtime connector."""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.core.backoff import Backoff
from app.core.supervisor import ChannelTarget, ConnectRequest, ResolveError, Supervisor
from app.core.watchdog import DEFAULT_SILENCE_LIMIT
from app.kick.api import KickApi
from app.kick.channel_lookup import ChannelInfo, CloudflareBlocked, LookupFailed
from app.kick.ids import CachedIds, IdCache, MemoryIdCache
from app.kick.normalize import Normalizer
from app.kick.realtime import AUTO, RealtimeConnector
from app.kick.realtime_negotiation import PusherEndpoint
from app.kick.slug import InvalidSlugError, validate_slug
from app.kick.websocket_connect import DEFAULT_TIMEOUTS, Timeouts

log = logging.getLogger(__name__)


def _target(info: ChannelInfo) -> ChannelTarget:
    return ChannelTarget(
        slug=info.slug,
        chatroom_id=info.chatroom_id,
        channel_id=info.channel_id,
        display_name=info.display_name,
        is_live=info.is_live,
    )


class KickResolver:
    """Implements the supervisor's `ChannelResolver`: ids never wait on a lookup once known."""

    def __init__(self, api: KickApi, cache: IdCache | None = None) -> None:
        self._api = api
        self._cache = cache or MemoryIdCache()

    async def resolve(self, request: ConnectRequest) -> ChannelTarget:
        try:
            slug = validate_slug(request.slug)
        except InvalidSlugError as exc:
            raise ResolveError(str(exc), retryable=False) from None
        if request.chatroom_id is not None and request.channel_id is not None:
            self._cache.put(slug, CachedIds(request.chatroom_id, request.channel_id))
            return ChannelTarget(slug, request.chatroom_id, request.channel_id)
        cached = self._cache.get(slug)
        if cached is not None:
            return ChannelTarget(slug, cached.chatroom_id, cached.channel_id, cached.display_name)
        # Blocked with nothing cached is an Error, not a retry loop: it often lasts, and the
        # message tells the user to retry later or type the ids under Advanced.
        return await self._lookup(slug, blocked_is_retryable=False)

    async def lookup(self, slug: str) -> ChannelTarget:
        return await self._lookup(slug, blocked_is_retryable=True)

    async def _lookup(self, slug: str, *, blocked_is_retryable: bool) -> ChannelTarget:
        try:
            info = await self._api.lookup_channel(slug)
        except CloudflareBlocked as exc:
            raise ResolveError(str(exc), retryable=blocked_is_retryable, detail=exc.detail) from exc
        except LookupFailed as exc:
            raise ResolveError(str(exc), retryable=exc.retryable, detail=exc.detail) from exc
        except InvalidSlugError as exc:
            raise ResolveError(str(exc), retryable=False) from exc
        self._cache.put(slug, CachedIds(info.chatroom_id, info.channel_id, info.display_name))
        return _target(info)


class KickEndpoint:
    """The WebSocket URL for a channel: discovered once, discovered again when asked (4001)."""

    def __init__(self, api: KickApi) -> None:
        self._api = api
        self._endpoint: PusherEndpoint | None = None

    async def __call__(self, target: ChannelTarget, fresh: bool) -> str:
        if self._endpoint is None or fresh:
            self._endpoint = await self._api.discover_pusher(target.channel_id)
            log.info(
                "pusher endpoint %s (%s)",
                self._endpoint.url,
                "discovered" if self._endpoint.discovered else "fallback",
            )
        return self._endpoint.url


def build_supervisor(
    api: KickApi,
    cache: IdCache | None = None,
    *,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    random_source: Callable[[], float] | None = None,
    provider: str | Callable[[], str] = AUTO,
    silence_limit: float = DEFAULT_SILENCE_LIMIT,
) -> Supervisor:
    """The supervisor over Kick: each attempt negotiates its realtime provider (`provider`: auto,
    pusher or centrifugo, or a function reading the setting) and runs one session of it."""
    connector = RealtimeConnector(
        api,
        lambda target: Normalizer(target.slug).normalize,
        timeouts,
        provider=provider,
        silence_limit=silence_limit,
    )
    backoff = Backoff(random_source) if random_source is not None else Backoff()
    return Supervisor(KickResolver(api, cache), connector, backoff=backoff)
