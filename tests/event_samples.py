"""One StreamEvent of every type, and each one's JSON `data` exactly as design.md §2 names it."""

from __future__ import annotations

from typing import Any

import msgspec

from app.core.events import PAYLOAD_TYPES, EventType, StreamEvent
from app.core.payloads import (
    Badge,
    BanData,
    ChatData,
    Emote,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    LiveEndData,
    LiveStartData,
    MessageDeletedData,
    Payload,
    ReplyTo,
    RewardData,
    SenderIdentity,
    SubscribeData,
    UnbanData,
)

# (typed data, its JSON form) for each type
SAMPLE_DATA: dict[EventType, tuple[Payload, dict[str, Any]]] = {
    EventType.CHAT: (
        ChatData(
            "hi [emote:37226:KEKW]",
            (Emote("37226", "KEKW"),),
            "c-1",
            SenderIdentity(
                "#75FD46",
                (Badge("subscriber", "Subscriber", 7), Badge("og", "OG", active=True)),
            ),
            ReplyTo("c-0", "night_fox", "first"),
        ),
        {
            "message": "hi [emote:37226:KEKW]",
            "emotes": [{"id": "37226", "name": "KEKW"}],
            "chatId": "c-1",
            "senderIdentity": {
                "color": "#75FD46",
                "badges": [
                    {"type": "subscriber", "text": "Subscriber", "count": 7},
                    {"type": "og", "text": "OG", "active": True},
                ],
            },
            "replyTo": {"chatId": "c-0", "username": "night_fox", "message": "first"},
        },
    ),
    EventType.FOLLOW: (FollowData(48213), {"followersCount": 48213}),
    EventType.SUBSCRIBE: (SubscribeData(7, ""), {"months": 7, "message": ""}),
    EventType.GIFT_SUB: (
        GiftSubData(2, "lo_fi_cat", ("a", "b")),
        {"giftedCount": 2, "gifterUsername": "lo_fi_cat", "recipients": ["a", "b"]},
    ),
    EventType.LIVE_START: (LiveStartData("late night"), {"title": "late night"}),
    EventType.LIVE_END: (LiveEndData(), {}),
    EventType.MESSAGE_DELETED: (MessageDeletedData("c-1"), {"chatId": "c-1"}),
    EventType.BAN: (
        BanData("troll", "mod_a", False, 10),
        {"target": "troll", "moderator": "mod_a", "permanent": False, "durationMinutes": 10},
    ),
    EventType.UNBAN: (
        UnbanData("troll", "mod_a", True, None),
        {"target": "troll", "moderator": "mod_a", "permanent": True, "durationMinutes": None},
    ),
    EventType.HOST: (
        HostData("raider", 216, "raid!"),
        {"hostUsername": "raider", "viewers": 216, "message": "raid!"},
    ),
    EventType.KICKS: (
        KicksData(500, "Hell Yeah", ""),
        {"amount": 500, "giftName": "Hell Yeah", "message": ""},
    ),
    EventType.REWARD: (
        RewardData("Song request", "sandstorm"),
        {"title": "Song request", "userInput": "sandstorm"},
    ),
}


def sample_event(event_type: EventType, **changes: Any) -> StreamEvent:
    fields: dict[str, Any] = {
        "id": f"{event_type.value}-1",
        "type": event_type,
        "channel": "nightowlgg",
        "username": "pixel_mage",
        "timestamp": "2026-03-14T19:42:07+00:00",
        "data": SAMPLE_DATA[event_type][0],
    }
    return StreamEvent(**{**fields, **changes})


def chat_data(message: str, chat_id: str = "c-1", **changes: Any) -> ChatData:
    """Chat data as the normalizer builds it for `message` (emotes parsed), no badges."""
    from app.core.payloads import parse_emotes

    fields: dict[str, Any] = {
        "message": message,
        "emotes": parse_emotes(message),
        "chat_id": chat_id,
        "sender_identity": SenderIdentity(),
        "reply_to": None,
    }
    return ChatData(**{**fields, **changes})


def make_data(event_type: EventType, **json_fields: Any) -> Payload:
    """Typed data of `event_type` from JSON-form (camelCase) fields; the rest from the sample."""
    fields = {**SAMPLE_DATA[event_type][1], **json_fields}
    if event_type is EventType.GIFT_SUB and "giftedCount" not in json_fields:
        fields["giftedCount"] = len(fields["recipients"])
    return msgspec.convert(fields, PAYLOAD_TYPES[event_type])
