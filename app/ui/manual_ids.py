"""The Kick source card's Advanced section: a channel's two ids typed by hand, for when Kick's
channel lookup is blocked (Cloudflare). Both or neither; digits only."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, QSize, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFrame, QGridLayout, QLineEdit, QToolButton, QVBoxLayout, QWidget

from app.ui.plain import plain_label
from app.ui.theme import icon, repolish

_ID_MAX_DIGITS = 18
_ADVANCED_NOTE = (
    "Used when Kick's channel lookup is blocked (Cloudflare). Enter both ids, or leave both "
    "empty to look them up."
)


def parse_manual_ids(chatroom: str, channel: str) -> tuple[int | None, int | None, str | None]:
    """(chatroom id, channel id, error): both ids or neither; digits only."""
    chatroom, channel = chatroom.strip(), channel.strip()
    if not chatroom and not channel:
        return None, None, None
    if not chatroom or not channel:
        missing = "chatroom id" if not chatroom else "channel id"
        return None, None, f"Enter the {missing} too, or leave both empty."
    if not (chatroom.isascii() and chatroom.isdigit() and channel.isascii() and channel.isdigit()):
        return None, None, "Ids are whole numbers (digits only)."
    return int(chatroom), int(channel), None


def set_invalid(field: QLineEdit, invalid: bool) -> None:
    """Mark a field as holding what cannot be used (the QSS draws it)."""
    if bool(field.property("invalid")) != invalid:
        field.setProperty("invalid", invalid)
        repolish(field)


class ManualIdsSection(QFrame):
    """The chatroom and channel id fields, with the problem in what is typed under them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kickAdvancedSection")
        note = plain_label("fieldHint", _ADVANCED_NOTE, self)
        note.setWordWrap(True)
        digits = QRegularExpression(rf"\d{{0,{_ID_MAX_DIGITS}}}")
        self.chatroom_id = QLineEdit(self)
        self.chatroom_id.setObjectName("kickChatroomIdInput")
        self.chatroom_id.setPlaceholderText("e.g. 668")
        self.chatroom_id.setAccessibleName("Chatroom id")
        self.chatroom_id.setValidator(QRegularExpressionValidator(digits, self.chatroom_id))
        self.channel_id = QLineEdit(self)
        self.channel_id.setObjectName("kickChannelIdInput")
        self.channel_id.setPlaceholderText("e.g. 668")
        self.channel_id.setAccessibleName("Channel id")
        self.channel_id.setValidator(QRegularExpressionValidator(digits, self.channel_id))
        chatroom_label = plain_label("fieldLabel", "Chatroom id", self)
        chatroom_label.setBuddy(self.chatroom_id)
        channel_label = plain_label("fieldLabel", "Channel id", self)
        channel_label.setBuddy(self.channel_id)
        self._error = plain_label("kickIdsError", "", self)
        self._error.setWordWrap(True)
        self._error.hide()
        ids = QGridLayout()
        ids.setHorizontalSpacing(12)
        ids.setVerticalSpacing(4)
        ids.addWidget(chatroom_label, 0, 0)
        ids.addWidget(channel_label, 0, 1)
        ids.addWidget(self.chatroom_id, 1, 0)
        ids.addWidget(self.channel_id, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(8)
        layout.addWidget(note)
        layout.addLayout(ids)
        layout.addWidget(self._error)

    def make_toggle(self, parent: QWidget) -> QToolButton:
        """The "Advanced" button that shows and hides this section (hidden to begin with)."""
        toggle = QToolButton(parent)
        toggle.setObjectName("kickAdvancedToggle")
        toggle.setText("Advanced")
        toggle.setCheckable(True)
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.setIcon(icon("chevron-right.svg"))
        toggle.setIconSize(QSize(14, 14))
        toggle.setAccessibleName("Advanced: channel ids")
        toggle.setCursor(Qt.CursorShape.PointingHandCursor)

        def show(checked: bool) -> None:
            self.setVisible(checked)
            toggle.setIcon(icon("chevron-down.svg" if checked else "chevron-right.svg"))

        toggle.toggled.connect(show)
        return toggle

    def set_ids(self, chatroom: int | str | None, channel: int | str | None) -> None:
        self.chatroom_id.setText("" if chatroom is None else str(chatroom))
        self.channel_id.setText("" if channel is None else str(channel))

    def parsed(self) -> tuple[int | None, int | None, str | None]:
        """(chatroom id, channel id, error) for what is typed (see `parse_manual_ids`)."""
        return parse_manual_ids(self.chatroom_id.text(), self.channel_id.text())

    def revalidate(self) -> str | None:
        """Show what is wrong with what is typed (the blank field of a pair is marked); return
        it, or None."""
        _, _, error = self.parsed()
        self._error.setText(error or "")
        self._error.setVisible(error is not None)
        set_invalid(self.chatroom_id, error is not None and not self.chatroom_id.text().strip())
        set_invalid(self.channel_id, error is not None and not self.channel_id.text().strip())
        return error
