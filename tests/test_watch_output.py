"""`watch`'s output: the events handled in one loop pass go out in one write, as JSON lines."""

from __future__ import annotations

import asyncio
import io
import os

import msgspec

from app.core.events import EventType, StreamEvent
from app.watch import _JsonLines


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
        data={"message": f"hello {ident}"},
    )


async def next_pass() -> None:
    """Returns once the callbacks already scheduled with call_soon have run (they run in order)."""
    loop = asyncio.get_running_loop()
    passed = loop.create_future()
    loop.call_soon(passed.set_result, None)
    await passed


async def test_one_write_per_pass_in_order_and_nothing_waits() -> None:
    out = CountingOutput()
    lines = _JsonLines(out, asyncio.get_running_loop())
    first = [make_event(ident=f"a{n}") for n in range(3)]
    for event in first:
        lines.add(event)
    assert out.writes == 0  # not yet: more may come in this pass
    await next_pass()
    assert out.writes == 1
    lines.add(second := make_event(ident="b0"))
    await next_pass()
    assert out.writes == 2
    decoded = [msgspec.json.decode(line, type=dict) for line in out.getvalue().splitlines()]
    assert [StreamEvent.from_dict(d) for d in decoded] == [*first, second]


async def test_flush_at_exit_writes_what_is_pending() -> None:
    out = CountingOutput()
    lines = _JsonLines(out, asyncio.get_running_loop())
    lines.add(make_event(ident="last"))
    lines.flush()
    assert out.writes == 1 and b'"id":"last"' in out.getvalue()
    await next_pass()  # the scheduled flush finds nothing left
    assert out.writes == 1


async def test_a_reader_that_goes_away_stops_watch_once_and_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (`| head`) has exited
    gone: list[bool] = []
    with os.fdopen(write_end, "wb") as out:
        lines = _JsonLines(out, asyncio.get_running_loop(), lambda: gone.append(True))
        lines.add(make_event("a"))
        await next_pass()
        assert gone == [True]
        lines.add(make_event("b"))  # events after that are dropped, not kept
        await next_pass()
        assert gone == [True] and lines._pending == []
