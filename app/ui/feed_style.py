"""The event feed's colours: text and state colours, notice accents, sender colours and badges.

Readable on the feed's dark background (#121417). The words come from `app.ui.feed_text`.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QColor

from app.core.events import EventType, StreamEvent
from app.ui.feed_text import sender_badges, sender_color_name

__all__ = [
    "EMOTE_BG",
    "EMOTE_FG",
    "FAINT",
    "HOVER",
    "MUTED",
    "SELECTED",
    "TEXT",
    "badge_chips",
    "notice_accent",
    "sender_color",
]

TEXT = QColor("#e8eaed")
MUTED = QColor("#9aa0a9")
FAINT = QColor("#6b717b")
EMOTE_FG = QColor("#f1f3f5")
EMOTE_BG = QColor(255, 255, 255, 22)
HOVER = QColor(255, 255, 255, 9)
SELECTED = QColor(83, 252, 24, 26)

# Readable on #121417: what a sender without a colour of their own gets, by a hash of the name.
_NAME_PALETTE = tuple(
    QColor(c)
    for c in (
        "#7ab8ff", "#ff8fa3", "#8ce99a", "#ffd166", "#c8a2ff", "#66d9e8",
        "#ffa94d", "#f783ac", "#a9e34b", "#91a7ff", "#63e6be", "#ffb8a8",
    )
)  # fmt: skip

_NOTICE_ACCENT = {
    EventType.FOLLOW: QColor("#4aa8ff"),
    EventType.SUBSCRIBE: QColor("#b57bff"),
    EventType.GIFT_SUB: QColor("#ff6fcf"),
    EventType.KICKS: QColor("#53fc18"),
    EventType.LIVE_START: QColor("#53fc18"),
    EventType.LIVE_END: QColor("#8a8f98"),
    EventType.BAN: QColor("#ff4d4f"),
    EventType.UNBAN: QColor("#2fd49a"),
    EventType.MESSAGE_DELETED: QColor("#8a8f98"),
    EventType.HOST: QColor("#ffb547"),
    EventType.REWARD: QColor("#2fd4e0"),
}
_DEFAULT_ACCENT = QColor("#8a8f98")

_BADGE_COLORS = {
    "broadcaster": QColor("#ff5c5c"),
    "moderator": QColor("#2fd47a"),
    "vip": QColor("#ff4fd8"),
    "og": QColor("#f5c518"),
    "founder": QColor("#ffb547"),
    "subscriber": QColor("#b57bff"),
    "sub_gifter": QColor("#ff6fcf"),
    "verified": QColor("#4aa8ff"),
    "staff": QColor("#53fc18"),
    "sidekick": QColor("#66d9e8"),
}
_DEFAULT_BADGE = QColor("#8a8f98")


def notice_accent(kind: EventType) -> QColor:
    """The colour of a notice row's tag, tint and left bar."""
    return _NOTICE_ACCENT.get(kind, _DEFAULT_ACCENT)


def _readable(color: QColor) -> QColor:
    """The same hue, lifted until it reads on the dark feed background."""
    hue, sat, light = color.hslHueF(), color.hslSaturationF(), color.lightnessF()
    if light >= 0.58:
        return color
    lifted = QColor()
    lifted.setHslF(max(hue, 0.0), min(sat, 0.9), 0.66)
    return lifted


def sender_color(event: StreamEvent) -> QColor:
    """senderIdentity.color made readable on dark, else a stable colour picked by the name."""
    raw = sender_color_name(event)
    if raw:
        color = QColor(raw.strip())
        if color.isValid():
            opaque = QColor(color)
            opaque.setAlpha(255)
            return _readable(opaque)
    index = zlib.crc32(event.username.lower().encode()) % len(_NAME_PALETTE)
    return QColor(_NAME_PALETTE[index])


def badge_chips(event: StreamEvent) -> list[tuple[str, QColor]]:
    """(text, colour) of the sender's badges, as small chips."""
    return [
        (label, _BADGE_COLORS.get(kind, _DEFAULT_BADGE)) for kind, label in sender_badges(event)
    ]
