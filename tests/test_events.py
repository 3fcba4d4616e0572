"""StreamEvent's JSON form (design.md §2): round trip, field order, and what from_json rejects."""

from __future__ import annotations

import json
import sys
from typing import Any

import msgspec
import pytest

from app.core.events import (
    PAYLOAD_TYPES,
    SOURCE_KICK,
    EventFormatError,
    EventType,
    StreamEvent,
    json_lines,
)
from app.core.payloads import Badge, ChatData, Emote, FollowData, SenderIdentity
from tests.event_samples import SAMPLE_DATA, sample_event

CHAT = StreamEvent(
    id="2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",
    type=EventType.CHAT,
    channel="nightowlgg",
    username="pixel_mage",
    timestamp="2026-03-14T19:42:07+00:00",
    data=ChatData(
        'naïve 🎉 "quoted" \\ [emote:37226:KEKW]',
        (Emote("37226", "KEKW"),),
        "2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",
        SenderIdentity("#75FD46", (Badge("subscriber", "Subscriber", 7),)),
        None,
    ),
)


def valid_dict(**changes: Any) -> dict[str, Any]:
    return {**CHAT.to_dict(), **changes}


def test_round_trip() -> None:
    assert StreamEvent.from_json(CHAT.to_json()) == CHAT


def test_round_trip_from_bytes() -> None:
    assert StreamEvent.from_json(CHAT.to_json().encode()) == CHAT


@pytest.mark.parametrize("event_type", list(EventType))
def test_round_trip_every_type(event_type: EventType) -> None:
    event = sample_event(event_type)
    assert StreamEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize("event_type", list(EventType))
def test_json_data_is_the_design_form(event_type: EventType) -> None:
    # design.md §2 pins these names and this order; the typed fields must encode to exactly it.
    event = sample_event(event_type)
    expected = SAMPLE_DATA[event_type][1]
    assert json.loads(event.to_json())["data"] == expected
    assert list(json.loads(event.to_json())["data"]) == list(expected)
    assert event.to_dict()["data"] == expected


def test_chat_json_is_pinned_byte_for_byte() -> None:
    assert CHAT.to_json() == (
        '{"id":"2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13","source":"kick","type":"chat",'
        '"channel":"nightowlgg","username":"pixel_mage","timestamp":"2026-03-14T19:42:07+00:00",'
        '"data":{"message":"naïve 🎉 \\"quoted\\" \\\\ [emote:37226:KEKW]",'
        '"emotes":[{"id":"37226","name":"KEKW"}],"chatId":"2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",'
        '"senderIdentity":{"color":"#75FD46","badges":[{"type":"subscriber","text":"Subscriber",'
        '"count":7}]},"replyTo":null}}'
    )


def test_a_test_event_says_so_last_and_a_real_one_not_at_all() -> None:
    test = msgspec.structs.replace(CHAT, data=msgspec.structs.replace(CHAT.data, test=True))
    assert list(json.loads(test.to_json())["data"])[-1] == "test"
    assert json.loads(test.to_json())["data"]["test"] is True
    assert "test" not in json.loads(CHAT.to_json())["data"]
    assert StreamEvent.from_json(test.to_json()) == test


def test_data_must_be_its_types_payload() -> None:
    with pytest.raises(TypeError, match="a follow event's data is FollowData, not ChatData"):
        msgspec.structs.replace(CHAT, type=EventType.FOLLOW)
    assert set(PAYLOAD_TYPES) == set(EventType)


def test_field_order_and_values() -> None:
    obj = json.loads(CHAT.to_json())
    assert list(obj) == ["id", "source", "type", "channel", "username", "timestamp", "data"]
    assert obj["source"] == SOURCE_KICK == "kick"
    assert obj["type"] == "chat"
    assert obj["data"] == CHAT.to_dict()["data"]


def test_json_is_one_line_utf8() -> None:
    text = CHAT.to_json()
    assert "\n" not in text
    assert "🎉" in text  # not escaped: JSONL stays readable


