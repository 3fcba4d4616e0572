"""The ids a Kick channel is known by, and where they are remembered (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CachedIds:
    chatroom_id: int
    channel_id: int
    display_name: str = ""


class IdCache(Protocol):
    """Where a channel's ids are remembered between connections and launches."""

    def get(self, slug: str) -> CachedIds | None: ...
    def put(self, slug: str, ids: CachedIds) -> None: ...


class MemoryIdCache:
    def __init__(self) -> None:
        self._ids: dict[str, CachedIds] = {}

    def get(self, slug: str) -> CachedIds | None:
        return self._ids.get(slug)

    def put(self, slug: str, ids: CachedIds) -> None:
        self._ids[slug] = ids
