"""Every word the event feed draws, and the event's category. Qt-free, pure functions.

`describe(event)` and `display_text(event)` decide what a row says; the rest read the few
payload fields the feed's other parts need (chat id, message, reply, sender colour and badges),
so `event.data` is read here and nowhere else in the feed. Untrusted text is cleaned of control
and bidi characters and stays plain text: nothing here is ever interpreted as markup.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from app.core.events import EventType, StreamEvent
from app.core.payloads import (
    EMOTE_TOKEN,
    BanData,
    ChatData,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    LiveEndData,
    LiveStartData,
    MessageDeletedData,
    RewardData,
    SubscribeData,
    UnbanData,
)
from app.ui.feed_category import FeedCategory

__all__ = [
    "NOTICE_CHIPS",
    "Badge",
    "EmoteSpan",
    "RowText",
    "category_of",
    "chat_id_of",
    "chat_message",
    "describe",
    "display_text",
    "local_time",
    "render_emotes",
    "render_message",
    "reply_line",
    "sender_badges",
    "sender_color_name",
    "sender_name",
    "shows_emote",
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


def chat_id_of(event: StreamEvent) -> str | None:
    """The `chatId` of a chat message, or of the message a `message_deleted` removed."""
    data = event.data
    if type(data) is ChatData or type(data) is MessageDeletedData:
        return data.chat_id
    return None


def _chat(event: StreamEvent) -> ChatData | None:
    data = event.data
    return data if type(data) is ChatData else None


def chat_message(event: StreamEvent) -> tuple[str, list[EmoteSpan]]:
    """A chat message as drawn, with its emotes (see `render_emotes`)."""
    chat = _chat(event)
    return render_emotes(chat.message if chat is not None else "")


def shows_emote(event: StreamEvent, emote_ids: Collection[str]) -> bool:
    """True for a chat message with one of these emotes in it."""
    chat = _chat(event)
    if chat is None or "[emote:" not in chat.message:
        return False
    return any(f"[emote:{emote_id}:" in chat.message for emote_id in emote_ids)


def reply_line(event: StreamEvent) -> str:
    """The line above a reply: `↪ @who: what they said`; "" for a message that is no reply."""
    chat = _chat(event)
    reply_to = chat.reply_to if chat is not None else None
    if reply_to is None:
        return ""
    who = _clean(reply_to.username)
    said = render_message(reply_to.message)[0]
    return f"↪ @{who}: {said}" if who else f"↪ {said}"


def sender_color_name(event: StreamEvent) -> str:
    """senderIdentity.color as sent (unchecked), "" when there is none."""
    chat = _chat(event)
    return chat.sender_identity.color if chat is not None else ""


# (Kick's badge type; what its chip says). A plain tuple: one is built
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
    chat = _chat(event)
    if chat is None:
        return []
    shown: list[Badge] = []
    for badge in chat.sender_identity.badges[:_MAX_BADGES]:
        kind = badge.type
        label = _BADGE_LABELS.get(kind, "") or _clean(badge.text, 16) or _clean(kind, 16)
        if not label:
            continue
        count = badge.count
        if count and kind in ("subscriber", "sub_gifter"):
            label = f"{label} {count:,}"
        shown.append((kind, label))
    return shown


def sender_name(event: StreamEvent) -> str:
    return _name(event.username)


# =============================================================================== words


# Characters that would let a message rearrange or hide what is drawn around it: C0/C1 controls
# (newlines included) and the bidirectional overrides/isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")

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


# (start, length, emote id) of one `:NAME:` in a message as drawn
EmoteSpan = tuple[int, int, str]


def render_emotes(message: object) -> tuple[str, list[EmoteSpan]]:
    """Chat content as drawn: `[emote:ID:NAME]` becomes `:NAME:`; returns the text and where
    each emote is in it, with its id (the chip is drawn bold, or the picture over it)."""
    text = _clean(message, _MAX_MESSAGE_CHARS)
    if "[emote:" not in text:
        return text, []
    parts: list[str] = []
    spans: list[EmoteSpan] = []
    length = 0
    last = 0
    for match in EMOTE_TOKEN.finditer(text):
        before = text[last : match.start()]
        if match.start() > 0 and not text[match.start() - 1].isspace():
            before += " "  # `[emote:1:A][emote:2:B]` reads as `:A: :B:`, not `:A::B:`
        parts.append(before)
        length += len(before)
        token = f":{match.group(2)}:"
        spans.append((length, len(token), match.group(1)))
        parts.append(token)
        length += len(token)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), spans


def render_message(message: object) -> tuple[str, list[tuple[int, int]]]:
    """Chat content as drawn (see `render_emotes`), with the (start, length) of each emote."""
    text, spans = render_emotes(message)
    return text, [(start, length) for start, length, _ in spans]


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
    data = event.data  # typed and checked by the normalizer: read, do not re-check
    user = _name(event.username)
    if isinstance(data, ChatData):
        return RowText("", render_message(data.message)[0], is_chat=True)
    if isinstance(data, FollowData):
        total = f"{data.followers_count:,} followers"
        if event.username:
            return RowText("FOLLOW", f"{user} followed", total)
        return RowText("FOLLOW", "New follower", total)
    if isinstance(data, SubscribeData):
        months = data.months or 1
        summary = (
            f"{user} subscribed" if months <= 1 else f"{user} subscribed for {months:,} months"
        )
        return RowText("SUB", summary, render_message(data.message)[0])
    if isinstance(data, GiftSubData):
        gifter = _name(data.gifter_username or event.username, "Anonymous")
        recipients = [_clean(r) for r in data.recipients]
        count = data.gifted_count or len(recipients) or 1
        if count == 1 and len(recipients) == 1:
            return RowText("GIFT", f"{gifter} gifted a sub to {recipients[0]}")
        summary = f"{gifter} gifted {_plural(count, 'sub', 'subs')}"
        shown = recipients[:12]
        detail = ", ".join(shown)
        if len(recipients) > len(shown):
            detail += f" and {len(recipients) - len(shown):,} more"
        return RowText("GIFT", summary, f"to {detail}" if detail else "")
    if isinstance(data, LiveStartData):
        title = _clean(data.title)
        return RowText("LIVE", f"Stream started: {title}" if title else "Stream started")
    if isinstance(data, LiveEndData):
        return RowText("ENDED", "Stream ended")
    if isinstance(data, MessageDeletedData):
        return RowText("DELETED", "A message was deleted")
    if isinstance(data, BanData | UnbanData):
        target = _name(data.target or event.username)
        moderator = _clean(data.moderator)
        by = f" by {moderator}" if moderator else ""
        if isinstance(data, UnbanData):
            return RowText("UNBAN", f"{target} was unbanned{by}")
        minutes = data.duration_minutes
        if data.permanent or not minutes:
            return RowText("BAN", f"{target} was banned{by}")
        return RowText("TIMEOUT", f"{target} was timed out for {_duration(minutes)}{by}")
    if isinstance(data, HostData):
        host = _name(data.host_username or event.username)
        viewers = data.viewers
        with_viewers = f" with {_plural(viewers, 'viewer', 'viewers')}" if viewers else ""
        return RowText("HOST", f"{host} is hosting{with_viewers}", _clean(data.message))
    if isinstance(data, KicksData):
        gift = _clean(data.gift_name)
        what = f"{_plural(data.amount, 'Kick', 'Kicks')}" + (f" ({gift})" if gift else "")
        return RowText("KICKS", f"{user} sent {what}", render_message(data.message)[0])
    if isinstance(data, RewardData):
        title = _clean(data.title) or "a reward"
        return RowText("REWARD", f"{user} redeemed {title}", _clean(data.user_input))
    return RowText(_clean(str(event.type.value)).upper()[:10], f"{user}: {event.type.value}")


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
