"""The overlays in a real browser (Debian's chromium through Playwright), fed by a real server:
the event server fed directly, and end to end from soketi through `watch --serve`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.events import EventType, StreamEvent
from app.relay.address import ListenAddress
from app.relay.server import RelayServer
from tests.browser import FakeKickFiles, chromium_page, require_chromium
from tests.e2e_fixtures import soketi_fixture  # noqa: F401
from tests.event_samples import make_data
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHAT_EVENT, CHATROOM_ID
from tests.relay_client import SteppedTime, fixed_status, wait_until
from tests.soketi import SoketiServer, free_port
from tests.watch_process import WatchProcess, app_env

HOSTILE = (
    "<img src=x onerror=\"window.pwned=1;document.title='pwned'\"><script>window.pwned=2</script>"
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require_chromium()


@pytest.fixture
def kick_files() -> Iterator[FakeKickFiles]:
    with FakeKickFiles() as files:
        yield files


@pytest.fixture
async def relay(kick_files: FakeKickFiles) -> AsyncIterator[RelayServer]:
    server = RelayServer(
        ListenAddress("127.0.0.1", free_port()),
        token="t",
        status=fixed_status(),
        kick_files_url=kick_files.url,
    )
    await server.start()
    yield server
    await server.close()


def event(kind: EventType, n: int, username: str = "pixel_mage", **data: Any) -> StreamEvent:
    return StreamEvent(
        id=f"ev-{n}",
        type=kind,
        channel="nightowlgg",
        username=username,
        timestamp="2026-03-14T19:42:07+00:00",
        data=make_data(kind, **data),
    )


def chat(n: int, message: str, color: str = "#75FD46", badges: Any = ()) -> StreamEvent:
    return event(
        EventType.CHAT,
        n,
        message=message,
        emotes=[],
        chatId=f"chat-{n}",
        senderIdentity={"color": color, "badges": list(badges)},
        replyTo=None,
    )


async def open_overlay(page: Any, url: str) -> None:
    await page.goto(url)
    await page.wait_for_function("document.body.dataset.connection === 'open'")


async def test_chat_overlay_shows_messages_emotes_badges_and_removes_deleted_ones(
    relay: RelayServer, kick_files: FakeKickFiles
) -> None:
    async with chromium_page() as page:
        await open_overlay(page, f"{relay.base_url}/overlay/chat?max=3")
        badge = {"type": "moderator", "text": "Moderator"}
        relay.publish_event(chat(1, "first"))
        relay.publish_event(chat(2, "gg [emote:37226:KEKW] nice", "#FF00AA", [badge]))
        relay.publish_event(chat(3, HOSTILE))
        relay.publish_event(event(EventType.FOLLOW, 4, followersCount=5))  # not chat: not shown
        relay.publish_event(chat(5, "fifth"))
        await page.wait_for_function(
            "document.querySelector('#chat .message:last-child')?.dataset.eventId === 'ev-5'"
        )
        ids = await page.eval_on_selector_all(
            "#chat .message", "els => els.map(e => e.dataset.eventId)"
        )
        assert ids == ["ev-2", "ev-3", "ev-5"]  # max=3: the oldest went
        emote = page.locator('[data-event-id="ev-2"] img.emote')
        assert await emote.get_attribute("src") == f"{kick_files.url}/emotes/37226/fullsize"
        assert await emote.get_attribute("alt") == "KEKW"
        await page.wait_for_function(
            "document.querySelector('img.emote').complete && "
            "document.querySelector('img.emote').naturalWidth > 0"
        )
        assert "/emotes/37226/fullsize" in kick_files.requests
        text = await page.locator('[data-event-id="ev-2"] .text').text_content()
        assert text == "gg  nice"
        assert await page.locator('[data-event-id="ev-2"] .badge-moderator').text_content() == "MOD"
        color = await page.locator('[data-event-id="ev-2"] .username').evaluate(
            "e => getComputedStyle(e).color"
        )
        assert color == "rgb(255, 0, 170)"
        # hostile text is shown as text, and nothing in it ran
        hostile = page.locator('[data-event-id="ev-3"] .text')
        assert await hostile.text_content() == HOSTILE
        assert await page.locator("#chat img:not(.emote), #chat script").count() == 0
        assert await page.evaluate("window.pwned") is None
        assert await page.title() == "VMSC chat overlay"
        # a deleted message goes
        relay.publish_event(event(EventType.MESSAGE_DELETED, 6, chatId="chat-3"))
        await page.wait_for_function("!document.querySelector('[data-event-id=\"ev-3\"]')")
        ids = await page.eval_on_selector_all(
            "#chat .message", "els => els.map(e => e.dataset.eventId)"
        )
        assert ids == ["ev-2", "ev-5"]
        # transparent, no scrollbars
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgba(0, 0, 0, 0)"
        overflow = await page.evaluate("getComputedStyle(document.body).overflow")
        assert overflow == "hidden"


async def test_the_browser_answers_the_keep_alive_pings(kick_files: FakeKickFiles) -> None:
    time = SteppedTime()
    relay = RelayServer(
        ListenAddress("127.0.0.1", free_port()),
        token="t",
        status=fixed_status(),
        kick_files_url=kick_files.url,
        clock=time.clock,
        sleep=time.sleep,
    )
    await relay.start()
    try:
        async with chromium_page() as page:
            await open_overlay(page, f"{relay.base_url}/overlay/chat")
            for _ in range(3):  # a ping each round, each answered well before its deadline
                await wait_until(lambda: relay.client_count == 1 and len(time.wakes) == 1)
                time.advance(20.0)
                await wait_until(lambda: time.wakes == [time.now + 20.0])
                await wait_until(lambda: relay.unanswered_pings == 0)
            assert relay.timed_out == 0 and relay.client_count == 1
            relay.publish_event(chat(1, "still here"))
            await page.wait_for_selector('[data-event-id="ev-1"]')
    finally:
        await relay.close()


async def test_chat_overlay_fades_messages_and_takes_a_font(relay: RelayServer) -> None:
    async with chromium_page() as page:
        await open_overlay(page, f"{relay.base_url}/overlay/chat?fade=0.3&font=DejaVu%20Serif")
        relay.publish_event(chat(1, "soon gone"))
        await page.wait_for_selector('[data-event-id="ev-1"]')
        font = await page.evaluate("getComputedStyle(document.body).fontFamily")
        assert font.startswith('"DejaVu Serif"')
        await page.wait_for_selector('[data-event-id="ev-1"]', state="detached")


async def test_alerts_overlay_shows_one_alert_at_a_time_from_its_queue(relay: RelayServer) -> None:
    async with chromium_page() as page:
        await open_overlay(page, f"{relay.base_url}/overlay/alerts?duration=0.6")
        relay.publish_event(event(EventType.FOLLOW, 1, "quietfox77", followersCount=5))
        relay.publish_event(event(EventType.CHAT, 2, message="not an alert"))
        relay.publish_event(event(EventType.SUBSCRIBE, 3, months=7, message=HOSTILE))
        relay.publish_event(
            event(EventType.GIFT_SUB, 4, "gifter", giftedCount=5, gifterUsername="gifter")
        )
        relay.publish_event(event(EventType.KICKS, 5, amount=100, giftName="Hell Yeah"))
        relay.publish_event(
            event(EventType.HOST, 6, hostUsername="big_host", viewers=42, message="")
        )
        seen: list[tuple[str, str]] = []
        for kind in ("follow", "subscribe", "gift_sub", "kicks", "host"):
            alert = page.locator(f'.alert[data-alert-type="{kind}"]')
            await alert.wait_for()
            assert await page.locator(".alert").count() == 1  # one at a time
            seen.append((kind, " ".join((await alert.inner_text()).split())))
            if kind == "follow":
                assert await page.evaluate("document.body.dataset.queued") == "4"
            if kind == "subscribe":
                note = await alert.locator(".alert-note").text_content()
                assert note == HOSTILE
                assert await page.evaluate("window.pwned") is None
        assert seen[0] == ("follow", "♥ quietfox77 just followed!")
        assert seen[1][1].startswith("★ pixel_mage subscribed for 7 months!")
        assert seen[2] == ("gift_sub", "✦ gifter gifted 5 subs!")
        assert seen[3] == ("kicks", "⚡ pixel_mage sent 100 Kicks (Hell Yeah)!")
        assert seen[4] == ("host", "➤ big_host is hosting with 42 viewers!")
        await page.locator(".alert").wait_for(state="detached")
        assert await page.evaluate("document.body.dataset.queued") == "0"


async def test_overlays_reconnect_after_the_server_restarts(
    relay: RelayServer, kick_files: FakeKickFiles
) -> None:
    async with chromium_page() as page:
        await open_overlay(page, f"{relay.base_url}/overlay/chat")
        await relay.close()
        await page.wait_for_function("document.body.dataset.connection === 'closed'")
        again = RelayServer(
            relay.address, token="t", status=fixed_status(), kick_files_url=kick_files.url
        )
        await again.start()
        try:
            await page.wait_for_function("document.body.dataset.connection === 'open'")
            again.publish_event(chat(1, "back again"))
            await page.wait_for_selector('[data-event-id="ev-1"]')
        finally:
            await again.close()


async def test_index_page_lists_the_overlays_with_previews(relay: RelayServer) -> None:
    async with chromium_page() as page:
        await open_overlay(page, f"{relay.base_url}/")
        urls = await page.eval_on_selector_all("span.url", "els => els.map(e => e.textContent)")
        assert urls == [f"{relay.base_url}/overlay/chat", f"{relay.base_url}/overlay/alerts"]
        await page.wait_for_function(
            "document.getElementById('status').textContent.includes('connected')"
        )
        assert await page.locator("iframe").count() == 2


async def test_chat_from_soketi_reaches_the_overlay_through_watch_serve(
    tmp_path: Path, soketi: SoketiServer, kick_files: FakeKickFiles
) -> None:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    port = free_port()
    with api.running():
        env = app_env(tmp_path, api.url, soketi.ws_url())
        env["VMSC_KICK_FILES_URL"] = kick_files.url
        watcher = await WatchProcess.start(env, "nightowlgg", "--serve", f"127.0.0.1:{port}")
        try:
            line = await watcher.state_line("serving:")
            assert f"http://127.0.0.1:{port}/overlay/chat" in line
            await watcher.state_line("state: connected")
            async with chromium_page() as page:
                await open_overlay(page, f"http://127.0.0.1:{port}/overlay/chat")
                for n, content in enumerate(["hello [emote:37226:KEKW]", HOSTILE]):
                    payload = {
                        "id": f"msg-{n}",
                        "chatroom_id": CHATROOM_ID,
                        "content": content,
                        "type": "message",
                        "created_at": "2026-03-14T19:42:07+00:00",
                        "sender": {
                            "id": 7,
                            "username": "pixel_mage",
                            "identity": {"color": "#75FD46", "badges": []},
                        },
                    }
                    soketi.publish(CHAT_CHANNEL, CHAT_EVENT, json.dumps(payload))
                await page.wait_for_selector('[data-event-id="msg-1"]')
                emote = page.locator('[data-event-id="msg-0"] img.emote')
                assert await emote.get_attribute("src") == f"{kick_files.url}/emotes/37226/fullsize"
                hostile = page.locator('[data-event-id="msg-1"] .text')
                assert await hostile.text_content() == HOSTILE
                assert await page.evaluate("window.pwned") is None
                deleted = {"id": "d1", "message": {"id": "msg-0"}}
                soketi.publish(
                    CHAT_CHANNEL, "App\\Events\\MessageDeletedEvent", json.dumps(deleted)
                )
                await page.wait_for_selector('[data-event-id="msg-0"]', state="detached")
            events = await watcher.read_events(3)  # stdout still has every event
            assert [e["type"] for e in events] == ["chat", "chat", "message_deleted"]
        finally:
            watcher.kill()
            await watcher.proc.wait()
