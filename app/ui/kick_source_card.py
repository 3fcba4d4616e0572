"""The Sources page's Kick card: where a streamer types the Kick username and connects.

A pure view (design rule 5): it validates what is typed as it is typed, shows the connection
state it is given, and asks for things with `connectRequested(slug, chatroom_id, channel_id)` and
`disconnectRequested()`. The state colours come from the QSS through the card's `state` property.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.state import ConnectionState, Status
from app.kick.slug import InvalidSlugError, canonical_slug, validate_slug
from app.ui.manual_ids import ManualIdsSection, set_invalid
from app.ui.plain import details_label, plain_label, plain_tooltip
from app.ui.source_header import SourceHeader
from app.ui.status_text import (
    PULSING_STATES,
    describe_connection,
    describe_problem,
    needs_countdown,
)
from app.ui.theme import repolish

# While the supervisor holds (or is after) a connection the button offers to end it.
_ACTIVE_STATES = frozenset(ConnectionState) - {ConnectionState.DISCONNECTED, ConnectionState.ERROR}
_ANONYMOUS_NOTE = (
    "VMSC watches Kick anonymously, without your Kick login. Chat, subs, gifts, bans and the "
    "live status come through; named follows may not appear without a Kick login."
)


def slug_error(text: str) -> str | None:
    """Why `text` cannot be a Kick username, or None when it can (see `validate_slug`)."""
    try:
        validate_slug(text)
    except InvalidSlugError as exc:
        return str(exc)
    return None


class KickSourceCard(QFrame):
    """The Kick source: a header (name, channel, state) that expands into the form."""

    connectRequested = Signal(str, object, object)  # slug, chatroom id | None, channel id | None
    disconnectRequested = Signal()
    expandedChanged = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._status = Status()
        self._clock = clock
        self._expanded = False
        self._last_event_seen: float | None = None  # clock() time a batch last raised the count
        self._shown_count = 0
        # Redraws the reconnect countdown, and the last event's age, once a second.
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._render_problem)
        self._timer.timeout.connect(self._render_subtitle)
        self.setObjectName("kickSourceCard")
        self.setProperty("state", ConnectionState.DISCONNECTED.value)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Kick source")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        header = SourceHeader(self)
        header.clicked.connect(self.toggle)
        self._header = header

        # -- body ------------------------------------------------------------------------------
        body = QFrame(self)
        body.setObjectName("kickSourceBody")
        self._body = body

        username_label = plain_label("fieldLabel", "Kick username", body)
        self._username = QLineEdit(body)
        self._username.setObjectName("kickUsernameInput")
        self._username.setPlaceholderText("Kick username")
        self._username.setAccessibleName("Kick username")
        self._username.setAccessibleDescription(
            "The channel to watch: letters, digits, underscore and hyphen, up to 25 characters"
        )
        self._username.setMaxLength(64)  # long enough to say why it is too long
        self._username.setClearButtonEnabled(True)
        for clear in self._username.findChildren(QToolButton):
            clear.setAccessibleName("Clear the username")
        self._username.textChanged.connect(self._revalidate)
        self._username.returnPressed.connect(self._on_return)
        username_label.setBuddy(self._username)

        self._button = QPushButton("Connect", body)
        self._button.setObjectName("kickConnectButton")
        self._button.setAccessibleName("Connect")
        self._button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._button.setMinimumWidth(118)
        self._button.setAutoDefault(False)
        self._button.clicked.connect(self._on_button)

        self._username_error = plain_label("kickUsernameError", "", body)
        self._username_error.setWordWrap(True)
        self._username_error.setAccessibleName("Username problem")
        self._username_error.hide()

        # Why we are not connected: attempt and countdown, the plain reason; its technical
        # detail in a smaller line below.
        self._detail = plain_label("kickSourceDetail", "", body)
        self._detail.setWordWrap(True)
        self._detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._detail.hide()
        self._reason_detail = details_label("kickSourceReasonDetail", body)
        self._reason_detail.setContentsMargins(13, 0, 0, 8)  # under the box's text, then a gap

        note = plain_label("kickAnonymousNote", _ANONYMOUS_NOTE, body)
        note.setWordWrap(True)
        note.setAccessibleName("About anonymous mode")

        self._advanced = ManualIdsSection(body)
        for field in (self._advanced.chatroom_id, self._advanced.channel_id):
            field.textChanged.connect(self._revalidate)
            field.returnPressed.connect(self._on_return)
        self._advanced.hide()
        self._advanced_toggle = self._advanced.make_toggle(body)

        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(self._username, 1)
        row.addWidget(self._button)
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(16, 14, 16, 16)
        body_layout.setSpacing(6)
        body_layout.addWidget(self._detail)
        body_layout.addWidget(self._reason_detail)
        body_layout.addWidget(username_label)
        body_layout.addLayout(row)
        body_layout.addWidget(self._username_error)
        body_layout.addSpacing(6)
        body_layout.addWidget(note)
        body_layout.addSpacing(2)
        body_layout.addWidget(self._advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        body_layout.addWidget(self._advanced)
        body.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(body)

        QWidget.setTabOrder(self, self._username)
        QWidget.setTabOrder(self._username, self._button)
        QWidget.setTabOrder(self._button, self._advanced_toggle)
        QWidget.setTabOrder(self._advanced_toggle, self._advanced.chatroom_id)
        QWidget.setTabOrder(self._advanced.chatroom_id, self._advanced.channel_id)

        self._render_status()
        self._revalidate()
        self._render_expanded()

    # -- expanding -----------------------------------------------------------------------------

    def is_expanded(self) -> bool:
        return self._expanded

    def set_expanded(self, expanded: bool) -> None:
        if expanded == self._expanded:
            return
        self._expanded = expanded
        self._render_expanded()
        self.expandedChanged.emit(expanded)

    def toggle(self) -> None:
        self.set_expanded(not self._expanded)

    def _render_expanded(self) -> None:
        self._body.setVisible(self._expanded)
        self._header.show_expanded(self._expanded)
        verb = "collapse" if self._expanded else "expand"
        self.setAccessibleDescription(
            f"{self._status.state.label}. Press Enter or Space to {verb}."
        )

    def focus_entry(self) -> None:
        """Focus what the user types into: the username field when the form is open."""
        if self._expanded:
            self._username.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keys ignored by a child (QLineEdit ignores Return) bubble up here: only keys aimed at
        # the card itself toggle it.
        if self.hasFocus() and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Space,
        ):
            self.toggle()
            if self._expanded:
                self.focus_entry()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        keyboard = event.reason() in (
            Qt.FocusReason.TabFocusReason,
            Qt.FocusReason.BacktabFocusReason,
            Qt.FocusReason.ShortcutFocusReason,
        )
        self._set_keyboard_focus(keyboard)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._set_keyboard_focus(False)

    def _set_keyboard_focus(self, on: bool) -> None:
        """Like CSS :focus-visible: the ring shows when Tab brought focus here."""
        if bool(self.property("keyboardFocus")) != on:
            self.setProperty("keyboardFocus", on)
            style = self.style()
            style.unpolish(self)
            style.polish(self)
            self.update()

    # -- what the user typed -------------------------------------------------------------------

    @property
    def username(self) -> str:
        return self._username.text()

    def set_username(self, text: str) -> None:
        self._username.setText(text)

    def set_manual_ids(self, chatroom: int | str | None, channel: int | str | None) -> None:
        self._advanced.set_ids(chatroom, channel)
        if chatroom is not None or channel is not None:
            self._advanced_toggle.setChecked(True)

    def manual_ids(self) -> tuple[int | None, int | None]:
        chatroom, channel, _ = self._advanced.parsed()
        return chatroom, channel

    def _revalidate(self) -> None:
        text = self._username.text()
        error = slug_error(text)
        shown = error if text.strip() else None  # an empty field is not an error, yet
        self._username_error.setText(shown or "")
        self._username_error.setVisible(shown is not None)
        set_invalid(self._username, shown is not None)
        ids_error = self._advanced.revalidate()
        if ids_error is not None and not self._advanced_toggle.isChecked():
            self._advanced_toggle.setChecked(True)
        self._render_button()

    def _request(self) -> tuple[str, int | None, int | None] | None:
        """What Connect would ask for, or None while the form is not valid."""
        try:
            slug = validate_slug(self._username.text())
        except InvalidSlugError:
            return None
        chatroom, channel, error = self._advanced.parsed()
        if error is not None:
            return None
        return slug, chatroom, channel

    # -- the button ----------------------------------------------------------------------------

    def _active(self) -> bool:
        return self._status.state in _ACTIVE_STATES

    def _render_button(self) -> None:
        active = self._active()
        text = "Disconnect" if active else "Connect"
        self._button.setText(text)
        self._button.setAccessibleName(text)
        variant = "secondary" if active else "primary"
        if self._button.property("variant") != variant:
            self._button.setProperty("variant", variant)
            repolish(self._button)
        if active:
            self._button.setEnabled(True)
            channel = self._status.channel or "the channel"
            self._button.setToolTip(plain_tooltip(f"Stop watching {channel}"))
        else:
            request = self._request()
            self._button.setEnabled(request is not None)
            self._button.setToolTip(
                plain_tooltip(f"Watch kick.com/{request[0]}")
                if request
                else "Enter a valid Kick username"
            )

    def _on_button(self) -> None:
        if self._active():
            self.disconnectRequested.emit()
        else:
            self._emit_connect()

    def _on_return(self) -> None:
        """Enter in a field = Connect; while connected to another channel it switches."""
        request = self._request()
        if request is None:
            return
        if self._active() and request[0] == canonical_slug(self._status.slug):
            return  # already watching (or reaching) that channel
        self._emit_connect()

    def _emit_connect(self) -> None:
        request = self._request()
        if request is not None:
            self.connectRequested.emit(*request)

    # -- what the service tells us -------------------------------------------------------------

    def set_status(self, status: Status) -> None:
        old = self._status.state
        if status.connected_at != self._status.connected_at:
            self._last_event_seen = None  # a new connection: its own last event
        if status.last_event_at is not None:
            self._last_event_seen = status.last_event_at
        self._status = status
        if status.state is not old or self.property("state") != status.state.value:
            self.setProperty("state", status.state.value)
            repolish(self)
        self._render_status()
        self._render_button()

    def _render_status(self) -> None:
        status = self._status
        state = status.state
        self._header.show_state(state.label, pulsing=state in PULSING_STATES)
        self._render_subtitle()
        ticking = needs_countdown(status) or state.is_connected
        if ticking and not self._timer.isActive():
            self._timer.start()
        elif not ticking and self._timer.isActive():
            self._timer.stop()
        self._render_problem()
        self._render_expanded()

    @property
    def timer(self) -> QTimer:
        return self._timer

    def set_event_count(self, n: int) -> None:
        """Events since connecting (once per batch): only when the last one came is shown."""
        if n > self._shown_count:
            self._last_event_seen = self._clock()
        self._shown_count = n

    def _render_subtitle(self) -> None:
        """`kick.com/slug · via Centrifugo`, with the last event's age once over a minute."""
        status = self._status
        channel = status.channel
        if status.state is ConnectionState.DISCONNECTED:
            subtitle = "Not connected" if not channel else f"kick.com/{status.slug}"
        else:
            subtitle = f"kick.com/{status.slug}" if status.slug else channel
        via = describe_connection(status, self._last_event_seen, self._clock())
        if via:
            subtitle = f"{subtitle} · {via}" if subtitle else via
        self._header.show_subtitle(subtitle)

    def _render_problem(self) -> None:
        """The same words as the Dashboard card: attempt, countdown, reason, details."""
        problem = describe_problem(self._status, self._clock())
        if self._detail.text() != problem.text:
            self._detail.setText(problem.text)
        self._detail.setVisible(bool(problem.text))
        if self._reason_detail.text() != problem.details:
            self._reason_detail.setText(problem.details)
        self._reason_detail.setVisible(bool(problem.details))
