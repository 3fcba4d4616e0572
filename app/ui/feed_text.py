"""Every word the event feed draws, and the event's category. Qt-free, pure functions.

`describe(event)` and `display_text(event)` decide what a row says; the rest read the few
payload fields the feed's other parts need (chat id, message, reply, sender colour and badges),
so `event.data` is read here and nowhere else in the feed. Untrusted text is cleaned of control
and bidi characters and stays plain text: nothing here is ever interpreted as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from app.core.events import EventType, StreamEvent
from app.ui.feed_category import FeedCategory

__all__ = [
    "NOTICE_CHIPS",
    "Badge",
    "RowText",
    "category_of",
    "chat_id_of",
    "chat_message",
    "describe",
    "display_text",
    "local_time",
    "render_message",
    "reply_line",
    "sender_badges",
    "sender_color_name",
    "sender_name",
]

_MAX_MESSAGE_CHARS = 600  # Kick allows 500; anything longer is cut before layout
_MAX_FIELD_CHARS = 200
_MAX_BADGES = 4


# =============================================================================== categories


_CATEGORY = {
    EventType.CHAT: FeedCategory.CHAT,
    EventType.FOLLOW: FeedCategory.FOLLOWS,
    EventType.SUBSCRIBE: FeedCategory.SUBS,
    EventType.GIFT_SUB: FeedCategory.SUBS,
    EventType.KICKS: FeedCategory.SUBS,
    EventType.LIVE_START: FeedCategory.LIVE,
    EventType.LIVE_END: FeedCategory.LIVE,
    EventType.BAN: FeedCategory.MODERATION,
    EventType.UNBAN: FeedCategory.MODERATION,
    EventType.MESSAGE_DELETED: FeedCategory.MODERATION,
    EventType.HOST: FeedCategory.OTHER,
    EventType.REWARD: FeedCategory.OTHER,
}


def category_of(event: StreamEvent) -> FeedCategory:
    return _CATEGORY.get(event.type, FeedCategory.OTHER)


# =============================================================================== the payload


_NOTHING: Mapping[str, Any] = MappingProxyType({})


def _mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a mapping, else an empty one. (JSON objects are dicts: that is checked
    first, being several times cheaper than the ABC check, and rows are measured by the
    thousand.)"""
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return _NOTHING


def _data(event: StreamEvent) -> Mapping[str, Any]:
    data = event.data  # `_mapping` inlined: this is read several times per row measured
    if type(data) is dict or isinstance(data, Mapping):
        return data
    return _NOTHING


def chat_id_of(event: StreamEvent) -> str | None:
    """The `chatId` of a chat message, or of the message a `message_deleted` removed."""
    value = _data(event).get("chatId")
    return value if isinstance(value, str) else None


def chat_message(event: StreamEvent) -> tuple[str, list[tuple[int, int]]]:
    """A chat message as drawn, with its emote spans (see `render_message`)."""
    return render_message(_data(event).get("message"))


def reply_line(event: StreamEvent) -> str:
    """The line above a reply: `↪ @who: what they said`; "" for a message that is no reply."""
    reply_to = _data(event).get("replyTo")
    if not isinstance(reply_to, Mapping):
        return ""
    who = _clean(reply_to.get("username"))
    said = render_message(reply_to.get("message"))[0]
    return f"↪ @{who}: {said}" if who else f"↪ {said}"


def _sender_identity(event: StreamEvent) -> Mapping[str, Any]:
    return _mapping(_data(event).get("senderIdentity"))


def sender_color_name(event: StreamEvent) -> str:
    """senderIdentity.color as sent (unchecked), "" when there is none."""
    raw = _sender_identity(event).get("color")
    return raw if isinstance(raw, str) else ""


# (Kick's badge type, "" when not a string; what its chip says). A plain tuple: one is built
# for every badge of every chat row measured.
Badge = tuple[str, str]


_BADGE_LABELS = {
    "broadcaster": "Streamer",
    "moderator": "Mod",
    "vip": "VIP",
    "og": "OG",
    "founder": "Founder",
    "subscriber": "Sub",
    "sub_gifter": "Gifter",
    "verified": "Verified",
    "staff": "Staff",
    "sidekick": "Sidekick",
}


def sender_badges(event: StreamEvent) -> list[Badge]:
    """The sender's first few badges, each with a short label (a sub's months too)."""
    badges = _sender_identity(event).get("badges")
    if not isinstance(badges, list):
        return []
    shown: list[Badge] = []
    for badge in badges[:_MAX_BADGES]:
        if not isinstance(badge, Mapping):
            continue
        kind = badge.get("type")
        known = kind if isinstance(kind, str) else ""
        label = _BADGE_LABELS.get(known, "")
        if not label:
            label = _clean(badge.get("text"), 16) or _clean(kind, 16)
        if not label:
            continue
        count = _int(badge.get("count"))
        if count and kind in ("subscriber", "sub_gifter"):
            label = f"{label} {count:,}"
        shown.append((known, label))
    return shown


def sender_name(event: StreamEvent) -> str:
    return _name(event.username)


# =============================================================================== words


# Characters that would let a message rearrange or hide what is drawn around it: C0/C1 controls
# (newlines included) and the bidirectional overrides/isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_EMOTE = re.compile(r"\[emote:(\d+):([^\[\]\s]+)\]")

# The tags of notice rows, as `describe` names them (the delegate gives them one width).
NOTICE_CHIPS = ("FOLLOW", "SUB", "GIFT", "LIVE", "ENDED", "BAN", "TIMEOUT", "UNBAN", "DELETED",
                "HOST", "KICKS", "REWARD")  # fmt: skip


