"""The Dashboard's Kick card: state, channel, live dot, events since connecting, uptime.

A pure view (design rule 5): it shows the app's state it is bound to (`bind`), or what
`set_status` / `set_event_count` give it; it only asks: `retryRequested`, `testEventRequested`,
and `connectRequested` (slug) for the channel it shows while disconnected. Every state colour
comes from `resources/theme.qss` through the card's `state` property (rule 6): Python only says
which state the card is in, and which indicators pulse.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.state import ConnectionState, Status
from app.ui.plain import details_label, plain_label, plain_tooltip
from app.ui.pulse_dot import PulseDot
from app.ui.status_text import (
    PULSING_STATES,
    describe_connection,
    describe_problem,
    format_count,
    format_duration,
    needs_countdown,
)
from app.ui.theme import icon, repolish

if TYPE_CHECKING:
    from app.services.app_state import AppState

_NO_VALUE = "—"
# States from which the card's Connect button starts a connection to the channel it shows.
_CONNECTABLE = frozenset({ConnectionState.DISCONNECTED, ConnectionState.ERROR})


# "Send test event" menu: (StreamEvent type, menu text); the types the event server makes up
# (app.relay.test_events.TEST_EVENT_TYPES, not imported here: start-up time; a test compares)
TEST_EVENT_CHOICES = (
    ("chat", "&Chat message"),
    ("follow", "&Follow"),
    ("subscribe", "&Subscription"),
    ("gift_sub", "&Gifted subs"),
    ("kicks", "&Kicks"),
    ("host", "&Host"),
)


class KickStatusCard(QFrame):
    """The Kick card. Children by objectName: stateIndicator (or, while live, liveDot) and
    stateLabel in the state pill, channelName, channelSlug, liveBadge ("Offline": connected, not
    broadcasting), cardConnectButton (disconnected with a channel), eventCount, uptime,
    testEventButton (its menu sends a made-up event of the chosen type), statusDetail,
    retryNowButton."""

    retryRequested = Signal()
    testEventRequested = Signal(str)  # a made-up event of this StreamEvent type, to try overlays
    connectRequested = Signal(str)  # the slug shown: the saved channel, or the one disconnected
    PREFERRED_WIDTH = 400

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._status = Status()
        self._last_event_seen: float | None = None  # clock() time a batch last raised the count
        self._shown_count = 0
        self.setObjectName("kickStatusCard")
        self.setProperty("state", ConnectionState.DISCONNECTED.value)
        self.setAccessibleName("Kick connection")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setMinimumWidth(320)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

        # -- header: brand on the left, state pill on the right. While live the pill's dot is
        # the pulsing live dot: "Live" is said once, in the pill.
        logo = QLabel(self)
        logo.setObjectName("kickLogo")
        logo.setPixmap(icon("kick.svg").pixmap(QSize(22, 22)))
        logo.setFixedSize(22, 22)
        wordmark = plain_label("kickWordmark", "KICK", self)
        pill = QFrame(self)
        pill.setObjectName("statePill")
        pill.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self._pill = pill
        self._indicator = PulseDot(pill, diameter=8, halo=4)
        self._indicator.setObjectName("stateIndicator")
        self._live_dot = PulseDot(pill, diameter=8, halo=4)
        self._live_dot.setObjectName("liveDot")
        self._live_dot.hide()
        self._state_label = plain_label("stateLabel", ConnectionState.DISCONNECTED.label, pill)
        pill_layout = QHBoxLayout(pill)
        pill_layout.setContentsMargins(6, 2, 10, 2)
        pill_layout.setSpacing(4)
        pill_layout.addWidget(self._indicator)
        pill_layout.addWidget(self._live_dot)
        pill_layout.addWidget(self._state_label)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(logo)
        header.addWidget(wordmark)
        header.addStretch(1)
        header.addWidget(pill)

        # -- channel, with "Offline" beside it while connected to a channel not broadcasting
        self._channel = plain_label("channelName", "", self)
        self._channel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._slug = plain_label("channelSlug", "", self)
        live = QFrame(self)
        live.setObjectName("liveBadge")
        live.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        live.setToolTip("Not broadcasting")
        self._live_badge = live
        offline_dot = PulseDot(live, diameter=8, halo=5)
        offline_dot.setObjectName("offlineDot")
        self._live_text = plain_label("liveText", "Offline", live)
        live_layout = QHBoxLayout(live)
        live_layout.setContentsMargins(4, 1, 10, 1)
        live_layout.setSpacing(3)
        live_layout.addWidget(offline_dot)
        live_layout.addWidget(self._live_text)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self._channel)
        names.addWidget(self._slug)
        # "via Centrifugo · last event 2 min ago": which provider, and whether events still come
        self._via = plain_label("connectionVia", "", self)
        self._via.setToolTip("Kick's realtime service this connection uses, and the last event")
        names.addWidget(self._via)
        channel_row = QHBoxLayout()
        channel_row.setSpacing(10)
        channel_row.addLayout(names, 1)
        channel_row.addWidget(live, 0, Qt.AlignmentFlag.AlignVCenter)
        self._hint = plain_label(
            "cardHint", "Enter a Kick username under Sources, then click Connect.", self
        )
        self._hint.setWordWrap(True)
        self._hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Disconnected from a known channel (saved, auto-connect off; or after Disconnect).
        self._connect = QPushButton("Connect", self)
        self._connect.setObjectName("cardConnectButton")
        self._connect.setProperty("variant", "primary")
        self._connect.setCursor(Qt.CursorShape.PointingHandCursor)
        self._connect.clicked.connect(self._on_connect_clicked)

        # -- numbers
        rule = QFrame(self)
        rule.setObjectName("cardRule")
        rule.setFixedHeight(1)
        self._count = plain_label("eventCount", "0", self)
        self._uptime = plain_label("uptime", _NO_VALUE, self)
        stats = QHBoxLayout()
        stats.setSpacing(24)
        for caption, value, tip in (
            ("EVENTS", self._count, "Events received since this connection was established"),
            ("UPTIME", self._uptime, "How long the current connection has been up"),
        ):
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(plain_label("statCaption", caption, self))
            column.addWidget(value)
            value.setToolTip(tip)
            stats.addLayout(column)
        stats.addStretch(1)
        # A made-up event through the whole pipeline (feed, count, overlays, session log): Tab
        # reaches the button, Space opens the menu, arrows and Enter (or a letter) pick.
        self._test_menu = QMenu(self)
        self._test_menu.setObjectName("testEventMenu")
        for kind, text in TEST_EVENT_CHOICES:
            action = self._test_menu.addAction(text)
            action.setData(kind)
            action.triggered.connect(lambda _=False, kind=kind: self.testEventRequested.emit(kind))
        self.test_event_button = QToolButton(self)
        self.test_event_button.setObjectName("testEventButton")
        self.test_event_button.setText("Send test event")
        self.test_event_button.setAccessibleName("Send test event")
        self.test_event_button.setToolTip(
            "Send a made-up event (marked as a test) to the feed and the overlays"
        )
        self.test_event_button.setMenu(self._test_menu)
        self.test_event_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.test_event_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.test_event_button.setCursor(Qt.CursorShape.PointingHandCursor)
        stats.addWidget(self.test_event_button, 0, Qt.AlignmentFlag.AlignBottom)

        # -- why we are not connected, and the way out
        detail = QFrame(self)
        detail.setObjectName("detailBox")
        self._detail_box = detail
        self._detail = plain_label("statusDetail", "", detail)
        self._detail.setWordWrap(True)
        # long reasons wrap instead of widening the card
        self._detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._reason_detail = details_label("statusReasonDetail", detail)
        self._retry = QPushButton("Retry now", detail)
        self._retry.setObjectName("retryNowButton")
        self._retry.setAccessibleName("Retry now")
        self._retry.setToolTip("Skip the wait and try to reconnect immediately")
        self._retry.setCursor(Qt.CursorShape.PointingHandCursor)
        self._retry.clicked.connect(self.retryRequested)
        why = QVBoxLayout()
        why.setSpacing(4)
        why.addWidget(self._detail)
        why.addWidget(self._reason_detail)
        detail_layout = QHBoxLayout(detail)
        detail_layout.setContentsMargins(12, 8, 8, 8)
        detail_layout.setSpacing(10)
        detail_layout.addLayout(why, 1)
        detail_layout.addWidget(self._retry, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 16)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addLayout(channel_row)
        layout.addWidget(self._hint)
        layout.addWidget(self._connect, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(rule)
        layout.addLayout(stats)
        layout.addWidget(detail)
        layout.addStretch(1)  # spare height (a taller neighbour in a grid) goes below

        self._render()

    def sizeHint(self) -> QSize:
        # One width for every state, so the dashboard does not shift as the state changes.
        # The height is the one the wrapped reason needs at that width, so containers that
        # ignore height-for-width (grids with alignment, fixed-size parents) do not clip it.
        hint = super().sizeHint()
        width = max(hint.width(), self.PREFERRED_WIDTH)
        return QSize(width, max(hint.height(), self.heightForWidth(width)))

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        width = max(self.width(), hint.width())
        return QSize(hint.width(), max(hint.height(), self.heightForWidth(width)))

    # -- what the service tells us -------------------------------------------------------------

    def bind(self, state: AppState) -> None:
        """Show the app's state from now on: its current status and count, then each change."""
        self.set_status(state.status)
        self.set_event_count(state.count)
        state.statusChanged.connect(self.set_status)
        state.countChanged.connect(self.set_event_count)

    @property
    def status(self) -> Status:
        return self._status

    def set_status(self, status: Status) -> None:
        old_state = self._status.state
        if status.connected_at != self._status.connected_at:
            self._last_event_seen = None  # a new connection: its own last event
        if status.last_event_at is not None:
            self._last_event_seen = status.last_event_at
        self._status = status
        if status.state is not old_state or self.property("state") != status.state.value:
            self.setProperty("state", status.state.value)
            repolish(self)
        self._render()

    def set_event_count(self, n: int) -> None:
        if n > self._shown_count:  # events arrived: the service says so once per batch
            self._last_event_seen = self._clock()
        self._shown_count = n
        self._count.setText(format_count(n))

    def _on_connect_clicked(self) -> None:
        slug = self._status.slug
        if slug and self._status.state in _CONNECTABLE:
            self.connectRequested.emit(slug)

    # -- the 1 s tick --------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw what depends on the clock: uptime and the reconnect countdown."""
        self._render_clock()

    @property
    def timer(self) -> QTimer:
        return self._timer

    # -- drawing -------------------------------------------------------------------------------

    def _render(self) -> None:
        status = self._status
        state = status.state
        self._state_label.setText(state.label)
        self._indicator.set_pulsing(state in PULSING_STATES)
        is_live = state is ConnectionState.LIVE
        self._indicator.setVisible(not is_live)
        self._live_dot.setVisible(is_live)
        self._live_dot.set_pulsing(is_live)
        self._pill.setToolTip("The stream is live" if is_live else "")

        channel = status.channel
        self._channel.setText(channel or "No channel yet")
        if self._channel.property("placeholder") != (not channel):
            self._channel.setProperty("placeholder", not channel)
            repolish(self._channel)
        self._slug.setText(f"kick.com/{status.slug}" if status.slug else "")
        self._slug.setVisible(bool(status.slug))
        self._hint.setVisible(state is ConnectionState.DISCONNECTED and not channel)
        # Error too: a lookup Cloudflare blocked, or a fatal close, may work a while later.
        can_connect = state in _CONNECTABLE and bool(status.slug)
        self._connect.setVisible(can_connect)
        if can_connect:
            self._connect.setAccessibleName(f"Connect to {channel}")
            self._connect.setToolTip(plain_tooltip(f"Connect to kick.com/{status.slug}"))

        self._live_badge.setVisible(state is ConnectionState.CONNECTED)
        self.set_event_count(status.event_count)

        ticking = state.is_connected and status.connected_at is not None
        needs_clock = ticking or needs_countdown(status)
        if needs_clock and not self._timer.isActive():
            self._timer.start()
        elif not needs_clock and self._timer.isActive():
            self._timer.stop()
        self._render_clock()
        self.setAccessibleDescription(f"{state.label}: {channel}" if channel else state.label)

    def _render_clock(self) -> None:
        status = self._status
        state = status.state
        now = self._clock()
        if state.is_connected and status.connected_at is not None:
            self._uptime.setText(format_duration(now - status.connected_at))
        else:
            self._uptime.setText(_NO_VALUE)
        via = describe_connection(status, self._last_event_seen, now)
        if self._via.text() != via:
            self._via.setText(via)
        self._via.setVisible(bool(via))

        problem = describe_problem(status, now)
        if self._detail.text() != problem.text:
            self._detail.setText(problem.text)
        if self._reason_detail.text() != problem.details:
            self._reason_detail.setText(problem.details)
        self._reason_detail.setVisible(bool(problem.details))
        self._detail_box.setVisible(bool(problem.text))
        self._retry.setVisible(problem.waiting)
