"""How a failed or lost connection reads: a plain sentence for the user and the technical detail
beside it, classified from real failures on 127.0.0.1 (and from a name that cannot resolve:
`.invalid` is reserved, RFC 6761); and what the log says about them, once."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import struct

import pytest

from app.core.state import ConnectionState
from app.core.supervisor import ConnectRequest, Ending, EndingKind
from app.kick import network_errors
from app.kick.network_errors import describe_network_error, error_text
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import TARGET, build
from tests.test_transport_wire import Sink, connector, raw_server

S = ConnectionState
NO_SUCH_HOST = "vmsc-test.nonexistent.invalid"


async def run(url: str, tls: ssl.SSLContext | None = None) -> Ending:
    async with asyncio.timeout(10):
        return await connector(url, tls=tls).run_session(TARGET, Sink(), fresh_endpoint=False)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- failing to connect --------------------------------------------------------------------------


async def test_a_name_that_does_not_resolve_says_check_your_internet() -> None:
    """What a user with no internet (or no DNS) gets; it fails at once here, offline too."""
    with pytest.raises(socket.gaierror) as info:
        await asyncio.get_running_loop().getaddrinfo(NO_SUCH_HOST, 80)
    ending = await run(f"ws://{NO_SUCH_HOST}:80/app/k")
    assert ending == Ending(
        EndingKind.BACKOFF,
        "Can't reach Kick — check your internet connection",
        error_text(info.value),  # the resolver's own words, e.g. "[Errno -2] Name or ..."
    )
    assert info.value.strerror and info.value.strerror in ending.detail


async def test_a_closed_port_is_a_refused_connection() -> None:
    ending = await run(f"ws://127.0.0.1:{closed_port()}/app/k")
    assert ending.kind is EndingKind.BACKOFF
    assert ending.reason == network_errors.REFUSED
    assert ending.detail.startswith(f"[Errno {errno.ECONNREFUSED}]")


async def test_a_server_that_does_not_speak_tls_is_a_secure_connection_failure() -> None:
    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()  # until the client gives up
        writer.close()

    async with raw_server(plain_http) as port:
        ending = await run(f"wss://127.0.0.1:{port}/app/k", tls=ssl.create_default_context())
    assert ending.kind is EndingKind.BACKOFF
    assert ending.reason == "A secure connection to Kick could not be set up"
    assert "SSL" in ending.detail


# -- losing the connection -----------------------------------------------------------------------


async def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # with linger 0: an RST, as a middlebox cutting the line sends


async def test_a_reset_during_the_upgrade_is_a_dropped_connection() -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await _reset(writer)

    async with raw_server(reset) as port:
        ending = await run(f"ws://127.0.0.1:{port}/app/k")
    assert ending.reason == "The connection to Kick dropped"
    assert f"[Errno {errno.ECONNRESET}]" in ending.detail


async def test_a_hang_up_without_a_close_frame_is_a_lost_connection() -> None:
    async def hang_up(conn: PusherConn) -> None:
        await conn.handshake()
        conn.abort()

    async with ScriptedPusherServer(hang_up) as server:
        ending = await run(server.url())
    assert ending == Ending(
        EndingKind.BACKOFF, "The connection to Kick was lost", "closed without a close frame"
    )


async def test_a_pusher_error_before_the_close_is_said_once_in_the_ending(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="app")

    async def restart(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.send("pusher:error", {"code": 4200, "message": "Server restarting"})
        await conn.close(4200)

    async with ScriptedPusherServer(restart) as server:
        ending = await run(server.url())
    assert ending == Ending(
        EndingKind.RECONNECT_NOW,
        "Kick's chat server asked us to reconnect",
        "server closed 4200 (server restarting): Server restarting",
        close_code=4200,  # the code as data, beside the words
    )
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]  # the ending says it


async def test_a_refused_chat_subscription_ends_the_session_with_the_servers_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app")

    async def refuse(conn: PusherConn) -> None:
        await conn.establish()
        frame = await conn.next_frame()
        channel = frame["data"]["channel"]
        await conn.send("pusher:subscription_error", {"error": "Forbidden"}, channel)
        await conn.hold()

    async with ScriptedPusherServer(refuse) as server:
        ending = await run(server.url())
    assert ending == Ending(
        EndingKind.BACKOFF,
        "Kick refused to send this channel's chat",
        f"subscription to chatrooms.{TARGET.chatroom_id}.v2 refused: Forbidden",
    )
    assert not caplog.records  # said once: by the ending, not also by a warning


def test_an_exception_with_no_known_cause_still_gets_a_sentence_and_its_text() -> None:
    assert describe_network_error(OSError("Multiple exceptions: a, b")) == (
        "Can't connect to Kick — check your internet connection",
        "Multiple exceptions: a, b",
    )
    assert describe_network_error(RuntimeError("")) == (
        "Can't connect to Kick — check your internet connection",
        "RuntimeError",
    )


def test_the_cause_decides_over_the_wrapper() -> None:
    """httpx and asyncio wrap the socket's error: the innermost known one decides."""
    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        except OSError as inner:
            raise OSError("All connection attempts failed") from inner
    except OSError as outer:
        summary, detail = describe_network_error(outer)
    assert summary == network_errors.REFUSED
    assert detail == f"[Errno {errno.ECONNREFUSED}] Connect call failed"


# -- the log of a reconnect scenario -------------------------------------------------------------


async def test_a_reconnect_scenario_logs_each_attempt_once_and_nothing_twice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused twice (the server is down), then up; then it restarts (pusher:error and close
    4200), and is reconnected to at once. The log: one line per state change and per attempt."""
    caplog.set_level(logging.DEBUG, logger="app")
    down = f"ws://127.0.0.1:{closed_port()}/app/k"

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        if len(conn.server.connections) == 1:
            await conn.send("pusher:error", {"code": 4200, "message": "Server restarting"})
            await conn.close(4200)
        else:
            await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, time, _ = build(server, urls=[down, down])
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED and len(server.connections) == 2)
        await sup.disconnect()
    assert time.sleeps == [1.5, 2.5]

    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    refused = [line for _, line in lines if network_errors.REFUSED in line]
    assert len(refused) == 2  # one line per refused attempt, no other line repeats it
    refused_text = refused[0].split(": ", 1)[1]
    assert refused_text.startswith(network_errors.REFUSED + " ([Errno")
    assert lines == [
        ("INFO", "disconnected -> connecting"),
        ("INFO", f"connecting -> reconnecting, attempt 1 in 1.5 s: {refused_text}"),
        ("INFO", f"reconnecting, attempt 2 in 2.5 s: {refused_text}"),
        ("INFO", "reconnecting -> connected"),
        (
            "INFO",
            "connected -> reconnecting, attempt 1 now: Kick's chat server asked us to reconnect "
            "(server closed 4200 (server restarting): Server restarting)",
        ),
        ("INFO", "reconnecting -> connected"),
        ("INFO", "connected -> disconnected"),
    ]
