"""The soketi harness itself, and what a real Pusher server does on the wire.

Raw `websockets` clients only (no app code), so a failure here is the harness or soketi, not us.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e_fixtures import soketi_fixture  # noqa: F401  (the `soketi` fixture)
from tests.soketi import E2E_DIR, SoketiServer

CHANNEL = "chatrooms.1.v2"
EVENT = "App\\Events\\ChatMessageEvent"
TIMEOUT = 5.0


async def recv_frame(ws: ClientConnection) -> tuple[str, dict[str, Any]]:
    raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(raw, str)
    return raw, json.loads(raw)


async def establish(ws: ClientConnection) -> dict[str, Any]:
    _, frame = await recv_frame(ws)
    assert frame["event"] == "pusher:connection_established", frame
    data = json.loads(frame["data"])  # data is a JSON string inside the JSON frame
    assert isinstance(data, dict)
    return data


async def subscribe(ws: ClientConnection, channel: str = CHANNEL) -> None:
    await ws.send(
        json.dumps({"event": "pusher:subscribe", "data": {"auth": "", "channel": channel}})
    )
    _, frame = await recv_frame(ws)
    # soketi omits "data" here for public channels (Kick's servers send "data":"{}").
    assert frame == {"event": "pusher_internal:subscription_succeeded", "channel": channel}, frame


async def wait_closed(ws: ClientConnection) -> ConnectionClosed:
    """Read until the server closes; returns the exception carrying the close frames."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(TIMEOUT):
            while True:
                await ws.recv()
    return info.value


async def test_publish_reaches_subscriber_as_kick_shaped_frames(soketi: SoketiServer) -> None:
    async with connect(soketi.ws_url()) as ws:
        established = await establish(ws)
        assert established["activity_timeout"] == 30
        assert isinstance(established["socket_id"], str)
        await subscribe(ws)

        # A dict: the SDK json.dumps it (", " / ": " separators, non-ASCII kept).
        await asyncio.to_thread(soketi.publish, CHANNEL, EVENT, {"id": "m1", "content": "héllo"})
        raw, frame = await recv_frame(ws)
        assert raw == (
            '{"event":"App\\\\Events\\\\ChatMessageEvent","channel":"chatrooms.1.v2",'
            '"data":"{\\"id\\": \\"m1\\", \\"content\\": \\"héllo\\"}"}'
        )
        assert json.loads(frame["data"]) == {"id": "m1", "content": "héllo"}

        # A str: sent byte for byte as the frame's data, as Kick's compact JSON strings are.
        payload = '{"id":"m2","content":"\\u00e9 <3"}'
        await asyncio.to_thread(soketi.publish, CHANNEL, EVENT, payload)
        raw, frame = await recv_frame(ws)
        assert frame == {"event": EVENT, "channel": CHANNEL, "data": payload}


async def test_kill_then_restart_on_the_same_port(soketi: SoketiServer) -> None:
    port, url = soketi.port, soketi.ws_url()
    async with connect(url) as ws:
        await establish(ws)
        await subscribe(ws)
        await asyncio.to_thread(soketi.kill)
        closed = await wait_closed(ws)
        # SIGKILL: the TCP connection just drops, no close frame (1006 abnormal closure).
        assert closed.rcvd is None
        assert ws.close_code == 1006

    await asyncio.to_thread(soketi.restart)
    assert soketi.port == port and soketi.ws_url() == url and soketi.starts == 2
    async with connect(url) as ws:
        await establish(ws)
        await subscribe(ws)
        await asyncio.to_thread(soketi.publish, CHANNEL, EVENT, '{"id":"after-restart"}')
        _, frame = await recv_frame(ws)
        assert frame["data"] == '{"id":"after-restart"}'


async def test_graceful_stop_sends_4200_then_restarts(soketi: SoketiServer) -> None:
    async with connect(soketi.ws_url()) as ws:
        await establish(ws)
        stopping = asyncio.create_task(asyncio.to_thread(soketi.stop))
        _, frame = await recv_frame(ws)
        assert frame["event"] == "pusher:error", frame
        assert frame["data"]["code"] == 4200, frame  # an object, like 4001's
        closed = await wait_closed(ws)
        assert closed.rcvd is not None and closed.rcvd.code == 4200
        assert await asyncio.wait_for(stopping, TIMEOUT) == 0
    await asyncio.to_thread(soketi.restart)
    async with connect(soketi.ws_url()) as ws:
        await establish(ws)


async def test_unknown_app_key_gets_error_4001_then_close_4001(soketi: SoketiServer) -> None:
    async with connect(soketi.ws_url(key="no-such-key")) as ws:
        _, frame = await recv_frame(ws)
        # soketi sends both: a pusher:error frame (data is an object, not a string) ...
        assert frame == {
            "event": "pusher:error",
            "data": {"code": 4001, "message": "App key no-such-key does not exist."},
        }
        # ... then a close frame with the same code.
        closed = await wait_closed(ws)
        assert closed.rcvd is not None and closed.rcvd.code == 4001


def test_listens_on_loopback_only(soketi: SoketiServer) -> None:
    if sys.platform != "linux":
        pytest.skip("reads /proc")
    bound = soketi.sockets()
    assert ("tcp", "127.0.0.1", soketi.port) in bound
    assert ("udp", "127.0.0.1", soketi.cluster_port) in bound  # node-discover
    assert all(addr == "127.0.0.1" for _, addr, _ in bound), bound


def test_pusherjs_client_counts_published_events(soketi: SoketiServer) -> None:
    count = 20
    proc = subprocess.Popen(
        [
            "node",
            str(E2E_DIR / "pusherjs_client.js"),
            soketi.host,
            str(soketi.port),
            soketi.key,
            CHANNEL,
            EVENT,
            str(count),
            str(TIMEOUT),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "subscribed\n"  # bounded by the client's own timeout
        started = time.monotonic_ns()
        for i in range(count):
            soketi.publish(CHANNEL, EVENT, json.dumps({"id": str(i)}))
        out, err = proc.communicate(timeout=TIMEOUT + 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["received"] == count
    # Same clock as Python's monotonic one (CLOCK_MONOTONIC), so the numbers line up.
    assert started <= result["first_ns"] <= result["last_ns"] <= time.monotonic_ns()
