"""The event server on real loopback sockets: status, /events, slow clients, security checks."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.core.events import EventType, StreamEvent, json_lines
from app.relay.address import ListenAddress, default_port, parse_listen_address
from app.relay.fanout import text_frame
from app.relay.hosting import RelayHost
from app.relay.server import RelayServer, RelayStartError
from tests.event_samples import chat_data
from tests.relay_client import fixed_status, http_request, start_server, wait_until
from tests.test_supervisor import ScriptedConnector, build, subscribe_then

TOKEN = "s3cret-token"


def chat_event(n: int, message: str = "hi") -> StreamEvent:
    return StreamEvent(
        id=f"msg-{n}",
        type=EventType.CHAT,
        channel="nightowlgg",
        username="pixel_mage",
        timestamp="2026-03-14T19:42:07+00:00",
        data=chat_data(message, f"msg-{n}"),
    )


async def receive_json(ws: ClientConnection) -> dict[str, object]:
    async with asyncio.timeout(10):
        message = await ws.recv()
    assert isinstance(message, str)
    result: dict[str, object] = json.loads(message)
    return result


async def test_status_answers_as_json() -> None:
    server = await start_server(status=fixed_status(state="live", live=True, events=12))
    try:
        answer = await http_request(server.port, "GET", "/api/status")
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "state": "live",
            "channel": "nightowlgg",
            "provider": "pusher",
            "live": True,
            "uptime_s": 3,
            "events": 12,
        }
    finally:
        await server.close()


async def test_events_socket_sends_status_first_then_events_as_watch_prints_them() -> None:
    status = {"state": "connected", "channel": "nightowlgg"}
    server = await start_server(status=lambda: status)
    try:
        async with connect(f"ws://127.0.0.1:{server.port}/events") as ws:
            assert await receive_json(ws) == {"kind": "status", "status": status}
            await wait_until(lambda: server.client_count == 1)
            events = [chat_event(n, f"message {n} é 👋") for n in range(50)]
            for event in events[:25]:
                server.publish_event(event)
            status = {"state": "live", "channel": "nightowlgg"}
            server.publish_status()
            for event in events[25:]:
                server.publish_event(event)
            received = [await ws.recv() for _ in range(51)]
        expected = [
            '{"kind":"event","event":' + json_lines([e]).decode().rstrip("\n") + "}" for e in events
        ]
        status_text = json.dumps({"kind": "status", "status": status}, separators=(",", ":"))
        assert received == [*expected[:25], status_text, *expected[25:]]
    finally:
        await server.close()


async def test_status_is_sent_only_when_it_changes() -> None:
    status: dict[str, object] = {"state": "connected", "uptime_s": 1}
    server = await start_server(status=lambda: status)
    try:
        async with connect(f"ws://127.0.0.1:{server.port}/events") as ws:
            await receive_json(ws)
            await wait_until(lambda: server.client_count == 1)
            server.publish_status()  # first one: sent
            status = {"state": "connected", "uptime_s": 2}  # only the uptime: not sent
            server.publish_status()
            server.publish_event(chat_event(1))
            status = {"state": "reconnecting", "uptime_s": None}
            server.publish_status()
            kinds = [(await receive_json(ws))["kind"] for _ in range(3)]
            assert kinds == ["status", "event", "status"]
    finally:
        await server.close()


async def test_a_stalled_client_is_dropped_while_another_keeps_receiving() -> None:
    server = await start_server(max_backlog=64 * 1024, close_timeout=30.0)
    try:
        url = f"ws://127.0.0.1:{server.port}/events"
        # max_queue=1: the stalled client's library stops reading its socket after one frame
        async with connect(url, max_queue=1) as stalled, connect(url) as reader:
            await receive_json(reader)
            await wait_until(lambda: server.client_count == 2)
            received: list[str] = []

            async def read_all() -> None:
                while True:
                    message = await reader.recv()
                    assert isinstance(message, str)
                    received.append(message)

            reading = asyncio.ensure_future(read_all())
            sent = 0
            async with asyncio.timeout(30):
                while server.dropped == 0:
                    for _ in range(100):
                        server.publish_event(chat_event(sent, "x" * 400))
                        sent += 1
                    await asyncio.sleep(0)  # one loop pass: the batch is written
            assert server.client_count == 1
            for _ in range(100):  # the other one still gets what follows
                server.publish_event(chat_event(sent, "after"))
                sent += 1
            await wait_until(lambda: len(received) == sent, timeout=30)
            reading.cancel()
            ids = [json.loads(m)["event"]["id"] for m in received]
            assert ids == [f"msg-{n}" for n in range(sent)]
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    async with asyncio.timeout(30):
                        await stalled.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1008
            assert "too slow" in closed.value.rcvd.reason
    finally:
        await server.close()


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "127.0.0.1:1", "localhost", "127.0.0.1", "192.168.1.20:{port}"],
)
async def test_a_foreign_host_header_is_refused(host: str) -> None:
    server = await start_server()
    try:
        for path in ("/", "/api/status", "/overlay/chat"):
            foreign = host.format(port=server.port)
            answer = await http_request(server.port, "GET", path, host=foreign)
            assert answer.status == 403, path
        own = await http_request(server.port, "GET", "/api/status", host=f"localhost:{server.port}")
        assert own.status == 200
    finally:
        await server.close()


async def test_a_websocket_from_a_foreign_origin_is_refused() -> None:
    server = await start_server()
    try:
        url = f"ws://127.0.0.1:{server.port}/events"
        for origin in ("https://evil.example", f"http://evil.example:{server.port}"):
            with pytest.raises(InvalidStatus) as refused:
                await connect(url, origin=origin)  # type: ignore[arg-type]
            assert refused.value.response.status_code == 403
        for origin in (f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"):
            async with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
                assert (await receive_json(ws))["kind"] == "status"
        # OBS's local files and sandboxed pages say "null"
        async with connect(url, origin="null") as ws:  # type: ignore[arg-type]
            assert (await receive_json(ws))["kind"] == "status"
    finally:
        await server.close()


async def test_test_event_needs_the_token() -> None:
    made: list[str] = []

    def test_event(kind: str) -> StreamEvent:
        made.append(kind)
        return chat_event(1)

    server = await start_server(test_event=test_event)
    body = b'{"type": "chat"}'
    try:
        missing = await http_request(server.port, "POST", "/api/test-event", body=body)
        assert missing.status == 401
        wrong = await http_request(
            server.port,
            "POST",
            "/api/test-event",
            headers={"Authorization": "Bearer nope"},
            body=body,
        )
        assert wrong.status == 401
        foreign = await http_request(
            server.port,
            "POST",
            f"/api/test-event?token={TOKEN}",
            headers={"Origin": "https://evil.example"},
            body=body,
        )
        assert foreign.status == 403
        assert made == []
        ok = await http_request(
            server.port,
            "POST",
            "/api/test-event",
            headers={"Authorization": f"Bearer {TOKEN}"},
            body=body,
        )
        assert ok.status == 200, ok.body
        assert ok.json() == {"ok": True, "id": "msg-1", "type": "chat"}
        by_query = await http_request(
            server.port, "POST", f"/api/test-event?token={TOKEN}", body=b'{"type":"host"}'
        )
        assert by_query.status == 200
        assert made == ["chat", "host"]
    finally:
        await server.close()


async def test_lan_mode_needs_the_token_for_everything() -> None:
    server = await start_server(lan_mode=True)
    try:
        lan_host = f"192.168.1.20:{server.port}"  # OBS on another PC names the LAN address
        for path in ("/", "/overlay/chat", "/api/status"):
            refused = await http_request(server.port, "GET", path, host=lan_host)
            assert refused.status == 401, path
        style = await http_request(server.port, "GET", "/static/overlay.css", host=lan_host)
        assert style.status == 200  # what the pages load is no secret
        answer = await http_request(server.port, "GET", f"/api/status?token={TOKEN}", host=lan_host)
        assert answer.status == 200
        url = f"ws://127.0.0.1:{server.port}/events"
        with pytest.raises(InvalidStatus) as refused_ws:
            await connect(url)
        assert refused_ws.value.response.status_code == 401
        async with connect(f"{url}?token={TOKEN}") as ws:
            assert (await receive_json(ws))["kind"] == "status"
        assert all(url.endswith(f"?token={TOKEN}") for url in server.overlay_urls().values())
    finally:
        await server.close()


async def test_a_port_already_taken_is_a_plain_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = RelayServer(ListenAddress("127.0.0.1", port), token=TOKEN, status=fixed_status())
        with pytest.raises(RelayStartError, match=f"Port {port} is already in use"):
            await server.start()
        assert not server.is_serving


async def test_pages_and_overlays_are_served_with_a_strict_content_policy() -> None:
    server = await start_server()
    try:
        for path in ("/", "/overlay/chat", "/overlay/alerts"):
            answer = await http_request(server.port, "GET", path)
            assert answer.status == 200, path
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
            assert "script-src 'self'" in answer.headers["content-security-policy"]
            assert b"__FILES_URL__" not in answer.body
        assert (await http_request(server.port, "GET", "/static/chat.js")).status == 200
        assert (await http_request(server.port, "GET", "/static/../server.py")).status == 404
        assert (await http_request(server.port, "GET", "/nothing")).status == 404
        assert (await http_request(server.port, "DELETE", "/api/status")).status in (401, 405)
    finally:
        await server.close()


async def test_test_events_go_through_the_supervisor_and_reach_the_socket() -> None:
    connector = ScriptedConnector(subscribe_then(None))
    supervisor, _, _ = build(connector)
    host = RelayHost(supervisor, kick_files_url="http://127.0.0.1:9")
    server = await host.start(ListenAddress("127.0.0.1", 0), TOKEN)
    heard: list[StreamEvent] = []
    supervisor.add_event_listener(heard.append)
    try:
        from app.core.supervisor import ConnectRequest

        async with connect(f"ws://127.0.0.1:{server.port}/events") as ws:
            assert (await receive_json(ws))["status"] == host.status()
            await wait_until(lambda: server.client_count == 1)
            supervisor.connect(ConnectRequest("nightowlgg"))
            await connector.started.wait()
            states = []
            while "connected" not in states:
                message = await receive_json(ws)
                assert message["kind"] == "status"
                states.append(message["status"]["state"])  # type: ignore[index]
            answer = await http_request(
                server.port,
                "POST",
                "/api/test-event",
                headers={"Authorization": f"Bearer {TOKEN}"},
                body=b'{"type":"gift_sub"}',
            )
            assert answer.status == 200
            message = await receive_json(ws)
            event = message["event"]
            assert isinstance(event, dict)
            assert event["type"] == "gift_sub" and event["data"]["test"] is True
            assert [e.id for e in heard] == [event["id"]]
            assert supervisor.status.event_count == 1
            unknown = await http_request(
                server.port,
                "POST",
                f"/api/test-event?token={TOKEN}",
                body=b'{"type":"ban"}',
            )
            assert unknown.status == 400 and b"unknown test event type" in unknown.body
        await supervisor.disconnect()
    finally:
        await host.stop()


def test_listen_addresses_and_the_port_variable() -> None:
    assert parse_listen_address("7582") == ListenAddress("127.0.0.1", 7582)
    assert parse_listen_address("0.0.0.0:8000") == ListenAddress("0.0.0.0", 8000)
    assert parse_listen_address("[::1]:8000") == ListenAddress("::1", 8000)
    for bad in ("", "port", "1:99999", "-1"):
        with pytest.raises(ValueError):
            parse_listen_address(bad)
    assert default_port({}) == 7582
    assert default_port({"VMSC_RELAY_PORT": "9001"}) == 9001
    with pytest.raises(ValueError, match="VMSC_RELAY_PORT"):
        default_port({"VMSC_RELAY_PORT": "http"})


def test_frames_are_rfc6455_text_frames_of_every_length_form() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert text_frame(b"x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")


class CountingSource:
    """A status whose `events` counts what was published, as the supervisor's does."""

    def __init__(self, server_box: list[RelayServer]) -> None:
        self.count = 0
        self._server = server_box

    def status(self) -> dict[str, object]:
        return {"state": "connected", "channel": "nightowlgg", "events": self.count}

    def publish(self, n: int) -> None:
        self.count += 1  # counted first, then delivered: the supervisor's order
        self._server[0].publish_event(chat_event(n))