def _clean(value: object, limit: int = _MAX_FIELD_CHARS) -> str:
    """A payload value as one safe line of plain text."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _UNSAFE.sub(" ", text).strip()


def render_message(message: object) -> tuple[str, list[tuple[int, int]]]:
    """Chat content as drawn: `[emote:ID:NAME]` becomes `:NAME:`; returns the text and the
    (start, length) of every emote in it, for bold."""
    text = _clean(message, _MAX_MESSAGE_CHARS)
    if "[emote:" not in text:
        return text, []
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    last = 0
    for match in _EMOTE.finditer(text):
        before = text[last : match.start()]
        if match.start() > 0 and not text[match.start() - 1].isspace():
            before += " "  # `[emote:1:A][emote:2:B]` reads as `:A: :B:`, not `:A::B:`
        parts.append(before)
        length += len(before)
        token = f":{match.group(2)}:"
        spans.append((length, len(token)))
        parts.append(token)
        length += len(token)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), spans


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


@dataclass(frozen=True, slots=True)
class RowText:
    """Everything a row says, as plain text. `chip` is the short tag of a notice row."""

    chip: str
    summary: str  # chat: the message; notices: the one-line summary
    detail: str = ""  # second line (a sub's message, gift recipients, who banned)
    is_chat: bool = False


def _name(value: object, fallback: str = "Someone") -> str:
    return _clean(value) or fallback


def describe(event: StreamEvent) -> RowText:
    """The words of a row. Pure; untrusted text is cleaned of control characters and left as
    plain text (it is never interpreted as markup anywhere)."""
    data = _data(event)
    user = _name(event.username)
    kind = event.type
    if kind is EventType.CHAT:
        text, _ = render_message(data.get("message"))
        return RowText("", text, is_chat=True)
    if kind is EventType.FOLLOW:
        count = _int(data.get("followersCount"))
        total = f"{count:,} followers" if count is not None else ""
        if event.username:
            return RowText("FOLLOW", f"{user} followed", total)
        return RowText("FOLLOW", "New follower", total)
    if kind is EventType.SUBSCRIBE:
        months = _int(data.get("months")) or 1
        summary = (
            f"{user} subscribed" if months <= 1 else f"{user} subscribed for {months:,} months"
        )
        return RowText("SUB", summary, render_message(data.get("message"))[0])
    if kind is EventType.GIFT_SUB:
        gifter = _name(data.get("gifterUsername") or event.username, "Anonymous")
        recipients_raw = data.get("recipients")
        recipients = (
            [_clean(r) for r in recipients_raw if isinstance(r, str)]
            if isinstance(recipients_raw, list)
            else []
        )
        count = _int(data.get("giftedCount")) or len(recipients) or 1
        if count == 1 and len(recipients) == 1:
            return RowText("GIFT", f"{gifter} gifted a sub to {recipients[0]}")
        summary = f"{gifter} gifted {_plural(count, 'sub', 'subs')}"
        shown = recipients[:12]
        detail = ", ".join(shown)
        if len(recipients) > len(shown):
            detail += f" and {len(recipients) - len(shown):,} more"
        return RowText("GIFT", summary, f"to {detail}" if detail else "")
    if kind is EventType.LIVE_START:
        title = _clean(data.get("title"))
        return RowText("LIVE", f"Stream started: {title}" if title else "Stream started")
    if kind is EventType.LIVE_END:
        return RowText("ENDED", "Stream ended")
    if kind is EventType.MESSAGE_DELETED:
        return RowText("DELETED", "A message was deleted")
    if kind in (EventType.BAN, EventType.UNBAN):
        target = _name(data.get("target") or event.username)
        moderator = _clean(data.get("moderator"))
        by = f" by {moderator}" if moderator else ""
        if kind is EventType.UNBAN:
            return RowText("UNBAN", f"{target} was unbanned{by}")
        minutes = _int(data.get("durationMinutes"))
        if data.get("permanent") is True or not minutes:
            return RowText("BAN", f"{target} was banned{by}")
        return RowText("TIMEOUT", f"{target} was timed out for {_duration(minutes)}{by}")
    if kind is EventType.HOST:
        host = _name(data.get("hostUsername") or event.username)
        viewers = _int(data.get("viewers"))
        with_viewers = f" with {_plural(viewers, 'viewer', 'viewers')}" if viewers else ""
        return RowText("HOST", f"{host} is hosting{with_viewers}", _clean(data.get("message")))
    if kind is EventType.KICKS:
        amount = _int(data.get("amount")) or 0
        gift = _clean(data.get("giftName"))
        what = f"{_plural(amount, 'Kick', 'Kicks')}" + (f" ({gift})" if gift else "")
        return RowText("KICKS", f"{user} sent {what}", render_message(data.get("message"))[0])
    if kind is EventType.REWARD:
        title = _clean(data.get("title")) or "a reward"
        return RowText("REWARD", f"{user} redeemed {title}", _clean(data.get("userInput")))
    return RowText(_clean(str(kind.value)).upper()[:10], f"{user}: {kind.value}")


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        return _plural(minutes // 1440, "day", "days")
    if minutes % 60 == 0:
        return _plural(minutes // 60, "hour", "hours")
    return _plural(minutes, "minute", "minutes")


def display_text(event: StreamEvent) -> str:
    """The row's text as one plain line: exactly the strings the delegate draws."""
    row = describe(event)
    if row.is_chat:
        return f"{_name(event.username)}: {row.summary}"
    return f"{row.summary} — {row.detail}" if row.detail else row.summary


def local_time(timestamp: str, fmt: str = "%H:%M") -> str:
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return ""
    try:
        return moment.astimezone().strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return ""
