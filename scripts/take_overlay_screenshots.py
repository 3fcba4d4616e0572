"""Screenshots of the OBS overlays for the README: the event server on 127.0.0.1, Debian's
chromium through Playwright, a busy chat and an alert. Writes resources/screenshots/overlay-*.png.

    .venv/bin/python scripts/take_overlay_screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.events import EventType, StreamEvent  # noqa: E402
from app.relay.address import ListenAddress  # noqa: E402
from app.relay.server import RelayServer  # noqa: E402
from tests.browser import FakeKickFiles, chromium_page  # noqa: E402
from tests.relay_client import fixed_status  # noqa: E402

OUT = ROOT / "resources" / "screenshots"
# Behind the transparent overlay, a dark game-like backdrop, as OBS would composite it.
BACKDROP = "html { background: linear-gradient(135deg, #1d2b3a, #3a2d1d) !important; }"

CHAT = [
    (
        "pixel_mage",
        "#75FD46",
        [{"type": "subscriber", "text": "Subscriber", "count": 7}],
        "that clutch was insane [emote:37226:KEKW]",
    ),
    ("quietfox77", "#FF7AB8", [], "gg wp"),
    (
        "mod_anna",
        "#00B2FF",
        [{"type": "moderator", "text": "Moderator"}],
        "reminder: be nice in chat",
    ),
    (
        "night_owl_fan",
        "#FFB300",
        [{"type": "og", "text": "OG"}, {"type": "vip", "text": "VIP"}],
        "first time catching the stream live!",
    ),
    ("hacker", "#B388FF", [], '<img src=x onerror="alert(1)"> shows as text'),
    (
        "lo_fi_cat",
        "#53FC18",
        [{"type": "founder", "text": "Founder"}],
        "[emote:37226:KEKW] [emote:37226:KEKW] [emote:37226:KEKW]",
    ),
]


def event(kind: EventType, n: int, username: str, **data: Any) -> StreamEvent:
    return StreamEvent(
        id=f"shot-{n}",
        type=kind,
        channel="nightowlgg",
        username=username,
        timestamp="2026-03-14T19:42:07+00:00",
        data=data,
    )


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with FakeKickFiles() as files:
        server = RelayServer(
            ListenAddress("127.0.0.1", 0), token="t", status=fixed_status(),
            kick_files_url=files.url,
        )  # fmt: skip
        await server.start()
        try:
            async with chromium_page(960, 540) as page:
                await page.goto(f"{server.base_url}/overlay/chat")  # type: ignore[attr-defined]
                await page.add_style_tag(content=BACKDROP)  # type: ignore[attr-defined]
                await page.wait_for_function("document.body.dataset.connection === 'open'")  # type: ignore[attr-defined]
                for n, (name, color, badges, text) in enumerate(CHAT):
                    identity = {"color": color, "badges": badges}
                    server.publish_event(
                        event(
                            EventType.CHAT,
                            n,
                            name,
                            message=text,
                            emotes=[],
                            chatId=f"c{n}",
                            senderIdentity=identity,
                        )
                    )
                await page.wait_for_function(  # type: ignore[attr-defined]
                    "[...document.images].length > 0 && [...document.images].every(i => i.complete)"
                    " && document.querySelectorAll('.message').length === 6"
                )
                await page.wait_for_timeout(400)  # the last message's slide-in animation
                await page.screenshot(path=str(OUT / "overlay-chat.png"))  # type: ignore[attr-defined]
            async with chromium_page(960, 300) as page:
                await page.goto(f"{server.base_url}/overlay/alerts?duration=30")  # type: ignore[attr-defined]
                await page.add_style_tag(content=BACKDROP)  # type: ignore[attr-defined]
                await page.wait_for_function("document.body.dataset.connection === 'open'")  # type: ignore[attr-defined]
                server.publish_event(
                    event(
                        EventType.GIFT_SUB,
                        10,
                        "pixel_mage",
                        giftedCount=5,
                        gifterUsername="pixel_mage",
                        recipients=[],
                    )
                )
                await page.wait_for_selector('.alert[data-alert-type="gift_sub"]')  # type: ignore[attr-defined]
                await page.wait_for_timeout(700)  # the entrance animation
                await page.screenshot(path=str(OUT / "overlay-alerts.png"))  # type: ignore[attr-defined]
        finally:
            await server.close()
    print(f"wrote {OUT / 'overlay-chat.png'} and {OUT / 'overlay-alerts.png'}")


if __name__ == "__main__":
    asyncio.run(main())
