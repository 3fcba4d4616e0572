"""Hostile Centrifugo frames (issue #17's rule for every decode path): a malformed frame is a
FrameError, logged and skipped; nothing else escapes `CentrifugoSession.receive`, and its
timers stay sane. The cases are what the fuzzer (tests/fuzzing.py) found, and their siblings."""

from __future__ import annotations

import json
import logging
import math

import pytest

from app.core.supervisor import EndingKind
from app.kick.centrifugo_session import CentrifugoSession, SessionTimeouts
from app.kick.pusher_codec import public_channels
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHAT_EVENT, CHATROOM_ID, chat_data

CHANNELS = public_channels(CHATROOM_ID, CHANNEL_ID)
CONNECT = {"id": 1, "connect": {"client": "c1", "ping": 25, "pong": True}}
PUB = {"push": {"channel": CHAT_CHANNEL, "pub": {"data": {"event": CHAT_EVENT, "data": "{}"}}}}
DEEP = "[" * 990 + "]" * 990  # as deep as msgspec decodes: where text is expected


def session(*, connected: bool = False) -> CentrifugoSession:
    s = CentrifugoSession("T1", CHANNELS, CHAT_CHANNEL, SessionTimeouts(pong_window=10))
    s.start(0.0)
    if connected:
        s.receive(json.dumps(CONNECT).encode(), 0.0)
    s.take_outgoing()
    return s


def chat_after(text: str) -> bytes:
    """`text` then a good publication in the same message: the good one must still come out."""
    good = {
        "push": {
            "channel": CHAT_CHANNEL,
            "pub": {"data": {"event": CHAT_EVENT, "data": chat_data(1)}},
        }
    }
    return (text + "\n" + json.dumps(good)).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(
    "text",
    [
        '{"id":"' + "9" * 5000 + '","connect":{}}',  # a numeric string past int()'s 4,300 digits
        '{"id":"' + "1" * 4301 + '","subscribe":{}}',
        '{"id":"²","connect":{}}',  # a digit to str.isdigit, not to int()
        '{"push":{"disconnect":{"code":3001,"reason":' + DEEP + "}}}",
        '{"id":1,"error":{"code":"' + "1" * 4400 + '","message":' + DEEP + "}}",
        '{"id":1,"connect":{"client":' + DEEP + ',"ping":25}}',
        '{"id":1,"connect":{"client":"c","ping":1' + "0" * 400 + "}}",  # ~1e400: no float holds it
        '{"id":1,"connect":{"client":"c","ping":25,"expires":true,"ttl":-' + "9" * 400 + "}}",
        '{"id":1,"connect":{"client":"c","ping":"1e999","expires":true,"ttl":"nan"}}',
        '"\\ud800"',
    ],
)
def test_hostile_frames_are_skipped_and_the_next_frame_still_counts(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "app.kick.centrifugo_session")
    s = session(connected=not text.startswith('{"id":1,"connect"'))
    events = s.receive(chat_after(text), 1.0)
    assert [e.event for e in events] == [CHAT_EVENT]
    s.tick(2.0)  # timers from whatever the frame set: no exception, no overflow
    deadline = s.next_deadline()
    assert deadline is None or math.isfinite(deadline)
    s.take_outgoing()


def test_a_str_message_with_a_lone_surrogate_is_a_malformed_frame(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "app.kick.centrifugo_session")
    s = session(connected=True)
    assert s.receive('{"push":"\ud800"}\n' + json.dumps(PUB), 1.0) != []
    assert "skipped a malformed Centrifugo frame" in caplog.text


@pytest.mark.parametrize(
    ("ping", "ttl", "expected_ping"),
    [
        ("1" + "0" * 400, None, 7 * 24 * 3600.0),  # a huge int: a week, not an OverflowError
        ('"1e999"', None, 7 * 24 * 3600.0),  # a string overflowing to inf: a week
        ('"nan"', None, 0.0),  # no interval
        ("-5", None, 0.0),
        ("25", "1" + "0" * 400, 25.0),
    ],
)
def test_durations_are_finite_and_bounded(ping: str, ttl: str | None, expected_ping: float) -> None:
    s = session()
    body = f'"client":"c","ping":{ping}'
    if ttl is not None:
        body += f',"expires":true,"ttl":{ttl}'
    s.receive(('{"id":1,"connect":{' + body + "}}").encode(), 0.0)
    assert s.ending is None and s.client_id == "c"
    assert s._ping_interval == expected_ping
    deadline = s.next_deadline()
    assert deadline is None or math.isfinite(deadline)


def test_a_disconnect_code_past_ints_digits_ends_the_session_without_a_code() -> None:
    s = session(connected=True)
    s.receive(('{"push":{"disconnect":{"code":"' + "3" * 5000 + '","reason":"r"}}}').encode(), 1.0)
    assert s.ending is not None
    assert (s.ending.kind, s.ending.close_code) == (EndingKind.BACKOFF, None)


def test_a_disconnect_with_odd_fields_still_ends_the_session_by_its_code() -> None:
    s = session(connected=True)
    s.receive(b'{"push":{"disconnect":{"code":3001,"reason":["not","text"]}}}', 1.0)
    assert s.ending is not None
    assert s.ending.close_code == 3001
    assert s.ending.detail == "server closed 3001 (shutdown)"
