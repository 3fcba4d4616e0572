"""How an answer that Cloudflare blocked looks (its challenge page, or an HTML page where JSON
was asked for): the lookup and the realtime requests tell a block from Kick's own failures."""

from __future__ import annotations

from collections.abc import Mapping

BLOCKED_STATUSES = frozenset({403, 429, 503})


def is_html(headers: Mapping[str, str], content: bytes) -> bool:
    content_type = headers.get("content-type", "").lower()
    return "text/html" in content_type or content.lstrip()[:1] == b"<"


def is_challenge(headers: Mapping[str, str], content: bytes) -> bool:
    return "cf-mitigated" in headers or b"Just a moment" in content
