"""The socket driver and the supervisor against a scripted Pusher server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import errno
import gc
import os
from collections.abc import Callable

import pytest

from app.core.backoff import Backoff
from app.core.events import EventType, StreamEvent
from app.core.state import ConnectionState, Status
from app.core.supervisor import (
    ChannelTarget,
    ConnectRequest,
    Ending,
    EndingKind,
    Supervisor,
)
from app.kick import network_errors, pusher_endings
from app.kick.normalize import Normalizer
from app.kick.pusher_connector import PusherConnector
from app.kick.pusher_endings import classify_ending
from app.kick.websocket_connect import Timeouts
from tests.kick_payloads import CHAT_CHANNEL, chat_data
from tests.pusher_server import PusherConn, ScriptedPusherServer

S = ConnectionState
TARGET = ChannelTarget(
    "nightowlgg", chatroom_id=5079311, channel_id=5120934, display_name="NightOwlGG"
)


async def send_chat(conn: PusherConn, n: int, content: str = "hello [emote:37226:KEKW]") -> None:
    await conn.send("App\\Events\\ChatMessageEvent", chat_data(n, content), CHAT_CHANNEL)


class Resolver:
    async def resolve(self, request: ConnectRequest) -> ChannelTarget:
        return TARGET

    async def lookup(self, slug: str) -> ChannelTarget:
        return TARGET


class Recorder:
    """Records statuses and events and lets a test wait for a condition on them."""

    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.statuses: list[Status] = []
        self.events: list[StreamEvent] = []
        self._changed = asyncio.Event()
        sup.add_status_listener(self._on_status)
        sup.add_event_listener(self._on_event)

    def _on_status(self, status: Status) -> None:
        self.statuses.append(status)
        self._changed.set()

    def _on_event(self, event: StreamEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def saw(self, state: ConnectionState) -> bool:
        return any(s.state is state for s in self.statuses)


FAST_OPEN = Timeouts(open=5.0)


class InstantTime:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        await asyncio.sleep(0)


def build(
    server: ScriptedPusherServer,
    timeouts: Timeouts = FAST_OPEN,
    urls: list[str] | None = None,
) -> tuple[Supervisor, Recorder, InstantTime, list[bool]]:
    fresh_asks: list[bool] = []

    async def endpoint(target: ChannelTarget, fresh: bool) -> str:
        fresh_asks.append(fresh)
        return urls.pop(0) if urls else server.url()

    connector = PusherConnector(endpoint, lambda t: Normalizer(t.slug).normalize, timeouts)
    time = InstantTime()
    sup = Supervisor(
        Resolver(), connector, backoff=Backoff(random_source=lambda: 0.5), sleep=time.sleep
    )
    return sup, Recorder(sup), time, fresh_asks


async def test_handshake_subscribes_to_the_five_public_channels_and_delivers_events() -> None:
    async def script(conn: PusherConn) -> None:
        channels = await conn.handshake()
        assert channels == [
            "chatrooms.5079311.v2",
            "chatrooms.5079311",
            "chatroom_5079311",
            "channel.5120934",
            "channel_5120934",
        ]
        for n in range(3):
            await send_chat(conn, n)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 3)
        assert sup.status.state is S.CONNECTED
        assert sup.status.event_count == 3
        first = rec.events[0]
        assert first.type is EventType.CHAT and first.id == "msg-0"
        assert first.to_dict()["data"]["emotes"] == [{"id": "37226", "name": "KEKW"}]
        assert all(f["data"]["auth"] == "" for f in server.connections[0].received)
        await sup.disconnect()
        assert sup.status.state is S.DISCONNECTED


async def test_connected_only_after_the_chat_subscription_is_confirmed() -> None:
    others_confirmed = asyncio.Event()
    release = asyncio.Event()

    async def script(conn: PusherConn) -> None:
        await conn.establish()
        channels = [(await conn.next_frame())["data"]["channel"] for _ in range(5)]
        for channel in channels[1:]:
            await conn.send("pusher_internal:subscription_succeeded", "{}", channel)
        await send_chat(conn, 0)  # a frame after the four confirmations, to know they arrived
        others_confirmed.set()
        await release.wait()
        await conn.send("pusher_internal:subscription_succeeded", "{}", channels[0])
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1)
        assert sup.status.state is S.CONNECTING
        release.set()
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        await sup.disconnect()


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (4000, EndingKind.FATAL),
        (4009, EndingKind.FATAL),
        (4099, EndingKind.FATAL),
        (4001, EndingKind.STALE_ENDPOINT),
        (4100, EndingKind.BACKOFF),
        (4199, EndingKind.BACKOFF),
        (4200, EndingKind.RECONNECT_NOW),
        (4201, EndingKind.RECONNECT_NOW),
        (4299, EndingKind.RECONNECT_NOW),
        (1000, EndingKind.BACKOFF),
        (1011, EndingKind.BACKOFF),
    ],
)
async def test_close_codes_are_classified_from_the_wire(code: int, kind: EndingKind) -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.close(code, "bye")

    async with ScriptedPusherServer(script) as server:

        async def endpoint(target: ChannelTarget, fresh: bool) -> str:
            return server.url()

        class Sink:
            subscribed_calls = 0

            def subscribed(self) -> None:
                self.subscribed_calls += 1

            def event(self, event: StreamEvent) -> None:
                pass

        sink = Sink()
        connector = PusherConnector(endpoint, lambda t: Normalizer(t.slug).normalize)
        ending = await connector.run_session(TARGET, sink, fresh_endpoint=False)
        assert ending.kind is kind
        assert (
            ending.reason
            == {
                EndingKind.FATAL: pusher_endings.CLOSED_BY_SERVER[EndingKind.FATAL],
                EndingKind.STALE_ENDPOINT: pusher_endings.CLOSED_BY_SERVER[EndingKind.FATAL],
                EndingKind.BACKOFF: "Kick's chat server closed the connection",
                EndingKind.RECONNECT_NOW: "Kick's chat server asked us to reconnect",
            }[kind]
        )
        assert ending.detail.startswith(f"server closed {code}")
        assert ending.detail.endswith(": bye")
        assert sink.subscribed_calls == 1


async def test_fatal_close_ends_in_error_without_retry() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.close(4009, "unauthorized")

    async with ScriptedPusherServer(script) as server:
        sup, _, time, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await sup.wait_stopped()
        assert sup.status.state is S.ERROR
        assert sup.status.reason.startswith("Kick's chat server refused the connection")
        assert "retrying will not help" in sup.status.reason
        assert sup.status.detail == "server closed 4009 (unauthorized): unauthorized"
        assert len(server.connections) == 1 and time.sleeps == []


async def test_backoff_close_waits_then_reconnects() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        if len(conn.server.connections) == 1:
            await conn.close(4100, "over capacity")
        else:
            await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, time, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await server.wait_connections(2)
        await rec.until(lambda: sup.status.state is S.CONNECTED and len(server.connections) == 2)
        assert time.sleeps == [1.5]  # 1 s + jitter 0.5; reset after the first subscription
        assert next((s.reason, s.detail) for s in rec.statuses if s.attempt == 1) == (
            "Kick's chat server closed the connection",
            "server closed 4100 (over capacity): over capacity",
        )
        await sup.disconnect()


async def test_server_restart_code_reconnects_at_once() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        if len(conn.server.connections) == 1:
            await conn.close(4200, "restart")
        else:
            await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, time, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await server.wait_connections(2)
        await rec.until(lambda: sup.status.state is S.CONNECTED and len(server.connections) == 2)
        assert time.sleeps == []
        await sup.disconnect()


async def test_unknown_app_key_rediscovers_once_then_error() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.send(
            "pusher:error", {"code": 4001, "message": "App key stale not in this cluster"}
        )
        await conn.close(4001, "App key stale not in this cluster")

    async with ScriptedPusherServer(script) as server:
        sup, _, time, fresh = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await sup.wait_stopped()
        assert sup.status.state is S.ERROR
        assert sup.status.reason == pusher_endings.CLOSED_BY_SERVER[EndingKind.FATAL]
        assert sup.status.detail == (
            "server closed 4001 (unknown app key): App key stale not in this cluster"
        )
        assert fresh == [False, True]
        assert len(server.connections) == 2 and time.sleeps == []


async def test_accept_then_drop_grows_the_backoff() -> None:
    async def script(conn: PusherConn) -> None:
        if len(conn.server.connections) <= 6:
            conn.abort()
        else:
            await conn.handshake()
            await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, time, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        assert time.sleeps == [1.5, 2.5, 4.5, 8.5, 16.5, 16.5]
        assert [s.attempt for s in rec.statuses if s.retry_at is not None] == [1, 2, 3, 4, 5, 6]
        await sup.disconnect()


async def test_drop_after_established_but_before_subscription_still_grows_backoff() -> None:
    async def script(conn: PusherConn) -> None:
        if len(conn.server.connections) <= 3:
            await conn.establish()
            await conn.next_frame()
            conn.abort()
        else:
            await conn.handshake()
            await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, time, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        assert time.sleeps == [1.5, 2.5, 4.5]
        await sup.disconnect()


async def test_silence_sends_ping_then_declares_the_connection_dead() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake(activity_timeout=120)
        if len(conn.server.connections) == 1:
            frame = await conn.next_frame()  # the client's ping; we never answer: half-open
            assert frame["event"] == "pusher:ping"
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server, Timeouts(max_activity=0.2, pong=0.3, open=5.0))
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.RECONNECTING, timeout=5)
        assert sup.status.reason == pusher_endings.WENT_SILENT
        assert sup.status.detail == "no answer to ping in 0.3 s: connection dead"
        assert server.connections[0].received[-1] == {"event": "pusher:ping", "data": {}}
        await sup.disconnect()


async def test_answered_ping_keeps_the_connection() -> None:
    pongs_sent = asyncio.Event()

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        for _ in range(3):  # three rounds of silence, each answered
            frame = await conn.next_frame()
            assert frame["event"] == "pusher:ping"
            await conn.send("pusher:pong", {})
        pongs_sent.set()
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server, Timeouts(max_activity=0.1, pong=0.5, open=5.0))
        sup.connect(ConnectRequest("nightowlgg"))
        await asyncio.wait_for(pongs_sent.wait(), 10)
        assert sup.status.state is S.CONNECTED
        assert not rec.saw(S.RECONNECTING)
        await sup.disconnect()


async def test_server_ping_is_answered_with_pong() -> None:
    got_pong = asyncio.Event()

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await conn.send("pusher:ping", {})
        frame = await conn.next_frame()
        assert frame == {"event": "pusher:pong", "data": {}}
        got_pong.set()
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, _, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await asyncio.wait_for(got_pong.wait(), 10)
        await sup.disconnect()


async def test_malformed_frames_are_skipped_and_the_connection_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await send_chat(conn, 1)
        await conn.send_raw("not json at all")
        await conn.send_raw("[1, 2, 3]")
        await conn.send_raw('{"data": "no event name"}')
        await conn.send("App\\Events\\ChatMessageEvent", "{broken json", CHAT_CHANNEL)
        await conn.send("App\\Events\\ChatMessageEvent", "[1]", CHAT_CHANNEL)
        await conn.send("pusher:error", {"code": None, "message": "informational"})
        await send_chat(conn, 2)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 2)
        assert [e.id for e in rec.events] == ["msg-1", "msg-2"]
        assert sup.status.state is S.CONNECTED and len(server.connections) == 1
        skipped = [r for r in caplog.records if "malformed" in r.getMessage()]
        assert len(skipped) == 5
        await sup.disconnect()


async def test_a_one_megabyte_frame_passes() -> None:
    big = "x" * (1024 * 1024)

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await send_chat(conn, 1, big)
        await send_chat(conn, 2)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 2)
        assert len(rec.events[0].to_dict()["data"]["message"]) == len(big)
        await sup.disconnect()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_twenty_connect_drop_cycles_leak_no_tasks_or_sockets() -> None:
    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        await send_chat(conn, len(conn.server.connections))
        await conn.close(4200, "restart")

    async with ScriptedPusherServer(script) as server:
        # warm up once so lazily created loop resources are not counted as leaks
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) >= 1)
        await sup.disconnect()
        gc.collect()
        tasks_before = len(asyncio.all_tasks())
        fds_before = open_fds()

        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) >= 20, timeout=30)
        await sup.disconnect()
        await asyncio.sleep(0)
        gc.collect()
        # the server side may still be closing its end; wait for it rather than sleeping
        async with asyncio.timeout(5):
            # nothing signals "socket released": poll the condition
            while len(asyncio.all_tasks()) > tasks_before or open_fds() > fds_before:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert len(asyncio.all_tasks()) <= tasks_before
        assert open_fds() <= fds_before


async def test_network_refused_is_retryable() -> None:
    async with ScriptedPusherServer() as server:
        dead_url = server.url()
    async with ScriptedPusherServer() as server:
        sup, rec, time, _ = build(server, urls=[dead_url, dead_url])
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        assert time.sleeps == [1.5, 2.5]
        reasons = {(s.reason, s.detail) for s in rec.statuses if s.state is S.RECONNECTING}
        assert len(reasons) == 1  # both attempts: refused, said the same way
        [(reason, detail)] = reasons
        assert reason == network_errors.REFUSED
        assert detail.startswith(f"[Errno {errno.ECONNREFUSED}]")
        await sup.disconnect()


def test_classify_ending_is_total() -> None:
    assert classify_ending(None, "x") == Ending(EndingKind.BACKOFF, "x")
    assert classify_ending(None, "x", "why") == Ending(EndingKind.BACKOFF, "x", "why")
    assert classify_ending(4001, "x").kind is EndingKind.STALE_ENDPOINT
    assert classify_ending(4004, "x").kind is EndingKind.FATAL
    assert classify_ending(4150, "x").kind is EndingKind.BACKOFF
    assert classify_ending(4250, "x").kind is EndingKind.RECONNECT_NOW
    assert classify_ending(1006, "x").kind is EndingKind.BACKOFF
