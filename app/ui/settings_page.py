"""Settings: auto-connect, the overlays (event server), the log folder, and About (the version
the product docs point to)."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import Qt, QUrl, Signal, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME, __version__
from app.ui.plain import plain_label

if TYPE_CHECKING:
    from app.services.app_state import AppState, RelayInfo


def about_text() -> str:
    return (
        f"{APP_NAME} for Kick {__version__}\n"
        f"Qt {qVersion()} · PySide6 {PySide6.__version__} · Python {platform.python_version()}"
    )


def _section(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    box = QFrame(parent)
    box.setObjectName("settingsSection")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(18, 14, 18, 16)
    layout.setSpacing(8)
    heading = QLabel(title, box)
    heading.setObjectName("sectionTitle")
    layout.addWidget(heading)
    return box, layout


# (setting value, what the user reads): Kick's realtime provider (issue 14)
PROVIDER_CHOICES = (("auto", "Automatic"), ("pusher", "Pusher"), ("centrifugo", "Centrifugo"))


OVERLAY_NAMES = {"chat": "Chat overlay", "alerts": "Alerts overlay"}


class SettingsPage(QWidget):
    autoConnectChanged = Signal(bool)
    relayPortChanged = Signal(int)  # Overlays: serve on this port from now on
    relayTokenRenewRequested = Signal()
    relayLanChanged = Signal(bool)  # Overlays: serve other computers on this network too
    providerChanged = Signal(str)  # "auto", "pusher" or "centrifugo"

    def __init__(
        self,
        log_folder: Path,
        parent: QWidget | None = None,
        *,
        session_folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPage")
        self._log_folder = log_folder
        if session_folder is None:
            from app.session_log import session_dir

            session_folder = session_dir()
        self._session_folder = session_folder

        title = QLabel("Settings", self)
        title.setObjectName("pageTitle")

        connection, connection_layout = _section("Connection", self)
        self.auto_connect = QCheckBox("Connect to the remembered channel when the app starts")
        self.auto_connect.setObjectName("autoConnectSwitch")
        self.auto_connect.setAccessibleName("Auto-connect on launch")
        self.auto_connect.toggled.connect(self.autoConnectChanged)
        connection_layout.addWidget(self.auto_connect)
        hint = QLabel(
            "When off, the Dashboard shows the remembered channel with a Connect button.",
            connection,
        )
        hint.setObjectName("settingHint")
        hint.setWordWrap(True)
        hint.setContentsMargins(34, 0, 0, 0)  # under the check box's text, past its box
        connection_layout.addWidget(hint)

        provider_row = QHBoxLayout()
        provider_label = QLabel("Realtime provider:", connection)
        self.provider = QComboBox(connection)
        self.provider.setObjectName("realtimeProvider")
        self.provider.setAccessibleName("Realtime provider")
        for value, text in PROVIDER_CHOICES:
            self.provider.addItem(text, value)
        provider_label.setBuddy(self.provider)
        self.provider.currentIndexChanged.connect(
            lambda index: self.providerChanged.emit(self.provider.itemData(index))
        )
        provider_row.addWidget(provider_label)
        provider_row.addWidget(self.provider)
        provider_row.addStretch(1)
        connection_layout.addLayout(provider_row)
        provider_hint = QLabel(
            "Automatic uses what Kick offers (Centrifugo or Pusher). Takes effect on the next "
            "connection attempt.",
            connection,
        )
        provider_hint.setObjectName("settingHint")
        provider_hint.setWordWrap(True)
        connection_layout.addWidget(provider_hint)

        overlays = self._build_overlays_section()

        logs, logs_layout = _section("Logs", self)
        path = QLabel(str(log_folder), logs)
        path.setObjectName("logFolderPath")
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        path.setWordWrap(True)
        open_logs = QPushButton("Open log folder", logs)
        open_logs.setObjectName("openLogFolderButton")
        open_logs.setAccessibleName("Open log folder")
        open_logs.clicked.connect(self.open_log_folder)
        logs_layout.addWidget(path)
        logs_layout.addWidget(open_logs, 0, Qt.AlignmentFlag.AlignLeft)
        # every event of every connection, one JSON-lines file each (`replay` plays them back)
        open_sessions = QPushButton("Open session log folder", logs)
        open_sessions.setObjectName("openSessionLogFolderButton")
        open_sessions.setAccessibleName("Open session log folder")
        open_sessions.setToolTip(str(session_folder))
        open_sessions.clicked.connect(self.open_session_log_folder)
        logs_layout.addWidget(open_sessions, 0, Qt.AlignmentFlag.AlignLeft)

        about, about_layout = _section("About", self)
        version = QLabel(about_text(), about)
        version.setObjectName("aboutVersion")
        version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about_layout.addWidget(version)

        # The sections scroll: at the window's smallest height they do not all fit, and a layout
        # that must fit squeezes every row (text cut through, buttons flattened).
        content = QWidget()
        content.setObjectName("settingsContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(14)
        for part in (title, connection, overlays, logs, about):
            part.setParent(content)
            layout.addWidget(part)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("settingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _build_overlays_section(self) -> QFrame:
        from PySide6.QtWidgets import QGridLayout, QLineEdit, QSpinBox

        overlays, layout = _section("Overlays", self)
        # may quote an OS message about the port
        self.relay_state = plain_label("settingHint", "Starting the event server…", overlays)
        self.relay_state.setWordWrap(True)
        layout.addWidget(self.relay_state)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.overlay_urls: dict[str, QLineEdit] = {}
        for row, (name, title) in enumerate(OVERLAY_NAMES.items()):
            url = QLineEdit(overlays)
            url.setObjectName(f"overlayUrl_{name}")
            url.setReadOnly(True)
            url.setAccessibleName(f"{title} URL")
            copy = QPushButton("Copy", overlays)
            copy.setObjectName(f"copyOverlayUrl_{name}")
            copy.setAccessibleName(f"Copy the {title.lower()} URL")
            copy.clicked.connect(lambda _=False, field=url: self.copy_text(field.text()))
            grid.addWidget(QLabel(title, overlays), row, 0)
            grid.addWidget(url, row, 1)
            grid.addWidget(copy, row, 2)
            self.overlay_urls[name] = url
        row = len(OVERLAY_NAMES)
        self.relay_port = QSpinBox(overlays)
        self.relay_port.setObjectName("relayPort")
        self.relay_port.setRange(1024, 65535)
        self.relay_port.setAccessibleName("Event server port")
        apply_port = QPushButton("Use this port", overlays)
        apply_port.setObjectName("applyRelayPort")
        apply_port.clicked.connect(lambda: self.relayPortChanged.emit(self.relay_port.value()))
        grid.addWidget(QLabel("Port", overlays), row, 0)
        grid.addWidget(self.relay_port, row, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(apply_port, row, 2)
        self.relay_token = QLineEdit(overlays)
        self.relay_token.setObjectName("relayToken")
        self.relay_token.setReadOnly(True)
        self.relay_token.setAccessibleName("Event server token")
        renew = QPushButton("Renew", overlays)
        renew.setObjectName("renewRelayToken")
        renew.setAccessibleName("Renew the event server token")
        renew.clicked.connect(self.relayTokenRenewRequested)
        grid.addWidget(QLabel("Token", overlays), row + 1, 0)
        grid.addWidget(self.relay_token, row + 1, 1)
        grid.addWidget(renew, row + 1, 2)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        hint = QLabel(
            "Paste an overlay URL into an OBS Browser source. Test events "
            "(POST /api/test-event) need the token.",
            overlays,
        )
        hint.setObjectName("settingHint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.relay_lan = QCheckBox(
            "Let other computers on this network use the overlays (OBS on a second PC)", overlays
        )
        self.relay_lan.setObjectName("relayLanSwitch")
        self.relay_lan.toggled.connect(self.relayLanChanged)
        layout.addWidget(self.relay_lan)
        lan_hint = QLabel(
            "Then every overlay URL carries the token, and anything on your network that has "
            "the token can read your chat: renew it if it leaks.",
            overlays,
        )
        lan_hint.setObjectName("settingHint")
        lan_hint.setWordWrap(True)
        layout.addWidget(lan_hint)
        return overlays

    def bind(self, state: AppState) -> None:
        """Show the app's settings and the event server from now on, and change the settings as
        the user does (the state saves them)."""
        self.set_auto_connect(state.auto_connect)
        self.set_provider(state.provider)
        self.set_relay_lan(state.relay_lan)
        if state.relay is not None:
            self.set_relay_info(*state.relay)
        state.autoConnectChanged.connect(self.set_auto_connect)
        state.providerChanged.connect(self.set_provider)
        state.relayLanChanged.connect(self.set_relay_lan)
        state.relayChanged.connect(self._show_relay)
        self.autoConnectChanged.connect(state.set_auto_connect)
        self.providerChanged.connect(state.set_provider)
        self.relayLanChanged.connect(state.set_relay_lan)

    def _show_relay(self, relay: RelayInfo) -> None:
        self.set_relay_info(*relay)

    def set_relay_lan(self, enabled: bool) -> None:
        self.relay_lan.blockSignals(True)
        self.relay_lan.setChecked(enabled)
        self.relay_lan.blockSignals(False)

    def set_relay_info(self, urls: dict[str, str], port: int, token: str, problem: str) -> None:
        """What the event server serves (overlay name -> URL), its port and token; or, with no
        URLs, the plain reason it is not serving."""
        for name, field in self.overlay_urls.items():
            field.setText(urls.get(name, ""))
        self.relay_port.setValue(max(self.relay_port.minimum(), port))
        self.relay_token.setText(token)
        if problem:
            self.relay_state.setText(problem)
        elif urls:
            base = next(iter(urls.values())).split("/overlay/")[0]
            self.relay_state.setText(f"Serving overlays at {base}/ (port {port}).")

    def copy_text(self, text: str) -> None:
        from PySide6.QtGui import QGuiApplication

        if text:
            QGuiApplication.clipboard().setText(text)

    def set_auto_connect(self, enabled: bool) -> None:
        self.auto_connect.blockSignals(True)
        self.auto_connect.setChecked(enabled)
        self.auto_connect.blockSignals(False)

    def set_provider(self, provider: str) -> None:
        index = self.provider.findData(provider)
        self.provider.blockSignals(True)
        self.provider.setCurrentIndex(max(0, index))  # an unknown value shows as Automatic
        self.provider.blockSignals(False)

    def open_log_folder(self) -> bool:
        self._log_folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_folder)))

    def open_session_log_folder(self) -> bool:
        self._session_folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._session_folder)))
