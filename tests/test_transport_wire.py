"""The WebSocket layer of the socket driver: TLS, fragments, refusals, hang-ups, closing.

Everything runs against real servers on 127.0.0.1: the scripted Pusher server (websockets), with
a throwaway CA from trustme for wss://, and raw asyncio servers for misbehaving peers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trustme
from websockets.asyncio.server import ServerConnection, serve
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.uri import parse_uri
from websockets.utils import accept_key

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, EndingKind
from app.kick.network_errors import CERTIFICATE
from app.kick.normalize import Normalizer
from app.kick.pusher_codec import ChannelEvent
from app.kick.pusher_connector import PusherConnector
from app.kick.session_driver import EventNormalizer
from app.kick.websocket_connect import Timeouts
from app.kick.websocket_link import READ_BUFFER_BYTES, WebSocketLink, _frame_extent
from tests.kick_payloads import CHAT_CHANNEL, chat_data
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import TARGET, send_chat


class Sink:
    def __init__(self) -> None:
        self.events: list[StreamEvent] = []
        self.subscribed_count = 0
        self.changed = asyncio.Event()

    def subscribed(self) -> None:
        self.subscribed_count += 1
        self.changed.set()

    def event(self, event: StreamEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


FAST_OPEN = Timeouts(open=5.0)


def connector(
    url: str,
    timeouts: Timeouts = FAST_OPEN,
    tls: ssl.SSLContext | None = None,
    normalizer: Callable[[ChannelTarget], EventNormalizer] | None = None,
) -> PusherConnector:
    async def endpoint(target: ChannelTarget, fresh: bool) -> str:
        return url

    return PusherConnector(
        endpoint, normalizer or (lambda t: Normalizer(t.slug).normalize), timeouts, tls
    )


def start(conn: PusherConnector, sink: Sink) -> asyncio.Task[Ending]:
    return asyncio.create_task(conn.run_session(TARGET, sink, fresh_endpoint=False))


async def disconnect(session: asyncio.Task[Ending]) -> None:
    """What the user's Disconnect does to a session: cancel it, and wait until it has closed."""
    session.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(session, 5)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_contexts(ca: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 from `ca`; a client one trusting `ca`."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    return server_tls, trusting


async def test_wss_connects_through_tls_and_checks_the_certificate(ca: trustme.CA) -> None:
    server_tls, trusting = tls_contexts(ca)

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await send_chat(conn, 1)
        await conn.hold()

    async with ScriptedPusherServer(script, tls=server_tls) as server:
        assert server.url().startswith("wss://127.0.0.1:")
        sink = Sink()
        session = start(connector(server.url(), tls=trusting), sink)
        await sink.until(lambda: len(sink.events) == 1)
        assert sink.subscribed_count == 1 and sink.events[0].id == "msg-1"
        await disconnect(session)

        # The same server, with the system's CAs only: the certificate is refused, retryably.
        ending = await connector(server.url(), tls=ssl.create_default_context()).run_session(
            TARGET, Sink(), fresh_endpoint=False
        )
        assert ending.kind is EndingKind.BACKOFF
        assert ending.reason == CERTIFICATE
        assert "CERTIFICATE_VERIFY_FAILED" in ending.detail


async def test_a_message_sent_in_fragments_arrives_whole() -> None:
    text = pusher_frame(chat_data(7, "split " * 2000))

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.ws.send(text[i : i + 1000] for i in range(0, len(text), 1000))
        await send_chat(conn, 8)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sink = Sink()
        session = start(connector(server.url()), sink)
        await sink.until(lambda: len(sink.events) == 2)
        assert [e.id for e in sink.events] == ["msg-7", "msg-8"]
        assert sink.events[0].to_dict()["data"]["message"] == "split " * 2000
        await disconnect(session)


def pusher_frame(data: str) -> str:
    frame = {"event": "App\\Events\\ChatMessageEvent", "channel": CHAT_CHANNEL, "data": data}
    return json.dumps(frame)


async def test_binary_and_invalid_utf8_frames_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.ws.send(b"\xff\xfe not text")
        await conn.ws.send(pusher_frame(chat_data(1, "hi")).encode())  # binary, but valid JSON
        await send_chat(conn, 2)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sink = Sink()
        session = start(connector(server.url()), sink)
        await sink.until(lambda: len(sink.events) == 2)
        assert [e.id for e in sink.events] == ["msg-1", "msg-2"]
        assert any("malformed" in r.getMessage() for r in caplog.records)
        await disconnect(session)


async def test_a_bug_handling_one_event_skips_it_and_keeps_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def flaky(target: ChannelTarget) -> EventNormalizer:
        normalize = Normalizer(target.slug).normalize

        def run(message: ChannelEvent) -> StreamEvent | None:
            event = normalize(message)
            if event is not None and event.id == "msg-2":
                raise RuntimeError("boom")
            return event

        return run

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        for n in (1, 2, 3):
            await send_chat(conn, n)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sink = Sink()
        session = start(connector(server.url(), normalizer=flaky), sink)
        await sink.until(lambda: len(sink.events) == 2)
        assert [e.id for e in sink.events] == ["msg-1", "msg-3"]
        assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)
        assert len(server.connections) == 1
        await disconnect(session)


