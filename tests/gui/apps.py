"""The desktop app as the GUI tests run it, on the test's qasync loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from PySide6.QtWidgets import QApplication

from app.application import VmscApp
from app.ui.theme import load_theme
from tests.ui import delete_closed_widgets


@asynccontextmanager
async def running_app() -> AsyncIterator[VmscApp]:
    """A VmscApp with the app's theme (earlier tests' widgets deleted first, before the style
    walks every widget); afterwards closed as the user closes it, and its window deleted:
    closing only hides it, and the next style change would walk it. Not qtbot.addWidget:
    pytest-qt would close it outside the loop."""
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    delete_closed_widgets()
    load_theme(qapp)
    app = VmscApp()
    try:
        yield app
    finally:
        app.request_close()
        await app.closed
        app.window.deleteLater()
