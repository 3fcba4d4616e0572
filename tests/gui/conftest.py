"""GUI integration tests run their async code on a qasync loop, so Qt timers, queued signals and
asyncio tasks all run, as in the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication


class _TestLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync ships no type information
    """A qasync loop per test, as the app has one per run. Closing it deletes its timer object
    at once, on the main thread. Left to Python's cycle collector, which may run in any thread
    (an HTTP server's, a worker's), the object would be freed where Qt cannot unregister its
    timers, and a later timer event would reach freed memory: seen as a SIGSEGV in
    QTimerInfoList::activateTimers, in whichever test came next. The app never closes its one
    loop before it exits."""

    def close(self) -> None:
        super().close()
        timer = getattr(self, "_timer", None)
        if timer is not None and shiboken6.isValid(timer):
            shiboken6.delete(timer)


def _qasync_loop() -> asyncio.AbstractEventLoop:
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication([])
    qapp.setQuitOnLastWindowClosed(False)  # as in the app: closing is awaited, not a quit
    return _TestLoop(qapp)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], Any]]:
    return {"qasync": _qasync_loop}