async def test_user_disconnect_sends_close_1000_and_waits_for_the_server() -> None:
    closed_with: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
    handshake_done = asyncio.Event()

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        handshake_done.set()
        await conn.hold()
        closed_with.set_result(conn.ws.close_code)

    async with ScriptedPusherServer(script) as server:
        sink = Sink()
        session = start(connector(server.url()), sink)
        await asyncio.wait_for(handshake_done.wait(), 5)
        await disconnect(session)
        assert await asyncio.wait_for(closed_with, 5) == 1000


async def test_upgrade_refused_with_http_status_is_retryable() -> None:
    def refuse(connection: ServerConnection, request: Request) -> Response:
        return connection.respond(503, "over capacity\n")

    async with serve(lambda ws: ws.wait_closed(), "127.0.0.1", 0, process_request=refuse) as srv:
        port = srv.sockets[0].getsockname()[1]
        ending = await connector(f"ws://127.0.0.1:{port}/app/k").run_session(
            TARGET, Sink(), fresh_endpoint=False
        )
    assert ending == Ending(
        EndingKind.BACKOFF,
        "Kick's chat server is having problems — it usually passes",
        "HTTP 503 instead of a WebSocket upgrade",
    )


@contextlib.asynccontextmanager
async def raw_server(
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    """A plain TCP server on 127.0.0.1 for peers that do not speak WebSocket properly."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_a_server_that_accepts_tcp_but_never_upgrades_times_out() -> None:
    released = asyncio.Event()

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        released.set()
        writer.close()

    async with raw_server(mute) as port:
        ending = await connector(f"ws://127.0.0.1:{port}/app/k", Timeouts(open=0.3)).run_session(
            TARGET, Sink(), fresh_endpoint=False
        )
        assert ending == Ending(
            EndingKind.BACKOFF,
            "Kick took too long to answer — the connection may be slow or blocked",
            "no answer within 0.3 s",
        )
        await asyncio.wait_for(released.wait(), 5)  # and the socket was closed, not leaked


async def test_a_non_websocket_answer_is_a_clear_retryable_error() -> None:
    async def http_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        await writer.drain()
        writer.close()

    async with raw_server(http_only) as port:
        ending = await connector(f"ws://127.0.0.1:{port}/app/k").run_session(
            TARGET, Sink(), fresh_endpoint=False
        )
    assert ending == Ending(
        EndingKind.BACKOFF,
        "Kick's chat server refused the connection",
        "HTTP 200 instead of a WebSocket upgrade",
    )


async def test_a_peer_that_ignores_our_close_is_dropped_after_the_close_timeout() -> None:
    """Our close frame goes out; the peer ignores it; the close timeout ends the wait."""
    subscribing = asyncio.Event()

    async def stubborn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode()
        )
        established = json.dumps(
            {"event": "pusher:connection_established", "data": '{"socket_id": "1.2"}'}
        ).encode()
        writer.write(bytes([0x81, len(established)]) + established)  # one unmasked text frame
        await writer.drain()
        await reader.read(1)  # the client's first subscribe frame
        subscribing.set()
        await reader.read()  # ignore everything, never close
        writer.close()

    async with raw_server(stubborn) as port:
        sink = Sink()
        timeouts = Timeouts(open=5.0, close=0.2)
        session = start(connector(f"ws://127.0.0.1:{port}/app/k", timeouts), sink)
        await asyncio.wait_for(subscribing.wait(), 5)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await disconnect(session)
        assert 0.2 <= loop.time() - began < 3


# -- read coalescing: the policy, with a fake clock and transport --------------------------------


class FakeClockLoop:
    """Stands in for the loop inside `WebSocketLink`: a settable clock and recorded timers."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[[], None]]] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.timers.append((delay, callback))
        return asyncio.get_running_loop().call_later(3600, lambda: None)  # never due


class RecordingTransport:
    def __init__(self) -> None:
        self.reading = True
        self.pauses = 0
        self.written: list[bytes] = []

    def pause_reading(self) -> None:
        assert self.reading
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass

    def abort(self) -> None:
        pass


def text_frame(n: int) -> bytes:
    payload = json.dumps({"event": "x", "data": str(n)}).encode()
    return bytes([0x81, len(payload)]) + payload


async def open_fake_link(
    coalesce: float = 0.005,
) -> tuple[Any, FakeClockLoop, RecordingTransport, list[bytes]]:
    received: list[bytes] = []
    ws = ClientProtocol(parse_uri("ws://127.0.0.1:1/app/k"), state=State.OPEN)
    link = WebSocketLink(ws, lambda data: received.append(bytes(data)), 2.0, coalesce)
    clock, transport = FakeClockLoop(), RecordingTransport()
    link._loop = clock  # type: ignore[assignment]
    link.last_read_at = clock.now
    link.connection_made(transport)  # type: ignore[arg-type]
    return link, clock, transport, received


def feed(link: Any, clock: FakeClockLoop, after: float, *frames: bytes) -> None:
    clock.now += after
    data = b"".join(frames)
    link.get_buffer(len(data))[: len(data)] = data
    link.buffer_updated(len(data))


async def test_slow_messages_are_read_as_they_come() -> None:
    link, clock, transport, received = await open_fake_link()
    for n in range(5):
        feed(link, clock, 0.050, text_frame(n))  # 20 a second
    assert transport.pauses == 0 and clock.timers == [] and len(received) == 5


async def test_fast_messages_are_read_in_batches_until_the_rate_drops() -> None:
    link, clock, transport, received = await open_fake_link()
    feed(link, clock, 0.050, text_frame(0))
    feed(link, clock, 0.001, text_frame(1))  # a second message 1 ms later: start batching
    assert not transport.reading and clock.timers[-1][0] == 0.005
    clock.timers.pop()[1]()  # the timer resumes reading
    assert transport.reading
    feed(link, clock, 0.005, text_frame(2), text_frame(3), text_frame(4))  # a batch: go on
    assert not transport.reading
    clock.timers.pop()[1]()
    feed(link, clock, 0.005, text_frame(5))  # only one came in the pause: back to normal
    assert transport.reading and transport.pauses == 2
    feed(link, clock, 0.020, text_frame(6))
    assert transport.reading and transport.pauses == 2
    assert [json.loads(r)["data"] for r in received] == [str(n) for n in range(7)]


async def test_a_full_read_buffer_is_never_followed_by_a_pause() -> None:
    link, clock, transport, received = await open_fake_link()
    feed(link, clock, 0.050, text_frame(0))
    # one frame exactly as long as the read buffer: a burst is waiting behind it
    payload = b"y" * (READ_BUFFER_BYTES - 10)
    frame = bytes([0x81, 127]) + len(payload).to_bytes(8, "big") + payload
    feed(link, clock, 0.001, frame)
    assert transport.reading and transport.pauses == 0 and len(received) == 2


async def test_coalescing_off_never_pauses() -> None:
    link, clock, transport, _ = await open_fake_link(coalesce=0.0)
    for n in range(5):
        feed(link, clock, 0.0001, text_frame(n))
    assert transport.pauses == 0


async def test_a_ping_is_answered_while_batching() -> None:
    link, clock, transport, _ = await open_fake_link()
    feed(link, clock, 0.050, text_frame(0))
    feed(link, clock, 0.001, text_frame(1))
    assert not transport.reading
    clock.timers.pop()[1]()
    transport.written.clear()
    feed(link, clock, 0.005, text_frame(2), bytes([0x89, 2]) + b"hi")  # a WebSocket ping
    assert transport.written and transport.written[0][0] == 0x8A  # the pong went out at once


# -- read coalescing: the real thing, on a socket ----------------------------------------------


async def test_a_fast_stream_arrives_complete_and_in_order_then_its_close() -> None:
    n_events = 3000

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        for n in range(n_events):
            await send_chat(conn, n)
            if n % 7 == 0:
                await asyncio.sleep(0)  # let the client catch up sometimes: mixed read sizes
        await conn.close(4200, "restart")

    async with ScriptedPusherServer(script) as server:
        sink = Sink()
        ending = await connector(server.url()).run_session(TARGET, sink, fresh_endpoint=False)
    assert [e.id for e in sink.events] == [f"msg-{n}" for n in range(n_events)]
    assert ending.kind is EndingKind.RECONNECT_NOW


# -- whole text frames are cut from the read buffer; websockets parses the rest ----------------


def server_frame(first: int, payload: bytes, masked: bool = False) -> bytes:
    """A frame as a server sends it: `first` is FIN/RSV/opcode; unmasked unless `masked`."""
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = bytes([first, mask_bit | n])
    elif n < 1 << 16:
        head = bytes([first, mask_bit | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first, mask_bit | 127]) + n.to_bytes(8, "big")
    if masked:
        key = b"\x01\x02\x03\x04"
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


TEXT, CONT_MORE, CONT_LAST, TEXT_FIRST, BINARY = 0x81, 0x00, 0x80, 0x01, 0x82
PING, CLOSE = 0x89, 0x88


async def connecting_link(
    max_size: int = 8 * 1024 * 1024,
) -> tuple[WebSocketLink, RecordingTransport, list[bytes], bytes]:
    """A link that has sent its upgrade request, and the 101 response that accepts it."""
    received: list[bytes] = []
    ws = ClientProtocol(parse_uri("ws://127.0.0.1:1/app/k"), max_size=max_size)
    link = WebSocketLink(ws, lambda data: received.append(bytes(data)), 2.0, 0.0)
    transport = RecordingTransport()
    link.connection_made(transport)  # type: ignore[arg-type]
    request = b"".join(transport.written).decode()
    key = request.split("Sec-WebSocket-Key: ")[1].split("\r\n")[0]
    transport.written.clear()
    response = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
    ).encode()
    return link, transport, received, response


