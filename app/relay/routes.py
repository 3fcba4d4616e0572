"""The event server's HTTP side: who may ask (the Host, Origin and token checks), and the answer
to each route but the `/events` WebSocket (`fanout`).

Routes: `GET /` (the overlay list with live previews), `GET /overlay/chat`, `GET /overlay/alerts`,
`GET /static/NAME`, `GET /api/status`, WebSocket `/events`, `POST /api/test-event`.

Security (nothing outside the machine, and no web page in the user's browser, may read the
chat): the server listens on 127.0.0.1 by default; the `Host` header must be `127.0.0.1:PORT` or
`localhost:PORT` (anything else is 403: no DNS rebinding); a WebSocket's `Origin` must be absent,
`null` or the server's own; `POST` needs the token. Listening on another address (the LAN, for
OBS on a second PC) needs the token for everything: `?token=` in the URL, or an
`Authorization: Bearer` header.
"""

from __future__ import annotations

import asyncio
import hmac
import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from app.core.events import StreamEvent
from app.relay.http_messages import (
    HEAD_TIMEOUT_S,
    MAX_BODY_BYTES,
    HttpRequest,
    http_response,
    json_response,
)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGES = {"/": "index.html", "/overlay/chat": "chat.html", "/overlay/alerts": "alerts.html"}
OVERLAY_PATHS = ("/overlay/chat", "/overlay/alerts")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


StatusSource = Callable[[], Mapping[str, object]]
# Makes and delivers a test event of the given type; ValueError for an unknown type.
TestEventHandler = Callable[[str], StreamEvent]


class HttpRoutes:
    """Checks and answers the event server's HTTP requests. `port` is the one listened on (set
    once the server listens: a request's Host must name it)."""

    def __init__(
        self,
        *,
        token: str,
        lan_mode: bool,
        port: int,
        status: StatusSource,
        test_event: TestEventHandler | None,
        kick_files_url: str,
        static_dir: Path,
    ) -> None:
        self.token = token
        self.lan_mode = lan_mode
        self.port = port
        self._status = status
        self._test_event = test_event
        self._files_url = kick_files_url
        self._static = _load_static(static_dir)

    def refusal(self, request: HttpRequest) -> bytes | None:
        """The 4xx answer to a request that fails the Host, Origin or token checks, else None."""
        hosts = request.headers.get("host", [])
        if len(hosts) != 1:
            return http_response(400, b"exactly one Host header\n")
        host = hosts[0].lower()
        own_hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if not self.lan_mode and host not in own_hosts:
            return http_response(403, b"forbidden host\n")
        origin = request.header("origin")
        own_origins = {f"http://{name}" for name in (own_hosts | {host})}
        foreign = origin is not None and origin != "null" and origin.lower() not in own_origins
        if foreign and (request.path == "/events" or request.method != "GET"):
            return http_response(403, b"forbidden origin\n")
        # The overlays' own scripts and styles are no secret; the pages and the data are.
        public = request.method == "GET" and request.path.startswith("/static/")
        needs_token = request.method != "GET" or (self.lan_mode and not public)
        if needs_token and not self._has_token(request):
            return http_response(401, b"token required\n", headers=[("WWW-Authenticate", "Bearer")])
        return None

    def _has_token(self, request: HttpRequest) -> bool:
        given = request.query.get("token", [""])[0]
        auth = request.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    async def answer(self, request: HttpRequest, reader: asyncio.StreamReader) -> bytes:
        if request.path == "/api/test-event":
            if request.method != "POST":
                return http_response(405, b"POST only\n", headers=[("Allow", "POST")])
            return await self._post_test_event(request, reader)
        if request.method != "GET":
            return http_response(405, b"GET only\n", headers=[("Allow", "GET")])
        if request.path == "/api/status":
            return json_response(200, dict(self._status()))
        name = PAGES.get(request.path)
        if name is None and request.path.startswith("/static/"):
            name = request.path.removeprefix("/static/")
        if name is None or name not in self._static:
            return http_response(404, b"not found\n")
        body, content_type = self._static[name]
        headers: list[tuple[str, str]] = []
        if name.endswith(".html"):
            body = body.replace(b"__FILES_URL__", _html_attribute(self._files_url))
            headers.append(("Content-Security-Policy", self._content_policy(request)))
        return http_response(200, body, content_type, headers)

    def _content_policy(self, request: HttpRequest) -> str:
        # Scripts only from our own files: a chat message that got into the DOM as HTML could
        # not run anything even then. Emotes come from Kick's file server.
        host = request.header("host") or ""
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' {self._files_url}; connect-src 'self' ws://{host}; "
            "frame-src 'self'; base-uri 'none'; form-action 'none'"
        )

    async def _post_test_event(self, request: HttpRequest, reader: asyncio.StreamReader) -> bytes:
        if "transfer-encoding" in request.headers:
            return http_response(400, b"send a Content-Length body\n")
        try:
            length = int(request.header("content-length") or "0")
        except ValueError:
            return http_response(400, b"bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return http_response(413, b"body too large\n")
        async with asyncio.timeout(HEAD_TIMEOUT_S):
            body = await reader.readexactly(length)
        try:
            payload: Any = msgspec.json.decode(body) if body else {}
        except (msgspec.DecodeError, UnicodeError):
            return json_response(400, {"error": "the body is not JSON"})
        kind = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(kind, str):
            return json_response(400, {"error": 'expected {"type": "chat|follow|...}"'})
        if self._test_event is None:
            return json_response(503, {"error": "test events are not available here"})
        try:
            event = self._test_event(kind)
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"ok": True, "id": event.id, "type": event.type.value})


def _html_attribute(text: str) -> bytes:
    return html.escape(text, quote=True).encode()


def _load_static(directory: Path) -> dict[str, tuple[bytes, str]]:
    files: dict[str, tuple[bytes, str]] = {}
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        content_type = _CONTENT_TYPES.get(path.suffix)
        if path.is_file() and content_type is not None:
            files[path.name] = (path.read_bytes(), content_type)
    return files
