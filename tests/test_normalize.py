"""Kick payloads -> StreamEvents: every shared sample frame, edge cases, and de-duplication."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.events import EventType, StreamEvent
from app.core.payloads import parse_emotes
from app.kick.dedupe import Deduper, dedupe_key
from app.kick.kick_events import event_digest
from app.kick.normalize import NOT_USER_EVENTS, Normalizer
from app.kick.payload_fields import PayloadError
from app.kick.pipeline import Pipeline
from app.kick.pusher_codec import ChannelEvent, FrameError, decode_frame
from app.kick.timestamps import iso_utc
from tests.event_samples import make_data
from tests.fixtures import FRAMES_DIR

NOW = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)
NOW_ISO = "2026-03-14T20:00:00+00:00"
CHANNEL = "NightOwlGG"  # as typed; events carry it lower-cased
DIGEST = "<digest>"  # expected id: a deterministic digest, Kick sent no id

# ---------------------------------------------------------------------------------------------
# Every sample frame maps to exactly this. A new file in kick-frames fails the coverage test
# until it is listed here.

NOT_A_SERVER_FRAME = "not a server frame"  # API responses: FrameError from the pipeline

REPLY_SOURCE = "that clutch was insane [emote:37226:KEKW] [emote:39261:kkHuh]"

EXPECTED: dict[str, dict[str, Any] | str | None] = {
    "ChatMessageEvent.json": {
        "id": "2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",
        "type": "chat",
        "username": "pixel_mage",
        "timestamp": "2026-03-14T19:42:07+00:00",
        "data": {
            "message": REPLY_SOURCE,
            "emotes": [{"id": "37226", "name": "KEKW"}, {"id": "39261", "name": "kkHuh"}],
            "chatId": "2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",
            "senderIdentity": {
                "color": "#75FD46",
                "badges": [
                    {"type": "subscriber", "text": "Subscriber", "count": 7},
                    {"type": "sub_gifter", "text": "Sub Gifter", "count": 25},
                ],
            },
            "replyTo": None,
        },
    },
    "ChatMessageEvent-reply.json": {
        "id": "b0c4e7d2-91aa-4f3e-8d55-3c2a6e9f1b08",
        "type": "chat",
        "username": "LunaTides",
        "timestamp": "2026-03-14T19:42:15+00:00",
        "data": {
            "message": "@pixel_mage it was a 1v4 too",
            "emotes": [],
            "chatId": "b0c4e7d2-91aa-4f3e-8d55-3c2a6e9f1b08",
            "senderIdentity": {
                "color": "#DEB2FF",
                "badges": [
                    {"type": "moderator", "text": "Moderator"},
                    {"type": "og", "text": "OG"},
                    {"type": "subscriber", "text": "Subscriber", "count": 14},
                ],
            },
            "replyTo": {
                "chatId": "2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13",
                "username": "pixel_mage",
                "message": REPLY_SOURCE,
            },
        },
    },
    "ChatMessageEvent-bot-no-metadata.json": {
        "id": "59778b1e-9c4d-42e3-a1c7-8cf6de3eee79",
        "type": "chat",
        "username": "NightOwlBot",
        "timestamp": "2026-03-14T19:45:00+00:00",
        "data": {
            "message": "Follow the socials: !discord",
            "emotes": [],
            "chatId": "59778b1e-9c4d-42e3-a1c7-8cf6de3eee79",
            "senderIdentity": {"color": "#31D6C2", "badges": []},
            "replyTo": None,
        },
    },
    # A sub-anniversary message: still a chat message; the sub itself came as SubscriptionEvent.
    "ChatMessageEvent-celebration.json": {
        "id": "e61f0b7a-2c58-4d19-a3e4-5b8f7c1d9a20",
        "type": "chat",
        "username": "Yaaaooo",
        "timestamp": "2026-03-14T19:50:31+00:00",
        "data": {
            "message": "🎉",
            "emotes": [],
            "chatId": "e61f0b7a-2c58-4d19-a3e4-5b8f7c1d9a20",
            "senderIdentity": {
                "color": "#00CCB3",
                "badges": [{"type": "subscriber", "text": "Subscriber", "count": 13}],
            },
            "replyTo": None,
        },
    },
    "FollowersUpdated.json": {
        "id": DIGEST,
        "type": "follow",
        "username": "quietfox77",
        "timestamp": "2026-03-14T19:50:00+00:00",  # created_at 1773517800, epoch seconds
        "data": {"followersCount": 48213},
    },
    "SubscriptionEvent.json": {
        "id": DIGEST,
        "type": "subscribe",
        "username": "pixel_mage",
        "timestamp": NOW_ISO,
        "data": {"months": 7, "message": ""},
    },
    "GiftedSubscriptionsEvent.json": {
        "id": DIGEST,
        "type": "gift_sub",
        "username": "pixel_mage",
        "timestamp": NOW_ISO,
        "data": {
            "giftedCount": 3,  # not gifter_total (28): that is the gifter's lifetime total
            "gifterUsername": "pixel_mage",
            "recipients": ["quietfox77", "Moss_Byte", "ravenclaw_22"],
        },
    },
    "GiftedSubscriptionsEvent-chatroom_-unprefixed.json": {
        "id": DIGEST,
        "type": "gift_sub",
        "username": "pixel_mage",
        "timestamp": NOW_ISO,
        "data": {
            "giftedCount": 3,
            "gifterUsername": "pixel_mage",
            "recipients": ["quietfox77", "Moss_Byte", "ravenclaw_22"],
        },
    },
    "StreamerIsLive.json": {
        "id": DIGEST,
        "type": "live_start",
        "username": "",
        "timestamp": "2026-03-14T18:00:20+00:00",
        "data": {"title": "Ranked grind to Immortal | !socials"},
    },
    "StopStreamBroadcast.json": {
        "id": DIGEST,
        "type": "live_end",
        "username": "",
        "timestamp": NOW_ISO,
        "data": {},
    },
    "MessageDeletedEvent.json": {
        "id": "af745ef1-164d-4134-96aa-ff48fce41375",
        "type": "message_deleted",
        "username": "",
        "timestamp": NOW_ISO,
        "data": {"chatId": "2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13"},
    },
    "UserBannedEvent-permanent.json": {
        "id": "517e2dcb-7637-4482-af68-1bfba32ba2a7",
        "type": "ban",
        "username": "LunaTides",
        "timestamp": NOW_ISO,
        "data": {
            "target": "spam_account_01",
            "moderator": "LunaTides",
            "permanent": True,
            "durationMinutes": None,
        },
    },
    "UserBannedEvent-timeout.json": {
        "id": "0207bd89-e15c-4bf9-ba1e-129f937639a7",
        "type": "ban",
        "username": "LunaTides",
        "timestamp": NOW_ISO,
        "data": {
            "target": "quietfox77",
            "moderator": "LunaTides",
            "permanent": False,
            "durationMinutes": 10,
        },
    },
    "UserUnbannedEvent.json": {
        "id": "a7b169a6-80b6-44e8-80ab-157296bdb35e",
        "type": "unban",
        "username": "LunaTides",
        "timestamp": NOW_ISO,
        "data": {
            "target": "quietfox77",
            "moderator": "LunaTides",
            "permanent": False,
            "durationMinutes": None,
        },
    },
    "StreamHostEvent.json": {
        "id": DIGEST,
        "type": "host",
        "username": "BortnykChess",
        "timestamp": NOW_ISO,
        "data": {"hostUsername": "BortnykChess", "viewers": 216, "message": ""},
    },
    "KicksGifted.json": {
        "id": "01KAZ8B2D4F6H8J0K2M4N6P8Q0",
        "type": "kicks",
        "username": "pixel_mage",
        "timestamp": "2026-03-14T19:47:02.118000+00:00",
        "data": {"amount": 500, "giftName": "Rage Quit", "message": "gg that was clean"},
    },
    "RewardRedeemedEvent.json": {
        "id": DIGEST,
        "type": "reward",
        "username": "pixel_mage",
        "timestamp": NOW_ISO,
        "data": {"title": "Hydrate!", "userInput": ""},
    },
    # Echoes of a sub that SubscriptionEvent already reports.
    "ChannelSubscriptionEvent.json": None,
    "ChatMessageSentEvent.json": None,
    # The legacy-channel echo of StreamHostEvent, and the recipients echo of a gift.
    "StreamHostedEvent.json": None,
    "LuckyUsersWhoGotGiftSubscriptionsEvent.json": None,
    # Not user events.
    "ChatMoveToSupportedChannelEvent.json": None,
    "ChatroomClearEvent.json": None,
    "ChatroomUpdatedEvent.json": None,
    "GiftsLeaderboardUpdated.json": None,
    "GoalProgressUpdateEvent.json": None,
    "LivestreamUpdated-private.json": None,
    "PinnedMessageCreatedEvent.json": None,
    "PinnedMessageDeletedEvent.json": None,
    "PollDeleteEvent.json": None,
    "PollUpdateEvent.json": None,
    "PredictionCreated.json": None,
    # Pusher control frames, and the frames our client sends: no user event.
    "pusher-connection_established.json": None,
    "pusher-error-private-channel-no-auth.json": None,
    "pusher-ping.json": None,
    "pusher_internal-subscription_succeeded.json": None,
    "client-pusher-pong.json": None,
    "client-pusher-subscribe.json": None,
    "client-pusher-unsubscribe.json": None,
    # HTTP API responses.
    "channel-api-v2.json": NOT_A_SERVER_FRAME,
    "channel-api-v2-404.json": NOT_A_SERVER_FRAME,
    "realtime-chat-connection-response.json": NOT_A_SERVER_FRAME,
}


def sample_names() -> list[str]:
    return sorted(path.name for path in FRAMES_DIR.glob("*.json"))


def sample_frame(name: str) -> str:
    """A sample as it comes over the wire: compact, one line."""
    return json.dumps(json.loads((FRAMES_DIR / name).read_text(encoding="utf-8")))


def sample_event(name: str) -> ChannelEvent:
    message = decode_frame(sample_frame(name))
    assert isinstance(message, ChannelEvent)
    return message


def pipeline() -> Pipeline:
    return Pipeline(CHANNEL, clock=lambda: NOW)


def normalizer() -> Normalizer:
    return Normalizer(CHANNEL, clock=lambda: NOW)


def test_samples_are_there() -> None:
    assert len(sample_names()) >= 40, f"kick-frames not found at {FRAMES_DIR}"


def test_no_expectation_for_a_missing_sample() -> None:
    assert set(EXPECTED) <= set(sample_names())


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_frame(name: str) -> None:
    assert name in EXPECTED, f"new sample {name}: add what it maps to in EXPECTED"
    expected = EXPECTED[name]
    if expected == NOT_A_SERVER_FRAME:
        with pytest.raises(FrameError):
            pipeline().feed(sample_frame(name))
        return
    event = pipeline().feed(sample_frame(name))
    if expected is None:
        assert event is None
        return
    assert isinstance(expected, dict) and event is not None
    actual = event.to_dict()
    if expected["id"] == DIGEST:
        assert re.fullmatch(r"[0-9a-f]{16}", actual["id"]), actual["id"]
        expected = {**expected, "id": actual["id"]}
    assert actual == {"source": "kick", "channel": "nightowlgg", **expected}
    assert StreamEvent.from_json(event.to_json()) == event  # valid JSON form, ISO timestamp


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, dict)])
def test_sample_ids_are_deterministic(name: str) -> None:
    first = pipeline().feed(sample_frame(name))
    again = Pipeline("other", clock=lambda: datetime(2030, 1, 1, tzinfo=UTC)).feed(
        sample_frame(name)
    )
    assert first is not None and again is not None
    assert first.id == again.id


def test_dropped_events_are_listed() -> None:
    dropped = {
        name.removesuffix(".json").split("-")[0]
        for name, expected in EXPECTED.items()
        if expected is None and name[0].isupper()
    }
    assert dropped == NOT_USER_EVENTS


# ---------------------------------------------------------------------------------------------
# Chat edge cases


def chat(content: Any = "hello", **changes: Any) -> ChannelEvent:
    data: dict[str, Any] = {
        "id": "c1",
        "chatroom_id": 5079311,
        "content": content,
        "type": "message",
        "created_at": "2026-03-14T19:42:07+00:00",
        "sender": {
            "id": 1,
            "username": "pixel_mage",
            "identity": {"color": "#75FD46", "badges": [{"type": "og", "text": "OG"}]},
        },
    }
    data.update(changes)
    return ChannelEvent("App\\Events\\ChatMessageEvent", "chatrooms.5079311.v2", json.dumps(data))


def chat_data(msg: ChannelEvent) -> dict[str, Any]:
    event = normalizer().to_stream_event(msg)
    assert event is not None and event.type is EventType.CHAT
    return event.to_dict()["data"]


@pytest.mark.parametrize(
    "content",
    [
        "héllo wörld",
        "🎉🔥 gg 👍🏽",
        "日本語のチャット",
        "مرحبا",
        "a\u200bb",
        "line\nbreak",
        "<b>&amp;</b>",
    ],
)
def test_unicode_content_is_kept_exactly(content: str) -> None:
    assert chat_data(chat(content))["message"] == content


def test_unicode_with_ensure_ascii_escapes() -> None:
    data = {"id": "c1", "content": "🎉 ñ", "sender": {"username": "ñandú"}}
    msg = ChannelEvent("App\\Events\\ChatMessageEvent", None, json.dumps(data, ensure_ascii=True))
    event = normalizer().to_stream_event(msg)
    assert event is not None
    assert (event.username, event.to_dict()["data"]["message"]) == ("ñandú", "🎉 ñ")


def test_empty_content() -> None:
    data = chat_data(chat(""))
    assert (data["message"], data["emotes"]) == ("", [])


def test_null_content_is_empty() -> None:
    assert chat_data(chat(None))["message"] == ""


def test_ten_kilobyte_message() -> None:
    content = "x" * 5000 + "[emote:1:Big]" + "y" * 5000
    data = chat_data(chat(content))
    assert data["message"] == content
    assert data["emotes"] == [{"id": "1", "name": "Big"}]


@pytest.mark.parametrize(
    ("content", "emotes"),
    [
        ("[emote:37226:KEKW] at the start", [("37226", "KEKW")]),
        ("in the [emote:37226:KEKW] middle", [("37226", "KEKW")]),
        ("at the end [emote:37226:KEKW]", [("37226", "KEKW")]),
        ("glued[emote:37226:KEKW]to words", [("37226", "KEKW")]),
        ("[emote:1:A][emote:2:B][emote:3:C]", [("1", "A"), ("2", "B"), ("3", "C")]),
        ("[emote:1:A] [emote:1:A] [emote:2:B] [emote:1:A]", [("1", "A"), ("2", "B")]),
        ("[emote:1:A] [emote:1:A_other]", [("1", "A"), ("1", "A_other")]),
        ("[emote:4146836:emojiPartyHat_2-x]", [("4146836", "emojiPartyHat_2-x")]),
        ("[emote:1:[emote:2:B]", [("2", "B")]),
        ("no emotes here", []),
        ("[emote:abc:KEKW]", []),
        ("[emote::KEKW]", []),
        ("[emote:1:]", []),
        ("[emote:1]", []),
        ("[emote:1:KEKW", []),
        ("emote:1:KEKW]", []),
        ("[emote:1:two words]", []),
        ("[EMOTE:1:KEKW]", []),
        ("[emote: 1:KEKW]", []),
    ],
)
def test_emote_tokens(content: str, emotes: list[tuple[str, str]]) -> None:
    expected = [{"id": emote_id, "name": name} for emote_id, name in emotes]
    assert [{"id": e.id, "name": e.name} for e in parse_emotes(content)] == expected
    data = chat_data(chat(content))
    assert data["emotes"] == expected
    assert data["message"] == content  # tokens stay in the text; the UI renders them


@pytest.mark.parametrize("ident", [12345, "12345"])
def test_numeric_ids_become_strings(ident: Any) -> None:
    event = normalizer().to_stream_event(chat(id=ident))
    assert event is not None
    assert (event.id, event.to_dict()["data"]["chatId"]) == ("12345", "12345")


def test_reply_with_numeric_original_id_and_no_original_sender() -> None:
    data = chat_data(chat(metadata={"original_message": {"id": 77, "content": "first"}}))
    assert data["replyTo"] == {"chatId": "77", "username": "", "message": "first"}


@pytest.mark.parametrize(
    "metadata", [None, {}, {"message_ref": "1"}, [], "x", {"original_message": None}]
)
def test_no_reply(metadata: Any) -> None:
    assert chat_data(chat(metadata=metadata))["replyTo"] is None


@pytest.mark.parametrize(
    ("sender", "identity"),
    [
        ({"username": "u"}, {"color": "", "badges": []}),
        ({"username": "u", "identity": None}, {"color": "", "badges": []}),
        ({"username": "u", "identity": {}}, {"color": "", "badges": []}),
        ({"username": "u", "identity": {"color": "#FFF"}}, {"color": "#FFF", "badges": []}),
        (
            {"username": "u", "identity": {"color": None, "badges": None}},
            {"color": "", "badges": []},
        ),
        ({"username": "u", "identity": {"color": 5, "badges": "x"}}, {"color": "", "badges": []}),
    ],
    ids=["no-identity", "null-identity", "empty", "no-badges", "nulls", "junk"],
)
def test_missing_identity_and_badges(sender: dict[str, Any], identity: dict[str, Any]) -> None:
    assert chat_data(chat(sender=sender))["senderIdentity"] == identity


def test_badges_are_cleaned() -> None:
    badges = [
        {"type": "subscriber", "text": "Subscriber", "count": "7"},
        "junk",
        None,
        {"type": "og"},
    ]
    sender = {"username": "u", "identity": {"color": "#FFF", "badges": badges}}
    assert chat_data(chat(sender=sender))["senderIdentity"]["badges"] == [
        {"type": "subscriber", "text": "Subscriber", "count": 7},
        {"type": "og"},
    ]


def test_chat_without_metadata_or_created_at_uses_the_clock() -> None:
    data = json.dumps({"id": "c9", "content": "hi", "sender": {"username": "u"}})
    event = normalizer().to_stream_event(ChannelEvent("ChatMessageEvent", None, data))
    assert event is not None
    assert event.timestamp == NOW_ISO


def test_chat_timestamp_is_never_stale() -> None:
    """Consecutive messages share a converted created_at; one without it gets the clock."""
    normalize = normalizer().to_stream_event
    stamps = [
        normalize(chat(id="a", created_at="2026-03-14 19:42:07")),
        normalize(chat(id="b", created_at="2026-03-14 19:42:07")),
        normalize(chat(id="c", created_at=None)),
        normalize(chat(id="d", created_at="garbage")),
        normalize(chat(id="e", created_at="2026-03-14T19:42:08+00:00")),
        normalize(chat(id="f", created_at=1773517328)),
    ]
    assert [event.timestamp for event in stamps if event] == [
        "2026-03-14T19:42:07+00:00",
        "2026-03-14T19:42:07+00:00",
        NOW_ISO,
        NOW_ISO,
        "2026-03-14T19:42:08+00:00",
        "2026-03-14T19:42:08+00:00",
    ]


def test_channel_is_lower_cased() -> None:
    event = Normalizer("  NightOwlGG".strip()).to_stream_event(chat())
    assert event is not None and event.channel == "nightowlgg"


def test_data_as_an_object_from_a_lenient_server() -> None:
    data = {"id": "c1", "content": "hi", "sender": {"username": "u"}}
    event = normalizer().to_stream_event(ChannelEvent("ChatMessageEvent", None, data))
    assert event is not None and event.to_dict()["data"]["message"] == "hi"


def test_data_as_bytes() -> None:
    data = b'{"id": "c1", "content": "hi", "sender": {"username": "u"}}'
    event = normalizer().to_stream_event(ChannelEvent("ChatMessageEvent", None, data))
    assert event is not None and event.to_dict()["data"]["message"] == "hi"


# ---------------------------------------------------------------------------------------------
# Malformed payloads


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("{broken", "ChatMessageEvent: data is not JSON"),
        ("", "ChatMessageEvent: data is not JSON"),
        ("[]", "ChatMessageEvent: data is a list, expected a JSON object"),
        ('"text"', "ChatMessageEvent: data is a string, expected a JSON object"),
        ("42", "ChatMessageEvent: data is an integer, expected a JSON object"),
        ("null", "ChatMessageEvent: data is null, expected a JSON object"),
        (None, "ChatMessageEvent: no data"),
        ([1], "ChatMessageEvent: data is a list, expected a JSON object"),
    ],
)
def test_data_not_a_json_object(data: Any, problem: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(problem)):
        normalizer().normalize(ChannelEvent("App\\Events\\ChatMessageEvent", "c", data))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": None}, "ChatMessageEvent: 'id' is missing"),
        ({"id": ""}, "ChatMessageEvent: 'id' is missing"),
        ({"id": ["x"]}, "ChatMessageEvent: 'id' is a list, expected a string or integer id"),
        ({"id": True}, "ChatMessageEvent: 'id' is a boolean"),
        ({"content": 5}, "ChatMessageEvent: 'content' is an integer, expected a string"),
        (
            {"content": {"text": "hi"}},
            "ChatMessageEvent: 'content' is an object, expected a string",
        ),
        ({"sender": None}, "ChatMessageEvent: 'sender' is missing"),
        ({"sender": "pixel_mage"}, "ChatMessageEvent: 'sender' is a string, expected an object"),
        ({"sender": {"id": 1}}, "ChatMessageEvent: 'sender.username' is missing"),
        ({"sender": {"username": 7}}, "ChatMessageEvent: 'sender.username' is an integer"),
        (
            {"metadata": {"original_message": {"content": 5}}},
            "ChatMessageEvent: 'original_message.content' is an integer",
        ),
    ],
)
def test_chat_field_of_wrong_type(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(problem)):
        normalizer().normalize(chat(**changes))


@pytest.mark.parametrize(
    ("event", "data", "problem"),
    [
        (
            "SubscriptionEvent",
            {"username": "u", "months": "seven"},
            "'months' is a string, expected an integer",
        ),
        ("SubscriptionEvent", {"username": "u"}, "'months' is missing"),
        ("SubscriptionEvent", {"username": 5, "months": 1}, "'username' is an integer"),
        ("GiftedSubscriptionsEvent", {"gifter_username": "g"}, "'gifted_usernames' is missing"),
        ("GiftedSubscriptionsEvent", {"gifted_usernames": "a,b"}, "'gifted_usernames' is a string"),
        ("FollowersUpdated", {"followed": True, "username": "u"}, "'followersCount' is missing"),
        (
            "FollowersUpdated",
            {"followed": True, "followersCount": [1]},
            "'followersCount' is a list",
        ),
        ("StreamerIsLive", {"livestream": None}, "'livestream' is missing"),
        ("MessageDeletedEvent", {"id": "x", "message": {}}, "'message.id' is missing"),
        ("MessageDeletedEvent", {"id": "x"}, "'message' is missing"),
        ("UserBannedEvent", {"id": "x", "banned_by": {"username": "m"}}, "'user' is missing"),
        (
            "UserBannedEvent",
            {"id": "x", "user": {"username": "t"}, "duration": "ten"},
            "'duration'",
        ),
        ("UserUnbannedEvent", {"id": "x", "user": {}}, "'user.username' is missing"),
        ("StreamHostEvent", {"number_viewers": 5}, "'host_username' is missing"),
        (
            "StreamHostEvent",
            {"host_username": "h", "number_viewers": None},
            "'number_viewers' is missing",
        ),
        ("KicksGifted", {"gift": {"name": "x"}}, "'gift.amount' is missing"),
        ("KicksGifted", {"gift": "rage_quit"}, "'gift' is a string, expected an object"),
        ("RewardRedeemedEvent", {"username": "u"}, "'reward_title' is missing"),
        (
            "RewardRedeemedEvent",
            {"reward_title": "t", "user_input": 5},
            "'user_input' is an integer",
        ),
    ],
)
def test_other_events_with_fields_of_wrong_type(
    event: str, data: dict[str, Any], problem: str
) -> None:
    msg = ChannelEvent(f"App\\Events\\{event}", "c", json.dumps(data))
    with pytest.raises(PayloadError, match=re.escape(f"{event}: ") + ".*" + re.escape(problem)):
        normalizer().normalize(msg)


def test_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


@pytest.mark.parametrize("event", sorted(NOT_USER_EVENTS))
def test_dropped_events_are_not_decoded(event: str) -> None:
    """Their payloads are never read, so an odd one cannot fail (PinnedMessageDeleted sends [])."""
    assert normalizer().normalize(ChannelEvent(event, "c", "{not json")) is None
    assert normalizer().normalize(ChannelEvent(f"App\\Events\\{event}", "c", None)) is None


def test_unknown_event_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.kick.normalize"):
        assert normalizer().normalize(ChannelEvent("App\\Events\\BrandNewEvent", "c", "{}")) is None
        assert (
            normalizer().normalize(ChannelEvent("App\\Events\\PollUpdateEvent", "c", "{}")) is None
        )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "dropped unknown Kick event 'App\\\\Events\\\\BrandNewEvent' on c")
    ]


# ---------------------------------------------------------------------------------------------
# Other events: lenient parsing


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, dict)])
def test_names_with_and_without_prefix_map_alike(name: str) -> None:
    msg = sample_event(name)
    bare = msg.event.removeprefix("App\\Events\\")
    events = [
        normalizer().to_stream_event(ChannelEvent(event_name, msg.channel, msg.data))
        for event_name in (bare, "App\\Events\\" + bare)
    ]
    assert events[0] == events[1] is not None


def event_of(kick_event: str, data: dict[str, Any]) -> StreamEvent | None:
    return normalizer().to_stream_event(ChannelEvent(kick_event, "c", json.dumps(data)))


def test_counts_as_strings() -> None:
    sub = event_of("SubscriptionEvent", {"username": "u", "months": "7"})
    follow = event_of("FollowersUpdated", {"followersCount": "48213", "followed": True})
    host = event_of("StreamHostEvent", {"host_username": "h", "number_viewers": "216"})
    kicks = event_of("KicksGifted", {"gift": {"amount": "500", "name": "x"}, "sender": {}})
    ban = event_of(
        "UserBannedEvent", {"user": {"username": "t"}, "duration": "10", "permanent": False}
    )
    assert sub is not None and sub.to_dict()["data"]["months"] == 7
    assert follow is not None and follow.to_dict()["data"]["followersCount"] == 48213
    assert host is not None and host.to_dict()["data"]["viewers"] == 216
    assert kicks is not None and kicks.to_dict()["data"]["amount"] == 500
    assert ban is not None and ban.to_dict()["data"]["durationMinutes"] == 10


@pytest.mark.parametrize("followed", [False, "false", 0, None])
def test_unfollow_is_not_a_follow(followed: Any) -> None:
    data = {"followersCount": 48212, "username": "quietfox77", "followed": followed}
    assert event_of("App\\Events\\FollowersUpdated", data) is None


def test_followers_count_update_without_a_follower_is_not_a_follow() -> None:
    assert event_of("App\\Events\\FollowersUpdated", {"followersCount": 48212}) is None


@pytest.mark.parametrize("followed", [True, "true", 1])
def test_follow_flag_variants(followed: Any) -> None:
    event = event_of(
        "FollowersUpdated", {"followersCount": 5, "username": "u", "followed": followed}
    )
    assert event is not None and event.type is EventType.FOLLOW


def test_follow_event_is_a_follow_without_flag() -> None:
    event = event_of(
        "App\\Events\\FollowEvent", {"followers_count": 12, "user": {"username": "fox"}}
    )
    assert event is not None
    assert (event.type, event.username, event.to_dict()["data"]) == (
        EventType.FOLLOW,
        "fox",
        {"followersCount": 12},
    )


def test_subscription_message_and_missing_username() -> None:
    event = event_of("SubscriptionEvent", {"months": 2, "message": "love the stream"})
    assert event is not None
    assert (event.username, event.to_dict()["data"]) == (
        "",
        {"months": 2, "message": "love the stream"},
    )


def test_anonymous_gift() -> None:
    event = event_of(
        "GiftedSubscriptionsEvent", {"gifted_usernames": ["a", 7], "gifter_username": None}
    )
    assert event is not None
    assert (event.username, event.to_dict()["data"]) == (
        "",
        {"giftedCount": 2, "gifterUsername": "", "recipients": ["a", "7"]},
    )


def test_ban_permanence_without_the_flag() -> None:
    permanent = event_of("UserBannedEvent", {"user": {"username": "t"}})
    timeout = event_of("UserBannedEvent", {"user": {"username": "t"}, "duration": 5})
    assert permanent is not None and timeout is not None
    assert (
        permanent.to_dict()["data"]["permanent"],
        permanent.to_dict()["data"]["durationMinutes"],
    ) == (True, None)
    assert (
        timeout.to_dict()["data"]["permanent"],
        timeout.to_dict()["data"]["durationMinutes"],
    ) == (False, 5)
    assert permanent.username == timeout.username == ""  # moderator unknown


def test_kicks_without_sender_or_message() -> None:
    event = event_of("KicksGifted", {"gift": {"amount": 100}})
    assert event is not None
    assert (event.username, event.to_dict()["data"]) == (
        "",
        {"amount": 100, "giftName": "", "message": ""},
    )


def test_reward_with_input() -> None:
    data = {"reward_title": "Song request", "username": "u", "user_input": "darude - sandstorm"}
    event = event_of("RewardRedeemedEvent", data)
    assert event is not None
    assert event.to_dict()["data"] == {"title": "Song request", "userInput": "darude - sandstorm"}


def test_host_with_message() -> None:
    data = {"host_username": "h", "number_viewers": 3, "optional_message": "raid!"}
    event = event_of("App\\Events\\StreamHostEvent", data)
    assert event is not None and event.to_dict()["data"]["message"] == "raid!"


def test_live_start_without_title() -> None:
    event = event_of("StreamerIsLive", {"livestream": {"id": 1}})
    assert event is not None
    assert (event.to_dict()["data"], event.timestamp) == ({"title": ""}, NOW_ISO)


def test_naive_clock_is_utc() -> None:
    event = Normalizer("c", clock=lambda: datetime(2026, 3, 14, 20, 0)).to_stream_event(
        sample_event("SubscriptionEvent.json")
    )
    assert event is not None and event.timestamp == NOW_ISO


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-14T19:42:07+00:00", "2026-03-14T19:42:07+00:00"),
        ("2026-03-14 18:00:18", "2026-03-14T18:00:18+00:00"),
        ("2026-03-14T18:00:20.000000Z", "2026-03-14T18:00:20+00:00"),
        ("2026-03-14T19:47:02.118Z", "2026-03-14T19:47:02.118000+00:00"),
        ("2026-03-14T19:48:43.670407152Z", "2026-03-14T19:48:43.670407+00:00"),
        ("2026-03-14T21:42:07+02:00", "2026-03-14T19:42:07+00:00"),
        ("2026-03-14T19:42:07-0500", "2026-03-15T00:42:07+00:00"),
        (" 2026-03-14T19:42:07z ", "2026-03-14T19:42:07+00:00"),
        (1773517800, "2026-03-14T19:50:00+00:00"),
        (1773517800.5, "2026-03-14T19:50:00.500000+00:00"),
        (1773517800000, "2026-03-14T19:50:00+00:00"),
        ("2026-13-45T19:42:07+00:00", None),
        ("2026-02-30 10:00:00", None),
        ("yesterday", None),
        ("", None),
        ("1773517800", None),
        (True, None),
        (None, None),
        ([2026], None),
        (10**20, None),
    ],
)
def test_iso_utc(value: Any, expected: str | None) -> None:
    assert iso_utc(value) == expected


def test_event_digest() -> None:
    assert event_digest("X", '{"a":1}') == event_digest("X", b'{"a":1}')
    assert event_digest("X", {"b": 2, "a": 1}) == event_digest("X", {"a": 1, "b": 2})
    assert event_digest("X", '{"a":1}') != event_digest("Y", '{"a":1}')
    assert event_digest("X", '{"a":1}') != event_digest("X", '{"a":2}')


def test_live_start_and_end_of_one_stream_have_different_ids() -> None:
    live = normalizer().to_stream_event(sample_event("StreamerIsLive.json"))
    end = normalizer().to_stream_event(sample_event("StopStreamBroadcast.json"))
    assert live is not None and end is not None and live.id != end.id


# ---------------------------------------------------------------------------------------------
# De-duplication: one action, one StreamEvent


def feed_all(frames: list[str], feed: Pipeline | None = None) -> list[StreamEvent]:
    feed = feed or pipeline()
    return [event for frame in frames if (event := feed.feed(frame)) is not None]


def test_duplicate_delivery_is_dropped() -> None:
    events = feed_all([sample_frame("ChatMessageEvent.json")] * 3)
    assert [e.id for e in events] == ["2f7a1c9e-5b3d-4e8a-9c41-7d2e8b6f0a13"]


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if isinstance(e, dict)])
def test_duplicate_delivery_of_every_user_event(name: str) -> None:
    assert len(feed_all([sample_frame(name), sample_frame(name)])) == 1


def test_normalize_dedupes_but_to_stream_event_does_not() -> None:
    msg = sample_event("ChatMessageEvent.json")
    norm = normalizer()
    assert norm.normalize(msg) is not None
    assert norm.normalize(msg) is None
    assert norm.to_stream_event(msg) is not None


def test_sub_triple_is_one_subscribe() -> None:
    frames = [
        sample_frame("SubscriptionEvent.json"),
        sample_frame("ChannelSubscriptionEvent.json"),
        sample_frame("ChatMessageSentEvent.json"),
    ]
    events = feed_all(frames)
    assert [(e.type, e.username, e.to_dict()["data"]) for e in events] == [
        (EventType.SUBSCRIBE, "pixel_mage", {"months": 7, "message": ""})
    ]


def test_gift_on_two_channels_is_one_gift() -> None:
    frames = [
        sample_frame("GiftedSubscriptionsEvent.json"),
        sample_frame("GiftedSubscriptionsEvent-chatroom_-unprefixed.json"),
    ]
    events = feed_all(frames)
    assert [e.type for e in events] == [EventType.GIFT_SUB]


def test_gift_on_two_channels_serialised_differently_is_one_gift() -> None:
    prefixed = {"chatroom_id": 1, "gifted_usernames": ["b", "A"], "gifter_username": "G"}
    bare = {"gifter_username": "g", "gifted_usernames": ["a", "B"], "chatroom_id": "1"}
    frames = [
        json.dumps(
            {
                "event": "App\\Events\\GiftedSubscriptionsEvent",
                "data": json.dumps(prefixed),
                "channel": "chatrooms.1.v2",
            }
        ),
        json.dumps(
            {"event": "GiftedSubscriptionsEvent", "data": json.dumps(bare), "channel": "chatroom_1"}
        ),
    ]
    assert len(feed_all(frames)) == 1


def test_separate_gifts_by_one_gifter_are_kept() -> None:
    def gift(recipients: list[str]) -> str:
        data = {"gifted_usernames": recipients, "gifter_username": "g"}
        return json.dumps({"event": "GiftedSubscriptionsEvent", "data": json.dumps(data)})

    assert len(feed_all([gift(["a"]), gift(["b"]), gift(["a", "b"]), gift(["a"])])) == 3


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_identical_looking_actions_far_apart_are_kept() -> None:
    """Two redemptions of one reward by one user with the same input carry identical payloads."""
    clock = FakeMonotonic()
    feed = Pipeline(CHANNEL, clock=lambda: NOW, deduper=Deduper(window_seconds=10, clock=clock))
    reward = sample_frame("RewardRedeemedEvent.json")
    assert feed.feed(reward) is not None
    clock.now += 2
    assert feed.feed(reward) is None  # within the window: a duplicate delivery
    clock.now += 60
    assert feed.feed(reward) is not None  # a minute later: a second redemption
    clock.now += 1
    assert feed.feed(reward) is None


def test_dedupe_memory_is_bounded() -> None:
    deduper = Deduper(max_keys=8)
    events = [dummy_event(str(n)) for n in range(100)]
    assert not any(deduper.is_duplicate(event) for event in events)
    assert len(deduper) <= 8
    assert all(deduper.is_duplicate(event) for event in events[-4:])  # the last half: always
    assert not deduper.is_duplicate(events[0])  # long forgotten: a new event again


def test_dedupe_needs_room() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        Deduper(max_keys=1)


def dummy_event(ident: str, kind: EventType = EventType.CHAT, **data: Any) -> StreamEvent:
    return StreamEvent(
        id=ident,
        type=kind,
        channel="c",
        username="u",
        timestamp=NOW_ISO,
        data=make_data(kind, **data),
    )


def test_dedupe_keys() -> None:
    assert dedupe_key(dummy_event("x")) == "x"
    gift = dummy_event("d1", EventType.GIFT_SUB, gifterUsername="Pixel", recipients=["b", "A"])
    same = dummy_event("d2", EventType.GIFT_SUB, gifterUsername="pixel", recipients=["a", "B"])
    assert dedupe_key(gift) == dedupe_key(same)


# ---------------------------------------------------------------------------------------------
# The pipeline's fast path must agree with decode_frame + normalize


ODD_FRAMES = [
    "nope",
    "[]",
    "{}",
    '{"event": ""}',
    '{"event": 5, "data": "{}"}',
    '{"event": ["App\\\\Events\\\\ChatMessageEvent"]}',
    '{"event": "App\\\\Events\\\\ChatMessageEvent", "channel": 5, "data": "{}"}',
    '{"event": "App\\\\Events\\\\ChatMessageEvent", "data": "[]"}',
    '{"event": "App\\\\Events\\\\ChatMessageEvent"}',
    '{"event": "pusher:ping"}',
    '{"event": "pusher_internal:member_added", "channel": "presence-x", "data": "{}"}',
]


def outcome(run: Any, frame: str | bytes) -> tuple[str, Any]:
    try:
        event = run(frame)
    except ValueError as exc:
        return type(exc).__name__, str(exc)
    return "event", event


@pytest.mark.parametrize("frame", [sample_frame(n) for n in sample_names()] + ODD_FRAMES)
def test_pipeline_agrees_with_the_codec(frame: str) -> None:
    def slow(text: str | bytes) -> StreamEvent | None:
        message = decode_frame(text)
        return normalizer().normalize(message) if isinstance(message, ChannelEvent) else None

    assert outcome(pipeline().feed, frame) == outcome(slow, frame)
    assert outcome(pipeline().feed, frame.encode()) == outcome(slow, frame.encode())