def check_counts(messages: list[dict[str, object]], received: int = 0) -> list[int]:
    """Each status's `events` against the events the client had received before it (after
    `received` ones)."""
    counts = []
    for message in messages:
        if message["kind"] == "event":
            received += 1
        else:
            status = message["status"]
            assert isinstance(status, dict)
            assert status["events"] == received, (status["events"], received)
            counts.append(received)
    return counts


async def test_the_status_count_of_events_is_sent_again_after_events_at_most_once_a_second() -> (
    None
):
    box: list[RelayServer] = []
    source = CountingSource(box)
    source.count = 40  # events before this client: its first status says so
    box.append(await start_server(status=source.status, status_refresh=0.2))
    server = box[0]
    try:
        async with connect(f"ws://127.0.0.1:{server.port}/events") as ws:
            first = await receive_json(ws)
            assert first["status"]["events"] == 40  # type: ignore[index]
            source.count = 0  # from here on, what this client receives
            await wait_until(lambda: server.client_count == 1)
            for batch in range(3):  # 300 events over three loop passes
                for n in range(100):
                    source.publish(batch * 100 + n)
                await asyncio.sleep(0)
            messages = []
            while not messages or messages[-1]["kind"] != "status":
                messages.append(await receive_json(ws))
            counts = check_counts(messages)
            # coalesced: one status once the events stop (more only on a loop slower than 0.2 s)
            assert counts[-1] == 300 and len(counts) <= 3
            server.publish_status()  # unchanged: not sent again
            source.publish(300)
            messages = [await receive_json(ws) for _ in range(2)]
            assert check_counts(messages, received=300) == [301]
    finally:
        await server.close()


async def test_a_client_joining_while_events_flow_gets_a_status_that_counts_what_follows() -> None:
    box: list[RelayServer] = []
    source = CountingSource(box)
    box.append(await start_server(status=source.status, status_refresh=0.05))
    server = box[0]
    stop = asyncio.Event()

    async def publish_every_loop_pass() -> None:
        n = 0
        while not stop.is_set():
            source.publish(n)
            n += 1
            await asyncio.sleep(0)

    try:
        url = f"ws://127.0.0.1:{server.port}/events"
        async with connect(url, max_queue=None) as first:  # takes all, read or not
            await receive_json(first)
            await wait_until(lambda: server.client_count == 1)
            publishing = asyncio.ensure_future(publish_every_loop_pass())
            for _ in range(5):  # each joins while something is waiting to be sent
                async with connect(url) as ws:
                    joined = await receive_json(ws)
                    base = joined["status"]["events"]  # type: ignore[index]
                    assert isinstance(base, int)
                    messages = []
                    while len(messages) < 50 or messages[-1]["kind"] != "status":
                        assert len(messages) < 50_000, "no status again while events flow"
                        messages.append(await receive_json(ws))
                    check_counts(messages, received=base)
            stop.set()
            await publishing
    finally:
        await server.close()
