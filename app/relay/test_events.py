"""Made-up events for trying overlays: "Send test event" in the app, `POST /api/test-event`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from app.core.events import EventType, StreamEvent
from app.core.payloads import (
    Badge,
    ChatData,
    Emote,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    Payload,
    SenderIdentity,
    SubscribeData,
)

TEST_EVENT_TYPES = ("chat", "follow", "subscribe", "gift_sub", "kicks", "host")


def make_test_event(kind: str, channel: str) -> StreamEvent:
    """A StreamEvent of type `kind` (one of TEST_EVENT_TYPES) with `"test": true` in its data;
    ValueError for any other type."""
    if kind not in TEST_EVENT_TYPES:
        raise ValueError(f"unknown test event type {kind!r}; one of {', '.join(TEST_EVENT_TYPES)}")
    event_id = f"test-{uuid.uuid4()}"
    username = "vmsc_test"
    data: Payload
    if kind == "chat":
        data = ChatData(
            "This is a test message [emote:37226:KEKW]",
            (Emote("37226", "KEKW"),),
            event_id,
            SenderIdentity("#53FC18", (Badge("subscriber", "Subscriber", 3),)),
            None,
            test=True,
        )
    elif kind == "follow":
        data = FollowData(1234, test=True)
    elif kind == "subscribe":
        data = SubscribeData(3, "Test sub!", test=True)
    elif kind == "gift_sub":
        recipients = ("night_fox", "pixel_mage", "lo_fi_cat", "quietstorm", "ace")
        data = GiftSubData(5, username, recipients, test=True)
    elif kind == "kicks":
        data = KicksData(100, "Hell Yeah", "Test Kicks!", test=True)
    else:  # host
        data = HostData(username, 42, "", test=True)
    return StreamEvent(
        id=event_id,
        type=EventType(kind),
        channel=channel,
        username=username,
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        data=data,
    )