def feed_in_pieces(link: WebSocketLink, data: bytes, sizes: Callable[[], int]) -> None:
    """Hands `data` to the link as reads of the given sizes, each at most what it asks for."""
    pos = 0
    while pos < len(data):
        view = link.get_buffer(-1)
        n = min(sizes(), len(view), len(data) - pos)
        view[:n] = data[pos : pos + n]
        link.buffer_updated(n)
        pos += n


def sent_opcodes(transport: RecordingTransport) -> list[int]:
    """The first header byte of every frame the link wrote (client frames are masked)."""
    data, pos, opcodes = b"".join(transport.written), 0, []
    while pos < len(data):
        opcodes.append(data[pos])
        extent = _frame_extent(bytearray(data), pos, len(data))
        assert extent is not None
        pos = extent[1]
    return opcodes


def mixed_stream() -> tuple[bytes, list[bytes]]:
    """Frames of every kind a server may send, and the messages they carry, in order."""
    big = b'{"event":"x","data":"' + b"b" * (READ_BUFFER_BYTES * 2) + b'"}'  # > the buffer
    decoys = server_frame(TEXT, b"decoy") * (READ_BUFFER_BYTES // 5)
    frames = [
        (server_frame(TEXT, b"short"), [b"short"]),
        (server_frame(TEXT, b"m" * 300), [b"m" * 300]),  # 16-bit length
        (server_frame(PING, b"p1"), []),
        (server_frame(TEXT, big), [big]),  # 64-bit length, larger than the read buffer
        (server_frame(BINARY, decoys), [decoys]),  # and one whose bytes look like frames
        (server_frame(TEXT_FIRST, b"frag-"), []),
        (server_frame(PING, b"p2"), []),  # a ping may come between fragments
        (server_frame(CONT_MORE, b"ment"), []),
        (server_frame(CONT_LAST, b"ed"), [b"frag-mented"]),
        (server_frame(BINARY, b"bin"), [b"bin"]),
        (server_frame(TEXT, "ünï 🎉".encode()), ["ünï 🎉".encode()]),
        (server_frame(TEXT, b""), [b""]),
    ]
    frames += [
        (server_frame(TEXT, b"n%d" % n * (n % 40)), [b"n%d" % n * (n % 40)]) for n in range(300)
    ]
    frames.append((server_frame(CLOSE, (4200).to_bytes(2, "big") + b"bye"), []))
    frames.append((server_frame(TEXT, b"after the close"), []))  # discarded, as RFC 6455 says
    return b"".join(f for f, _ in frames), [m for _, ms in frames for m in ms]


@pytest.mark.parametrize("piece", ["whole", "1 byte", "random"])
async def test_any_split_of_the_stream_gives_the_same_messages_and_replies(piece: str) -> None:
    rng = random.Random(7)
    sizes = {
        "whole": lambda: 1 << 30,
        "1 byte": lambda: 1,
        "random": lambda: rng.choice((1, 2, 3, 7, 100, 599, 4096, READ_BUFFER_BYTES)),
    }[piece]
    link, transport, received, response = await connecting_link()
    stream, expected = mixed_stream()
    feed_in_pieces(link, response + stream, sizes)
    assert link.opened.done() and link.opened.exception() is None
    assert received == expected
    # two pongs, then the close reply echoing 4200, and nothing else
    assert sent_opcodes(transport) == [0x8A, 0x8A, 0x88]
    assert link.ws.close_rcvd is not None and link.ws.close_rcvd.code == 4200


async def test_a_masked_frame_from_the_server_fails_the_connection() -> None:
    link, transport, received, response = await connecting_link()
    feed_in_pieces(link, response + server_frame(TEXT, b"ok"), lambda: 1 << 30)
    feed_in_pieces(link, server_frame(TEXT, b"masked", masked=True), lambda: 1 << 30)
    feed_in_pieces(link, server_frame(TEXT, b"later"), lambda: 1 << 30)
    assert received == [b"ok"]
    assert link.ws.state is State.CLOSING and sent_opcodes(transport) == [0x88]
    assert link.ws.close_sent is not None and link.ws.close_sent.code == 1002


async def test_a_message_over_the_size_limit_is_refused_not_delivered() -> None:
    link, _, received, response = await connecting_link(max_size=1000)
    stream = response + server_frame(TEXT, b"a" * 1000) + server_frame(TEXT, b"a" * 1001)
    feed_in_pieces(link, stream, lambda: 1 << 30)
    assert received == [b"a" * 1000]
    assert link.ws.close_sent is not None and link.ws.close_sent.code == 1009


async def test_a_new_message_inside_a_fragmented_one_is_a_protocol_error() -> None:
    link, _, received, response = await connecting_link()
    stream = response + server_frame(TEXT_FIRST, b"a") + server_frame(TEXT, b"b")
    feed_in_pieces(link, stream, lambda: 1 << 30)
    assert received == []
    assert link.ws.close_sent is not None and link.ws.close_sent.code == 1002


async def test_a_refusal_split_across_reads_is_read_with_its_body() -> None:
    link, _, _, _ = await connecting_link()
    body = b"busy, come back later"
    refusal = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    feed_in_pieces(link, refusal, lambda: 1)
    exc = link.opened.exception()
    assert isinstance(exc, InvalidStatus) and exc.response.status_code == 503
    assert exc.response.body == body
