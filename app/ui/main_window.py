"""The main window: a sidebar (Dashboard, Sources, Settings) and the page it selects.

Pages are built the first time they are shown or asked for (`status_card` and `feed` build the
Dashboard, `sources` and `settings_page` their pages). At launch the window's frame is painted
before any page (start-up time): building a page loads Qt's `Qt` namespace, whose ~110 Python
enums alone cost 20-45 ms, and the page's own widgets.

The composition root talks to the window, not to the pages: the pages' requests come out of the
window's own signals, and what the window is told (status, event count, username, auto-connect)
is remembered and given to a page when it is built, so every page is current the first time it
is opened.
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
    from app.core.state import Status
    from app.ui.feed_view import EventFeedView
    from app.ui.settings_page import SettingsPage
    from app.ui.sources_panel import SourcesPanel
    from app.ui.status_card import KickStatusCard

PAGES = ("Dashboard", "Sources", "Settings")


class MainWindow(QWidget):
    """A plain top-level widget: no menus, toolbars or docks, so no QMainWindow (whose layout
    machinery starts an animation timer before the first paint)."""

    closeRequested = Signal()  # the app disconnects first, then calls `close_now()`
    # What the pages ask for (forwarded once a page is built).
    connectRequested = Signal(str, object, object)  # slug, chatroom id | None, channel id | None
    disconnectRequested = Signal()
    autoConnectChanged = Signal(bool)
    providerChanged = Signal(str)  # the realtime provider setting: auto, pusher, centrifugo
    retryRequested = Signal()
    cardConnectRequested = Signal(str)  # the Dashboard card's Connect: the channel it shows
    relayPortChanged = Signal(int)  # Settings > Overlays: serve on this port from now on
    relayTokenRenewRequested = Signal()
    relayLanChanged = Signal(bool)
    testEventRequested = Signal(str)  # a test event of this StreamEvent type

    def __init__(
        self,
        log_folder: Path,
        parent: QWidget | None = None,
        *,
        page: int = 0,
        defer_page: bool = False,
    ) -> None:
        """`page`: the page to open on. `defer_page`: build only the frame (the sidebar, with
        `page` selected, and an empty page area) and leave the page to `show_page`:
        `application.main` paints the frame first."""
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
        # What the lazily built pages show when they are built.
        self._status: Status | None = None
        self._event_count: int | None = None  # set apart from the status between batches
        self._username = ""
        self._auto_connect = True
        self._provider = "auto"
        self._relay_info: tuple[dict[str, str], int, str, str] | None = None
        self._relay_lan = False

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
        if self._status is not None:
            card.set_status(self._status)
        else:  # at launch the page is painted before the service exists
            card.show_saved_channel(self._username)
        if self._event_count is not None:
            card.set_event_count(self._event_count)
        card.retryRequested.connect(self.retryRequested)
        card.connectRequested.connect(self.cardConnectRequested)
        card.testEventRequested.connect(self.testEventRequested)
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
            page.set_username(self._username)
            if not self._username:  # no channel yet (first launch): the form is what is needed
                page.kick_card.set_expanded(True)
            if self._status is not None:
                page.set_status(self._status)
            page.connectRequested.connect(self.connectRequested)
            page.disconnectRequested.connect(self.disconnectRequested)
            self._sources = page
            self._add_page(1, page)
        return self._sources

    @property
    def settings_page(self) -> SettingsPage:
        """The Settings page (built on first use)."""
        if self._settings_page is None:
            from app.ui.settings_page import SettingsPage

            page = SettingsPage(self._log_folder)
            page.set_auto_connect(self._auto_connect)
            page.autoConnectChanged.connect(self._on_auto_connect_changed)
            page.set_provider(self._provider)
            page.providerChanged.connect(self._on_provider_changed)
            if self._relay_info is not None:
                page.set_relay_info(*self._relay_info)
            page.relayPortChanged.connect(self.relayPortChanged)
            page.relayTokenRenewRequested.connect(self.relayTokenRenewRequested)
            page.set_relay_lan(self._relay_lan)
            page.relayLanChanged.connect(self._on_relay_lan_changed)
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

    # -- what the app tells the pages ----------------------------------------------------------

    def set_status(self, status: Status) -> None:
        """The connection status, for the dashboard card and the Sources page."""
        self._status = status
        self._event_count = status.event_count
        if self._status_card is not None:
            self._status_card.set_status(status)
        if self._sources is not None:
            self._sources.set_status(status)

    def set_event_count(self, n: int) -> None:
        """Events since the connection was established (the card's count)."""
        self._event_count = n
        if self._status_card is not None:
            self._status_card.set_event_count(n)
        if self._sources is not None:
            self._sources.set_event_count(n)  # for "last event N s ago"

    def add_events(self, events: Sequence[StreamEvent]) -> None:
        """New events for the feed (the Dashboard is built for them if it was not yet)."""
        self.feed.add_events(events)

    def set_username(self, text: str) -> None:
        self._username = text
        if self._sources is not None:
            self._sources.set_username(text)

    def set_auto_connect(self, enabled: bool) -> None:
        self._auto_connect = enabled
        if self._settings_page is not None:
            self._settings_page.set_auto_connect(enabled)

    def set_relay_lan(self, enabled: bool) -> None:
        self._relay_lan = enabled
        if self._settings_page is not None:
            self._settings_page.set_relay_lan(enabled)

    def _on_relay_lan_changed(self, enabled: bool) -> None:
        self._relay_lan = enabled
        self.relayLanChanged.emit(enabled)

    def set_relay_info(self, urls: dict[str, str], port: int, token: str, problem: str) -> None:
        """The event server: overlay name -> URL, its port and token, or why it is not serving
        (then `urls` is empty); for Settings > Overlays."""
        self._relay_info = (urls, port, token, problem)
        if self._settings_page is not None:
            self._settings_page.set_relay_info(urls, port, token, problem)

    def _on_auto_connect_changed(self, enabled: bool) -> None:
        self._auto_connect = enabled
        self.autoConnectChanged.emit(enabled)

    def set_provider(self, provider: str) -> None:
        self._provider = provider
        if self._settings_page is not None:
            self._settings_page.set_provider(provider)

    def _on_provider_changed(self, provider: str) -> None:
        self._provider = provider
        self.providerChanged.emit(provider)

    # -- notices -------------------------------------------------------------------------------

    def show_notice(self, text: str) -> None:
        """A banner above the pages for something the user should know once (settings that
        could not be read or saved); it stays until dismissed."""
        if self._notice is None or self._notice_text is None:
            from PySide6.QtCore import Qt  # not before the first paint (start-up time)

            notice = QFrame(self)
            notice.setObjectName("notice")
            notice.setAccessibleName("Notice")
            row = QHBoxLayout(notice)
            row.setContentsMargins(16, 10, 10, 10)
            label = QLabel(notice)
            label.setObjectName("noticeText")
            label.setTextFormat(Qt.TextFormat.PlainText)  # may quote paths and OS messages
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
