"""`watch`'s output: the events handled in one loop pass are one batch of JSON lines, written off
the event loop through a bounded buffer (issue #17)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading

import msgspec

from app.core.events import EventType, StreamEvent, json_lines
from app.watch_output import JsonLinesWriter
from tests.event_samples import chat_data


class CountingOutput(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)


def make_event(ident: str) -> StreamEvent:
    return StreamEvent(
        id=ident,
        type=EventType.CHAT,
        channel="nightowlgg",
        username="pixel_mage",
        timestamp="2026-03-14T19:42:07+00:00",
        data=chat_data(f"hello {ident}", ident),
    )


async def next_pass() -> None:
    """Returns once the callbacks already scheduled with call_soon have run (they run in order)."""
    loop = asyncio.get_running_loop()
    passed = loop.create_future()
    loop.call_soon(passed.set_result, None)
    await passed


class GatedOutput(io.BytesIO):
    """An output whose writes wait for `gate`: a reader that does not read (no file descriptor,
    so `JsonLinesWriter` calls `write`). `entered` is set when a write is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.entered.set()
        assert self.gate.wait(10)
        self.chunks.append(bytes(data))
        return super().write(data)


def ids(data: bytes) -> list[str]:
    return [msgspec.json.decode(line, type=dict)["id"] for line in data.splitlines()]


async def test_each_pass_is_one_batch_in_order_and_a_blocked_reader_blocks_nothing() -> None:
    out = GatedOutput()
    lines = JsonLinesWriter(out, asyncio.get_running_loop())
    async with asyncio.timeout(10):
        for event in [make_event(f"a{n}") for n in range(3)]:
            lines.add(event)
        await next_pass()
        await asyncio.to_thread(out.entered.wait, 10)  # the writer is stuck in its first write
        lines.add(make_event("b0"))  # the loop goes on: these are queued, not written
        await next_pass()
        lines.add(make_event("c0"))
        lines.add(make_event("c1"))
        await next_pass()
        assert out.chunks == []
        out.gate.set()
        await lines.aclose()
    assert [ids(chunk) for chunk in out.chunks] == [["a0", "a1", "a2"], ["b0", "c0", "c1"]]


async def test_close_writes_what_is_pending() -> None:
    out = CountingOutput()
    lines = JsonLinesWriter(out, asyncio.get_running_loop())
    lines.add(make_event(ident="last"))
    await lines.aclose()
    assert out.writes == 1 and b'"id":"last"' in out.getvalue()


async def test_overflow_drops_the_oldest_batches_and_reports_at_intervals() -> None:
    out = GatedOutput()
    err = io.StringIO()
    now = [0.0]
    batch = len(json_lines([make_event("x0000")]))
    lines = JsonLinesWriter(
        out, asyncio.get_running_loop(), err=err, max_bytes=10 * batch, clock=lambda: now[0]
    )
    lines.add(make_event("x0000"))
    await next_pass()
    await asyncio.to_thread(out.entered.wait, 10)  # x0000 is being written
    for n in range(1, 101):
        lines.add(make_event(f"x{n:04d}"))
        await next_pass()
        now[0] += 0.1  # 10 s in all: a report at the first drop and one 5 s later
    reports = err.getvalue().splitlines()
    assert len(reports) == 2
    out.gate.set()
    await lines.aclose()
    written = ids(out.getvalue())
    assert written == ["x0000", *(f"x{n:04d}" for n in range(91, 101))]  # the newest ten kept
    assert lines.dropped == 90
    counts = [
        int(re.search(r"dropped ([\d,]+) events", line)[1]) for line in err.getvalue().splitlines()
    ]  # type: ignore[index]
    assert sum(counts) == 90 and len(counts) == 3  # the rest said at the end


async def test_a_reader_that_goes_away_stops_watch_once_and_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) has exited
    gone = asyncio.Event()
    calls: list[bool] = []

    def reader_gone() -> None:
        calls.append(True)
        gone.set()

    with os.fdopen(write_end, "wb") as out:
        lines = JsonLinesWriter(out, asyncio.get_running_loop(), reader_gone)
        lines.add(make_event("a"))
        async with asyncio.timeout(10):
            await gone.wait()
        lines.add(make_event("b"))  # events after that are dropped, not kept
        await next_pass()
        await lines.aclose()
        assert calls == [True] and lines._pending == []