def test_type_names_are_the_design_names() -> None:
    assert [t.value for t in EventType] == [
        "chat", "follow", "subscribe", "gift_sub", "live_start", "live_end",
        "message_deleted", "ban", "unban", "host", "kicks", "reward",
    ]  # fmt: skip


def test_frozen() -> None:
    with pytest.raises(AttributeError):
        CHAT.username = "someone_else"  # type: ignore[misc]


def test_to_dict_copies_data() -> None:
    copy = CHAT.to_dict()
    copy["data"]["message"] = "changed"
    assert isinstance(CHAT.data, ChatData) and CHAT.data.message != "changed"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{nope", "not JSON"),
        ("", "not JSON"),
        ("[1]", "expected a JSON object, got list"),
        ("null", "expected a JSON object, got NoneType"),
        (
            json.dumps({"id": "x"}),
            "missing field(s): source, type, channel, username, timestamp, data",
        ),
        (json.dumps(valid_dict(id=5)), "field 'id' must be a string"),
        (json.dumps(valid_dict(username=None)), "field 'username' must be a string"),
        (json.dumps(valid_dict(channel=["x"])), "field 'channel' must be a string"),
        (json.dumps(valid_dict(type="raid")), "unknown event type 'raid'"),
        (json.dumps(valid_dict(type=None)), "unknown event type None"),
        (json.dumps(valid_dict(data=[])), "field 'data' must be an object"),
        (json.dumps(valid_dict(timestamp="yesterday")), "timestamp 'yesterday' is not ISO 8601"),
        (
            json.dumps(valid_dict(data={"message": "hi"})),
            "data of a chat event: Object missing required field `emotes`",
        ),
        (
            json.dumps(valid_dict(type="follow")),
            "data of a follow event: Object missing required field `followersCount`",
        ),
        (
            json.dumps(valid_dict(type="follow", data={"followersCount": "7"})),
            "data of a follow event: Expected `int`, got `str` - at `$.followersCount`",
        ),
    ],
)
def test_from_json_errors(text: str, problem: str) -> None:
    with pytest.raises(EventFormatError) as info:
        StreamEvent.from_json(text)
    assert problem in str(info.value)


def test_event_format_error_is_a_value_error() -> None:
    assert issubclass(EventFormatError, ValueError)


def test_json_lines_are_the_json_forms_one_per_line() -> None:
    other = msgspec.structs.replace(CHAT, id="second", type=EventType.FOLLOW, data=FollowData(2))
    lines = json_lines([CHAT, other])
    assert lines == f"{CHAT.to_json()}\n{other.to_json()}\n".encode()
    assert [StreamEvent.from_json(line) for line in lines.splitlines()] == [CHAT, other]
    assert json_lines([]) == b""


def test_json_lines_keeps_no_memory() -> None:
    # msgspec 0.22's encode_lines leaks on a tuple (normalize's RSS grew 40 MiB per 900,000
    # lines): `json_lines` must hold no allocation once a call is done.
    def blocks_kept_by(calls: int) -> int:
        before = sys.getallocatedblocks()
        for _ in range(calls):
            json_lines([CHAT])
        return sys.getallocatedblocks() - before

    blocks_kept_by(100)  # caches, interned strings
    assert blocks_kept_by(10_000) < 100


def test_a_line_written_before_typed_payloads_reads_back_byte_for_byte() -> None:
    # Session logs from earlier versions: a badge without text or count, one with Kick's
    # `active`. The typed form keeps them as they were written.
    line = (
        '{"id":"c-9","source":"kick","type":"chat","channel":"nightowlgg","username":"u",'
        '"timestamp":"2026-03-14T19:42:07+00:00","data":{"message":"hi","emotes":[],"chatId":"c-9",'
        '"senderIdentity":{"color":"","badges":[{"type":"og"},{"type":"subscriber",'
        '"text":"Subscriber","count":3,"active":true}]},"replyTo":null}}'
    )
    assert StreamEvent.from_json(line).to_json() == line
