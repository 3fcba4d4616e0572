"""Screenshots of the real window for the README: Disconnected, Connected and Live, busy feed.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/take_screenshots.py

Runs the real app (window, services, socket) against a scripted Pusher server on 127.0.0.1 that
plays a busy chat, with a file server there for its emote pictures (drawn here), and grabs the
screen into resources/screenshots/.
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
    ("tofu_enjoyer", "#9BE564", ["subscriber"]),
    ("SableRune", "#F7A1C4", []),
    ("kettle_drum", "#7FDBFF", ["subscriber"]),
    ("ZeroPing_", "#FFB86B", []),
]
LINES = [
    "that clutch was insane [emote:37226:KEKW]",
    "no way he hit that",
    "GG WP",
    "first time catching the stream live, hello from Lisbon!",
    "[emote:39261:kkHuh] what was that",
    "ranked grind let's goooo",
    "W streamer",
    "clip it!!",
    "is this the new patch?",
    "the rotation on B was so clean",
    "bro is cooking today",
    "what's the sens?",
    "!socials",
    "that flank though [emote:37226:KEKW]",
    "lurking from work, don't tell my boss",
    "one more game, it's only 2am",
    "how many wins today?",
    "the ult timing [emote:39261:kkHuh]",
    "chat is this real",
    "save the op for next round",
    "he's so calm under pressure",
    "unlucky, that spray was nasty",
    "Immortal by tonight, calling it",
    "hydrate check",
]
# Believable values for the occasional sub, gift, Kicks and host.
EXTRA_VALUES = [(3, 1, 100, 12), (11, 5, 500, 34), (6, 2, 50, 8), (24, 10, 1000, 57)]


def emote_png(kind: str, size: int = 56) -> bytes:
    """A small made-up emote: a laughing face (`laugh`) or a puzzled one (`huh`), as PNG."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    u = size / 56
    p.setPen(QPen(QColor("#8a5a00"), 2 * u))
    p.setBrush(QColor("#ffcc4d") if kind == "laugh" else QColor("#b8e986"))
    p.drawEllipse(QRectF(3 * u, 3 * u, 50 * u, 50 * u))
    ink = QPen(QColor("#3b2a00"), 3.5 * u, c=Qt.PenCapStyle.RoundCap)
    p.setPen(ink)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if kind == "laugh":  # eyes squeezed shut, a wide open mouth
        for x in (17, 39):
            p.drawArc(QRectF((x - 6) * u, 17 * u, 12 * u, 10 * u), 20 * 16, 140 * 16)
        p.setBrush(QColor("#6b1d1d"))
        p.drawChord(QRectF(14 * u, 22 * u, 28 * u, 24 * u), 180 * 16, 180 * 16)
    else:  # one eyebrow up, a flat mouth
        p.setBrush(QColor("#3b2a00"))
        p.drawEllipse(QPointF(20 * u, 24 * u), 3 * u, 3 * u)
        p.drawEllipse(QPointF(37 * u, 24 * u), 3 * u, 3 * u)
        p.drawLine(QPointF(31 * u, 14 * u), QPointF(42 * u, 11 * u))
        p.drawLine(QPointF(20 * u, 39 * u), QPointF(36 * u, 37 * u))
    p.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def chat(n: int) -> str:
    name, color, badges = USERS[n % len(USERS)]
    return json.dumps(
        {
            "id": f"shot-{n}",
            "chatroom_id": CHATROOM,
            "content": LINES[(n * 7) % len(LINES)],
            "type": "message",
            "created_at": now_iso(),
            "sender": {
                "id": n,
                "username": name,
                "identity": {
                    "color": color,
                    "badges": [
                        {
                            "type": b,
                            "text": b.capitalize(),
                            **({"count": 3 + n % 20} if b == "subscriber" else {}),
                        }
                        for b in badges
                    ],
                },
            },
        }
    )


def extras(n: int) -> list[tuple[str, str, str]]:
    months, gifts, kicks, viewers = EXTRA_VALUES[(n // 6) % len(EXTRA_VALUES)]
    return [
        (
            "App\\Events\\SubscriptionEvent",
            CHAT,
            json.dumps(
                {"chatroom_id": CHATROOM, "username": USERS[(n + 3) % 10][0], "months": months}
            ),
        ),
        (
            "App\\Events\\GiftedSubscriptionsEvent",
            CHAT,
            json.dumps(
                {
                    "chatroom_id": CHATROOM,
                    "gifted_usernames": [u for u, _, _ in USERS[4 : 4 + gifts]],
                    "gifter_username": USERS[(n + 1) % 10][0],
                    "gifter_total": gifts * 3,
                }
            ),
        ),
        (
            "KicksGifted",
            f"channel_{CHANNEL}",
            json.dumps(
                {
                    "message": "for the clutch",
                    "sender": {"username": "LunaTides"},
                    "gift": {"amount": kicks, "name": "Full Send"},
                }
            ),
        ),
        (
            "App\\Events\\StreamHostEvent",
            CHAT,
            json.dumps(
                {
                    "chatroom_id": CHATROOM,
                    "optional_message": "go say hi from us!",
                    "number_viewers": viewers,
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
    from app.settings import Settings, SettingsStore
    from tests.fake_kick_api import FakeKickApi, channel_json
    from tests.image_files import ImageFiles, Reply
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
            await asyncio.sleep(rng.uniform(0.1, 0.35))  # a busy chat: about 4 lines a second
        await go_live.wait()
        await conn.send(
            "App\\Events\\StreamerIsLive",
            json.dumps(
                {
                    "livestream": {
                        "id": 1,
                        "session_title": "Ranked grind to Immortal | !socials",
                        "created_at": now_iso(),
                    }
                }
            ),
            f"channel.{CHANNEL}",
        )
        for n in range(60, 75):
            await conn.send("App\\Events\\ChatMessageEvent", chat(n), CHAT)
            await asyncio.sleep(rng.uniform(0.1, 0.35))
        await more.wait()
        for n in range(75, 87):
            await conn.send("App\\Events\\ChatMessageEvent", chat(n), CHAT)
        await conn.hold()

    OUT.mkdir(parents=True, exist_ok=True)
    kick = FakeKickApi()
    kick.channels["nightowlgg"] = channel_json("nightowlgg", CHANNEL, CHATROOM)
    kick.channels["nightowlgg"]["user"]["username"] = "NightOwlGG"
    # A streamer who saved the channel earlier and turned auto-connect off.
    SettingsStore().save(Settings(kick_slug="nightowlgg", auto_connect=False))
    with kick.running(), ImageFiles() as files:
        files.emote("37226", Reply(body=emote_png("laugh")))  # KEKW
        files.emote("39261", Reply(body=emote_png("huh")))  # kkHuh
        os.environ["VMSC_KICK_FILES_URL"] = files.url
        os.environ["VMSC_KICK_API_URL"] = kick.url
        async with ScriptedPusherServer(script) as server:
            os.environ["VMSC_KICK_PUSHER_URL"] = server.url()
            await _play(go_live, more)


async def _play(go_live: asyncio.Event, more: asyncio.Event) -> None:
    from app.application import VmscApp
    from tests.gui.waiting import until

    vmsc = VmscApp()
    vmsc.window.resize(1240, 760)
    vmsc.window.move(20, 20)
    vmsc.start(auto_connect=False)
    vmsc.window.show_page(0)
    await shoot("disconnected")
    service = vmsc.service
    service.connect_channel("nightowlgg")  # what the card's Connect button does
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
