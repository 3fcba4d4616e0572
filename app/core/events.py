"""StreamEvent: the one event type every consumer of the app sees (design.md §2)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec

from app.core.payloads import (
    BanData,
    ChatData,
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


class EventType(enum.StrEnum):
    CHAT = "chat"
    FOLLOW = "follow"
    SUBSCRIBE = "subscribe"
    GIFT_SUB = "gift_sub"
    LIVE_START = "live_start"
    LIVE_END = "live_end"
    MESSAGE_DELETED = "message_deleted"
    BAN = "ban"
    UNBAN = "unban"
    HOST = "host"
    KICKS = "kicks"
    REWARD = "reward"


SOURCE_KICK = "kick"

# The type of `data` for each event type.
PAYLOAD_TYPES: dict[EventType, type[Payload]] = {
    EventType.CHAT: ChatData,
    EventType.FOLLOW: FollowData,
    EventType.SUBSCRIBE: SubscribeData,
    EventType.GIFT_SUB: GiftSubData,
    EventType.LIVE_START: LiveStartData,
    EventType.LIVE_END: LiveEndData,
    EventType.MESSAGE_DELETED: MessageDeletedData,
    EventType.BAN: BanData,
    EventType.UNBAN: UnbanData,
    EventType.HOST: HostData,
    EventType.KICKS: KicksData,
    EventType.REWARD: RewardData,
}

_FIELDS = ("id", "source", "type", "channel", "username", "timestamp", "data")

# Everything msgspec.json.decode raises for bad input, to catch wherever the app decodes JSON:
# malformed JSON (DecodeError); invalid UTF-8 in bytes input, or a str holding a lone surrogate
# (UnicodeError); nesting deeper than the recursion limit (RecursionError).
JSON_ERRORS = (msgspec.DecodeError, UnicodeError, RecursionError)


class EventFormatError(ValueError):
    """A StreamEvent's JSON form is not what design.md §2 specifies."""


class StreamEvent(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One user event. Immutable (assigning a field raises AttributeError); build a changed copy
    with `msgspec.structs.replace`.

    A msgspec Struct rather than a frozen dataclass: the pipeline builds one per chat message, and
    a frozen dataclass's `__init__` (one `object.__setattr__` per field) costs ten times as much.
    `gc=False`: the cycle collector does not track events, which is safe because nothing an event
    holds (strings, JSON data) can refer back to it. Fields are in the JSON form's order and
    keyword-only: msgspec encodes the struct itself, in that order, at half the cost of a dict.
    """

    id: str
    source: str = SOURCE_KICK
    type: EventType
    channel: str
    username: str
    timestamp: str  # ISO 8601, UTC
    data: Payload  # of PAYLOAD_TYPES[type]

    def __post_init__(self) -> None:
        # The one check that binds the two: consumers dispatch on either and trust the other.
        if type(self.data) is not PAYLOAD_TYPES[self.type]:
            raise TypeError(
                f"a {self.type.value} event's data is {PAYLOAD_TYPES[self.type].__name__}, "
                f"not {type(self.data).__name__}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as Python objects (lists, not the payload's tuples)."""
        return {
            "id": self.id,
            "source": self.source,
            "type": self.type.value,
            "channel": self.channel,
            "username": self.username,
            "timestamp": self.timestamp,
            "data": msgspec.json.decode(_ENCODER.encode(self.data)),
        }

    def to_json(self) -> str:
        return _ENCODER.encode(self).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> StreamEvent:
        try:
            obj = msgspec.json.decode(text)
        except JSON_ERRORS as exc:
            raise EventFormatError(f"not JSON: {exc}") from exc
        return cls.from_dict(obj)

    @classmethod
    def from_dict(cls, obj: object) -> StreamEvent:
        if not isinstance(obj, dict):
            raise EventFormatError(f"expected a JSON object, got {type(obj).__name__}")
        missing = [name for name in _FIELDS if name not in obj]
        if missing:
            raise EventFormatError(f"missing field(s): {', '.join(missing)}")
        for name in ("id", "source", "channel", "username", "timestamp"):
            if not isinstance(obj[name], str):
                raise EventFormatError(f"field {name!r} must be a string")
        try:
            event_type = EventType(obj["type"])
        except ValueError:
            raise EventFormatError(f"unknown event type {obj['type']!r}") from None
        if not isinstance(obj["data"], dict):
            raise EventFormatError("field 'data' must be an object")
        try:
            datetime.fromisoformat(obj["timestamp"])
        except ValueError:
            raise EventFormatError(f"timestamp {obj['timestamp']!r} is not ISO 8601") from None
        try:
            data = msgspec.convert(obj["data"], PAYLOAD_TYPES[event_type])
        except msgspec.ValidationError as exc:
            raise EventFormatError(f"data of a {event_type.value} event: {exc}") from None
        return cls(
            id=obj["id"],
            type=event_type,
            channel=obj["channel"],
            username=obj["username"],
            timestamp=obj["timestamp"],
            data=data,
            source=obj["source"],
        )


_ENCODER = msgspec.json.Encoder()


def json_lines(events: list[StreamEvent]) -> bytes:
    """The events' JSON forms as UTF-8 JSON lines, each ending in a newline, encoded in one call.

    A list, not any iterable: msgspec 0.22's `encode_lines` leaks about 48 bytes per call when
    given anything else (a tuple, a generator), which a six-hour stream would feel."""
    return _ENCODER.encode_lines(events)
