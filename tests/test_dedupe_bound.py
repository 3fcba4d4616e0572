"""The de-duplicator's memory is bounded in bytes, not only in keys (issue #17): 4,096 chat
frames with 256 KiB ids took 521 MiB."""

from __future__ import annotations

import tracemalloc

import pytest

from app.core.events import EventType, StreamEvent
from app.kick.dedupe import DEFAULT_MAX_KEYS, MAX_KEY_CHARS, Deduper, dedupe_key
from tests.event_samples import make_data

BOUND = 2 * 2**20  # the bound dedupe.py states for DEFAULT_MAX_KEYS keys


def event(ident: str, kind: EventType = EventType.CHAT, **data: object) -> StreamEvent:
    return StreamEvent(
        id=ident,
        type=kind,
        channel="c",
        username="u",
        timestamp="2026-03-14T00:00:00+00:00",
        data=make_data(kind, **data),
    )


@pytest.mark.parametrize(
    "tail",
    [
        "\U0001f600" * (256 * 1024 // 4),  # 256 KiB of astral text: hashed
        "\U0001f600" * (MAX_KEY_CHARS - 8),  # the longest id kept as is, 4 bytes a character
    ],
)
def test_the_deduper_holds_at_most_the_stated_bound(tail: str) -> None:
    deduper = Deduper()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(DEFAULT_MAX_KEYS - 1):  # its fullest: both generations, one key short
            assert not deduper.is_duplicate(event(f"{n:08d}" + tail))
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(deduper) == DEFAULT_MAX_KEYS - 1
    assert held < BOUND, f"{held:,} bytes"


def test_a_long_id_still_finds_its_duplicate_and_only_it() -> None:
    deduper = Deduper()
    long_id = "x" * 300_000
    assert not deduper.is_duplicate(event(long_id))
    assert deduper.is_duplicate(event(long_id))
    assert not deduper.is_duplicate(event(long_id + "y"))
    assert len(dedupe_key(event(long_id))) <= MAX_KEY_CHARS


def test_gift_keys_are_bounded_and_still_match_across_spellings() -> None:
    names = [f"viewer_{n}" for n in range(5000)]
    gift = event("a", EventType.GIFT_SUB, gifterUsername="Pixel", recipients=names)
    same = event("b", EventType.GIFT_SUB, gifterUsername="pixel", recipients=names[::-1])
    other = event("c", EventType.GIFT_SUB, gifterUsername="pixel", recipients=names[1:])
    assert len(str(dedupe_key(gift))) <= MAX_KEY_CHARS
    assert dedupe_key(gift) == dedupe_key(same) != dedupe_key(other)
    deduper = Deduper()
    assert not deduper.is_duplicate(gift)
    assert deduper.is_duplicate(same)
    assert not deduper.is_duplicate(other)
