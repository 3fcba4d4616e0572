"""The local event server: a small HTTP/1.1 server on asyncio with WebSocket `/events`.

Routes: `GET /` (the overlay list with live previews), `GET /overlay/chat`, `GET /overlay/alerts`,
`GET /static/NAME`, `GET /api/status`, WebSocket `/events`, `POST /api/test-event`.

Security (nothing outside the machine, and no web page in the user's browser, may read the
chat): it listens on 127.0.0.1 by default; the `Host` header must be `127.0.0.1:PORT` or
`localhost:PORT` (anything else is 403: no DNS rebinding); a WebSocket's `Origin` must be absent,
`null` or the server's own; `POST` needs the token. Listening on another address (the LAN, for
OBS on a second PC) needs the token for everything: `?token=` in the URL, or an
`Authorization: Bearer` header.

Fan-out: every message is framed once (server frames are unmasked, so the same bytes go to every
client), batched per loop pass, and written to each client's transport without waiting. Each
client's transport buffer is its bounded queue: a client with more than `max_backlog` bytes
unsent is dropped with close code 1008 and a reason, so a stalled OBS never grows memory or
slows the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import html
import logging
import os
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
from websockets.frames import CloseCode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from app.core.events import StreamEvent, json_lines
from app.kick.constants import DEFAULT_FILES_URL, ENV_KICK_FILES_URL

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7582  # no bot or overlay tool we know of uses it (Streamer.bot 8080, Firebot 7472)
ENV_RELAY_PORT = "VMSC_RELAY_PORT"
ENV_FILES_URL = ENV_KICK_FILES_URL

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

MAX_BACKLOG_BYTES = 1024 * 1024  # unsent bytes a client may have before it is dropped
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 4 * 1024
HEAD_TIMEOUT_S = 10.0  # a request head must arrive within this (slow-loris)
CLOSE_TIMEOUT_S = 5.0  # after our close frame, the TCP connection is cut after this
READ_SIZE = 64 * 1024

_JSON = msgspec.json.Encoder()


class RelayStartError(Exception):
    """The server cannot listen; `str(exc)` says why in a sentence for the user."""


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def lan_address() -> str | None:
    """This computer's address on its network, as its host name resolves (no packet is sent),
    or None when that names only loopback."""
    import socket

    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for *_, sockaddr in infos:
        address = str(sockaddr[0])
        if not address.startswith("127."):
            return address
    return None


def parse_listen_address(text: str, default_host: str = DEFAULT_HOST) -> ListenAddress:
    """`PORT` or `HOST:PORT` (`--serve 7582`, `--serve 0.0.0.0:7582`); raises ValueError."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host = default_host
    host = host.strip("[]") or default_host
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{text!r}: the port must be 0-65535")
    return ListenAddress(host, port)


def default_port(environ: Mapping[str, str] = os.environ, fallback: int = DEFAULT_PORT) -> int:
    """`VMSC_RELAY_PORT` if set (a number 0-65535, 0 for any free port; else ValueError),
    otherwise `fallback`."""
    text = environ.get(ENV_RELAY_PORT, "").strip()
    if not text:
        return fallback
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"{ENV_RELAY_PORT}={text!r} is not a port number (0-65535)")
    return int(text)


def files_url(environ: Mapping[str, str] = os.environ) -> str:
    """Base URL of Kick's emote images (`{base}/emotes/{id}/fullsize`)."""
    return (environ.get(ENV_FILES_URL) or DEFAULT_FILES_URL).rstrip("/")


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented WebSocket text frame (RFC 6455 §5.2), as a server sends."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def event_message(event: StreamEvent) -> bytes:
    """`{"kind":"event","event":...}` with the event exactly as `watch` prints it."""
    return b'{"kind":"event","event":' + json_lines([event])[:-1] + b"}"


def status_message(status: Mapping[str, object]) -> bytes:
    return _JSON.encode({"kind": "status", "status": status})


StatusSource = Callable[[], Mapping[str, object]]
# Makes and delivers a test event of the given type; ValueError for an unknown type.
TestEventHandler = Callable[[str], StreamEvent]


@dataclass(slots=True)
class _HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, list[str]]  # lower-case names
    head: bytes  # as received, for the WebSocket handshake

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


class _BadRequest(Exception):
    pass


def _parse_head(head: bytes) -> _HttpRequest:
    lines = head[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise _BadRequest("bad request line") from None
    if version not in ("HTTP/1.1", "HTTP/1.0") or not target.startswith("/"):
        raise _BadRequest("bad request line")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise _BadRequest("bad header line")
        headers.setdefault(name.lower(), []).append(value.strip())
    url = urlsplit(target)
    return _HttpRequest(method, url.path, parse_qs(url.query), headers, head)


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


def _response(
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


def _json_response(status: int, obj: object) -> bytes:
    return _response(status, _JSON.encode(obj), "application/json")


class _Client:
    __slots__ = ("closing", "peer", "protocol", "transport")

    def __init__(self, protocol: ServerProtocol, transport: asyncio.WriteTransport, peer: str):
        self.protocol = protocol
        self.transport = transport
        self.peer = peer
        self.closing = False

    def write_protocol_output(self) -> None:
        for data in self.protocol.data_to_send():
            if self.transport.is_closing():
                return
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                with contextlib.suppress(OSError):  # the peer has gone already
                    self.transport.write_eof()


class RelayServer:
    """The event server. `publish_event` / `publish_status` are cheap and never wait: call them
    from the supervisor's listeners. `start` raises RelayStartError (port taken, ...)."""

    def __init__(
        self,
        address: ListenAddress,
        *,
        token: str,
        status: StatusSource,
        test_event: TestEventHandler | None = None,
        kick_files_url: str | None = None,
        max_backlog: int = MAX_BACKLOG_BYTES,
        close_timeout: float = CLOSE_TIMEOUT_S,
        static_dir: Path = STATIC_DIR,
        lan_mode: bool | None = None,
    ) -> None:
        """`lan_mode`: the token is needed for everything and any Host is accepted (the
        default for an address other than 127.0.0.1 / localhost / ::1)."""
        self.address = address
        self.lan_mode = not address.is_loopback if lan_mode is None else lan_mode
        self.token = token
        self._status = status
        self._test_event = test_event
        self._files_url = kick_files_url if kick_files_url is not None else files_url()
        self._max_backlog = max_backlog
        self._close_timeout = close_timeout
        self._static = _load_static(static_dir)
        self._server: asyncio.Server | None = None
        self._port = address.port
        self._clients: set[_Client] = set()
        self._connections: set[asyncio.Task[None]] = set()
        self._pending: list[bytes] = []
        self._last_status: bytes | None = None
        self.dropped = 0  # clients dropped for being too slow, since start
        # called when a client has joined /events, after its first status (`replay` waits)
        self.client_joined: Callable[[], None] | None = None

    # --- life -----------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(
                self._on_connection,
                self.address.host,
                self.address.port,
                limit=MAX_HEAD_BYTES,
            )
        except OSError as exc:
            raise RelayStartError(self._start_problem(exc)) from exc
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("event server listening on %s", self.base_url)

    def _start_problem(self, exc: OSError) -> str:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"Port {self.address.port} is already in use on {self.address.host} (another "
                "VMSC, or another program): the overlays cannot be served. Choose another port "
                f"in Settings, Overlays, or with {ENV_RELAY_PORT}."
            )
        if exc.errno == errno.EACCES:
            return f"Not allowed to listen on port {self.address.port} ({exc.strerror})."
        return f"Cannot listen on {self.address} ({exc.strerror or exc})."

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for client in list(self._clients):
            self._close_client(client, CloseCode.GOING_AWAY, "server shutting down")
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if server is not None:
            await server.wait_closed()

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when asked for 0)."""
        return self._port

    @property
    def is_serving(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        host = self.address.host
        if host in ("0.0.0.0", "::", ""):
            # Every address: the URL another PC on the network can open, when we know one.
            host = (lan_address() if self.lan_mode else None) or "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    def overlay_urls(self) -> dict[str, str]:
        """name -> URL to paste into OBS (with the token when it is needed for reading)."""
        suffix = f"?token={self.token}" if self.lan_mode else ""
        return {path.rsplit("/", 1)[1]: f"{self.base_url}{path}{suffix}" for path in OVERLAY_PATHS}

    @property
    def client_count(self) -> int:
        return len(self._clients)

    # --- what is published ----------------------------------------------------------------------

    def publish_event(self, event: StreamEvent) -> None:
        if self._clients:
            self._enqueue(text_frame(event_message(event)))

    def publish_status(self) -> None:
        """Send the status if it changed (the ticking uptime alone is no change)."""
        status = dict(self._status())
        key = _JSON.encode({k: v for k, v in status.items() if k != "uptime_s"})
        if key == self._last_status:
            return
        self._last_status = key
        if self._clients:
            self._enqueue(text_frame(status_message(status)))

    def _enqueue(self, frame: bytes) -> None:
        self._pending.append(frame)
        if len(self._pending) == 1:  # the rest of this loop pass's messages go with it
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        for client in list(self._clients):
            backlog = client.transport.get_write_buffer_size()
            if backlog > self._max_backlog:
                self.dropped += 1
                log.warning("event server: dropping %s, %d bytes unread", client.peer, backlog)
                self._close_client(
                    client,
                    CloseCode.POLICY_VIOLATION,
                    f"too slow: more than {self._max_backlog // 1024} KiB of events unread",
                )
            else:
                client.transport.write(data)

    def _close_client(self, client: _Client, code: int, reason: str) -> None:
        self._clients.discard(client)
        if client.closing:
            return
        client.closing = True
        with contextlib.suppress(Exception):
            client.protocol.send_close(code, reason)
            client.write_protocol_output()
        asyncio.get_running_loop().call_later(self._close_timeout, client.transport.abort)

    # --- connections ----------------------------------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            log.exception("event server: request failed")
        finally:
            self._connections.discard(task)
            if not writer.is_closing():
                writer.close()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            writer.write(_response(431, b"request head too large\n"))
            return
        try:
            request = _parse_head(head)
        except _BadRequest as exc:
            writer.write(_response(400, f"{exc}\n".encode()))
            return
        refusal = self._refusal(request)
        if refusal is not None:
            writer.write(refusal)
            return
        if request.path == "/events":
            await self._websocket(request, reader, writer)
            return
        writer.write(await self._http(request, reader))
        await writer.drain()

    def _refusal(self, request: _HttpRequest) -> bytes | None:
        """The 4xx answer to a request that fails the Host, Origin or token checks, else None."""
        hosts = request.headers.get("host", [])
        if len(hosts) != 1:
            return _response(400, b"exactly one Host header\n")
        host = hosts[0].lower()
        own_hosts = {f"127.0.0.1:{self._port}", f"localhost:{self._port}"}
        if not self.lan_mode and host not in own_hosts:
            return _response(403, b"forbidden host\n")
        origin = request.header("origin")
        own_origins = {f"http://{name}" for name in (own_hosts | {host})}
        foreign = origin is not None and origin != "null" and origin.lower() not in own_origins
        if foreign and (request.path == "/events" or request.method != "GET"):
            return _response(403, b"forbidden origin\n")
        # The overlays' own scripts and styles are no secret; the pages and the data are.
        public = request.method == "GET" and request.path.startswith("/static/")
        needs_token = request.method != "GET" or (self.lan_mode and not public)
        if needs_token and not self._has_token(request):
            return _response(401, b"token required\n", headers=[("WWW-Authenticate", "Bearer")])
        return None

    def _has_token(self, request: _HttpRequest) -> bool:
        given = request.query.get("token", [""])[0]
        auth = request.header("authorization") or ""
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return bool(self.token) and hmac.compare_digest(given.encode(), self.token.encode())

    async def _http(self, request: _HttpRequest, reader: asyncio.StreamReader) -> bytes:
        if request.path == "/api/test-event":
            if request.method != "POST":
                return _response(405, b"POST only\n", headers=[("Allow", "POST")])
            return await self._post_test_event(request, reader)
        if request.method != "GET":
            return _response(405, b"GET only\n", headers=[("Allow", "GET")])
        if request.path == "/api/status":
            return _json_response(200, dict(self._status()))
        name = PAGES.get(request.path)
        if name is None and request.path.startswith("/static/"):
            name = request.path.removeprefix("/static/")
        if name is None or name not in self._static:
            return _response(404, b"not found\n")
        body, content_type = self._static[name]
        headers: list[tuple[str, str]] = []
        if name.endswith(".html"):
            body = body.replace(b"__FILES_URL__", _html_attribute(self._files_url))
            headers.append(("Content-Security-Policy", self._content_policy(request)))
        return _response(200, body, content_type, headers)

    def _content_policy(self, request: _HttpRequest) -> str:
        # Scripts only from our own files: a chat message that got into the DOM as HTML could
        # not run anything even then. Emotes come from Kick's file server.
        host = request.header("host") or ""
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' {self._files_url}; connect-src 'self' ws://{host}; "
            "frame-src 'self'; base-uri 'none'; form-action 'none'"
        )

    async def _post_test_event(self, request: _HttpRequest, reader: asyncio.StreamReader) -> bytes:
        if "transfer-encoding" in request.headers:
            return _response(400, b"send a Content-Length body\n")
        try:
            length = int(request.header("content-length") or "0")
        except ValueError:
            return _response(400, b"bad Content-Length\n")
        if length > MAX_BODY_BYTES:
            return _response(413, b"body too large\n")
        async with asyncio.timeout(HEAD_TIMEOUT_S):
            body = await reader.readexactly(length)
        try:
            payload: Any = msgspec.json.decode(body) if body else {}
        except (msgspec.DecodeError, UnicodeError):
            return _json_response(400, {"error": "the body is not JSON"})
        kind = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(kind, str):
            return _json_response(400, {"error": 'expected {"type": "chat|follow|...}"'})
        if self._test_event is None:
            return _json_response(503, {"error": "test events are not available here"})
        try:
            event = self._test_event(kind)
        except ValueError as exc:
            return _json_response(400, {"error": str(exc)})
        return _json_response(200, {"ok": True, "id": event.id, "type": event.type.value})

    async def _websocket(
        self, request: _HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        protocol = ServerProtocol(max_size=READ_SIZE)
        protocol.receive_data(request.head)
        events = protocol.events_received()
        transport = writer.transport
        peer = str(writer.get_extra_info("peername"))
        client = _Client(protocol, transport, peer)
        if not events or not isinstance(events[0], Request):
            client.write_protocol_output()
            return
        if request.method != "GET":
            writer.write(_response(405, b"GET only\n"))
            return
        response = protocol.accept(events[0])
        protocol.send_response(response)
        client.write_protocol_output()
        if response.status_code != 101:
            return
        # The status first, written before the client can receive anything else.
        status = dict(self._status())
        transport.write(text_frame(status_message(status)))
        self._clients.add(client)
        if self.client_joined is not None:
            self.client_joined()
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                protocol.events_received()  # what clients send (pings, close) is answered below
                client.write_protocol_output()
                if not data or protocol.close_expected():
                    break
        finally:
            self._clients.discard(client)


def _html_attribute(text: str) -> bytes:
    return html.escape(text, quote=True).encode()


def _load_static(directory: Path) -> dict[str, tuple[bytes, str]]:
    files: dict[str, tuple[bytes, str]] = {}
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        content_type = _CONTENT_TYPES.get(path.suffix)
        if path.is_file() and content_type is not None:
            files[path.name] = (path.read_bytes(), content_type)
    return files
