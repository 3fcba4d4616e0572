"""The main window: pages built when first shown, bound to the app's state when they are (current
the first time they show); start-up imports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.state import Status
from app.services.app_state import AppState
from app.ui.main_window import MainWindow
from tests.ui import app_state, make_event, themed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state(tmp_path: Path) -> AppState:
    return app_state(tmp_path)


@pytest.fixture
def window(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, state: AppState
) -> Iterator[MainWindow]:
    with themed(qapp):
        widget = MainWindow(tmp_path / "logs", state)
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


def test_pages_opened_later_show_the_current_state(
    window: MainWindow, state: AppState, qtbot: QtBot
) -> None:
    state.set_status(Status(S.LIVE, slug="nightowlgg", display_name="NightOwlGG", is_live=True))
    state.set_channel("nightowlgg")
    state.set_auto_connect(False)
    assert not window.is_page_built(1)

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.page_name() == "Sources"
    sources = window.sources
    assert sources.isVisible()
    assert child(sources, QWidget, "kickSourceCard").property("state") == "live"
    label = child(sources, QLabel, "stateLabel")
    assert isinstance(label, QLabel) and label.text() == "Live"
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
    state.set_status(Status(S.DISCONNECTED, slug="nightowlgg"))
    assert child(sources, QWidget, "kickSourceCard").property("state") == "disconnected"
    assert window.status_card.property("state") == "disconnected"


def test_a_page_says_when_it_is_built_and_changes_settings_on_the_state(
    window: MainWindow, state: AppState, qtbot: QtBot
) -> None:
    built: list[int] = []
    window.pageBuilt.connect(built.append)
    window.show_page(2)
    window.show_page(2)  # once
    window.show_page(1)
    assert built == [2, 1]
    window.settings_page.auto_connect.setChecked(False)  # the user's change
    assert state.auto_connect is False
    state.set_auto_connect(True)  # and the state's, shown
    assert window.settings_page.auto_connect.isChecked()


def test_the_cards_connect_asks_for_the_channel_it_shows(
    window: MainWindow, state: AppState, qtbot: QtBot
) -> None:
    state.set_status(Status(S.DISCONNECTED, slug="nightowlgg", display_name="NightOwlGG"))
    button = child(window.status_card, QPushButton, "cardConnectButton")
    assert button.isVisible()
    with qtbot.waitSignal(window.status_card.connectRequested, timeout=1_000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["nightowlgg"]


def test_the_saved_channel_is_on_the_card_before_the_service_says_anything(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    state = app_state(tmp_path, kick_slug="nightowlgg")
    with themed(qapp):  # as `application.main` paints it: frame, then the page
        window = MainWindow(tmp_path, state, defer_page=True)
        qtbot.addWidget(window)
        window.show()
        window.show_page(0)
        card = window.status_card
        name = child(card, QLabel, "channelName")
        assert isinstance(name, QLabel) and name.text() == "nightowlgg"
        assert card.property("state") == "disconnected"
        assert not child(card, QLabel, "cardHint").isVisible()
        button = child(card, QPushButton, "cardConnectButton")
        assert button.isVisible()
        with qtbot.waitSignal(card.connectRequested, timeout=1_000) as blocker:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert blocker.args == ["nightowlgg"]
        state.set_status(Status(S.CONNECTING, slug="nightowlgg"))  # the service takes over
        assert not button.isVisible()
        window.close_now()


def test_opening_on_sources_does_not_build_the_dashboard(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    state = app_state(tmp_path)
    window = MainWindow(tmp_path, state, page=1)
    qtbot.addWidget(window)
    assert window.page_name() == "Sources"
    assert not window.is_page_built(0)
    state.set_status(Status(S.CONNECTED, slug="nightowlgg", connected_at=0.0))
    state.set_count(7)
    assert not window.is_page_built(0)
    assert window.status_card.property("state") == "connected"  # built on use, current
    count = window.status_card.findChild(QLabel, "eventCount")
    assert isinstance(count, QLabel) and count.text() == "7"
    window.add_events([make_event()])
    assert window.feed.model.rowCount() == 1
    window.close_now()


def test_the_first_frame_loads_no_page_network_or_event_loop_code(tmp_path: Path) -> None:
    # Start-up time: what `main` loads before the first paint stays light. That includes Qt's
    # `Qt` namespace, whose Python enums alone take 20-45 ms to build: pages use it, the frame
    # must not.
    heavy = ("asyncio", "msgspec", "httpx", "websockets", "qasync", "platformdirs",
             "logging.handlers", "app.core.supervisor", "app.core.events", "app.ui.feed_text",
             "app.ui.feed_style", "app.ui.feed_model", "app.ui.feed_rows", "app.ui.feed_delegate",
             "app.ui.sources_panel", "app.ui.settings_page", "app.ui.feed_view",
             "app.ui.status_card")  # fmt: skip
    code = f"""
