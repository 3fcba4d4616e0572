"""The channel lookup's answer (design §3): a slug's ids and live status, or why there are none.

Failures are `LookupFailed` subclasses whose text is a plain sentence meant for the streamer,
whose `detail` is the technical reason (for a details line and the log), and whose `retryable`
says whether trying again can help. `KickApi.lookup_channel` makes the request; how its answer is
classified:

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from app.core.events import JSON_ERRORS
from app.kick.cloudflare import BLOCKED_STATUSES, is_challenge, is_html
from app.kick.coerce import as_dict, as_int
from app.kick.network_errors import (
    DROPPED,
    PROXY_FAILED,
    TIMED_OUT,
    describe_network_error,
    error_text,
)
from app.kick.slug import canonical_slug


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


def _channel_info(slug: str, body: Any) -> ChannelInfo:
    if not isinstance(body, dict):
        raise BadResponse(f"expected a JSON object, got {type(body).__name__}")
    channel_id = as_int(body.get("id"))
    chatroom_id = as_int(as_dict(body.get("chatroom")).get("id"))
    if channel_id is None:
        raise BadResponse("no channel id")
    if chatroom_id is None:
        raise BadResponse("no chatroom id")
    user = as_dict(body.get("user"))
    live = body.get("livestream")
    stream = as_dict(live)
    real_slug = body.get("slug")
    username = user.get("username")
    title = stream.get("session_title")
    return ChannelInfo(
        slug=canonical_slug(real_slug) if isinstance(real_slug, str) and real_slug else slug,
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
    if is_challenge(headers, content):
        raise CloudflareBlocked(status)
    if status == 404:
        return None
    if status in BLOCKED_STATUSES:
        raise CloudflareBlocked(status)
    if status >= 500:
        raise KickServerError(status)
    if is_html(headers, content):
        raise CloudflareBlocked(status)
    if status != 200:
        raise BadResponse(f"HTTP {status}")
    try:
        body = msgspec.json.decode(content)
    except JSON_ERRORS:
        raise BadResponse("not JSON") from None
    return _channel_info(slug, body)
