"""Kick's user events other than chat, each mapped by one pure function to a typed payload.

A mapping gets the event name without its prefix, the decoded data and the raw data (for the
digest id), and returns a `Mapped` or None (not a user action, an unfollow). It raises
PayloadError for a payload it cannot read. The Normalizer adds the channel and the time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from app.core.events import EventType
from app.core.payloads import (
    BanData,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    LiveEndData,
    LiveStartData,
    MessageDeletedData,
    Payload,
    RewardData,
    SubscribeData,
    UnbanData,
)
from app.kick import payload_fields as field
from app.kick.payload_fields import Json, PayloadError

EVENT_PREFIX = "App\\Events\\"


class Mapped(NamedTuple):
    type: EventType
    id: str
    username: str
    created_at: object  # the payload's time as sent; None: the receive time
    data: Payload


EventMapping = Callable[[str, Json, object], Mapped | None]


def event_digest(name: str, raw: object) -> str:
    """A deterministic id for a payload without one: the same delivery gives the same id."""
    if isinstance(raw, str):
        body = raw.encode()
    elif isinstance(raw, bytes):
        body = raw
    else:  # an object from a lenient server: sorted keys make it deterministic
        try:
            body = msgspec.json.encode(raw, order="sorted")
        except RecursionError:  # decoded near the limit, one level more to encode it
            raise PayloadError(f"{name}: data is nested too deeply") from None
    return hashlib.blake2b(name.encode() + b"\0" + body, digest_size=8).hexdigest()


def _own_id(data: Json, key: str, name: str, raw: object) -> str:
    """Kick's id for the event where it sends one, else the digest."""
    return field.kick_id(data.get(key)) or event_digest(name, raw)


def follow(name: str, data: Json, raw: object) -> Mapped | None:
    # FollowersUpdated without `followed` is a bare count change; FollowEvent is a follow.
    if not field.flag(data.get("followed", name == "FollowEvent")):
        return None  # an unfollow, or no follow at all
    legacy = "followers_count" in data and "followersCount" not in data
    count = field.count(data, "followers_count" if legacy else "followersCount", name)
    username = field.optional_text(data, "username", name)
    if not username:
        username = field.optional_text(field.optional_obj(data, "user"), "username", name)
    return Mapped(
        EventType.FOLLOW,
        event_digest(name, raw),
        username,
        data.get("created_at"),
        FollowData(count),
    )


def subscribe(name: str, data: Json, raw: object) -> Mapped:
    return Mapped(
        EventType.SUBSCRIBE,
        event_digest(name, raw),
        field.optional_text(data, "username", name),
        data.get("created_at"),
        SubscribeData(
            field.count(data, "months", name), field.optional_text(data, "message", name)
        ),
    )


def gift_sub(name: str, data: Json, raw: object) -> Mapped:
    recipients = data.get("gifted_usernames")
    if not isinstance(recipients, list):
        raise field.wrong(name, "gifted_usernames", recipients, "a list")
    names = [str(r) for r in recipients if isinstance(r, str | int) and not isinstance(r, bool)]
    gifter = field.optional_text(data, "gifter_username", name)
    # gifter_total is the gifter's lifetime total, not this gift's size
    return Mapped(
        EventType.GIFT_SUB,
        event_digest(name, raw),
        gifter,
        data.get("created_at"),
        GiftSubData(len(names), gifter, tuple(names)),
    )


def live_start(name: str, data: Json, raw: object) -> Mapped:
    livestream = field.obj(data, "livestream", name)
    title = field.optional_text(livestream, "session_title", name, "livestream.session_title")
    # The livestream id names the stream, not this event (live_end carries it too): digest.
    return Mapped(
        EventType.LIVE_START,
        event_digest(name, raw),
        "",
        livestream.get("created_at"),
        LiveStartData(title),
    )


def live_end(name: str, data: Json, raw: object) -> Mapped:
    return Mapped(EventType.LIVE_END, event_digest(name, raw), "", None, LiveEndData())


def message_deleted(name: str, data: Json, raw: object) -> Mapped:
    message = field.obj(data, "message", name)
    return Mapped(
        EventType.MESSAGE_DELETED,
        _own_id(data, "id", name, raw),
        "",
        data.get("created_at"),
        MessageDeletedData(field.required_id(message, "id", name, "message.id")),
    )


def ban(name: str, data: Json, raw: object) -> Mapped:
    target = field.text(field.obj(data, "user", name), "username", name, "user.username")
    moderator = field.optional_text(
        field.optional_obj(data, "banned_by"), "username", name, "banned_by.username"
    )
    duration = data.get("duration")
    permanent = field.flag(data["permanent"]) if "permanent" in data else duration is None
    minutes = None
    if not permanent and duration is not None:
        minutes = field.count(data, "duration", name)
    return Mapped(
        EventType.BAN,
        _own_id(data, "id", name, raw),
        moderator,
        data.get("created_at"),
        BanData(target, moderator, permanent, minutes),
    )


def unban(name: str, data: Json, raw: object) -> Mapped:
    target = field.text(field.obj(data, "user", name), "username", name, "user.username")
    moderator = field.optional_text(
        field.optional_obj(data, "unbanned_by"), "username", name, "unbanned_by.username"
    )
    return Mapped(
        EventType.UNBAN,
        _own_id(data, "id", name, raw),
        moderator,
        data.get("created_at"),
        UnbanData(target, moderator, field.flag(data.get("permanent")), None),
    )


def host(name: str, data: Json, raw: object) -> Mapped:
    host_name = field.text(data, "host_username", name)
    return Mapped(
        EventType.HOST,
        event_digest(name, raw),
        host_name,
        data.get("created_at"),
        HostData(
            host_name,
            field.count(data, "number_viewers", name),
            field.optional_text(data, "optional_message", name),
        ),
    )


def kicks(name: str, data: Json, raw: object) -> Mapped:
    gift = field.obj(data, "gift", name)
    sender = field.optional_obj(data, "sender")
    return Mapped(
        EventType.KICKS,
        _own_id(data, "gift_transaction_id", name, raw),
        field.optional_text(sender, "username", name, "sender.username"),
        data.get("created_at"),
        KicksData(
            field.count(gift, "amount", name, "gift.amount"),
            field.optional_text(gift, "name", name, "gift.name"),
            field.optional_text(data, "message", name),
        ),
    )


def reward(name: str, data: Json, raw: object) -> Mapped:
    return Mapped(
        EventType.REWARD,
        _own_id(data, "id", name, raw),
        field.optional_text(data, "username", name),
        data.get("created_at"),
        RewardData(
            field.text(data, "reward_title", name), field.optional_text(data, "user_input", name)
        ),
    )


# Event name without the prefix -> its mapping (chat is the Normalizer's own hot path).
MAPPINGS: dict[str, EventMapping] = {
    "FollowEvent": follow,
    "FollowersUpdated": follow,
    "SubscriptionEvent": subscribe,
    "GiftedSubscriptionsEvent": gift_sub,
    "StreamerIsLive": live_start,
    "StopStreamBroadcast": live_end,
    "MessageDeletedEvent": message_deleted,
    "UserBannedEvent": ban,
    "UserUnbannedEvent": unban,
    "StreamHostEvent": host,
    "KicksGifted": kicks,
    "RewardRedeemedEvent": reward,
}
