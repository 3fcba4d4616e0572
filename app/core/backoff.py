"""Reconnect delays: 1, 2, 4, 8, then 16 s for every further attempt, each plus 0-1 s jitter."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

BASE_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)


class Backoff:
    def __init__(
        self,
        random_source: Callable[[], float] = random.random,
        delays: Sequence[float] = BASE_DELAYS,
        max_jitter: float = 1.0,
    ) -> None:
        self._random = random_source
        self._delays = tuple(delays)
        self._max_jitter = max_jitter
        self._failures = 0

    @property
    def failures(self) -> int:
        """Consecutive failed attempts since the last confirmed connection."""
        return self._failures

    def next_delay(self) -> float:
        base = self._delays[min(self._failures, len(self._delays) - 1)]
        self._failures += 1
        return base + self._random() * self._max_jitter

    def reset(self) -> None:
        self._failures = 0
