"""The main window: a sidebar (Dashboard, Sources, Settings) and the page it selects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME
from app.ui.event_feed import EventFeedView
from app.ui.settings_page import SettingsPage
from app.ui.sources_panel import SourcesPanel
from app.ui.status_card import KickStatusCard
from app.ui.theme import icon

PAGES = ("Dashboard", "Sources", "Settings")


class MainWindow(QMainWindow):
    closeRequested = Signal()  # the app disconnects first, then calls `close_now()`

    def __init__(self, log_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_NAME} for Kick")
        self.setWindowIcon(icon("vmsc.svg"))
        self.resize(1100, 720)
        self.setMinimumSize(760, 520)
        self._may_close = False

        self.status_card = KickStatusCard()
        self.feed = EventFeedView()
        self.sources = SourcesPanel()
        self.settings_page = SettingsPage(log_folder)

        dashboard = QWidget()
        dashboard.setObjectName("dashboardPage")
        title = QLabel("Dashboard", dashboard)
        title.setObjectName("pageTitle")
        dash_layout = QVBoxLayout(dashboard)
        dash_layout.setContentsMargins(28, 24, 28, 24)
        dash_layout.setSpacing(14)
        dash_layout.addWidget(title)
        top = QHBoxLayout()
        top.addWidget(self.status_card, 0)
        top.addStretch(1)
        dash_layout.addLayout(top)
        dash_layout.addWidget(self.feed, 1)

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        for page in (dashboard, self.sources, self.settings_page):
            self.pages.addWidget(page)

        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        side_layout = QVBoxLayout(sidebar)
        side_layout.setContentsMargins(12, 18, 12, 18)
        side_layout.setSpacing(4)
        brand = QLabel(APP_NAME, sidebar)
        brand.setObjectName("brand")
        side_layout.addWidget(brand)
        side_layout.addSpacing(14)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        for index, name in enumerate(PAGES):
            button = QPushButton(name, sidebar)
            button.setObjectName(f"nav{name}")
            button.setCheckable(True)
            button.setAccessibleName(f"{name} page")
            button.setToolTip(f"{name} (Ctrl+{index + 1})")
            self.nav.addButton(button, index)
            side_layout.addWidget(button)
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.show_page(i))
        side_layout.addStretch(1)
        self.nav.idClicked.connect(self.show_page)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.show_page(0)

    def show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        button = self.nav.button(index)
        button.setChecked(True)
        if index == 1:
            self.sources.setFocus(Qt.FocusReason.OtherFocusReason)

    def page_name(self) -> str:
        return PAGES[self.pages.currentIndex()]

    def geometry_text(self) -> str:
        return bytes(self.saveGeometry().toBase64().data()).decode("ascii")

    def restore_geometry_text(self, text: str | None) -> bool:
        if not text:
            return False
        return self.restoreGeometry(QByteArray.fromBase64(text.encode("ascii")))

    def close_now(self) -> None:
        self._may_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._may_close:
            event.accept()
            return
        event.ignore()  # disconnect cleanly first; the app closes us when that is done
        self.closeRequested.emit()
