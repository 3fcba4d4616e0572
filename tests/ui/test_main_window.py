"""The main window: pages built when first shown, and current when they are; start-up imports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.supervisor import Status
from app.ui.main_window import MainWindow
from tests.ui import make_event, themed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qapp: QApplication, qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    with themed(qapp):
        widget = MainWindow(tmp_path / "logs")
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget
        widget.close_now()


def child(root: QWidget, kind: type[QWidget], name: str) -> QWidget:
    widget = root.findChild(kind, name)
    assert widget is not None, name
    return widget


def test_only_the_first_page_is_built(window: MainWindow) -> None:
    assert window.page_name() == "Dashboard"
    assert window.is_page_built(0)
    assert not window.is_page_built(1) and not window.is_page_built(2)
    assert window.findChild(QLineEdit, "kickUsernameInput") is None


def test_pages_opened_later_show_the_current_state(window: MainWindow, qtbot: QtBot) -> None:
    window.set_status(Status(S.LIVE, slug="nightowlgg", display_name="NightOwlGG", is_live=True))
    window.set_username("nightowlgg")
    window.set_auto_connect(False)
    assert not window.is_page_built(1)

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.page_name() == "Sources"
    sources = window.sources
    assert sources.isVisible()
    assert child(sources, QWidget, "kickSourceCard").property("state") == "live"
    state = child(sources, QLabel, "stateLabel")
    assert isinstance(state, QLabel) and state.text() == "Live"
    field = child(sources, QLineEdit, "kickUsernameInput")
    assert isinstance(field, QLineEdit) and field.text() == "nightowlgg"
    button = child(sources, QPushButton, "kickConnectButton")
    assert isinstance(button, QPushButton) and button.text() == "Disconnect"

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.page_name() == "Settings"
    switch = child(window.settings_page, QCheckBox, "autoConnectSwitch")
    assert isinstance(switch, QCheckBox) and not switch.isChecked()

    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.page_name() == "Dashboard"
    # once built, pages follow every later change
    window.set_status(Status(S.DISCONNECTED, slug="nightowlgg"))
    assert child(sources, QWidget, "kickSourceCard").property("state") == "disconnected"
    assert window.status_card.property("state") == "disconnected"


def test_page_requests_come_out_of_the_window(window: MainWindow, qtbot: QtBot) -> None:
    window.show_page(1)
    window.sources.set_username("Pixel_Mage")
    with qtbot.waitSignal(window.connectRequested, timeout=1_000) as blocker:
        window.sources.kick_card.connectRequested.emit("pixel_mage", None, None)
    assert blocker.args == ["pixel_mage", None, None]
    with qtbot.waitSignal(window.disconnectRequested, timeout=1_000):
        window.sources.kick_card.disconnectRequested.emit()
    window.show_page(2)
    with qtbot.waitSignal(window.autoConnectChanged, timeout=1_000) as toggled:
        window.settings_page.auto_connect.setChecked(False)
    assert toggled.args == [False]


def test_opening_on_sources_does_not_build_the_dashboard(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    window = MainWindow(tmp_path, page=1)
    qtbot.addWidget(window)
    assert window.page_name() == "Sources"
    assert not window.is_page_built(0)
    window.set_status(Status(S.CONNECTED, slug="nightowlgg", connected_at=0.0))
    window.set_event_count(7)
    assert not window.is_page_built(0)
    retried: list[bool] = []
    window.retryRequested.connect(lambda: retried.append(True))
    assert window.status_card.property("state") == "connected"  # built on use, current
    count = window.status_card.findChild(QLabel, "eventCount")
    assert isinstance(count, QLabel) and count.text() == "7"
    window.status_card.retryRequested.emit()
    assert retried == [True]
    window.add_events([make_event()])
    assert window.feed.model.rowCount() == 1
    window.close_now()


def test_the_window_module_loads_no_network_or_event_loop_code() -> None:
    # Start-up time: what `main` imports before the first paint stays light.
    heavy = ("asyncio", "msgspec", "httpx", "websockets", "qasync", "platformdirs",
             "logging.handlers", "app.core.supervisor", "app.core.events", "app.ui.event_feed",
             "app.ui.sources_panel", "app.ui.settings_page", "app.ui.feed_view")  # fmt: skip
    code = (
        "import sys\nimport app.application\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
