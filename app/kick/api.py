"""Kick's HTTP side (Qt-free, async, httpx): `KickApi`, the one client for every request to Kick.

- `KickApi.lookup_channel` resolves a slug to its ids (design §3); its answer and failures are
  `channel_lookup`'s.
- `KickApi.discover_pusher` finds the WebSocket URL; it never raises and falls back to the
  long-known key. `negotiate` and `fetch_token` are the realtime requests of every connection
  attempt; their answers are `realtime_negotiation`'s.

Every request here (the lookup, provider negotiation, the Centrifugo token, key discovery) goes
through one helper, `KickApi._fetch`: redirects followed only on the same host, port and scheme,
the body read only up to a cap, the whole of it under one deadline (`_deadline`). The lookup's
limits are `LOOKUP_*`; the realtime requests' `REALTIME_*`, and their failures are logged reasons
(negotiation falls back, see `realtime.RealtimeConnector`) or `TokenFailed`, never raised as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec

from app.core.events import JSON_ERRORS
from app.kick import constants as C
from app.kick.channel_lookup import (
    BadResponse,
    ChannelInfo,
    ChannelNotFound,
    LookupFailed,
    NetworkError,
    parse_lookup,
)
from app.kick.network_errors import TIMED_OUT, error_text
from app.kick.realtime_negotiation import (
    Negotiation,
    PusherEndpoint,
    TokenFailed,
    endpoint_from_url,
    parse_negotiation,
    parse_token,
    pusher_credentials,
    pusher_ws_url,
)
from app.kick.slug import validate_slug

log = logging.getLogger(__name__)

_SWAP_SEPARATORS = str.maketrans("_-", "-_")
_MAX_REDIRECTS = 3


# -- the client ---------------------------------------------------------------------------------


class KickApi:
    """Channel lookup and Pusher key discovery over one httpx client.

    URLs: the arguments, else the env vars of design §5, else Kick's. An empty realtime URL
    (argument or `VMSC_KICK_REALTIME_URL=`) disables discovery. A client passed in is used as is
    (its timeouts too, unless `timeout` is given) and left open; one made here verifies TLS, times
    out after `timeout` seconds per phase, and is closed by `aclose()` / `async with`.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        api_url: str | None = None,
        realtime_url: str | None = None,
        *,
        pusher_url: str | None = None,
        timeout: float | None = None,
    ) -> None:
        env = os.environ
        self._api_url = (api_url or env.get(C.ENV_KICK_API_URL) or C.DEFAULT_API_URL).rstrip("/")
        if realtime_url is None:
            realtime_url = env.get(C.ENV_KICK_REALTIME_URL, C.DEFAULT_REALTIME_URL)
        self._realtime_url = realtime_url.strip().rstrip("/")
        self._pusher_url = (pusher_url or env.get(C.ENV_KICK_PUSHER_URL, "")).strip()
        self._headers = {"User-Agent": C.USER_AGENT, "Accept": "application/json"}
        self._owns_client = client is None
        self._client = client
        if timeout is not None:
            self._timeout = httpx.Timeout(timeout)
        else:
            self._timeout = client.timeout if client else httpx.Timeout(C.REQUEST_TIMEOUT)

    @property
    def client(self) -> httpx.AsyncClient:
        # Made on first use: its TLS context and connection pool cost about 50 ms, which would
        # otherwise delay the window's first paint.
        if self._client is None:
            self._client = httpx.AsyncClient(  # TLS verification stays on: never verify=False
                timeout=self._timeout, follow_redirects=True
            )
        return self._client

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def lookup_channel(self, slug: str) -> ChannelInfo:
        """The channel's ids and live status. Raises InvalidSlugError or a LookupFailed.

        The whole lookup (both spellings, every byte of every answer) has `LOOKUP_DEADLINE`
        seconds, on top of httpx's timeout per read; an answer may be `LOOKUP_MAX_BYTES` long;
        a redirect is followed only on the same host, port and scheme (so never https -> http)."""
        slug = validate_slug(slug)
        async with _deadline(C.LOOKUP_DEADLINE, "channel lookup"):
            return await self._lookup(slug)

    async def _lookup(self, slug: str) -> ChannelInfo:
        info = await self._lookup_once(slug)
        if info is not None:
            return info
        swapped = slug.translate(_SWAP_SEPARATORS)
        if swapped != slug:
            log.info("no channel %r on Kick; trying %r", slug, swapped)
            info = await self._lookup_once(swapped)
            if info is not None:
                return info
        raise ChannelNotFound(slug)

    async def _lookup_once(self, slug: str) -> ChannelInfo | None:
        url = f"{self._api_url}/api/v2/channels/{slug}"
        status, headers, content = await self._fetch(
            "GET", url, what="lookup", max_bytes=C.LOOKUP_MAX_BYTES
        )
        return parse_lookup(slug, status, headers, content)

    async def _fetch(
        self, method: str, url: str, *, what: str, max_bytes: int, json: Any = None
    ) -> tuple[int, httpx.Headers, bytes]:
        """(status, headers, body) of one request: redirects followed (at most `_MAX_REDIRECTS`)
        only on the same host, port and scheme, the body read only up to `max_bytes`. Raises
        NetworkError or BadResponse (`what` names the request in its detail), nothing else; the
        caller sets the deadline (`_deadline`)."""
        try:
            target = httpx.URL(url)
            for _ in range(_MAX_REDIRECTS + 1):
                status, headers, content, location = await self._capped(
                    method, target, json, max_bytes
                )
                if location is None:
                    log.debug("%s %s -> %s", method, target, status)
                    return status, headers, content
                if _origin(location) != _origin(target):
                    raise BadResponse(
                        f"HTTP {status} redirect to {location} not followed: the {what} follows "
                        "redirects only on the same host, port and scheme"
                    )
                log.debug("%s %s -> %s, to %s", method, target, status, location)
                if status in (301, 302, 303) and method == "POST":  # as browsers (and httpx) do
                    method, json = "GET", None
                target = location
        except httpx.TransportError as exc:
            raise NetworkError.from_httpx(exc) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # an undecodable body, a bad Location
            raise BadResponse(error_text(exc)) from exc
        raise BadResponse(f"more than {_MAX_REDIRECTS} redirects")

    async def _capped(
        self, method: str, url: httpx.URL, json: Any, cap: int
    ) -> tuple[int, httpx.Headers, bytes, httpx.URL | None]:
        """(status, headers, body, redirect target or None); the body read up to the cap."""
        request = self.client.stream(
            method,
            url,
            json=json,
            headers=self._headers,
            timeout=self._timeout,
            follow_redirects=False,
        )
        async with request as response:
            if response.is_redirect:
                return (
                    response.status_code,
                    response.headers,
                    b"",
                    url.join(response.headers["location"]),
                )
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared[:19]) > cap:
                raise BadResponse(f"the answer is {declared} bytes, over the {cap:,}-byte limit")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > cap:
                    raise BadResponse(f"the answer is over the {cap:,}-byte limit: not read on")
            return response.status_code, response.headers, bytes(body), None

    async def discover_pusher(self, channel_id: int) -> PusherEndpoint:
        """The WebSocket endpoint: VMSC_KICK_PUSHER_URL, else discovered, else the known key."""
        if self._pusher_url:
            log.info("pusher URL from %s", C.ENV_KICK_PUSHER_URL)
            return endpoint_from_url(self._pusher_url)
        outcome = await self._discover(channel_id)
        if isinstance(outcome, PusherEndpoint):
            return outcome
        log.info("pusher key discovery failed (%s); using the known key", outcome)
        key, cluster = C.KNOWN_PUSHER_KEY, C.KNOWN_PUSHER_CLUSTER
        return PusherEndpoint(pusher_ws_url(key, cluster), key, cluster, discovered=False)

    async def _realtime_post(
        self, path: str, body: Any, what: str
    ) -> tuple[int, httpx.Headers, bytes]:
        """POST to the realtime base under `REALTIME_DEADLINE` and `REALTIME_MAX_BYTES`. Raises
        NetworkError or BadResponse."""
        async with _deadline(C.REALTIME_DEADLINE, what):
            return await self._fetch(
                "POST",
                f"{self._realtime_url}{path}",
                what=what,
                max_bytes=C.REALTIME_MAX_BYTES,
                json=body,
            )

    async def _discover(self, channel_id: int) -> PusherEndpoint | str:
        """A discovered endpoint, or the reason there is none."""
        if not self._realtime_url:
            return f"disabled by empty {C.ENV_KICK_REALTIME_URL}"
        path = f"/api/v1/realtime/channels/{channel_id}/chat/connection"
        body = {
            "client": {"id": str(uuid.uuid4()), "type": "web"},
            "capabilities": {"accepted_providers": [{"provider": "pusher"}]},
        }
        try:
            status, _, content = await self._realtime_post(path, body, "key discovery")
            if status != 200:
                return f"HTTP {status}"
            credentials = pusher_credentials(msgspec.json.decode(content))
        except LookupFailed as exc:
            return _failure_text(exc)
        except JSON_ERRORS as exc:
            return f"JSONDecodeError: {exc}"
        if isinstance(credentials, str):
            return credentials
        key, cluster = credentials
        return PusherEndpoint(pusher_ws_url(key, cluster), key, cluster, discovered=True)

    # -- provider negotiation (issue 14): asked on every connection attempt ---------------------

    @property
    def centrifugo_url(self) -> str:
        """VMSC_KICK_CENTRIFUGO_URL: a Centrifugo WebSocket URL used as is; "" when unset."""
        return os.environ.get(C.ENV_KICK_CENTRIFUGO_URL, "").strip()

    @property
    def pusher_url(self) -> str:
        """VMSC_KICK_PUSHER_URL (or the argument): a Pusher WebSocket URL used as is, or ""."""
        return self._pusher_url

    def known_pusher_endpoint(self) -> PusherEndpoint:
        """The long-known Pusher key, for when negotiation fails."""
        key, cluster = C.KNOWN_PUSHER_KEY, C.KNOWN_PUSHER_CLUSTER
        return PusherEndpoint(pusher_ws_url(key, cluster), key, cluster, discovered=False)

    async def negotiate(self, channel_id: int, client_id: str) -> Negotiation:
        """Which realtime providers Kick offers this channel now. Never raises: a failure (an
        HTTP error, a Cloudflare page, garbage) is a Negotiation whose `failure` says why."""
        if not self._realtime_url:
            return Negotiation(failure=f"disabled by empty {C.ENV_KICK_REALTIME_URL}")
        path = f"/api/v1/realtime/channels/{channel_id}/chat/connection"
        body = {
            "client": {"id": client_id, "type": "web"},
            "capabilities": {
                "accepted_providers": [{"provider": "pusher"}, {"provider": "centrifugo"}]
            },
        }
        try:
            answer = await self._realtime_post(path, body, "negotiation")
        except LookupFailed as exc:
            return Negotiation(failure=_failure_text(exc))
        return parse_negotiation(*answer)

    async def fetch_token(self, client_id: str) -> str:
        """An anonymous Centrifugo connection token for `client_id` ("" when the realtime base is
        disabled: the server is then asked without one). Raises TokenFailed."""
        if not self._realtime_url:
            return ""
        path = "/api/v1/realtime/auth/connection"
        try:
            answer = await self._realtime_post(path, {"client_id": client_id}, "token request")
        except NetworkError as exc:
            raise TokenFailed(str(exc), exc.detail) from exc
        except LookupFailed as exc:
            raise TokenFailed(TokenFailed.ODD, exc.detail) from exc
        return parse_token(*answer)


@contextlib.asynccontextmanager
async def _deadline(seconds: float, what: str) -> AsyncIterator[None]:
    """The block as a whole (every redirect, every byte) within `seconds`, whatever httpx's
    timeout per read allows; past it, NetworkError ("the {what} took longer than N s")."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise NetworkError(
            TIMED_OUT, f"the {what} took longer than {seconds:g} s", timeout=True
        ) from None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _failure_text(exc: LookupFailed) -> str:
    """A failed realtime request in the log's words: the httpx error's type and text, or the
    limit that was hit (size, deadline, redirect)."""
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPError | httpx.InvalidURL):
        return f"{type(cause).__name__}: {error_text(cause)}"
    return exc.detail or str(exc)
