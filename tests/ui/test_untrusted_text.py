"""Network text is plain text in every label and tooltip of a populated window (issue #17): a
display name, a reason or a chat message holding markup shows it literally, never renders it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.core.events import EventType
from app.core.state import ConnectionState as S
from app.core.state import Status
from app.services.app_state import AppState
from app.ui.main_window import MainWindow
from app.ui.plain import plain_label, plain_tooltip
from tests.ui import app_state, make_event, themed

EVIL = "<img width=3000 height=2000 src=x><b>Owl</b>"


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


def shown_as(tip: str) -> str:
    """What a tooltip shows: Qt renders it as rich text when it might be rich text."""
    if not QtGui_Qt.mightBeRichText(tip):  # (PySide6 has it on QtGui's Qt namespace)
        return tip
    document = QTextDocument()
    document.setHtml(tip)
    return document.toPlainText()


def tooltips(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, tooltip) for every widget under `root` and every row of every item view."""
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.toolTip():
            yield widget.objectName() or type(widget).__name__, widget.toolTip()
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model: QAbstractItemModel = widget.model()
            for row in range(model.rowCount(QModelIndex())):
                tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
                if tip:
                    yield f"{type(widget).__name__} row {row}", str(tip)


def populate(window: MainWindow, state: AppState, qtbot: QtBot) -> None:
    reason = f"Kick's chat server closed the connection {EVIL}"
    state.set_status(
        Status(
            S.RECONNECTING,
            slug="nightowlgg",
            display_name=EVIL,
            reason=reason,
            detail=EVIL,
            attempt=2,
            retry_at=None,
        )
    )
    events = [
        make_event(EventType.CHAT, EVIL, message=EVIL),
        make_event(EventType.CHAT, EVIL, message=EVIL, timestamp="not a time"),  # no local time
        make_event(EventType.HOST, EVIL, hostUsername=EVIL, viewers=3, message=EVIL),
    ]
    window.add_events(events)
    for key in (Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_1):  # every page built
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    state.set_status(
        Status(S.LIVE, slug="nightowlgg", display_name=EVIL, is_live=True, event_count=3)
    )
    window.add_events(events[:1])


def test_every_tooltip_and_label_shows_network_text_literally(
    window: MainWindow, state: AppState, qtbot: QtBot
) -> None:
    populate(window, state, qtbot)
    seen_tips = 0
    for where, tip in tooltips(window):
        if "Owl" in tip:
            seen_tips += 1
            assert "<img" in shown_as(tip), f"{where}: {tip!r} renders as rich text"
    assert seen_tips >= 2  # the Connect button's "Stop watching ..." and feed rows
    labels = [label for label in window.findChildren(QLabel) if "Owl" in label.text()]
    assert labels  # the card's channel name, the reason, ...
    for label in labels:
        assert label.textFormat() is Qt.TextFormat.PlainText, label.objectName()


def test_the_helpers_own_the_rule(qapp: QApplication) -> None:
    assert shown_as(plain_tooltip(EVIL)) == EVIL
    assert shown_as(plain_tooltip("a\nb")) == "a\nb"
    assert plain_tooltip("") == ""
    label = plain_label("x", EVIL)
    assert label.textFormat() is Qt.TextFormat.PlainText and label.text() == EVIL


def test_plain_text_labels_have_one_home() -> None:
    # Every label that may show network or OS text comes from app/ui/plain.py: a copy of the
    # rule elsewhere could drift from it.
    ui = Path(__file__).resolve().parents[2] / "app" / "ui"
    elsewhere = [
        path.name
        for path in ui.glob("*.py")
        if path.name != "plain.py" and "setTextFormat" in path.read_text(encoding="utf-8")
    ]
    assert elsewhere == []
