"""The local event server: a small HTTP/1.1 server on asyncio with WebSocket `/events`.

`RelayServer` listens, reads each request's head and hands it on: to `routes.HttpRoutes` for
the checks every request passes (Host, Origin, token) and for the HTTP routes, to
`fanout.EventFanout` for `/events`, which also sends what is published to every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
from websockets.frames import CloseCode

from app.core.events import StreamEvent
from app.kick.images import files_url
from app.relay.address import ENV_RELAY_PORT, ListenAddress, lan_address
from app.relay.fanout import EventFanout, event_message, status_message, text_frame
from app.relay.http_messages import (
    HEAD_TIMEOUT_S,
    MAX_HEAD_BYTES,
    BadRequest,
    http_response,
    parse_head,
)
from app.relay.routes import (
    OVERLAY_PATHS,
    STATIC_DIR,
    HttpRoutes,
    StatusSource,
    TestEventHandler,
)

log = logging.getLogger(__name__)

MAX_BACKLOG_BYTES = 1024 * 1024  # unsent bytes a client may have before it is dropped
CLOSE_TIMEOUT_S = 5.0  # after our close frame, the TCP connection is cut after this
PING_INTERVAL_S = 20.0  # every client is pinged this often (websockets' own default)
PING_TIMEOUT_S = 20.0  # a client that sends nothing for this long after a ping is closed
# While events flow, the status (with its count of events) is sent again at most this often.
STATUS_REFRESH_S = 1.0

_JSON = msgspec.json.Encoder()


class RelayStartError(Exception):
    """The server cannot listen; `str(exc)` says why in a sentence for the user."""


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
        ping_interval: float = PING_INTERVAL_S,
        ping_timeout: float = PING_TIMEOUT_S,
        status_refresh: float = STATUS_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        static_dir: Path = STATIC_DIR,
        lan_mode: bool | None = None,
    ) -> None:
        """`lan_mode`: the token is needed for everything and any Host is accepted (the
        default for an address other than 127.0.0.1 / localhost / ::1). `clock` and `sleep`
        time the keep-alive pings only."""
        self.address = address
        self._status = status
        self._routes = HttpRoutes(
            token=token,
            lan_mode=not address.is_loopback if lan_mode is None else lan_mode,
            port=address.port,
            status=status,
            test_event=test_event,
            kick_files_url=kick_files_url if kick_files_url is not None else files_url(),
            static_dir=static_dir,
        )
        self._fanout = EventFanout(
            max_backlog,
            close_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            clock=clock,
            sleep=sleep,
        )
        self._server: asyncio.Server | None = None
        self._keep_alive: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._last_status: bytes | None = None
        self._status_refresh_s = status_refresh
        self._status_refresh: asyncio.TimerHandle | None = None

    @property
    def token(self) -> str:
        return self._routes.token

    @property
    def lan_mode(self) -> bool:
        return self._routes.lan_mode

    @property
    def dropped(self) -> int:
        """Clients dropped for being too slow, since start."""
        return self._fanout.dropped

    @property
    def timed_out(self) -> int:
        """Clients closed for not answering a ping, since start."""
        return self._fanout.timed_out

    @property
    def unanswered_pings(self) -> int:
        """Clients that have sent nothing since their last ping."""
        return self._fanout.unanswered_pings

    @property
    def client_joined(self) -> Callable[[], None] | None:
        """Called when a client has joined /events, after its first status (`replay` waits)."""
        return self._fanout.client_joined

    @client_joined.setter
    def client_joined(self, callback: Callable[[], None] | None) -> None:
        self._fanout.client_joined = callback

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
        self._routes.port = self._server.sockets[0].getsockname()[1]
        self._keep_alive = asyncio.create_task(self._fanout.keep_alive())
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
        keep_alive, self._keep_alive = self._keep_alive, None
        if keep_alive is not None:
            keep_alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keep_alive
        if self._status_refresh is not None:
            self._status_refresh.cancel()
            self._status_refresh = None
        self._fanout.close_all(CloseCode.GOING_AWAY, "server shutting down")
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
        return self._routes.port

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
        return f"http://{host}:{self.port}"

    def overlay_urls(self) -> dict[str, str]:
        """name -> URL to paste into OBS (with the token when it is needed for reading)."""
        suffix = f"?token={self.token}" if self.lan_mode else ""
        return {path.rsplit("/", 1)[1]: f"{self.base_url}{path}{suffix}" for path in OVERLAY_PATHS}

    @property
    def client_count(self) -> int:
        return len(self._fanout.clients)

    # --- what is published ----------------------------------------------------------------------

    def publish_event(self, event: StreamEvent) -> None:
        fanout = self._fanout
        if fanout.clients:
            fanout.publish(text_frame(event_message(event)))
            # The status's `events` count changed without a status change: it is sent again once
            # this refresh is due (at most one status a second however many events flow).
            if self._status_refresh is None:
                self._status_refresh = asyncio.get_running_loop().call_later(
                    self._status_refresh_s, self._refresh_status
                )

    def _refresh_status(self) -> None:
        self._status_refresh = None
        self.publish_status()

    def publish_status(self) -> None:
        """Send the status if it changed (the ticking uptime alone is no change)."""
        status = dict(self._status())
        key = _JSON.encode({k: v for k, v in status.items() if k != "uptime_s"})
        if key == self._last_status:
            return
        self._last_status = key
        if self._fanout.clients:
            self._fanout.publish(text_frame(status_message(status)))

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
            writer.write(http_response(431, b"request head too large\n"))
            return
        try:
            request = parse_head(head)
        except BadRequest as exc:
            writer.write(http_response(400, f"{exc}\n".encode()))
            return
        refusal = self._routes.refusal(request)
        if refusal is not None:
            writer.write(refusal)
            return
        if request.path == "/events":
            await self._fanout.serve(request, reader, writer, self._status)
            return
        writer.write(await self._routes.answer(request, reader))
        await writer.drain()
