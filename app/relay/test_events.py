"""Made-up events for trying overlays: "Send test event" in the app, `POST /api/test-event`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from app.core.events import EventType, StreamEvent

TEST_EVENT_TYPES = ("chat", "follow", "subscribe", "gift_sub", "kicks", "host")


def make_test_event(kind: str, channel: str) -> StreamEvent:
    """A StreamEvent of type `kind` (one of TEST_EVENT_TYPES) with `"test": true` in its data;
    ValueError for any other type."""
    if kind not in TEST_EVENT_TYPES:
        raise ValueError(f"unknown test event type {kind!r}; one of {', '.join(TEST_EVENT_TYPES)}")
    event_id = f"test-{uuid.uuid4()}"
    username = "vmsc_test"
    data: dict[str, Any]
    if kind == "chat":
        data = {
            "message": "This is a test message [emote:37226:KEKW]",
            "emotes": [{"id": "37226", "name": "KEKW"}],
            "chatId": event_id,
            "senderIdentity": {
                "color": "#53FC18",
                "badges": [{"type": "subscriber", "text": "Subscriber", "count": 3}],
            },
            "replyTo": None,
        }
    elif kind == "follow":
        data = {"followersCount": 1234}
    elif kind == "subscribe":
        data = {"months": 3, "message": "Test sub!"}
    elif kind == "gift_sub":
        recipients = ["night_fox", "pixel_mage", "lo_fi_cat", "quietstorm", "ace"]
        data = {"giftedCount": 5, "gifterUsername": username, "recipients": recipients}
    elif kind == "kicks":
        data = {"amount": 100, "giftName": "Hell Yeah", "message": "Test Kicks!"}
    else:  # host
        data = {"hostUsername": username, "viewers": 42, "message": ""}
    data["test"] = True
    return StreamEvent(
        id=event_id,
        type=EventType(kind),
        channel=channel,
        username=username,
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        data=data,
    )