import sys
import PySide6.QtCore
from PySide6.QtWidgets import QApplication
qapp = QApplication([])
import app.application
from app.ui.main_window import MainWindow
from app.ui.theme import load_theme
load_theme(qapp)
from app.services.app_state import AppState
from app.settings import SettingsHolder, SettingsStore
window = MainWindow(sys.argv[1], AppState(SettingsHolder(SettingsStore())), page=1, defer_page=True)
window.show()
qapp.processEvents()
loaded = [m for m in {heavy!r} if m in sys.modules]
if "Qt" in vars(PySide6.QtCore):
    loaded.append("PySide6.QtCore.Qt")
print(",".join(loaded))
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "VMSC_CONFIG_DIR": str(tmp_path)},
    ).stdout.strip()
    assert out == ""


def test_a_deferred_page_is_built_when_shown(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    with themed(qapp):
        window = MainWindow(tmp_path, app_state(tmp_path), page=1, defer_page=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        # the frame shows which page is coming
        assert window.page_name() == "Sources" and window.nav.checkedId() == 1
        assert not any(window.is_page_built(i) for i in range(3))
        window.show_page(1)
        assert window.is_page_built(1) and not window.is_page_built(0)
        assert window.pages.currentWidget() is window.sources
        window.close_now()


@pytest.mark.parametrize("username", ["", "nightowlgg"])
def test_sources_opens_on_the_form_while_no_channel_is_saved(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, username: str
) -> None:
    with themed(qapp):
        window = MainWindow(
            tmp_path, app_state(tmp_path, kick_slug=username), page=1, defer_page=True
        )
        qtbot.addWidget(window)
        window.show()
        window.show_page(1)
        qtbot.waitExposed(window)
        card = window.sources.kick_card
        field = child(window, QLineEdit, "kickUsernameInput")
        if username:  # a saved channel: the card shows its state, folded
            assert not card.is_expanded() and not field.isVisible()
            assert window.focusWidget() is card
        else:  # first launch: type the username straight away
            assert card.is_expanded() and field.isVisible()
            assert window.focusWidget() is field
            qtbot.keyClicks(field, "nightowlgg")
            assert field.text() == "nightowlgg"
        window.close_now()


def test_a_notice_is_plain_text_shown_once_and_dismissed(window: MainWindow, qtbot: QtBot) -> None:
    assert window.notice_text() == ""
    text = "Settings cannot be saved to /tmp/<b>x</b>/settings.json (Not a directory)."
    window.show_notice(text)
    label = child(window, QLabel, "noticeText")
    assert isinstance(label, QLabel)
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == text
    assert window.notice_text() == text
    qtbot.mouseClick(child(window, QPushButton, "noticeDismiss"), Qt.MouseButton.LeftButton)
    assert window.notice_text() == ""
    window.show_notice("again")
    assert window.notice_text() == "again"
    assert len(window.findChildren(QLabel, "noticeText")) == 1  # one banner, reused


def test_ctrl_q_asks_to_close_from_any_page(window: MainWindow, qtbot: QtBot) -> None:
    for page in range(3):
        window.show_page(page)
        with qtbot.waitSignal(window.closeRequested, timeout=2000):
            target = window.focusWidget() or window
            qtbot.keyClick(target, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
