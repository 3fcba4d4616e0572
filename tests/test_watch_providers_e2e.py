"""`python -m app watch` as a real subprocess through each provider Kick's negotiation offers:
Centrifugo (our scripted server, on a Centrifugo-only negotiation) and Pusher (a real soketi, on a
Pusher-only negotiation). The same publications give the same StreamEvents."""

from __future__ import annotations

import json
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.centrifugo_server import CentrifugoConn, ScriptedCentrifugoServer
from tests.e2e_fixtures import soketi_fixture  # noqa: F401
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID, chat_data
from tests.soketi import SoketiServer
from tests.watch_process import WatchProcess, app_env

GIFT = json.dumps({"gifted_usernames": ["a", "b"], "gifter_username": "pixel_mage"})
LIVE = '{"livestream":{"id":1,"session_title":"Ranked","created_at":"2026-03-14 18:00:18"}}'
# (channel, event, data): a chat, a gift delivered twice (prefixed and bare), live, a chat
PUBLICATIONS = [
    (f"chatrooms.{CHATROOM_ID}.v2", "App\\Events\\ChatMessageEvent", chat_data(1, "héllo 👋")),
    (f"chatrooms.{CHATROOM_ID}.v2", "App\\Events\\GiftedSubscriptionsEvent", GIFT),
    (f"chatroom_{CHATROOM_ID}", "GiftedSubscriptionsEvent", GIFT),
    (f"channel.{CHANNEL_ID}", "App\\Events\\StreamerIsLive", LIVE),
    (f"chatrooms.{CHATROOM_ID}.v2", "App\\Events\\ChatMessageEvent", chat_data(2)),
]


@pytest.fixture
def kick_api() -> Iterator[FakeKickApi]:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        yield api


def env_for(tmp_path: Path, kick_api: FakeKickApi, pusher_url: str = "") -> dict[str, str]:
    env = app_env(tmp_path, kick_api.url, pusher_url)
    env["VMSC_KICK_REALTIME_URL"] = kick_api.url  # negotiation and tokens from the fake
    env.pop("VMSC_KICK_CENTRIFUGO_URL", None)
    return env


async def run_watch(
    env: dict[str, str], publish: Callable[[], Awaitable[None]], provider_name: str
) -> list[dict[str, Any]]:
    watcher = await WatchProcess.start(env, "NightOwlGG")
    try:
        line = await watcher.state_line("state: connected")
        assert line.endswith(f"via {provider_name})"), line
        await publish()
        events = await watcher.read_events(4)
        await watcher.state_line("state: live")
        assert await watcher.interrupt(signal.SIGINT) == 0
        return events
    finally:
        watcher.kill()
        await watcher.proc.wait()


async def test_watch_gives_the_same_stream_events_through_centrifugo_and_through_pusher(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake()
        await conn.hold()

    async with ScriptedCentrifugoServer(script, require_origin="https://kick.com") as server:
        kick_api.negotiate_as(centrifugo_url=server.url)

        async def publish_centrifugo() -> None:
            conn = server.connections[0]
            for channel, event, data in PUBLICATIONS:
                await conn.publish(channel, event, data)

        via_centrifugo = await run_watch(
            env_for(tmp_path / "c", kick_api), publish_centrifugo, "Centrifugo"
        )
        assert kick_api.tokens_issued  # it asked for a token, and used it
        assert server.connections[0].received[0]["connect"]["token"] == kick_api.tokens_issued[0]

    kick_api.negotiate_as(pusher=("testkey", "us2"))

    async def publish_pusher() -> None:
        for channel, event, data in PUBLICATIONS:
            soketi.publish(channel, event, data)

    via_pusher = await run_watch(
        env_for(tmp_path / "p", kick_api, soketi.ws_url()), publish_pusher, "Pusher"
    )

    assert [e["type"] for e in via_centrifugo] == ["chat", "gift_sub", "live_start", "chat"]
    assert via_centrifugo[0]["data"]["message"] == "héllo 👋"
    assert same_but_receive_time(via_centrifugo) == same_but_receive_time(via_pusher)
    assert via_centrifugo[0] == via_pusher[0]  # a chat's time is its payload's: all equal


def same_but_receive_time(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without the timestamp of a gift, which carries none and is stamped on receipt."""
    return [
        {k: v for k, v in e.items() if not (k == "timestamp" and e["type"] == "gift_sub")}
        for e in events
    ]
