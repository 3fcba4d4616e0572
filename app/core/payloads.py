"""The `data` of each StreamEvent type (design.md §2): one frozen type per event type.

The normalizer builds and checks them once (h11's habit: typed events, validated when built,
trusted afterwards); every consumer reads fields and checks nothing again. Field names are
snake_case here and camelCase in JSON, exactly as design.md §2 names them.
"""

from __future__ import annotations

import re

import msgspec


class Payload(msgspec.Struct, frozen=True, gc=False, kw_only=True, omit_defaults=True):
    """What every event's data has in common. `gc=False`: payloads hold only strings, numbers and
    other payloads, never anything that can refer back to them."""

    # A made-up event for trying overlays ("Send test event"): `"test": true` in JSON, last, and
    # absent from every real event (omit_defaults; kw_only fields go after a subclass's fields).
    test: bool = False


class Emote(msgspec.Struct, frozen=True, gc=False):
    id: str  # digits: Kick's emote id
    name: str


class Badge(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    type: str  # "subscriber", "moderator", "vip", ...
    text: str = ""  # absent from JSON when "" (as Kick leaves it out of some badges)
    count: int | None = None  # months, for subscriber badges; absent from JSON when None
    active: bool | None = None  # sent by Kick on some badges; absent from JSON when None


class SenderIdentity(msgspec.Struct, frozen=True, gc=False):
    color: str = ""  # "#RRGGBB" as Kick sends it, or ""; readers must still check the format
    badges: tuple[Badge, ...] = ()


class ReplyTo(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    chat_id: str
    username: str
    message: str


class ChatData(Payload, frozen=True, gc=False, rename="camel"):
    message: str  # as sent: `[emote:ID:NAME]` tokens stay in it
    emotes: tuple[Emote, ...]
    chat_id: str
    sender_identity: SenderIdentity
    reply_to: ReplyTo | None


class FollowData(Payload, frozen=True, gc=False, rename="camel"):
    followers_count: int


class SubscribeData(Payload, frozen=True, gc=False):
    months: int
    message: str


class GiftSubData(Payload, frozen=True, gc=False, rename="camel"):
    gifted_count: int
    gifter_username: str
    recipients: tuple[str, ...]


class LiveStartData(Payload, frozen=True, gc=False):
    title: str


class LiveEndData(Payload, frozen=True, gc=False):
    pass


class MessageDeletedData(Payload, frozen=True, gc=False, rename="camel"):
    chat_id: str  # of the deleted message


class _ModerationData(Payload, frozen=True, gc=False, rename="camel"):
    target: str
    moderator: str
    permanent: bool
    duration_minutes: int | None  # a timeout's length; None when permanent (always in JSON)


class BanData(_ModerationData, frozen=True, gc=False):
    pass


class UnbanData(_ModerationData, frozen=True, gc=False):
    pass


class HostData(Payload, frozen=True, gc=False, rename="camel"):
    host_username: str
    viewers: int
    message: str


class KicksData(Payload, frozen=True, gc=False, rename="camel"):
    amount: int
    gift_name: str
    message: str


class RewardData(Payload, frozen=True, gc=False, rename="camel"):
    title: str
    user_input: str


# `[emote:ID:NAME]` anywhere in the text, glued to words or to each other; a name is anything up
# to the closing bracket without brackets or spaces, so `[emote:1:[emote:2:B]` yields only 2:B.
# The one definition: the normalizer lists emotes with it, the feed finds where they sit.
EMOTE_TOKEN = re.compile(r"\[emote:(\d+):([^\[\]\s]+)\]")


def parse_emotes(content: str) -> tuple[Emote, ...]:
    """Each distinct `[emote:ID:NAME]` in `content`, in order of first appearance."""
    if "[emote:" not in content:
        return ()
    found = EMOTE_TOKEN.findall(content)
    distinct = dict.fromkeys(found) if len(found) > 1 else found  # drops repeats, keeps the order
    return tuple(Emote(emote_id, name) for emote_id, name in distinct)
