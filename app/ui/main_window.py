"""The main window: a sidebar (Dashboard, Sources, Settings) and the page it selects.

Pages are built the first time they are shown or asked for (`status_card` and `feed` build the
Dashboard, `sources` and `settings_page` their pages). At launch the window's frame is painted
before any page (start-up time): building a page loads Qt's `Qt` namespace, whose ~110 Python
enums alone cost 20-45 ms, and the page's own widgets.

Each page binds to the app's state (`AppState`) when it is built, so a page opened late is as
current as one opened first; the window keeps no copy of it. `pageBuilt` says when a page is
there, for the composition root (`app.application`) to connect its requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME
from app.ui.theme import icon

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.core.events import StreamEvent
    from app.services.app_state import AppState
    from app.ui.feed_view import EventFeedView
    from app.ui.settings_page import SettingsPage
    from app.ui.sources_panel import SourcesPanel
    from app.ui.status_card import KickStatusCard

PAGES = ("Dashboard", "Sources", "Settings")


class MainWindow(QWidget):
    """A plain top-level widget: no menus, toolbars or docks, so no QMainWindow (whose layout
    machinery starts an animation timer before the first paint)."""

    closeRequested = Signal()  # the app disconnects first, then calls `close_now()`
    pageBuilt = Signal(int)  # the page at this index now exists (built on first use)

    def __init__(
        self,
        log_folder: Path,
        state: AppState,
        parent: QWidget | None = None,
        *,
        page: int = 0,
        defer_page: bool = False,
    ) -> None:
        """`state`: what the pages show and change. `page`: the page to open on. `defer_page`:
        build only the frame (the sidebar, with `page` selected, and an empty page area) and
        leave the page to `show_page`: `application.main` paints the frame first."""
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_NAME} for Kick")
        self.setWindowIcon(icon("vmsc.svg"))
        self.resize(1100, 720)
        self.setMinimumSize(760, 520)
        self._may_close = False
        self._log_folder = log_folder
        self._sources: SourcesPanel | None = None
        self._settings_page: SettingsPage | None = None
        self._state = state
        self._status_card: KickStatusCard | None = None
        self._feed: EventFeedView | None = None

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        self._page_widgets: list[QWidget | None] = [None, None, None]

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
        # Quit from any page: the same clean close as the window's close button (disconnect
        # first). The platform's Quit keys (Cmd+Q on macOS), and Ctrl+Q wherever the platform
        # names none (Windows, and Linux without a desktop theme, e.g. offscreen).
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [
            QKeySequence("Ctrl+Q")
        ]
        for keys in quit_keys:
            QShortcut(keys, self).activated.connect(self.closeRequested)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(sidebar)
        self._main_column = QVBoxLayout()
        self._main_column.setContentsMargins(0, 0, 0, 0)
        self._main_column.setSpacing(0)
        self._main_column.addWidget(self.pages, 1)
        layout.addLayout(self._main_column, 1)
        self._notice: QFrame | None = None  # built when there is something to say
        self._notice_text: QLabel | None = None
        self._current = page
        if defer_page:
            self.nav.button(page).setChecked(True)
        else:
            self.show_page(page)

    # -- pages ---------------------------------------------------------------------------------

    @property
    def status_card(self) -> KickStatusCard:
        """The Dashboard's Kick card (the Dashboard is built on first use)."""
        if self._status_card is None:
            self._build_dashboard()
        assert self._status_card is not None
        return self._status_card

    @property
    def feed(self) -> EventFeedView:
        """The Dashboard's event feed (the Dashboard is built on first use)."""
        if self._feed is None:
            self._build_dashboard()
        assert self._feed is not None
        return self._feed

    def _build_dashboard(self) -> QWidget:
        from app.ui.feed_view import EventFeedView
        from app.ui.status_card import KickStatusCard

        card = KickStatusCard()
        card.bind(self._state)
        feed = EventFeedView()
        self._status_card, self._feed = card, feed
        dashboard = QWidget()
        dashboard.setObjectName("dashboardPage")
        title = QLabel("Dashboard", dashboard)
        title.setObjectName("pageTitle")
        dash_layout = QVBoxLayout(dashboard)
        dash_layout.setContentsMargins(28, 24, 28, 24)
        dash_layout.setSpacing(14)
        dash_layout.addWidget(title)
        top = QHBoxLayout()
        top.addWidget(card, 0)
        top.addStretch(1)
        dash_layout.addLayout(top)
        dash_layout.addWidget(feed, 1)
        self._add_page(0, dashboard)
        return dashboard

    @property
    def sources(self) -> SourcesPanel:
        """The Sources page (built on first use)."""
        if self._sources is None:
            from app.ui.sources_panel import SourcesPanel

            page = SourcesPanel()
            page.bind(self._state)
            self._sources = page
            self._add_page(1, page)
        return self._sources

    @property
    def settings_page(self) -> SettingsPage:
        """The Settings page (built on first use)."""
        if self._settings_page is None:
            from app.ui.settings_page import SettingsPage

            page = SettingsPage(self._log_folder)
            page.bind(self._state)
            self._settings_page = page
            self._add_page(2, page)
        return self._settings_page

    def is_page_built(self, index: int) -> bool:
        return self._page_widgets[index] is not None

    def _add_page(self, index: int, page: QWidget) -> None:
        self._page_widgets[index] = page
        # the stack holds the built pages in page order
        position = sum(1 for built in self._page_widgets[:index] if built is not None)
        self.pages.insertWidget(position, page)
        self.pageBuilt.emit(index)

    def _page(self, index: int) -> QWidget:
        if index == 1:
            return self.sources
        if index == 2:
            return self.settings_page
        return self._page_widgets[0] or self._build_dashboard()

    def show_page(self, index: int) -> None:
        page = self._page(index)
        self._current = index
        self.pages.setCurrentWidget(page)
        button = self.nav.button(index)
        button.setChecked(True)
        if index == 1:
            self.sources.kick_card.focus_entry()

    def page_name(self) -> str:
        return PAGES[self._current]

    # -- what the app gives the pages ---------------------------------------------------------

    def add_events(self, events: Sequence[StreamEvent]) -> None:
        """New events for the feed (the Dashboard is built for them if it was not yet)."""
        self.feed.add_events(events)

    # -- notices -------------------------------------------------------------------------------

    def show_notice(self, text: str) -> None:
        """A banner above the pages for something the user should know once (settings that
        could not be read or saved); it stays until dismissed."""
        if self._notice is None or self._notice_text is None:
            # not before the first paint (start-up time): both load Qt's `Qt` namespace
            from PySide6.QtCore import Qt

            from app.ui.plain import plain_label

            notice = QFrame(self)
            notice.setObjectName("notice")
            notice.setAccessibleName("Notice")
            row = QHBoxLayout(notice)
            row.setContentsMargins(16, 10, 10, 10)
            label = plain_label("noticeText", "", notice)  # may quote paths and OS messages
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            dismiss = QPushButton("Dismiss", notice)
            dismiss.setObjectName("noticeDismiss")
            dismiss.clicked.connect(notice.hide)
            row.addWidget(label, 1)
            row.addWidget(dismiss, 0)
            self._main_column.insertWidget(0, notice)
            self._notice, self._notice_text = notice, label
        self._notice_text.setText(text)
        self._notice.show()

    def notice_text(self) -> str:
        """The banner's text while it is shown, else ""."""
        if self._notice is None or self._notice_text is None or self._notice.isHidden():
            return ""
        return self._notice_text.text()

    # -- geometry and closing ------------------------------------------------------------------

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
