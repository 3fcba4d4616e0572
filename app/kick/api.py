"""Kick's HTTP side (Qt-free, async, httpx): channel lookup and Pusher app key discovery.

- `validate_slug` turns what a streamer typed into a slug, or says what is wrong with it.
- `KickApi.lookup_channel` resolves a slug to its ids (design §3). Failures are `LookupFailed`
  subclasses whose text is a plain sentence meant for the streamer, whose `detail` is the
  technical reason (for a details line and the log), and whose `retryable` says whether trying
  again can help.
- `KickApi.discover_pusher` finds the WebSocket URL; it never raises and falls back to the
  long-known key.

How a lookup answer is classified:

| answer | exception |
|---|---|
| `cf-mitigated` header, or "Just a moment" in the body (any status) | `CloudflareBlocked` |
| 404 (after one retry with `_` and `-` swapped) | `ChannelNotFound` |
| 403, 429, 503; an HTML body with any other non-5xx status, 200 too | `CloudflareBlocked` |
| other 5xx, Cloudflare's "origin down" pages too (Kick itself fails) | `KickServerError` |
| DNS, connect, TLS, proxy, read errors; timeouts, the whole lookup too | `NetworkError` |
| 200 not JSON, or lacking `id` / `chatroom.id`; other statuses; redirect loops | `BadResponse` |
| a redirect to another host, port or scheme; an answer over `LOOKUP_MAX_BYTES` | `BadResponse` |

`BadResponse` is retryable: a half-served page or a passing glitch is far likelier than Kick
changing its API, and a changed API is reported on every attempt anyway.

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
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
import msgspec

from app.core.events import JSON_ERRORS
from app.kick import constants as C
from app.kick.coerce import as_int
from app.kick.slug import validate_slug
from app.kick.transport import (
    DROPPED,
    PROXY_FAILED,
    TIMED_OUT,
    describe_network_error,
    error_text,
)

log = logging.getLogger(__name__)

_SWAP_SEPARATORS = str.maketrans("_-", "-_")
_CREDENTIAL_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # goes into a URL: nothing else allowed
_BLOCKED_STATUSES = frozenset({403, 429, 503})
_MAX_REDIRECTS = 3


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelInfo:
    slug: str
    channel_id: int
    chatroom_id: int
    user_id: int | None
    display_name: str
    is_live: bool
    viewer_count: int | None
    session_title: str | None
    followers_count: int | None


@dataclass(frozen=True)
class PusherEndpoint:
    url: str
    key: str
    cluster: str
    discovered: bool  # False: the known key, or VMSC_KICK_PUSHER_URL


def pusher_ws_url(key: str, cluster: str) -> str:
    return C.PUSHER_WS_URL_TEMPLATE.format(cluster=cluster, key=key)


# -- lookup failures ----------------------------------------------------------------------------


class LookupFailed(Exception):
    """The channel lookup failed; `str(exc)` is for the streamer, `detail` the technical reason
    (may be empty), `retryable` for the supervisor."""

    retryable: bool = True
    detail: str = ""


class ChannelNotFound(LookupFailed):
    retryable = False

    def __init__(self, slug: str) -> None:
        super().__init__(f"Kick has no channel named '{slug}'. Check the spelling.")
        self.slug = slug


class CloudflareBlocked(LookupFailed):
    def __init__(self, status: int) -> None:
        super().__init__(
            "Kick's website blocked the channel lookup (Cloudflare protection, "
            f"HTTP {status}). This often lasts a while: retry later, or enter the chatroom id "
            "and channel id by hand under Advanced."
        )
        self.status = status


class KickServerError(LookupFailed):
    def __init__(self, status: int) -> None:
        super().__init__("Kick's website is having problems — it usually passes")
        self.status = status
        self.detail = f"HTTP {status} from the channel lookup"


class NetworkError(LookupFailed):
    """Kick could not be reached: `str(exc)` says so plainly (no internet, refused, timed out,
    certificate, proxy...), `detail` is the underlying exception's text."""

    def __init__(self, summary: str, detail: str, *, timeout: bool) -> None:
        super().__init__(summary)
        self.detail = detail
        self.timeout = timeout

    @classmethod
    def from_httpx(cls, exc: httpx.TransportError) -> NetworkError:
        if isinstance(exc, httpx.TimeoutException):
            return cls(TIMED_OUT, error_text(exc), timeout=True)
        if isinstance(exc, httpx.ProxyError):
            return cls(PROXY_FAILED, error_text(exc), timeout=False)
        if isinstance(exc, httpx.RemoteProtocolError):  # e.g. hung up before answering
            return cls(DROPPED, error_text(exc), timeout=False)
        summary, detail = describe_network_error(exc)
        return cls(summary, detail, timeout=False)


