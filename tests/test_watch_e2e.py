"""`python -m app watch` end to end: a real soketi server, a fake Kick API, a real subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e_fixtures import soketi_fixture  # noqa: F401
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID, chat_data
from tests.soketi import SoketiServer
from tests.watch_process import WatchProcess, app_env

CHATROOM, CHANNEL = CHATROOM_ID, CHANNEL_ID
chat = chat_data


@pytest.fixture
def kick_api() -> Iterator[FakeKickApi]:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL, CHATROOM)
    with api.running():
        yield api


@pytest.fixture
async def watcher(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> AsyncIterator[WatchProcess]:
    proc = await WatchProcess.start(app_env(tmp_path, kick_api.url, soketi.ws_url()), "NightOwlGG")
    yield proc
    proc.kill()
    await proc.proc.wait()


async def test_watch_prints_published_events_as_stream_events(
    watcher: WatchProcess, soketi: SoketiServer
) -> None:
    await watcher.state_line("state: connected")
    soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(1, "héllo 👋"))
    gift = json.dumps({"gifted_usernames": ["a", "b"], "gifter_username": "pixel_mage"})
    soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\GiftedSubscriptionsEvent", gift)
    soketi.publish(f"chatroom_{CHATROOM}", "GiftedSubscriptionsEvent", gift)  # the same gift again
    soketi.publish(
        f"channel.{CHANNEL}",
        "App\\Events\\StreamerIsLive",
        '{"livestream":{"id":1,"session_title":"Ranked","created_at":"2026-03-14 18:00:18"}}',
    )
    soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(2))
    events = await watcher.read_events(4)
    assert [e["type"] for e in events] == ["chat", "gift_sub", "live_start", "chat"]
    assert events[0]["data"]["message"] == "héllo 👋"
    assert events[0]["source"] == "kick" and events[0]["channel"] == "nightowlgg"
    assert events[1]["data"]["recipients"] == ["a", "b"]
    assert events[3]["data"]["emotes"] == [{"id": "37226", "name": "KEKW"}]
    await watcher.state_line("state: live")
    assert await watcher.interrupt(signal.SIGINT) == 0
    assert "state: disconnected" in watcher.stderr_lines


async def test_server_restart_reconnects_and_events_flow_again(
    watcher: WatchProcess, soketi: SoketiServer
) -> None:
    await watcher.state_line("state: connected")
    soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(1))
    await watcher.read_events(1)
    soketi.kill()
    line = await watcher.state_line("state: reconnecting")
    assert "retry 1 in" in line
    soketi.start()
    await watcher.state_line("state: connected")
    soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(2))
    events = await watcher.read_events(2)
    assert events[1]["id"] == "msg-2"
    assert await watcher.interrupt(signal.SIGTERM) == 0


async def test_graceful_server_stop_is_a_reconnect_now(
    watcher: WatchProcess, soketi: SoketiServer
) -> None:
    await watcher.state_line("state: connected")
    soketi.stop()  # soketi sends pusher:error 4200 and closes 4200
    line = await watcher.state_line("state: reconnecting")
    assert "4200" in line
    soketi.start()
    await watcher.state_line("state: connected")
    assert await watcher.interrupt() == 0


async def test_unknown_app_key_is_an_error_exit_2(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    proc = await WatchProcess.start(
        app_env(tmp_path, kick_api.url, soketi.ws_url("nokey")), "nightowlgg"
    )
    assert await proc.wait() == 2
    assert any(line.startswith("state: error") and "4001" in line for line in proc.stderr_lines)


async def test_unknown_channel_is_an_error_exit_2(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    proc = await WatchProcess.start(app_env(tmp_path, kick_api.url, soketi.ws_url()), "nobody_here")
    assert await proc.wait() == 2
    errors = [line for line in proc.stderr_lines if line.startswith("state: error")]
    assert errors and "no channel named" in errors[0]
    assert kick_api.requests == ["/api/v2/channels/nobody_here", "/api/v2/channels/nobody-here"]


async def test_hand_typed_ids_connect_while_the_lookup_is_blocked(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    kick_api.blocked = True
    env = app_env(tmp_path, kick_api.url, soketi.ws_url())
    proc = await WatchProcess.start(
        env, "nightowlgg", "--chatroom-id", str(CHATROOM), "--channel-id", str(CHANNEL)
    )
    try:
        await proc.state_line("state: connected")
        soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(1))
        assert (await proc.read_events(1))[0]["id"] == "msg-1"
        assert await proc.interrupt() == 0
    finally:
        proc.kill()


async def test_blocked_lookup_without_ids_says_what_to_do(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    kick_api.blocked = True
    proc = await WatchProcess.start(app_env(tmp_path, kick_api.url, soketi.ws_url()), "nightowlgg")
    assert await proc.wait() == 2
    error = next(line for line in proc.stderr_lines if line.startswith("state: error"))
    assert "Advanced" in error or "chatroom id" in error


async def test_watch_stops_quietly_when_its_reader_goes_away(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    """`watch nightowlgg | head -1`: once head has exited, watch disconnects and exits 0."""
    read_end, write_end = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "watch",
        "nightowlgg",
        env=app_env(tmp_path, kick_api.url, soketi.ws_url()),
        stdout=write_end,
        stderr=asyncio.subprocess.PIPE,
    )
    os.close(write_end)
    watcher = WatchProcess(proc)
    try:
        try:
            await watcher.state_line("state: connected")
            soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(1))
            first = await asyncio.to_thread(os.read, read_end, 65536)  # blocks until the line
            assert json.loads(first)["id"] == "msg-1"
        finally:
            os.close(read_end)  # head has its line and exits
        soketi.publish(f"chatrooms.{CHATROOM}.v2", "App\\Events\\ChatMessageEvent", chat(2))
        assert await watcher.wait() == 0
    finally:
        watcher.kill()  # if it did not stop, the test failed: leave no process behind
        await proc.wait()
    assert "state: disconnected" in watcher.stderr_lines
    assert not [line for line in watcher.stderr_lines if "Error" in line or "Traceback" in line]
