"""Screenshots of the real window for the README: Disconnected, Connected and Live, busy feed.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/take_screenshots.py

Runs the real app (window, services, socket) against a scripted Pusher server on 127.0.0.1 that
plays a busy chat, and grabs the screen into resources/screenshots/.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "resources" / "screenshots"
CHATROOM, CHANNEL = 5079311, 5120934
CHAT = f"chatrooms.{CHATROOM}.v2"

USERS = [
    ("pixel_mage", "#75FD46", ["subscriber"]),
    ("LunaTides", "#DEB2FF", ["moderator", "og"]),
    ("quietfox77", "#FF9F1A", []),
    ("Moss_Byte", "#5BC0EB", ["subscriber", "vip"]),
    ("ravenclaw_22", "#F25F5C", ["founder"]),
    ("nightcrawler", "#FFE066", []),
]
LINES = [
    "that clutch was insane [emote:37226:KEKW]",
    "no way he hit that",
    "GG WP",
    "first time catching the stream live, hello from Lisbon!",
    "[emote:39261:kkHuh] what was that",
    "ranked grind let's goooo",
    "<b>not bold</b> &amp; <img src=x> stays text",
    "W streamer",
    "clip it!!",
    "is this the new patch?",
]


def chat(n: int) -> str:
    name, color, badges = USERS[n % len(USERS)]
    return json.dumps(
        {
            "id": f"shot-{n}",
            "chatroom_id": CHATROOM,
            "content": LINES[n % len(LINES)],
            "type": "message",
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "sender": {
                "id": n,
                "username": name,
                "identity": {
                    "color": color,
                    "badges": [
                        {
                            "type": b,
                            "text": b.capitalize(),
                            **({"count": 7} if b == "subscriber" else {}),
                        }
                        for b in badges
                    ],
                },
            },
        }
    )


def extras(n: int) -> list[tuple[str, str, str]]:
    return [
        (
            "App\\Events\\SubscriptionEvent",
            CHAT,
            json.dumps({"chatroom_id": CHATROOM, "username": USERS[n % 6][0], "months": n}),
        ),
        (
            "App\\Events\\GiftedSubscriptionsEvent",
            CHAT,
            json.dumps(
                {
                    "chatroom_id": CHATROOM,
                    "gifted_usernames": [u for u, _, _ in USERS[: 2 + n % 4]],
                    "gifter_username": USERS[n % 6][0],
                    "gifter_total": n,
                }
            ),
        ),
        (
            "KicksGifted",
            f"channel_{CHANNEL}",
            json.dumps(
                {
                    "message": "hype!",
                    "sender": {"username": "LunaTides"},
                    "gift": {"amount": 100 * n, "name": "Rage Quit"},
                }
            ),
        ),
        (
            "App\\Events\\StreamHostEvent",
            CHAT,
            json.dumps(
                {
                    "chatroom_id": CHATROOM,
                    "optional_message": "raid incoming",
                    "number_viewers": 10 + n,
                    "host_username": "ravenclaw_22",
                }
            ),
        ),
    ]


async def shoot(name: str) -> None:
    from PySide6.QtWidgets import QApplication

    await asyncio.sleep(0.6)  # let animations and the 1 s tick settle into a typical frame
    screen = QApplication.primaryScreen()
    path = OUT / f"{name}.png"
    screen.grabWindow(0).save(str(path))
    print(f"saved {path.relative_to(ROOT)}")


async def main() -> None:
    from app.application import VmscApp
    from tests.gui.waiting import until
    from tests.pusher_server import PusherConn, ScriptedPusherServer

    go_live = asyncio.Event()
    more = asyncio.Event()

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        rng = random.Random(4)
        for n in range(60):
            await conn.send("App\\Events\\ChatMessageEvent", chat(n), CHAT)
            if n % 6 == 3:
                event, channel, data = extras(n)[(n // 6) % 4]
                await conn.send(event, data, channel)
            await asyncio.sleep(rng.uniform(0.005, 0.02))
        await go_live.wait()
        await conn.send(
            "App\\Events\\StreamerIsLive",
            json.dumps(
                {
                    "livestream": {
                        "id": 1,
                        "session_title": "Ranked grind to Immortal | !socials",
                        "created_at": "2026-03-14 18:00:18",
                    }
                }
            ),
            f"channel.{CHANNEL}",
        )
        for n in range(60, 75):
            await conn.send("App\\Events\\ChatMessageEvent", chat(n), CHAT)
        await more.wait()
        for n in range(75, 87):
            await conn.send("App\\Events\\ChatMessageEvent", chat(n), CHAT)
        await conn.hold()

    OUT.mkdir(parents=True, exist_ok=True)
    async with ScriptedPusherServer(script) as server:
        os.environ["VMSC_KICK_PUSHER_URL"] = server.url()
        vmsc = VmscApp()
        vmsc.window.resize(1240, 760)
        vmsc.window.move(20, 20)
        vmsc.start(auto_connect=False)
        vmsc.window.show_page(0)
        await shoot("disconnected")
        service = vmsc.service
        vmsc.window.set_username("nightowlgg")  # as typed; the ids are the ones under Advanced
        service.connect_channel("nightowlgg", CHATROOM, CHANNEL)
        await until(lambda: service.status.state.is_connected, service.statusChanged)
        await until(lambda: vmsc.window.feed.model.rowCount() >= 64, service.eventsReceived)
        await shoot("connected")
        go_live.set()
        await until(lambda: str(service.status.state) == "live", service.statusChanged)
        await until(lambda: vmsc.window.feed.model.rowCount() >= 80, service.eventsReceived)
        await shoot("live")
        # a reader scrolled down: new rows do not push the feed, a button offers the newest
        feed = vmsc.window.feed
        bar = feed.list_view.verticalScrollBar()
        bar.setValue(bar.maximum() // 2)
        more.set()
        await until(lambda: feed.unseen >= 12, service.eventsReceived)
        await shoot("feed-scrolled")
        feed.scroll_to_latest()
        vmsc.window.show_page(1)
        vmsc.window.sources.kick_card.set_expanded(True)
        await shoot("sources")
        vmsc.request_close()
        await vmsc.closed


if __name__ == "__main__":
    os.environ["VMSC_CONFIG_DIR"] = tempfile.mkdtemp(prefix="vmsc-shots-")
    os.environ["VMSC_KICK_REALTIME_URL"] = ""
    os.environ["VMSC_KICK_API_URL"] = "http://127.0.0.1:9"  # live-status refresh: refused at once
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.ui.theme import load_theme

    qapp = QApplication(sys.argv[:1])
    qapp.setQuitOnLastWindowClosed(False)
    load_theme(qapp)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main())
