"""The Dashboard's Kick card: state, channel, live dot, events since connecting, uptime.

A pure view (design rule 5): `set_status` / `set_event_count` show what the service says; the
card only asks: `retryRequested`, and `connectRequested` (slug) to connect to the channel it shows
while disconnected. Every state colour comes from `resources/theme.qss` through the card's `state`
property (rule 6): Python only says which state the card is in, and which indicators pulse.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from PySide6.QtCore import (
    Property,
    QEasingCurve,
    QPointF,
    QSize,
    Qt,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QShowEvent
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

from app.core.state import ConnectionState
from app.ui.plain import plain_label as _label
from app.ui.plain import plain_tooltip
from app.ui.theme import icon, repolish

if TYPE_CHECKING:  # the supervisor module loads asyncio: not before the page is painted
    from app.core.state import Status

__all__ = [
    "NO_STATUS",
    "PULSING_STATES",
    "KickStatusCard",
    "Problem",
    "PulseDot",
    "StatusFields",
    "describe_problem",
    "describe_reason",
    "details_label",
    "format_count",
    "format_duration",
    "needs_countdown",
]

# Which indicators pulse (design.md §1). Behaviour, not colour: the colours live in the QSS.
PULSING_STATES = frozenset({ConnectionState.CONNECTING, ConnectionState.RECONNECTING})
_NO_VALUE = "—"
# States from which the card's Connect button starts a connection to the channel it shows.
_CONNECTABLE = frozenset({ConnectionState.DISCONNECTED, ConnectionState.ERROR})


class StatusFields(Protocol):
    """What the views read of a `Status` (the supervisor's), so they can show the initial state
    without loading the supervisor's module (asyncio) before their page is first painted."""

    @property
    def state(self) -> ConnectionState: ...
    @property
    def slug(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def retry_at(self) -> float | None: ...
    @property
    def connected_at(self) -> float | None: ...
    @property
    def event_count(self) -> int: ...
    @property
    def provider(self) -> str: ...
    @property
    def last_event_at(self) -> float | None: ...


class _NoStatus:
    """What `Status()` says: disconnected, no channel (a test keeps the two equal)."""

    state = ConnectionState.DISCONNECTED
    slug = ""
    channel = ""
    reason = ""
    detail = ""
    attempt = 0
    retry_at: float | None = None
    connected_at: float | None = None
    event_count = 0
    provider = ""
    last_event_at: float | None = None


NO_STATUS: StatusFields = _NoStatus()


class _SavedChannel(_NoStatus):
    """What the card shows before the service's first status when a channel is saved (the first
    paint at launch comes before the service exists): that channel, Disconnected."""

    def __init__(self, slug: str) -> None:
        self.slug = self.channel = slug


def format_duration(seconds: float) -> str:
    """`1:02:03` for 3723 s; hours grow past 9 without a leading zero; negatives count as 0."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_count(n: int) -> str:
    """`12,345`: thousands separated, never negative."""
    return f"{max(0, n):,}"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())  # untrusted (a server's close reason): one tidy line


def describe_reason(state: ConnectionState, reason: str) -> str:
    """The reason for Reconnecting / Error: already a plain sentence (the status carries it so),
    tidied into one line."""
    reason = _one_line(reason)
    if not reason:
        return "Kick stopped answering." if state is ConnectionState.ERROR else ""
    return _first_upper(reason)


class Problem(NamedTuple):
    """What a view says about why it is not connected."""

    text: str  # Reconnecting: the attempt line, then the reason; Error: the reason; else ""
    details: str  # the technical detail, for a smaller line under `text`; "" when none
    waiting: bool  # the next attempt is not due yet: "Retry now" can cut the wait short


PROVIDER_NAMES = {"pusher": "Pusher", "centrifugo": "Centrifugo"}
QUIET_AFTER = 60.0  # seconds without an event before the card says how long it has been


def describe_connection(status: StatusFields, last_event_at: float | None, now: float) -> str:
    """`via Centrifugo`, and `· last event 12 min ago` once the last event of this connection
    is older than a minute (or none came in a minute since connecting); "" when not connected."""
    if not status.state.is_connected:
        return ""
    name = PROVIDER_NAMES.get(status.provider, "")
    parts = [f"via {name}"] if name else []
    since = last_event_at if last_event_at is not None else status.connected_at
    if since is not None and now - since >= QUIET_AFTER:
        age = now - since
        ago = f"{int(age)} s" if age < 120 else f"{int(age // 60)} min"
        parts.append(f"last event {ago} ago" if last_event_at is not None else f"no event in {ago}")
    return " · ".join(parts)


def needs_countdown(status: StatusFields) -> bool:
    """Whether `describe_problem`'s text changes with the clock (a 1 s timer redraws it)."""
    return status.state is ConnectionState.RECONNECTING and status.retry_at is not None


def describe_problem(status: StatusFields, now: float) -> Problem:
    """`Attempt 3 · retrying in 4 s` (or `· connecting…` once due) over the plain reason while
    Reconnecting, the reason on Error; the technical detail as `Details: …`."""
    state = status.state
    reason = describe_reason(state, status.reason)
    waiting = False
    if state is ConnectionState.RECONNECTING:
        line = f"Attempt {max(1, status.attempt)}"
        if status.retry_at is not None and status.retry_at - now > 0:
            waiting = True
            line += f" · retrying in {math.ceil(status.retry_at - now)} s"
        else:
            line += " · connecting…"
        text = f"{line}\n{reason}" if reason else line
    elif state is ConnectionState.ERROR:
        text = reason
    else:
        return Problem("", "", False)
    detail = _one_line(status.detail)
    return Problem(text, f"Details: {detail}" if detail else "", waiting)


class PulseDot(QWidget):
    """A round indicator. Its colour comes from QSS (`qproperty-color`); while `pulsing` a ring
    breathes out of it. The core keeps its exact colour at every phase of the pulse, and the
    animation only runs while the dot is pulsing and on screen."""

    pulsingChanged = Signal(bool)

    # Class-level defaults: the style sheet may set `color` while QWidget.__init__ still runs
    # (a child polished by an already styled parent), before __init__'s own lines.
    _color = QColor("#7d838c")  # neutral until the QSS says which state it shows
    _pulsing = False
    _phase = 0.0

    def __init__(self, parent: QWidget | None = None, *, diameter: int = 10, halo: int = 5) -> None:
        super().__init__(parent)
        self._diameter = diameter
        side = diameter + 2 * halo
        self.setFixedSize(side, side)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setDuration(1400)
        self._animation.setLoopCount(-1)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._on_phase)

    # -- Qt properties -------------------------------------------------------------------------

    def _get_color(self) -> QColor:
        return QColor(self._color)

    def _set_color(self, color: QColor) -> None:
        if color != self._color:
            self._color = QColor(color)
            self.update()

    color = Property(QColor, _get_color, _set_color)

    def _get_pulsing(self) -> bool:
        return self._pulsing

    def _set_pulsing(self, pulsing: bool) -> None:
        pulsing = bool(pulsing)
        if pulsing == self._pulsing:
            return
        self._pulsing = pulsing
        self._sync_animation()
        self.update()
        self.pulsingChanged.emit(pulsing)

    pulsing = Property(bool, _get_pulsing, _set_pulsing, notify=pulsingChanged)

    def is_pulsing(self) -> bool:
        return self._pulsing

    def set_pulsing(self, pulsing: bool) -> None:
        self._set_pulsing(pulsing)

    @property
    def animating(self) -> bool:
        return self._animation.state() is QVariantAnimation.State.Running

    # -- animation -----------------------------------------------------------------------------

    def _sync_animation(self) -> None:
        if self._pulsing and self.isVisible():
            if not self.animating:
                self._animation.start()
        elif self.animating:
            self._animation.stop()
            self._phase = 0.0

    def _on_phase(self, value: object) -> None:
        self._phase = float(value) if isinstance(value, int | float) else 0.0
        self.update()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._sync_animation()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._sync_animation()

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        center = QPointF(self.width() / 2, self.height() / 2)
        core = self._diameter / 2
        if self._pulsing:
            outer = min(self.width(), self.height()) / 2
            halo = QColor(self._color)
            if self.animating:
                radius = core + (outer - core) * self._phase
                halo.setAlphaF(0.55 * (1.0 - self._phase))
            else:  # pulsing but off screen or in a still grab: a steady ring
                radius = core + (outer - core) * 0.6
                halo.setAlphaF(0.3)
            painter.setBrush(halo)
            painter.drawEllipse(center, radius, radius)
        painter.setBrush(self._color)
        painter.drawEllipse(center, core, core)
        painter.end()


def details_label(name: str, parent: QWidget) -> QLabel:
    """The smaller line under a plain reason with its technical detail (`Problem.details`):
    plain text, wrapped, selectable so it can be copied into a bug report."""
    label = _label(name, "", parent)
    label.setAccessibleName("Technical details")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    # Smaller and quieter than the sentence above it (the muted grey of the card's hint). Set
    # here for now; a `#statusReasonDetail, #kickSourceReasonDetail` rule in theme.qss can take
    # it over (the widget's own sheet would then go).
    label.setStyleSheet("font-size: 9pt; color: #9aa0a9;")
    label.hide()
    return label


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
    _before_status: StatusFields = NO_STATUS  # shown until the service's first status
    PREFERRED_WIDTH = 400

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._status: Status | None = None  # None: nothing said yet, shown as NO_STATUS
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
        wordmark = _label("kickWordmark", "KICK", self)
        pill = QFrame(self)
        pill.setObjectName("statePill")
        pill.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self._pill = pill
        self._indicator = PulseDot(pill, diameter=8, halo=4)
        self._indicator.setObjectName("stateIndicator")
        self._live_dot = PulseDot(pill, diameter=8, halo=4)
        self._live_dot.setObjectName("liveDot")
        self._live_dot.hide()
        self._state_label = _label("stateLabel", ConnectionState.DISCONNECTED.label, pill)
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
        self._channel = _label("channelName", "", self)
        self._channel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._slug = _label("channelSlug", "", self)
        live = QFrame(self)
        live.setObjectName("liveBadge")
        live.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        live.setToolTip("Not broadcasting")
        self._live_badge = live
        offline_dot = PulseDot(live, diameter=8, halo=5)
        offline_dot.setObjectName("offlineDot")
        self._live_text = _label("liveText", "Offline", live)
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
        self._via = _label("connectionVia", "", self)
        self._via.setToolTip("Kick's realtime service this connection uses, and the last event")
        names.addWidget(self._via)
        channel_row = QHBoxLayout()
        channel_row.setSpacing(10)
        channel_row.addLayout(names, 1)
        channel_row.addWidget(live, 0, Qt.AlignmentFlag.AlignVCenter)
        self._hint = _label(
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
        self._count = _label("eventCount", "0", self)
        self._uptime = _label("uptime", _NO_VALUE, self)
        stats = QHBoxLayout()
        stats.setSpacing(24)
        for caption, value, tip in (
            ("EVENTS", self._count, "Events received since this connection was established"),
            ("UPTIME", self._uptime, "How long the current connection has been up"),
        ):
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(_label("statCaption", caption, self))
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
        self._detail = _label("statusDetail", "", detail)
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

    @property
    def status(self) -> Status:
        if self._status is None:
            from app.core.state import Status

            self._status = Status()
        return self._status

    def set_status(self, status: Status) -> None:
        old_state = self._shown.state
        if status.connected_at != self._shown.connected_at:
            self._last_event_seen = None  # a new connection: its own last event
        if status.last_event_at is not None:
            self._last_event_seen = status.last_event_at
        self._status = status
        if status.state is not old_state or self.property("state") != status.state.value:
            self.setProperty("state", status.state.value)
            repolish(self)
        self._render()

    def show_saved_channel(self, slug: str) -> None:
        """The saved channel, shown as Disconnected until the service says anything."""
        self._before_status = _SavedChannel(slug) if slug else NO_STATUS
        if self._status is None:
            self._render()

    @property
    def _shown(self) -> StatusFields:
        return self._before_status if self._status is None else self._status

    def set_event_count(self, n: int) -> None:
        if n > self._shown_count:  # events arrived: the service says so once per batch
            self._last_event_seen = self._clock()
        self._shown_count = n
        self._count.setText(format_count(n))

    def _on_connect_clicked(self) -> None:
        slug = self._shown.slug
        if slug and self._shown.state in _CONNECTABLE:
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
        status = self._shown
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
        status = self._shown
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
