"""Kick's realtime answers (design §3, issue 14): which providers it offers a channel (Pusher's
app key and cluster, a Centrifugo URL), the Pusher endpoint, and the anonymous Centrifugo
connection token. Lenient parsing: an unusable entry is skipped, and a negotiation that offers
nothing usable says why in `Negotiation.failure`; the requests themselves are `KickApi`'s."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from app.core.events import JSON_ERRORS
from app.kick import constants as C
from app.kick.cloudflare import BLOCKED_STATUSES, is_challenge, is_html
from app.kick.coerce import as_dict

_CREDENTIAL_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # goes into a URL: nothing else allowed
_WS_SCHEMES = frozenset({"ws", "wss"})
_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class PusherEndpoint:
    url: str
    key: str
    cluster: str
    discovered: bool  # False: the known key, or VMSC_KICK_PUSHER_URL


def pusher_ws_url(key: str, cluster: str) -> str:
    return C.PUSHER_WS_URL_TEMPLATE.format(cluster=cluster, key=key)


def pusher_credentials(body: Any) -> tuple[str, str] | str:
    """(key, cluster) from a discovery answer, or the reason there is none."""
    connections = as_dict(as_dict(body).get("data")).get("connections")
    if not isinstance(connections, list):
        return "no data.connections list"
    for connection in connections:
        if as_dict(connection).get("provider") != "pusher":
            continue
        credentials = as_dict(connection.get("credentials"))
        key, cluster = credentials.get("app_key"), credentials.get("cluster")
        if not isinstance(key, str) or not _CREDENTIAL_RE.fullmatch(key):
            return f"bad pusher app_key {key!r}"
        if not isinstance(cluster, str) or not _CREDENTIAL_RE.fullmatch(cluster):
            return f"bad pusher cluster {cluster!r}"
        return key, cluster
    return "no pusher connection offered"


def endpoint_from_url(url: str) -> PusherEndpoint:
    """An endpoint for a URL given as is; key and cluster only where the URL shows them."""
    parsed = httpx.URL(url)
    key = parsed.path.partition("/app/")[2].strip("/")
    host = parsed.host
    cluster = ""
    if host.startswith("ws-") and host.endswith(".pusher.com"):
        cluster = host.removeprefix("ws-").removesuffix(".pusher.com")
    return PusherEndpoint(url=url, key=key, cluster=cluster, discovered=False)


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
    if is_challenge(headers, content) or (status in BLOCKED_STATUSES and is_html(headers, content)):
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
    if status != 200 or is_challenge(headers, content):
        return Negotiation(failure=_blocked_or_failed(status, headers, content))
    try:
        body = msgspec.json.decode(content)
    except JSON_ERRORS as exc:
        return Negotiation(failure=f"not JSON ({exc})")
    connections = as_dict(as_dict(body).get("data")).get("connections")
    if not isinstance(connections, list):
        return Negotiation(failure="no data.connections list")
    pusher: PusherEndpoint | None = None
    centrifugo: str | None = None
    problems = []
    for connection in connections:
        entry = as_dict(connection)
        provider = str(entry.get("provider") or "").strip().lower()
        credentials = as_dict(entry.get("credentials")) or entry
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
    if status != 200 or is_challenge(headers, content):
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
