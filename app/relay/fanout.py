"""The `/events` WebSocket's fan-out: every connected client gets every message.

Every message is framed once (server frames are unmasked, so the same bytes go to every client),
batched per loop pass, and written to each client's transport without waiting. Each client's
transport buffer is its bounded queue: a client with more than `max_backlog` bytes unsent is
dropped with close code 1008 and a reason, so a stalled OBS never grows memory or slows the
others. A client's own frames (pings, its close) are answered by websockets' sans-I/O
`ServerProtocol`.

Keep-alive (`keep_alive`): every `ping_interval` s each client gets a ping; one that has sent
nothing (no pong, no frame) within `ping_timeout` s of it is closed with 1011 "keepalive ping
timeout", as websockets' own server does. A peer that vanished without a close (a PC that slept, a
dropped Wi-Fi link) would otherwise keep its socket for hours on a quiet channel, whose backlog
never fills. Browsers answer pings by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable, Mapping

import msgspec
from websockets.frames import CloseCode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from app.core.events import StreamEvent, json_lines
from app.relay.http_messages import HttpRequest, http_response

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
PING_FRAME = b"\x89\x00"  # an empty ping, unmasked as a server sends it (RFC 6455 §5.5.2)

_JSON = msgspec.json.Encoder()


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


class WebSocketClient:
    __slots__ = ("closing", "peer", "ping_sent_at", "protocol", "transport")

    def __init__(self, protocol: ServerProtocol, transport: asyncio.WriteTransport, peer: str):
        self.protocol = protocol
        self.transport = transport
        self.peer = peer
        self.closing = False
        # when the ping it has not answered yet was sent (None: it has sent something since)
        self.ping_sent_at: float | None = None

    def write_protocol_output(self) -> None:
        for data in self.protocol.data_to_send():
            if self.transport.is_closing():
                return
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                with contextlib.suppress(OSError):  # the peer has gone already
                    self.transport.write_eof()


class EventFanout:
    """The clients of `/events` and what is sent to them. `publish` is cheap and never waits."""

    def __init__(
        self,
        max_backlog: int,
        close_timeout: float,
        *,
        ping_interval: float,
        ping_timeout: float,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.clients: set[WebSocketClient] = set()
        self.dropped = 0  # clients dropped for being too slow, since start
        self.timed_out = 0  # clients closed for not answering a ping, since start
        # called when a client has joined /events, after its first status (`replay` waits)
        self.client_joined: Callable[[], None] | None = None
        self._max_backlog = max_backlog
        self._close_timeout = close_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._clock = clock
        self._sleep = sleep
        self._pending: list[bytes] = []

    def publish(self, frame: bytes) -> None:
        """Sends `frame` to every client, with the rest of this loop pass's frames."""
        self._pending.append(frame)
        if len(self._pending) == 1:  # the rest of this loop pass's messages go with it
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        if not self._pending:  # flushed early, for a client that joined (`serve`)
            return
        data = b"".join(self._pending)
        self._pending.clear()
        for client in list(self.clients):
            backlog = client.transport.get_write_buffer_size()
            if backlog > self._max_backlog:
                self.dropped += 1
                log.warning("event server: dropping %s, %d bytes unread", client.peer, backlog)
                self.close_client(
                    client,
                    CloseCode.POLICY_VIOLATION,
                    f"too slow: more than {self._max_backlog // 1024} KiB of events unread",
                )
            else:
                client.transport.write(data)

    def close_client(self, client: WebSocketClient, code: int, reason: str) -> None:
        """Sends our close frame; the connection is cut `close_timeout` s later if the client
        has not answered it by then, at once if the frame cannot be written."""
        self.clients.discard(client)
        if client.closing:
            return
        client.closing = True
        try:
            client.protocol.send_close(code, reason)
            client.write_protocol_output()
        except Exception:
            client.transport.abort()
            return
        asyncio.get_running_loop().call_later(self._close_timeout, client.transport.abort)

    def close_all(self, code: int, reason: str) -> None:
        for client in list(self.clients):
            self.close_client(client, code, reason)

    # --- keep-alive -----------------------------------------------------------------------------

    async def keep_alive(self) -> None:
        """Pings the clients every `ping_interval` s, all in one round, and closes those that
        have not answered within `ping_timeout` s; runs until cancelled. Wakes only for a round
        or a ping's deadline: nothing is added to what each event costs."""
        clock = self._clock
        next_round = clock() + self._ping_interval
        while True:
            wake = next_round
            for client in self.clients:
                if client.ping_sent_at is not None:
                    wake = min(wake, client.ping_sent_at + self._ping_timeout)
            await self._sleep(max(0.0, wake - clock()))
            now = clock()
            try:
                self._close_unanswered(now)
                if now >= next_round:
                    self._ping(now)
            except Exception:  # the next round must come all the same
                log.exception("event server: keep-alive round failed")
            if now >= next_round:
                next_round = now + self._ping_interval

    def _close_unanswered(self, now: float) -> None:
        for client in list(self.clients):
            sent_at = client.ping_sent_at
            if sent_at is not None and now - sent_at >= self._ping_timeout:
                self.timed_out += 1
                log.warning(
                    "event server: closing %s, no answer to a ping in %g s",
                    client.peer,
                    now - sent_at,
                )
                self.close_client(client, CloseCode.INTERNAL_ERROR, "keepalive ping timeout")

    def _ping(self, now: float) -> None:
        for client in self.clients:
            # one still owing an answer is not pinged again: its deadline runs from that ping
            if client.ping_sent_at is None:
                client.transport.write(PING_FRAME)
                client.ping_sent_at = now

    @property
    def unanswered_pings(self) -> int:
        """Clients that have sent nothing since their last ping."""
        return sum(1 for client in self.clients if client.ping_sent_at is not None)

    async def serve(
        self,
        request: HttpRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        status: Callable[[], Mapping[str, object]],
    ) -> None:
        """Runs one `/events` connection to its end; `status()` is the first message it gets."""
        protocol = ServerProtocol(max_size=READ_SIZE)
        protocol.receive_data(request.head)
        events = protocol.events_received()
        transport = writer.transport
        peer = str(writer.get_extra_info("peername"))
        client = WebSocketClient(protocol, transport, peer)
        if not events or not isinstance(events[0], Request):
            client.write_protocol_output()
            return
        if request.method != "GET":
            writer.write(http_response(405, b"GET only\n"))
            return
        response = protocol.accept(events[0])
        protocol.send_response(response)
        client.write_protocol_output()
        if response.status_code != 101:
            return
        # The status first, written before the client can receive anything else. What waits to
        # be sent was published before it, so that status counts it: the others get it now.
        self._flush()
        status_now = dict(status())
        transport.write(text_frame(status_message(status_now)))
        self.clients.add(client)
        if self.client_joined is not None:
            self.client_joined()
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if data:
                    client.ping_sent_at = None  # a pong, or any frame: it is there
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                protocol.events_received()  # what clients send (pings, close) is answered below
                client.write_protocol_output()
                if not data or protocol.close_expected():
                    break
        finally:
            self.clients.discard(client)
