"""Session logs: one JSON-lines file per connection, capped per file and in all, written by a
thread of their own."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.events import EventType, StreamEvent, json_lines
from app.core.supervisor import ConnectRequest, Ending, EndingKind
from app.session_log import SessionLog, session_dir, session_file_name
from tests.event_samples import chat_data
from tests.test_supervisor import ScriptedConnector, build, subscribe_then, until


def chat(n: int, text: str = "hi") -> StreamEvent:
    return StreamEvent(
        id=f"msg-{n}",
        type=EventType.CHAT,
        channel="nightowlgg",
        username="pixel_mage",
        timestamp="2026-03-14T19:42:07+00:00",
        data=chat_data(f"{text} {n}", f"msg-{n}"),
    )


class Ticking:
    """A wall clock a minute further on at each reading: every file gets its own name."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


@dataclass
class FakeStatus:
    slug: str
    connected_at: float | None


def files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


async def test_each_confirmed_subscription_gets_a_file_of_the_lines_watch_prints(
    tmp_path: Path,
) -> None:
    reconnect = Ending(EndingKind.RECONNECT_NOW, "the server asked us to reconnect")
    connector = ScriptedConnector(subscribe_then(None), subscribe_then(None))
    supervisor, _, _ = build(connector)
    session_log = SessionLog(tmp_path, now=Ticking())
    session_log.attach(supervisor)
    supervisor.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    first = [chat(n, "first é 👋") for n in range(3)]
    for event in first:
        supervisor.event(event)
    connector.started.clear()
    assert connector.open_session is not None
    connector.open_session.set_result(reconnect)  # a reconnect: a new subscription
    await connector.started.wait()
    await until(supervisor, lambda: supervisor.status.state.is_connected)
    second = [chat(n, "second") for n in range(3, 5)]
    for event in second:
        supervisor.event(event)
    await supervisor.disconnect()
    await session_log.aclose()

    written = files(tmp_path)
    assert [path.name for path in written] == [
        "2026-11-29T19-01-00Z_nightowlgg.jsonl",
        "2026-11-29T19-02-00Z_nightowlgg.jsonl",
    ]
    assert [path.read_bytes() for path in written] == [json_lines(first), json_lines(second)]
    assert session_log.written == 5 and session_log.dropped == 0


async def test_events_before_any_connection_open_a_file_of_their_own(tmp_path: Path) -> None:
    session_log = SessionLog(tmp_path, now=Ticking())
    test_event = chat(1)
    session_log.add(test_event)
    session_log.on_status(FakeStatus("nightowlgg", None))  # connecting: still no new file
    await session_log.aclose()
    assert [path.read_bytes() for path in files(tmp_path)] == [json_lines([test_event])]


async def test_a_full_file_goes_on_in_the_next_and_the_oldest_files_are_deleted(
    tmp_path: Path,
) -> None:
    old = tmp_path / "2020-01-01T00-00-00Z_someone.jsonl"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"x" * 1500)  # from an earlier run: counted, and the first to go
    line = len(json_lines([chat(0)]))
    session_log = SessionLog(
        tmp_path, max_file_bytes=4 * line, max_total_bytes=10 * line, max_pending=1, now=Ticking()
    )
    session_log.on_status(FakeStatus("nightowlgg", 1.0))
    events = [chat(n) for n in range(10, 40)]  # lines of one length
    for event in events:
        session_log.add(event)  # max_pending=1: each event is its own write
    await session_log.aclose()

    left = files(tmp_path)
    assert not old.exists()
    sizes = [path.stat().st_size for path in left]
    assert all(size <= 4 * line for size in sizes), sizes
    assert sum(sizes) <= 10 * line
    kept = b"".join(path.read_bytes() for path in left)  # names sort by start, parts by number
    assert kept == json_lines(events[-(len(kept) // line) :])  # the newest, whole lines, in order
    assert len(left) >= 2 and ".part" in left[-1].name


async def test_a_stalled_disk_never_holds_up_the_loop_and_memory_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_log = SessionLog(tmp_path, max_queued_bytes=20_000, max_pending=10, now=Ticking())
    gate = threading.Event()
    real_write = SessionLog._write

    def stalled_write(self: SessionLog, data: bytes) -> None:
        gate.wait()  # the disk hangs until the test lets it go
        real_write(self, data)

    monkeypatch.setattr(SessionLog, "_write", stalled_write)
    session_log.on_status(FakeStatus("nightowlgg", 1.0))
    for n in range(2_000):
        session_log.add(chat(n, "x" * 100))  # returns although nothing can be written
    assert session_log.dropped > 0
    assert session_log._queued_bytes <= 20_000
    gate.set()
    await session_log.aclose()
    assert session_log.written + session_log.dropped == 2_000
    lines = b"".join(path.read_bytes() for path in files(tmp_path)).splitlines()
    assert len(lines) == session_log.written
    assert lines[-1] == json_lines([chat(1_999, "x" * 100)]).rstrip(b"\n")  # the newest kept


async def test_pending_events_are_written_after_the_flush_interval(tmp_path: Path) -> None:
    session_log = SessionLog(tmp_path, flush_interval=0.01, now=Ticking())
    session_log.on_status(FakeStatus("nightowlgg", 1.0))
    session_log.add(chat(1))
    async with asyncio.timeout(10):
        while session_log.written < 1:  # noqa: ASYNC110 - written by the writer thread
            await asyncio.sleep(0.01)
    assert files(tmp_path)[0].read_bytes() == json_lines([chat(1)])
    await session_log.aclose()


def test_where_session_logs_live(tmp_path: Path) -> None:
    assert session_dir({"VMSC_CONFIG_DIR": str(tmp_path)}) == tmp_path / "sessions"
    default = session_dir({})
    assert default.name == "sessions" and default.parent.name == "VMSC"
    moment = datetime(2026, 3, 14, 19, 42, 7, tzinfo=UTC)
    assert session_file_name(moment, "night/owl:gg") == "2026-03-14T19-42-07Z_night_owl_gg.jsonl"
    assert session_file_name(moment, "") == "2026-03-14T19-42-07Z_no-channel.jsonl"
