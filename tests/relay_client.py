"""Helpers for talking to the event server over real loopback sockets in tests."""

from __future__ import annotations

import asyncio
import json
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
