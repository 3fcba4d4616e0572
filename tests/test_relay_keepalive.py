"""The event server's keep-alive pings on real loopback sockets: a client that stops answering is
closed (1011), one that answers stays, on an injected clock and on short real intervals."""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import connect

from tests.relay_client import (
    SteppedTime,
    raw_websocket,
    read_frames,
    start_server,
    wait_until,
)
from tests.test_relay import chat_event, receive_json

PING, CLOSE, TEXT = 0x9, 0x8, 0x1


async def test_a_client_that_stops_answering_pings_is_closed_and_one_that_answers_stays() -> None:
    time = SteppedTime()
    server = await start_server(
        ping_interval=20.0, ping_timeout=20.0, close_timeout=0.2, clock=time.clock, sleep=time.sleep
    )
    try:
        silent_reader, silent_writer = await raw_websocket(server.port)
        async with connect(f"ws://127.0.0.1:{server.port}/events", ping_interval=None) as ws:
            await receive_json(ws)
            await wait_until(lambda: server.client_count == 2 and time.wakes == [1020.0])
            time.advance(19.5)  # not due yet
            await asyncio.sleep(0)
            assert server.unanswered_pings == 0
            time.advance(0.5)  # the first round: both are pinged, the websockets client answers
            await wait_until(lambda: time.wakes == [1040.0] and server.unanswered_pings == 1)
            time.advance(19.5)  # the silent one's deadline is not there yet
            await asyncio.sleep(0)
            assert server.client_count == 2 and server.timed_out == 0
            time.advance(0.5)  # 20 s after its ping: closed
            await wait_until(lambda: server.timed_out == 1)
            assert server.client_count == 1
            frames = await read_frames(silent_reader)  # ends: cut after close_timeout
            assert [opcode for opcode, _ in frames] == [TEXT, PING, CLOSE]
            close = frames[-1][1]
            assert int.from_bytes(close[:2], "big") == 1011
            assert close[2:] == b"keepalive ping timeout"
            silent_writer.close()
            for _ in range(3):  # three more rounds: the one that answers goes on
                await wait_until(lambda: server.unanswered_pings == 0)
                time.advance(20.0)
                await wait_until(
                    lambda: time.wakes == [time.now + 20.0] and server.unanswered_pings == 0
                )
            assert server.client_count == 1 and server.timed_out == 1
            server.publish_event(chat_event(7))
            assert (await receive_json(ws))["event"]["id"] == "msg-7"  # type: ignore[index]
    finally:
        await server.close()


async def test_on_short_real_intervals_only_the_silent_client_is_closed() -> None:
    # a ping every 50 ms: the websockets client answers 20 or more before the silent one's
    # second is up
    server = await start_server(ping_interval=0.05, ping_timeout=1.0, close_timeout=0.2)
    try:
        silent_reader, silent_writer = await raw_websocket(server.port)
        async with connect(f"ws://127.0.0.1:{server.port}/events", ping_interval=None) as ws:
            await receive_json(ws)
            await wait_until(lambda: server.timed_out == 1)
            frames = await read_frames(silent_reader)
            assert frames[-1][0] == CLOSE and frames[-1][1][:2] == (1011).to_bytes(2, "big")
            silent_writer.close()
            assert server.client_count == 1
            server.publish_event(chat_event(1))
            assert (await receive_json(ws))["event"]["id"] == "msg-1"  # type: ignore[index]
    finally:
        await server.close()
