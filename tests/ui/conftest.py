"""Fixtures the widget tests share: a settable clock, and the Dashboard's Kick card on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui.status_card import KickStatusCard
from tests.ui import FakeClock, themed


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def card(qapp: QApplication, qtbot: QtBot, clock: FakeClock) -> Iterator[KickStatusCard]:
    with themed(qapp):
        widget = KickStatusCard(clock=clock)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget
