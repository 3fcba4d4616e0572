"""The WebSocket through the environment's proxy, read as websockets' own client reads it
(https_proxy, http_proxy, socks_proxy, no_proxy, ...): real CONNECT tunnels on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator

import pytest
import trustme

from app.core.supervisor import EndingKind
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import TARGET, send_chat
from tests.test_transport_wire import Sink, connector, disconnect, start, tls_contexts


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT), or refuses with `refuse_status`."""

    def __init__(self, refuse_status: int | None = None) -> None:
        self.refuse_status = refuse_status
        self.requests: list[str] = []  # the request line of each CONNECT
        self.port = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ConnectProxy]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        request_line = head.split("\r\n")[0]
        self.requests.append(request_line)
        if self.refuse_status is not None:
            writer.write(b"HTTP/1.1 %d Refused\r\nContent-Length: 0\r\n\r\n" % self.refuse_status)
            await writer.drain()
            writer.close()
            return
        host, port = request_line.split()[1].rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def chat_script(conn: PusherConn) -> None:
    await conn.handshake()
    await send_chat(conn, 1)
    await conn.hold()


def server_port(url: str) -> str:
    return url.split("://")[1].split("/")[0]


async def test_ws_goes_through_the_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ConnectProxy().running() as proxy, ScriptedPusherServer(chat_script) as server:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        sink = Sink()
        session = start(connector(server.url()), sink)
        await sink.until(lambda: len(sink.events) == 1)
        assert sink.events[0].id == "msg-1"
        assert proxy.requests == [f"CONNECT {server_port(server.url())} HTTP/1.1"]
        await disconnect(session)


async def test_wss_goes_through_the_proxy_with_tls_inside_the_tunnel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_tls, trusting = tls_contexts(trustme.CA())
    async with (
        ConnectProxy().running() as proxy,
        ScriptedPusherServer(chat_script, tls=server_tls) as server,
    ):
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
        sink = Sink()
        session = start(connector(server.url(), tls=trusting), sink)
        await sink.until(lambda: len(sink.events) == 1)
        assert proxy.requests == [f"CONNECT {server_port(server.url())} HTTP/1.1"]
        await disconnect(session)


async def test_no_proxy_bypasses_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ConnectProxy().running() as proxy, ScriptedPusherServer(chat_script) as server:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        sink = Sink()
        session = start(connector(server.url()), sink)
        await sink.until(lambda: len(sink.events) == 1)
        assert proxy.requests == []
        await disconnect(session)


async def test_a_refusing_proxy_is_named_and_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    async with ConnectProxy(refuse_status=407).running() as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        ending = await connector("ws://127.0.0.1:9/app/k").run_session(
            TARGET, Sink(), fresh_endpoint=False
        )
    assert ending.kind is EndingKind.BACKOFF
    assert ending.reason == "The proxy refused the connection — check the proxy settings"
    assert ending.detail == "HTTP 407 from the proxy"


async def test_a_socks_proxy_is_a_clear_error_not_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", "socks5://127.0.0.1:9")
    ending = await connector("ws://127.0.0.1:9/app/k").run_session(
        TARGET, Sink(), fresh_endpoint=False
    )
    assert ending.kind is EndingKind.FATAL
    assert ending.reason == "The proxy setting can't be used — correct it, then connect again"
    assert ending.detail == (
        "socks5://127.0.0.1:9 isn't a valid proxy: only HTTP and HTTPS proxies are supported"
    )


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("htp://kick:hunter2@127.0.0.1:9", "htp://***@127.0.0.1:9"),  # websockets' own check
        ("http://kick:p@ss@[::1:9", "http://***@[::1:9"),  # urllib cannot split it
        ("kick:hunter2@127.0.0.1:9", "***@127.0.0.1:9"),  # no scheme: "kick" looks like one
    ],
)
async def test_a_malformed_proxy_setting_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch, setting: str, shown: str
) -> None:
    monkeypatch.setenv("http_proxy", setting)
    ending = await connector("ws://127.0.0.1:9/app/k").run_session(
        TARGET, Sink(), fresh_endpoint=False
    )
    assert ending.kind is EndingKind.FATAL
    assert ending.reason == "The proxy setting can't be used — correct it, then connect again"
    assert ending.detail.startswith(f"{shown} isn't a valid proxy: ")
    assert "hunter2" not in ending.detail and "ss@" not in ending.detail


async def test_a_proxy_out_of_reach_is_named_not_blamed_on_kick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{port}")
    ending = await connector("ws://127.0.0.1:9/app/k").run_session(
        TARGET, Sink(), fresh_endpoint=False
    )
    assert ending.kind is EndingKind.BACKOFF
    assert ending.reason == "Can't connect through the proxy — check the proxy settings"
    assert ending.detail.startswith(
        f"can't connect to the proxy 127.0.0.1:{port}: [Errno {errno.ECONNREFUSED}]"
    )
