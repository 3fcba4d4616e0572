"""`watch --session-log`: a real `watch` process against the scripted Pusher server writes every
event it prints into a session log file, one per connection."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import send_chat
from tests.watch_process import WatchProcess, app_env

EVENTS = 300


async def chat_then_hold(conn: PusherConn) -> None:
    await conn.handshake()
    for n in range(EVENTS):
        await send_chat(conn, n)
    await conn.hold()


async def test_watch_with_session_log_writes_what_it_prints(tmp_path: Path) -> None:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        async with ScriptedPusherServer(chat_then_hold) as server:
            env = app_env(tmp_path, api.url, server.url())
            proc = await WatchProcess.start(env, "nightowlgg", "--session-log")
            try:
                line = await proc.state_line("session log: in ")
                assert line == f"session log: in {tmp_path / 'sessions'}"
                await proc.read_events(EVENTS)
                status = await proc.interrupt(signal.SIGINT)
                printed = proc.events
            finally:
                proc.kill()
                await proc.proc.wait()
    assert status == 0
    files = sorted((tmp_path / "sessions").glob("*.jsonl"))
    assert len(files) == 1 and files[0].name.endswith("_nightowlgg.jsonl")
    logged = [json.loads(line) for line in files[0].read_bytes().splitlines()]
    assert logged == printed
    assert [event["id"] for event in logged] == [f"msg-{n}" for n in range(EVENTS)]


async def test_watch_writes_no_session_log_unless_asked(tmp_path: Path) -> None:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        async with ScriptedPusherServer(chat_then_hold) as server:
            proc = await WatchProcess.start(app_env(tmp_path, api.url, server.url()), "nightowlgg")
            try:
                await proc.read_events(EVENTS)
                status = await proc.interrupt(signal.SIGINT)
            finally:
                proc.kill()
                await proc.proc.wait()
    assert status == 0
    assert not (tmp_path / "sessions").exists()
