"""`python -m app replay FILE`: timing on an injected clock, and the real command as a subprocess
(stdout, malformed lines, exit statuses, and `--serve` with a WebSocket client on /events)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from app.core.events import EventType, StreamEvent, json_lines
from app.replay import BATCH, play, schedule
from tests.event_samples import chat_data


def chat(n: int, stamp: str) -> StreamEvent:
    return StreamEvent(
        id=f"msg-{n}",
        type=EventType.CHAT,
        channel="nightowlgg",
        username="pixel_mage",
        timestamp=stamp,
        data=chat_data(f"hi {n}", f"msg-{n}"),
    )


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_same_second_events_are_spread_over_it_and_time_never_runs_backwards() -> None:
    events = [
        chat(0, "2026-03-14T19:42:07+00:00"),
        chat(1, "2026-03-14T19:42:07+00:00"),
        chat(2, "2026-03-14T19:42:07+00:00"),
        chat(3, "2026-03-14T19:42:07+00:00"),
        chat(4, "2026-03-14T19:42:10.250000+00:00"),
        chat(5, "2026-03-14T19:42:10.250000+00:00"),  # not whole seconds: kept together
        chat(6, "2026-03-14T19:42:09+00:00"),  # stamped earlier: right after the one before
        chat(7, "2026-03-14T21:42:12+02:00"),  # another zone, the same instant as 19:42:12Z
    ]
    offsets = [(offset, event.id) for offset, event in schedule(events)]
    assert offsets == [
        (0.0, "msg-0"),
        (0.25, "msg-1"),
        (0.5, "msg-2"),
        (0.75, "msg-3"),
        (3.25, "msg-4"),
        (3.25, "msg-5"),
        (3.25, "msg-6"),
        (5.0, "msg-7"),
    ]


async def test_events_come_at_their_offsets_divided_by_the_speed() -> None:
    fake = FakeTime()
    delivered: list[tuple[float, list[str]]] = []
    timed = [(0.0, chat(0, "")), (0.0, chat(1, "")), (1.0, chat(2, "")), (4.0, chat(3, ""))]
    count = await play(
        timed,
        lambda events: delivered.append((fake.now, [e.id for e in events])),
        speed=2.0,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert count == 4
    assert delivered == [
        (100.0, ["msg-0", "msg-1"]),  # due together: one call
        (100.5, ["msg-2"]),
        (102.0, ["msg-3"]),
    ]


async def test_speed_zero_never_waits_and_hands_on_bounded_batches() -> None:
    fake = FakeTime()
    sizes: list[int] = []
    timed = [(n * 10.0, chat(n, "")) for n in range(2 * BATCH + 5)]
    count = await play(
        timed, lambda e: sizes.append(len(e)), speed=0, clock=fake.clock, sleep=fake.sleep
    )
    assert count == 2 * BATCH + 5
    assert sizes == [BATCH, BATCH, 5]
    assert fake.now == 100.0 and set(fake.sleeps) == {0}  # only loop passes, no waiting


# --- the command, as a real process -----------------------------------------------------------


def stamp(second: int) -> str:
    return f"2026-03-14T19:42:{second:02d}+00:00"


@pytest.fixture
def session_file(tmp_path: Path) -> Iterator[tuple[Path, list[StreamEvent]]]:
    events = [chat(n, stamp(n // 3)) for n in range(30)]  # 3 a second over 10 s
    path = tmp_path / "2026-03-14T19-42-00Z_nightowlgg.jsonl"
    path.write_bytes(json_lines(events))
    yield path, events


def replay_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "VMSC_CONFIG_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}


async def run(tmp_path: Path, *args: str) -> tuple[int, bytes, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "replay", *args,
        env=replay_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out, err.decode()


async def test_replay_prints_the_log_as_it_was_written(
    tmp_path: Path, session_file: tuple[Path, list[StreamEvent]]
) -> None:
    path, events = session_file
    status, out, err = await run(tmp_path, str(path), "--speed", "0")
    assert (status, err) == (0, "")
    assert out == path.read_bytes() == json_lines(events)


async def test_malformed_lines_are_reported_by_number_and_skipped(
    tmp_path: Path, session_file: tuple[Path, list[StreamEvent]]
) -> None:
    path, events = session_file
    lines = path.read_bytes().splitlines(keepends=True)
    bad = [*lines[:2], b"{not json\n", b"\n", b'{"id": "x"}\n', b"\x1b[2J\n", *lines[2:]]
    path.write_bytes(b"".join(bad))
    status, out, err = await run(tmp_path, str(path), "--speed", "0")
    assert status == 1
    assert out == json_lines(events)
    reported = err.splitlines()
    assert [line.split(":")[0] for line in reported] == ["line 3", "line 5", "line 6"]
    assert "missing field(s)" in reported[1]
    assert "\x1b" not in err  # a hostile line cannot drive the terminal


async def test_the_pace_follows_the_timestamps_scaled_by_the_speed(
    tmp_path: Path, session_file: tuple[Path, list[StreamEvent]]
) -> None:
    path, _ = session_file  # its events span 9 2/3 s: at 40x, 0.24 s from the first to the last
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "replay", str(path), "--speed", "40",
        env=replay_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    arrivals = []
    async with asyncio.timeout(60):
        while line := await proc.stdout.readline():
            arrivals.append((time.monotonic(), json.loads(line)["id"]))
        status = await proc.wait()
    assert status == 0 and [ident for _, ident in arrivals] == [f"msg-{n}" for n in range(30)]
    # the spacing is there (an upper bound would only measure the machine)
    assert arrivals[-1][0] - arrivals[0][0] >= 0.9 * (29 / 3) / 40
    assert arrivals[3][0] - arrivals[0][0] >= 0.9 * 1.0 / 40  # the next second's first event


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "replay: cannot read missing.jsonl: No such file or directory"),
        (["x.jsonl", "--speed", "-1"], "the speed must be 0 or more"),
        (["x.jsonl", "--speed", "fast"], "'fast' is not a number"),
        (["x.jsonl", "--serve", "99999"], "the port must be 0-65535"),
    ],
)
async def test_unusable_input_is_exit_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    status, out, err = await run(tmp_path, *args)
    assert status == 2 and out == b""
    assert message in err


async def test_replay_through_the_event_server_reaches_a_websocket_client_in_order(
    tmp_path: Path, session_file: tuple[Path, list[StreamEvent]]
) -> None:
    path, events = session_file
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "replay", str(path), "--speed", "0", "--quiet",
        "--serve", "127.0.0.1:0",
        env=replay_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(30):
            line = (await proc.stderr.readline()).decode()
            match = re.search(r"events (ws://127\.0\.0\.1:\d+/events)", line)
            assert match, line
            waiting = (await proc.stderr.readline()).decode()
            assert waiting.startswith("replay: waiting for an overlay")
            async with connect(match.group(1)) as ws:
                messages = [json.loads(await ws.recv()) for _ in range(len(events) + 3)]
                done = (await proc.stderr.readline()).decode()
                proc.send_signal(signal.SIGTERM)
                status = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    kinds = [message["kind"] for message in messages]
    assert kinds[0] == "status" and messages[0]["status"]["state"] == "connecting"
    assert messages[1]["status"]["state"] == "connected"
    received = [message["event"] for message in messages if message["kind"] == "event"]
    assert received == [json.loads(line) for line in json_lines(events).splitlines()]
    assert messages[-1] == {
        "kind": "status",
        "status": {
            "state": "disconnected",
            "channel": "nightowlgg",
            "provider": "replay",
            "live": False,
            "uptime_s": messages[-1]["status"]["uptime_s"],
            "events": 30,
        },
    }
    assert done == "replay: done, 30 events; still serving (Ctrl-C to stop)\n"
    assert status == 0
