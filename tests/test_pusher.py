"""The sans-I/O Pusher codec against literal frames: the shared Kick samples and our own."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from app.kick import pusher_codec, pusher_endings
from app.kick.pusher_codec import (
    ChannelEvent,
    ConnectionEstablished,
    FrameError,
    Ping,
    Pong,
    PusherError,
    SubscriptionError,
    SubscriptionSucceeded,
    decode_frame,
)
from app.kick.pusher_endings import CloseAction, classify_close, describe_close
from tests.fixtures import FRAMES_DIR


def sample(name: str) -> str:
    return (FRAMES_DIR / name).read_text(encoding="utf-8")


def frame(event: str, data: Any = None, channel: str | None = None, **extra: Any) -> str:
    obj: dict[str, Any] = {"event": event, **extra}
    if data is not None:
        obj["data"] = data
    if channel is not None:
        obj["channel"] = channel
    return json.dumps(obj)


# -- the sample frames


SERVER_SAMPLES = {
    "pusher-connection_established.json": ConnectionEstablished("683192.4521907", 120.0),
    "pusher-error-private-channel-no-auth.json": PusherError(
        None, "Auth info required to subscribe to private-livestream.81234567"
    ),
    "pusher-ping.json": Ping(),
    "pusher_internal-subscription_succeeded.json": SubscriptionSucceeded("chatrooms.5079311.v2"),
}


def test_every_pusher_sample_has_an_expectation() -> None:
    on_disk = {path.name for path in FRAMES_DIR.glob("pusher*.json")}
    assert on_disk == set(SERVER_SAMPLES), "a new pusher-* sample needs an entry in SERVER_SAMPLES"


@pytest.mark.parametrize("name", sorted(SERVER_SAMPLES))
def test_server_samples(name: str) -> None:
    assert decode_frame(sample(name)) == SERVER_SAMPLES[name]


@pytest.mark.parametrize("name", sorted(SERVER_SAMPLES))
def test_server_samples_as_compact_bytes(name: str) -> None:
    wire = msgspec.json.encode(msgspec.json.decode(sample(name)))
    assert decode_frame(wire) == SERVER_SAMPLES[name]


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (pusher_codec.encode_subscribe("chatrooms.5079311.v2"), "client-pusher-subscribe.json"),
        (pusher_codec.encode_unsubscribe("chatrooms.5079311.v2"), "client-pusher-unsubscribe.json"),
        (pusher_codec.encode_pong(), "client-pusher-pong.json"),
    ],
)
def test_encoders_produce_the_kick_client_frames(encoded: str, name: str) -> None:
    expected = json.loads(sample(name))
    assert json.loads(encoded) == expected
    assert list(json.loads(encoded)) == list(expected)  # key order too: event, then data
    assert encoded == json.dumps(expected, separators=(",", ":"))  # compact, exactly


def test_encode_ping_and_auth() -> None:
    assert pusher_codec.encode_ping() == '{"event":"pusher:ping","data":{}}'
    assert json.loads(pusher_codec.encode_subscribe("private-x", auth="key:sig"))["data"] == {
        "auth": "key:sig",
        "channel": "private-x",
    }


def test_channel_names() -> None:
    assert pusher_codec.public_channels(5079311, 5120934) == (
        "chatrooms.5079311.v2",
        "chatrooms.5079311",
        "chatroom_5079311",
        "channel.5120934",
        "channel_5120934",
    )
    assert pusher_codec.chat_channel(5079311) == "chatrooms.5079311.v2"


# -- data as a string, an object, or absent


ESTABLISHED = {"socket_id": "1.2", "activity_timeout": 30}


@pytest.mark.parametrize("data", [json.dumps(ESTABLISHED), ESTABLISHED], ids=["string", "object"])
def test_connection_established_data_as_string_or_object(data: Any) -> None:
    assert decode_frame(frame("pusher:connection_established", data)) == ConnectionEstablished(
        "1.2", 30.0
    )


@pytest.mark.parametrize("timeout", [None, 0, -5, True, "120", [120]])
def test_connection_established_without_usable_timeout(timeout: Any) -> None:
    data: dict[str, Any] = {"socket_id": "1.2"}
    if timeout is not None:
        data["activity_timeout"] = timeout
    assert decode_frame(frame("pusher:connection_established", data)) == ConnectionEstablished(
        "1.2", None
    )


@pytest.mark.parametrize("data", [None, "", "{}", {"socket_id": ""}, {"socket_id": 12}], ids=repr)
def test_connection_established_without_socket_id(data: Any) -> None:
    with pytest.raises(FrameError, match="no socket_id"):
        decode_frame(frame("pusher:connection_established", data))


@pytest.mark.parametrize(("data", "problem"), [("{nope", "not JSON"), ("[1]", "list")])
def test_connection_established_with_bad_data(data: str, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        decode_frame(frame("pusher:connection_established", data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, PusherError(None, "")),
        ({}, PusherError(None, "")),
        ({"code": None, "message": "informational"}, PusherError(None, "informational")),
        (
            '{"code":4001,"message":"App key not in this cluster"}',
            PusherError(4001, "App key not in this cluster"),
        ),
        ({"code": "4200", "message": "restart"}, PusherError(4200, "restart")),
        ({"code": "soon", "message": "?"}, PusherError(None, "?")),
        ({"code": True, "message": "?"}, PusherError(None, "?")),
    ],
    ids=["absent", "empty", "code-null", "string-data", "code-as-string", "code-junk", "code-bool"],
)
def test_pusher_error(data: Any, expected: PusherError) -> None:
    assert decode_frame(frame("pusher:error", data)) == expected


def test_pusher_error_with_code_null_is_not_fatal() -> None:
    message = decode_frame(sample("pusher-error-private-channel-no-auth.json"))
    assert isinstance(message, PusherError)
    assert message.code is None


@pytest.mark.parametrize("data", [None, {}, "{}"], ids=["absent", "object", "string"])
def test_ping_and_pong_with_any_data(data: Any) -> None:
    assert decode_frame(frame("pusher:ping", data)) == Ping()
    assert decode_frame(frame("pusher:pong", data)) == Pong()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            '{"type":"AuthError","error":"Invalid signature","status":401}',
            SubscriptionError("private-x", "Invalid signature", 401),
        ),
        ({"type": "AuthError", "status": "403"}, SubscriptionError("private-x", "AuthError", 403)),
        ("plain text reason", SubscriptionError("private-x", "plain text reason", None)),
        (None, SubscriptionError("private-x", "", None)),
    ],
    ids=["json-string", "object", "not-json", "absent"],
)
def test_subscription_error(data: Any, expected: SubscriptionError) -> None:
    assert decode_frame(frame("pusher:subscription_error", data, "private-x")) == expected


def test_subscription_succeeded_needs_a_channel() -> None:
    assert decode_frame(
        frame("pusher_internal:subscription_succeeded", "{}", "chatroom_1")
    ) == SubscriptionSucceeded("chatroom_1")
    with pytest.raises(FrameError, match="no channel"):
        decode_frame(frame("pusher_internal:subscription_succeeded", "{}"))


# -- channel events: data is handed on untouched


@pytest.mark.parametrize(
    "data",
    ['{"id":"1","content":"hi"}', {"id": "1"}, None, "not json at all"],
    ids=["string", "object", "absent", "garbage"],
)
def test_channel_event_keeps_data_as_is(data: Any) -> None:
    message = decode_frame(frame("App\\Events\\ChatMessageEvent", data, "chatrooms.1.v2"))
    assert message == ChannelEvent("App\\Events\\ChatMessageEvent", "chatrooms.1.v2", data)


def test_channel_event_without_channel() -> None:
    assert decode_frame(frame("KicksGifted", "{}")) == ChannelEvent("KicksGifted", None, "{}")


def test_unknown_pusher_events_pass_through() -> None:
    message = decode_frame(frame("pusher_internal:member_added", "{}", "presence-x"))
    assert message == ChannelEvent("pusher_internal:member_added", "presence-x", "{}")


# -- frames that are not Pusher messages


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not JSON"),
        ("{nope", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1, 2]", "frame is list, expected an object"),
        ('"pusher:ping"', "frame is str"),
        ("42", "frame is int"),
        ("null", "frame is NoneType"),
        ("{}", "no event name"),
        ('{"data": "{}"}', "no event name"),
        ('{"event": ""}', "no event name"),
        ('{"event": 5}', "no event name"),
        ('{"event": "x", "channel": 5}', "channel is int"),
    ],
)
def test_malformed_frames(text: str | bytes, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        decode_frame(text)


def test_frame_error_is_a_value_error() -> None:
    assert issubclass(FrameError, ValueError)


# -- close codes


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (4000, CloseAction.FATAL),
        (4001, CloseAction.FATAL),
        (4099, CloseAction.FATAL),
        (4100, CloseAction.BACKOFF),
        (4199, CloseAction.BACKOFF),
        (4200, CloseAction.RECONNECT_NOW),
        (4201, CloseAction.RECONNECT_NOW),
        (4299, CloseAction.RECONNECT_NOW),
        (1006, CloseAction.BACKOFF),
        (1000, CloseAction.BACKOFF),
        (3999, CloseAction.BACKOFF),
        (4300, CloseAction.BACKOFF),
        (None, CloseAction.BACKOFF),
    ],
)
def test_classify_close(code: int | None, action: CloseAction) -> None:
    assert classify_close(code) is action


def test_describe_close() -> None:
    assert describe_close(None) == "connection lost"
    assert (
        describe_close(pusher_endings.CLOSE_UNKNOWN_APP_KEY)
        == "server closed 4001 (unknown app key)"
    )
    assert describe_close(4201) == "server closed 4201 (pong not received)"
    assert describe_close(1006) == "server closed 1006"
