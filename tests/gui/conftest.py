"""GUI integration tests run their async code on a qasync loop, so Qt timers, queued signals and
asyncio tasks all run, as in the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


def _qasync_loop() -> asyncio.AbstractEventLoop:
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication([])
    qapp.setQuitOnLastWindowClosed(False)  # as in the app: closing is awaited, not a quit
    return qasync.QEventLoop(qapp)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], Any]]:
    return {"qasync": _qasync_loop}
