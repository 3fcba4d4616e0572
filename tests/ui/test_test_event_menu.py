"""The Dashboard card's "Send test event" menu, by keyboard, and Settings' session log button."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMenu, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.relay.test_events import TEST_EVENT_TYPES
from app.ui.main_window import MainWindow
from app.ui.settings_page import SettingsPage
from app.ui.status_card import TEST_EVENT_CHOICES
from tests.ui import app_state, themed


def test_the_menu_offers_every_test_event_the_server_can_make() -> None:
    assert tuple(kind for kind, _ in TEST_EVENT_CHOICES) == TEST_EVENT_TYPES


def test_keyboard_tab_space_and_a_letter_send_a_test_event(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    with themed(qapp):
        window = MainWindow(tmp_path, app_state(tmp_path))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        card = window.status_card
        button = card.test_event_button
        asked: list[str] = []
        card.testEventRequested.connect(asked.append)

        # Tab reaches the button from the widget before it in the focus chain
        previous = button.previousInFocusChain()
        while not (
            previous.focusPolicy() & Qt.FocusPolicy.TabFocus == Qt.FocusPolicy.TabFocus
            and previous.isVisible()
            and previous.isEnabled()
        ):
            previous = previous.previousInFocusChain()
        previous.setFocus()
        qtbot.waitUntil(previous.hasFocus)
        qtbot.keyClick(previous, Qt.Key.Key_Tab)
        qtbot.waitUntil(button.hasFocus)

        seen_menus: list[QWidget] = []

        def pick_gifted_subs() -> None:  # runs inside the menu's own event loop
            menu = QApplication.activePopupWidget()
            if menu is None:
                QTimer.singleShot(10, pick_gifted_subs)
                return
            seen_menus.append(menu)
            qtbot.keyClick(menu, Qt.Key.Key_G)  # "&Gifted subs"

        QTimer.singleShot(0, pick_gifted_subs)
        qtbot.keyClick(button, Qt.Key.Key_Space)  # opens the menu; returns once it closed
        qtbot.waitUntil(lambda: asked == ["gift_sub"])
        assert isinstance(seen_menus[0], QMenu)
        assert seen_menus[0].objectName() == "testEventMenu"

        menu = button.menu()
        assert menu is not None
        for action in menu.actions():  # every entry asks for its own type
            action.trigger()
        assert asked == ["gift_sub", *TEST_EVENT_TYPES]
        window.close_now()


def test_settings_opens_the_session_log_folder(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    sessions = tmp_path / "data" / "sessions"
    page = SettingsPage(tmp_path / "logs", session_folder=sessions)
    qtbot.addWidget(page)
    button = page.findChild(QPushButton, "openSessionLogFolderButton")
    assert button is not None and button.text() == "Open session log folder"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert sessions.is_dir()  # made if no session was logged yet
    assert [url.toLocalFile() for url in opened] == [str(sessions)]


def test_settings_finds_the_session_folder_itself(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    page = SettingsPage(tmp_path / "logs")
    qtbot.addWidget(page)
    assert page.open_session_log_folder()
    assert [url.toLocalFile() for url in opened] == [str(tmp_path / "sessions")]
