"""The Sources page: a title and one card per source (Kick today, `KickSourceCard`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.ui.kick_source_card import KickSourceCard
from app.ui.plain import plain_label

if TYPE_CHECKING:
    from app.core.state import Status
    from app.services.app_state import AppState


class SourcesPanel(QWidget):
    """The Sources page: a title and one card per source (Kick today)."""

    connectRequested = Signal(str, object, object)  # slug, chatroom id | None, channel id | None
    disconnectRequested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesPanel")
        title = plain_label("pageTitle", "Sources", self)
        subtitle = plain_label(
            "pageSubtitle", "Choose the channel VMSC listens to. It reconnects on its own.", self
        )
        subtitle.setWordWrap(True)
        self.kick_card = KickSourceCard(self, clock=clock)
        self.setFocusProxy(self.kick_card)
        self.kick_card.connectRequested.connect(self.connectRequested)
        self.kick_card.disconnectRequested.connect(self.disconnectRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(16)
        layout.addWidget(self.kick_card)
        layout.addStretch(1)

    def bind(self, state: AppState) -> None:
        """Show the app's state from now on: the saved channel in the form (with no channel
        yet, first launch, the form is open: it is what is needed), the status and each change.
        The event count is not given now, only as it changes: it dates the last event."""
        self.set_username(state.channel)
        if not state.channel:
            self.kick_card.set_expanded(True)
        self.set_status(state.status)
        state.statusChanged.connect(self.set_status)
        state.countChanged.connect(self.set_event_count)

    def set_status(self, status: Status) -> None:
        self.kick_card.set_status(status)

    def set_event_count(self, n: int) -> None:
        self.kick_card.set_event_count(n)

    def set_username(self, text: str) -> None:
        self.kick_card.set_username(text)

    def set_manual_ids(self, chatroom: int | str | None, channel: int | str | None) -> None:
        self.kick_card.set_manual_ids(chatroom, channel)
