"""Kick payloads that tests publish: shaped like tests/fixtures/kick-frames, as Kick sends them."""

from __future__ import annotations

import json

CHATROOM_ID, CHANNEL_ID = 5079311, 5120934
CHAT_CHANNEL = f"chatrooms.{CHATROOM_ID}.v2"
CHAT_EVENT = "App\\Events\\ChatMessageEvent"


def chat_data(n: int, content: str = "gg [emote:37226:KEKW]") -> str:
    """A ChatMessageEvent's data, compact JSON (the pusher SDK would re-encode a dict)."""
    return json.dumps(
        {
            "id": f"msg-{n}",
            "chatroom_id": CHATROOM_ID,
            "content": content,
            "type": "message",
            "created_at": "2026-03-14T19:42:07+00:00",
            "sender": {
                "id": 7,
                "username": "pixel_mage",
                "identity": {"color": "#75FD46", "badges": []},
            },
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
