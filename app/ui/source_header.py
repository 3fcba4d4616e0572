"""The always-visible row of a source card on the Sources page: the source's logo and name,
what it is connected to, its state, and a chevron; a click on it toggles the card."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.core.state import ConnectionState
from app.ui.plain import plain_label
from app.ui.pulse_dot import PulseDot
from app.ui.theme import icon


class SourceHeader(QFrame):
    """Children by objectName: kickLogo, kickSourceTitle, kickSourceSubtitle, stateIndicator,
    stateLabel, kickSourceChevron."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kickSourceHeader")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        logo = QLabel(self)
        logo.setObjectName("kickLogo")
        logo.setPixmap(icon("kick.svg").pixmap(QSize(32, 32)))
        logo.setFixedSize(32, 32)
        title = plain_label("kickSourceTitle", "Kick", self)
        self._subtitle = plain_label("kickSourceSubtitle", "", self)
        self._subtitle.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        titles = QVBoxLayout()
        titles.setSpacing(1)
        titles.addWidget(title)
        titles.addWidget(self._subtitle)
        self._indicator = PulseDot(self, diameter=8, halo=4)
        self._indicator.setObjectName("stateIndicator")
        self._state_label = plain_label("stateLabel", ConnectionState.DISCONNECTED.label, self)
        self._chevron = QLabel(self)
        self._chevron.setObjectName("kickSourceChevron")
        self._chevron.setFixedSize(16, 16)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 12, 14, 12)
        layout.setSpacing(12)
        layout.addWidget(logo)
        layout.addLayout(titles, 1)
        state_box = QHBoxLayout()
        state_box.setSpacing(4)
        state_box.addWidget(self._indicator)
        state_box.addWidget(self._state_label)
        layout.addLayout(state_box)
        layout.addSpacing(4)
        layout.addWidget(self._chevron)

    def show_state(self, label: str, *, pulsing: bool) -> None:
        self._state_label.setText(label)
        self._indicator.set_pulsing(pulsing)

    def show_subtitle(self, text: str) -> None:
        if self._subtitle.text() != text:
            self._subtitle.setText(text)

    def show_expanded(self, expanded: bool) -> None:
        chevron = "chevron-up.svg" if expanded else "chevron-down.svg"
        self._chevron.setPixmap(icon(chevron).pixmap(QSize(16, 16)))
        self.setToolTip(f"Click to {'collapse' if expanded else 'expand'}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() is Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)