class BadResponse(LookupFailed):
    def __init__(self, detail: str) -> None:
        super().__init__("Kick sent an unexpected answer to the channel lookup")
        self.detail = detail


# -- parsing ------------------------------------------------------------------------------------


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_html(headers: Mapping[str, str], content: bytes) -> bool:
    content_type = headers.get("content-type", "").lower()
    return "text/html" in content_type or content.lstrip()[:1] == b"<"


def _is_challenge(headers: Mapping[str, str], content: bytes) -> bool:
    return "cf-mitigated" in headers or b"Just a moment" in content


def _channel_info(slug: str, body: Any) -> ChannelInfo:
    if not isinstance(body, dict):
        raise BadResponse(f"expected a JSON object, got {type(body).__name__}")
    channel_id = as_int(body.get("id"))
    chatroom_id = as_int(_as_dict(body.get("chatroom")).get("id"))
    if channel_id is None:
        raise BadResponse("no channel id")
    if chatroom_id is None:
        raise BadResponse("no chatroom id")
    user = _as_dict(body.get("user"))
    live = body.get("livestream")
    stream = _as_dict(live)
    real_slug = body.get("slug")
    username = user.get("username")
    title = stream.get("session_title")
    return ChannelInfo(
        slug=real_slug.lower() if isinstance(real_slug, str) and real_slug else slug,
        channel_id=channel_id,
        chatroom_id=chatroom_id,
        user_id=as_int(body.get("user_id", user.get("id"))),
        display_name=username if isinstance(username, str) and username else slug,
        is_live=isinstance(live, dict) and stream.get("is_live", True) not in (False, 0, None),
        viewer_count=as_int(stream.get("viewer_count")),
        session_title=title if isinstance(title, str) else None,
        followers_count=as_int(body.get("followers_count")),
    )


def parse_lookup(
    slug: str, status: int, headers: Mapping[str, str], content: bytes
) -> ChannelInfo | None:
    """The channel in a lookup answer; None for a 404. Raises LookupFailed, nothing else."""
    if _is_challenge(headers, content):
        raise CloudflareBlocked(status)
    if status == 404:
        return None
    if status in _BLOCKED_STATUSES:
        raise CloudflareBlocked(status)
    if status >= 500:
        raise KickServerError(status)
    if _is_html(headers, content):
        raise CloudflareBlocked(status)
    if status != 200:
        raise BadResponse(f"HTTP {status}")
    try:
        body = msgspec.json.decode(content)
    except JSON_ERRORS:
        raise BadResponse("not JSON") from None
    return _channel_info(slug, body)


def _pusher_credentials(body: Any) -> tuple[str, str] | str:
    """(key, cluster) from a discovery answer, or the reason there is none."""
    connections = _as_dict(_as_dict(body).get("data")).get("connections")
    if not isinstance(connections, list):
        return "no data.connections list"
    for connection in connections:
        if _as_dict(connection).get("provider") != "pusher":
            continue
        credentials = _as_dict(connection.get("credentials"))
        key, cluster = credentials.get("app_key"), credentials.get("cluster")
        if not isinstance(key, str) or not _CREDENTIAL_RE.fullmatch(key):
            return f"bad pusher app_key {key!r}"
        if not isinstance(cluster, str) or not _CREDENTIAL_RE.fullmatch(cluster):
            return f"bad pusher cluster {cluster!r}"
        return key, cluster
    return "no pusher connection offered"


def _endpoint_from_url(url: str) -> PusherEndpoint:
    """An endpoint for a URL given as is; key and cluster only where the URL shows them."""
    parsed = httpx.URL(url)
    key = parsed.path.partition("/app/")[2].strip("/")
    host = parsed.host
    cluster = ""
    if host.startswith("ws-") and host.endswith(".pusher.com"):
        cluster = host.removeprefix("ws-").removesuffix(".pusher.com")
    return PusherEndpoint(url=url, key=key, cluster=cluster, discovered=False)


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
            return _endpoint_from_url(self._pusher_url)
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
            credentials = _pusher_credentials(msgspec.json.decode(content))
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


