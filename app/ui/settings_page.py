"""Settings: auto-connect, the log folder, and About (the version the product docs point to)."""

from __future__ import annotations

import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, Signal, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QCheckBox, QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from app import APP_NAME, __version__


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


class SettingsPage(QWidget):
    autoConnectChanged = Signal(bool)

    def __init__(self, log_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPage")
        self._log_folder = log_folder

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

        about, about_layout = _section("About", self)
        version = QLabel(about_text(), about)
        version.setObjectName("aboutVersion")
        version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        about_layout.addWidget(version)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(connection)
        layout.addWidget(logs)
        layout.addWidget(about)
        layout.addStretch(1)

    def set_auto_connect(self, enabled: bool) -> None:
        self.auto_connect.blockSignals(True)
        self.auto_connect.setChecked(enabled)
        self.auto_connect.blockSignals(False)

    def open_log_folder(self) -> bool:
        self._log_folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_folder)))
