"""A slow stdout reader never stalls `watch`'s socket (issue #17): output goes through a bounded
buffer off the event loop; on overflow the oldest events are dropped and stderr says how many.
A real `watch` process against the scripted Pusher server, its stdout not read at all until the
server has sent every event and had its ping answered."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import send_chat
from tests.watch_process import WatchProcess, app_env

EVENTS = 20_000
ANSWERED: set[PusherConn] = set()  # connections whose ping the client answered after the burst


async def burst_then_ping(conn: PusherConn) -> None:
    await conn.handshake()
    for n in range(EVENTS):
        await send_chat(conn, n)
    await conn.send("pusher:ping", "{}")
    while (await conn.next_frame(timeout=30)).get("event") != "pusher:pong":
        pass
    ANSWERED.add(conn)
    conn.server.frame_seen.set()
    await conn.hold()


async def run_watch(tmp_path: Path, env_extra: dict[str, str]) -> tuple[WatchProcess, int]:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        async with ScriptedPusherServer(burst_then_ping) as server:
            env = app_env(tmp_path, api.url, server.url()) | env_extra
            proc = await WatchProcess.start(env, "nightowlgg")
            try:
                await proc.state_line("state: connected")
                conn = await server.wait_connections(1)
                # stdout unread all this time: the pipe filled after a few hundred events
                async with asyncio.timeout(60):
                    while conn not in ANSWERED:
                        server.frame_seen.clear()
                        await server.frame_seen.wait()
                assert len(server.connections) == 1  # never dropped for a missed pong
                proc.proc.send_signal(signal.SIGINT)
                await proc.read_events_until_eof(timeout=60)
                status = await proc.wait()
            finally:
                proc.kill()
                await proc.proc.wait()
    return proc, status


async def test_a_reader_that_does_not_keep_up_loses_nothing_within_the_buffer(
    tmp_path: Path,
) -> None:
    proc, status = await run_watch(tmp_path, {})
    assert status == 0
    assert [e["id"] for e in proc.events] == [f"msg-{n}" for n in range(EVENTS)]
    assert not [line for line in proc.stderr_lines if "dropped" in line]


async def test_overflow_drops_the_oldest_and_says_how_many(tmp_path: Path) -> None:
    proc, status = await run_watch(tmp_path, {"VMSC_WATCH_BUFFER_BYTES": str(256 * 1024)})
    assert status == 0
    ids = [int(e["id"].removeprefix("msg-")) for e in proc.events]
    assert ids == sorted(ids) and ids[-1] == EVENTS - 1  # in order, the newest kept
    reports = [
        int(m.group(1).replace(",", ""))
        for line in proc.stderr_lines
        if (m := re.search(r"dropped ([\d,]+) events \(the oldest", line))
    ]
    assert reports, proc.stderr_lines
    assert len(ids) + sum(reports) == EVENTS  # every event written or counted as dropped
    assert sum(reports) > EVENTS // 2
