"""Malformed input on each decode path raises the path's own error type, is reported and
skipped, and the process goes on (issue #17): values out of any range, deep nesting."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.kick.kick_events import event_digest
from app.kick.normalize import Normalizer
from app.kick.payload_fields import PayloadError
from app.kick.pipeline import Pipeline
from app.kick.pusher_codec import ConnectionEstablished, decode_frame
from app.kick.timestamps import iso_utc

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def chat_line(ident: str, created_at: str) -> str:
    data = f'{{"id":"{ident}","created_at":{created_at},"sender":{{"username":"u"}}}}'
    return json.dumps({"event": "App\\Events\\ChatMessageEvent", "data": data})


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        18 * 10**310,  # about 1.8e311: too large even to divide by 1000 into a float
        -18 * 10**310,
        1.7e308,
        float("inf"),
    ],
)
def test_out_of_range_times_are_no_time(value: object) -> None:
    assert iso_utc(value) is None


@pytest.mark.parametrize(
    "created_at", ['"9999-12-31T23:59:59-01:00"', "18" + "0" * 310, '"0001-01-01T00:00:00+01:00"']
)
def test_an_out_of_range_created_at_falls_back_to_the_receive_time(created_at: str) -> None:
    event = Pipeline("c", clock=lambda: NOW).feed(chat_line("a", created_at))
    assert event is not None
    assert event.timestamp == NOW.isoformat()


def test_data_nested_near_the_limit_is_a_payload_error_in_the_digest() -> None:
    deep: object = []
    for _ in range(sys.getrecursionlimit()):
        deep = [deep]
    with pytest.raises(PayloadError, match="nested too deeply"):
        event_digest("StreamHostEvent", {"host_username": "h", "a": deep})


def test_normalizer_turns_any_value_error_into_a_payload_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    normalizer = Normalizer("c", clock=lambda: NOW)

    def broken(*args: object) -> None:
        raise OverflowError("a value out of any range")

    monkeypatch.setitem(normalizer._handlers, "StreamHostEvent", ("StreamHostEvent", broken))
    with pytest.raises(PayloadError, match="StreamHostEvent: OverflowError: a value out of"):
        normalizer.normalize_event("StreamHostEvent", "c", '{"host_username":"h"}')


@pytest.mark.parametrize("timeout", ["1" + "0" * 311, "1e308", "-5", "0", "true", '"120"'])
def test_a_nonsense_activity_timeout_is_as_if_not_given(timeout: str) -> None:
    frame = (
        '{"event":"pusher:connection_established","data":{"socket_id":"1.2","activity_timeout":'
        + timeout
        + "}}"
    )
    assert decode_frame(frame) == ConnectionEstablished("1.2", None)


def test_a_sane_activity_timeout_is_kept() -> None:
    data = json.dumps({"socket_id": "1.2", "activity_timeout": 120})
    frame = json.dumps({"event": "pusher:connection_established", "data": data})
    assert decode_frame(frame) == ConnectionEstablished("1.2", 120.0)


def host_line(depth: int) -> str:
    nest = "[" * depth + "]" * depth
    return (
        '{"event":"App\\\\Events\\\\StreamHostEvent","channel":"c","data":{"host_username":"h",'
        '"number_viewers":1,"a":' + nest + "}}"
    )


def test_normalize_command_reports_each_hostile_line_and_reads_on() -> None:
    # Where decoding stops and the digest's encoding fails depends on the stack's depth at the
    # time: a range of depths around the recursion limit meets both.
    depths = range(960, 1010)
    lines = [
        chat_line("a", '"9999-12-31T23:59:59-01:00"'),  # the example: an event
        chat_line("b", "18" + "0" * 310),  # an event
        *(host_line(depth) for depth in depths),
        chat_line("c", '"2026-03-14T19:42:07+00:00"'),  # still read
    ]
    done = subprocess.run(
        [sys.executable, "-m", "app", "normalize"],
        input="\n".join(lines).encode() + b"\n",
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["id"] for e in events if e["type"] == "chat"] == ["a", "b", "c"]
    reports = done.stderr.decode().splitlines()
    assert len(events) + len(reports) == len(lines)  # every line: an event or a report
    assert all(line.startswith("line ") for line in reports)
    assert any(line.endswith("StreamHostEvent: data is nested too deeply") for line in reports)
    assert done.returncode == 1