_WS_SCHEMES = frozenset({"ws", "wss"})
_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Negotiation:
    """What Kick's provider negotiation offered; both None (with `failure`) when it failed."""

    pusher: PusherEndpoint | None = None
    centrifugo_url: str | None = None
    failure: str = ""  # why nothing usable came back (logged; the fallback is the caller's)


class TokenFailed(Exception):
    """No Centrifugo token: `str(exc)` a plain sentence, `detail` the technical reason."""

    ODD = "Kick sent an unexpected answer when asked for a chat pass"

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _blocked_or_failed(status: int, headers: Mapping[str, str], content: bytes) -> str:
    """Why a non-JSON or non-200 answer is unusable, in the log's words."""
    if _is_challenge(headers, content) or (
        status in _BLOCKED_STATUSES and _is_html(headers, content)
    ):
        return f"blocked by Cloudflare (HTTP {status})"
    return f"HTTP {status}"


def _ws_url(value: Any) -> str | None:
    """A ws:// or wss:// URL with a host, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, ValueError):
        return None
    if url.scheme not in _WS_SCHEMES or not url.host:
        return None
    return str(url)


def parse_negotiation(status: int, headers: Mapping[str, str], content: bytes) -> Negotiation:
    """The providers in a negotiation answer. Lenient: `provider` in any case, credentials under
    `credentials` or on the connection itself; unusable entries are skipped."""
    if status != 200 or _is_challenge(headers, content):
        return Negotiation(failure=_blocked_or_failed(status, headers, content))
    try:
        body = msgspec.json.decode(content)
    except JSON_ERRORS as exc:
        return Negotiation(failure=f"not JSON ({exc})")
    connections = _as_dict(_as_dict(body).get("data")).get("connections")
    if not isinstance(connections, list):
        return Negotiation(failure="no data.connections list")
    pusher: PusherEndpoint | None = None
    centrifugo: str | None = None
    problems = []
    for connection in connections:
        entry = _as_dict(connection)
        provider = str(entry.get("provider") or "").strip().lower()
        credentials = _as_dict(entry.get("credentials")) or entry
        if provider == "pusher" and pusher is None:
            key, cluster = credentials.get("app_key"), credentials.get("cluster")
            key_ok = isinstance(key, str) and _CREDENTIAL_RE.fullmatch(key)
            if key_ok and isinstance(cluster, str) and _CREDENTIAL_RE.fullmatch(cluster):
                pusher = PusherEndpoint(pusher_ws_url(str(key), cluster), str(key), cluster, True)
                continue
            problems.append(f"bad pusher credentials {key!r}/{cluster!r}")
        elif provider == "centrifugo" and centrifugo is None:
            centrifugo = _ws_url(credentials.get("url"))
            if centrifugo is None:
                problems.append(f"bad centrifugo url {credentials.get('url')!r}")
    if pusher is None and centrifugo is None:
        return Negotiation(failure="; ".join(problems) or "no known provider offered")
    return Negotiation(pusher, centrifugo)


def _find_token(body: Any, depth: int = 0) -> str | None:
    """The token in an auth answer, wherever Kick put it: `token`, `jwt` or `connection_token`,
    at the top or under `data`, or the answer itself as a string."""
    if isinstance(body, str):
        return body.strip() if _JWT_RE.fullmatch(body.strip()) else None
    if not isinstance(body, dict) or depth > 2:
        return None
    for key in ("token", "jwt", "connection_token", "access_token"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _find_token(body.get("data"), depth + 1)


def parse_token(status: int, headers: Mapping[str, str], content: bytes) -> str:
    """The token in an auth answer. Raises TokenFailed."""
    if status != 200 or _is_challenge(headers, content):
        reason = _blocked_or_failed(status, headers, content)
        if reason.startswith("blocked"):
            raise TokenFailed("Kick's website blocked the chat pass request (Cloudflare)", reason)
        if status >= 500:
            raise TokenFailed("Kick's website is having problems — it usually passes", reason)
        raise TokenFailed(TokenFailed.ODD, reason)
    try:
        body: Any = msgspec.json.decode(content)
    except JSON_ERRORS:
        body = content.decode("utf-8", "replace")  # a bare JWT as text
    token = _find_token(body)
    if token is None:
        raise TokenFailed(TokenFailed.ODD, "no token in the answer")
    return token
