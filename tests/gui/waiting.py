"""Wait on a condition, woken by Qt signals instead of a sleep loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(condition: Callable[[], bool], *signals: Any, timeout: float = 20.0) -> None:
    changed = asyncio.Event()

    def wake(*_: object) -> None:
        changed.set()

    for signal in signals:
        signal.connect(wake)
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                changed.clear()
                await changed.wait()
    finally:
        for signal in signals:
            signal.disconnect(wake)
