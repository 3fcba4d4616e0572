"""HTTP/1.1 as the event server speaks it: a request head parsed, a response written whole
(`Connection: close`, no caching, no sniffing), and the limits on what a client may send."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import msgspec

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 4 * 1024
HEAD_TIMEOUT_S = 10.0  # a request head must arrive within this (slow-loris)

_JSON = msgspec.json.Encoder()


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, list[str]]  # lower-case names
    head: bytes  # as received, for the WebSocket handshake

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


class BadRequest(Exception):
    pass


def parse_head(head: bytes) -> HttpRequest:
    lines = head[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("bad request line") from None
    if version not in ("HTTP/1.1", "HTTP/1.0") or not target.startswith("/"):
        raise BadRequest("bad request line")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest("bad header line")
        headers.setdefault(name.lower(), []).append(value.strip())
    url = urlsplit(target)
    return HttpRequest(method, url.path, parse_qs(url.query), headers, head)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def http_response(
    status: int,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        "Referrer-Policy: no-referrer",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(status: int, obj: object) -> bytes:
    return http_response(status, _JSON.encode(obj), "application/json")
