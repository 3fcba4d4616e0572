"""Helpers for talking to the event server over real loopback sockets in tests."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from app.core.events import StreamEvent
from app.relay.address import ListenAddress
from app.relay.server import RelayServer


class HttpAnswer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


async def http_request(
    port: int,
    method: str,
    path: str,
    *,
    host: str | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> HttpAnswer:
    """One HTTP/1.1 request to 127.0.0.1:port with exactly the Host (and headers) given."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    async with asyncio.timeout(10):
        raw = await reader.read()  # the server closes after each answer
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return HttpAnswer(int(status_line.split(" ")[1]), answer_headers, payload)


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Return once `condition()` holds (checked every loop pass and every 10 ms)."""
    async with asyncio.timeout(timeout):
        # counters of the server and lists filled by readers: nothing to wait on but a poll
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def fixed_status(**fields: object) -> Callable[[], dict[str, object]]:
    status: dict[str, object] = {
        "state": "connected",
        "channel": "nightowlgg",
        "provider": "pusher",
        "live": False,
        "uptime_s": 3,
        "events": 0,
    }
    status.update(fields)
    return lambda: status


async def start_server(
    *,
    status: Callable[[], Mapping[str, object]] | None = None,
    test_event: Callable[[str], StreamEvent] | None = None,
    token: str = "s3cret-token",
    **options: Any,
) -> RelayServer:
    server = RelayServer(
        ListenAddress("127.0.0.1", 0),
        token=token,
        status=status or fixed_status(),
        test_event=test_event,
        kick_files_url="http://127.0.0.1:9",
        **options,
    )
    await server.start()
    return server


async def raw_websocket(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A bare client on /events: the handshake done, nothing read or sent after it (a peer that
    vanished as far as the server can tell)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def read_frames(
    reader: asyncio.StreamReader, timeout: float = 10.0
) -> list[tuple[int, bytes]]:
    """(opcode, payload) of every server frame up to the end of the connection."""
    async with asyncio.timeout(timeout):
        data = await reader.read()
    frames = []
    pos = 0
    while pos < len(data):
        opcode, length, pos = data[pos] & 0x0F, data[pos + 1] & 0x7F, pos + 2
        if length >= 126:
            size = 2 if length == 126 else 8
            length, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
        frames.append((opcode, data[pos : pos + length]))
        pos += length
    return frames


class SteppedTime:
    """A clock and a sleep for the keep-alive: sleeps end only when `advance` passes them."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wakes: list[float] = []  # when each pending sleep ends
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        sleeper = (self.now + delay, asyncio.get_running_loop().create_future())
        self._sleepers.append(sleeper)
        self.wakes.append(sleeper[0])
        try:
            await sleeper[1]
        finally:
            self._sleepers.remove(sleeper)
            self.wakes.remove(sleeper[0])

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for wake, future in self._sleepers:
            if wake <= self.now and not future.done():
                future.set_result(None)
