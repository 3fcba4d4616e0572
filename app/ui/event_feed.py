"""The live event feed: a bounded model of the latest events, a type filter and a painted list.

- `EventFeedModel` keeps at most `capacity` events (newest first). `add_events` inserts a batch
  with one `beginInsertRows` and trims the oldest with one `beginRemoveRows`, so memory stays flat
  however long the stream runs.
- `EventFilterProxy` narrows the feed to one `FeedCategory`.
- `EventFeedDelegate` paints rows with `QPainter.drawText` and `QTextLayout` on plain strings:
  there is no rich text anywhere, so hostile chat such as `<b>` or `<img src=x>` is drawn as the
  characters it is (design rule 8). Row layouts are cached per event and width.
- `EventFeedView` (in `app.ui.feed_view`, re-exported here) puts the filter, the count and the
  list together, and builds the model and the delegate on first use.

`describe(event)` / `display_text(event)` are the pure functions that decide every word drawn.
"""

from __future__ import annotations

import re
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.core.events import EventType, StreamEvent
from app.core.payloads import (
    EMOTE_TOKEN,
    BanData,
    ChatData,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    LiveEndData,
    LiveStartData,
    MessageDeletedData,
    RewardData,
    SubscribeData,
    UnbanData,
)
from app.ui.feed_view import FILTERS, EventFeedView, FeedCategory
from app.ui.plain import plain_tooltip

__all__ = [
    "DEFAULT_CAPACITY",
    "FILTERS",
    "EventFeedDelegate",
    "EventFeedModel",
    "EventFeedView",
    "EventFilterProxy",
    "FeedCategory",
    "RowText",
    "category_of",
    "describe",
    "display_text",
    "render_message",
    "sender_color",
]

DEFAULT_CAPACITY = 5_000
_MAX_MESSAGE_CHARS = 600  # Kick allows 500; anything longer is cut before layout
_MAX_FIELD_CHARS = 200

ModelIndex = QModelIndex | QPersistentModelIndex


# =============================================================================== categories


_CATEGORY = {
    EventType.CHAT: FeedCategory.CHAT,
    EventType.FOLLOW: FeedCategory.FOLLOWS,
    EventType.SUBSCRIBE: FeedCategory.SUBS,
    EventType.GIFT_SUB: FeedCategory.SUBS,
    EventType.KICKS: FeedCategory.SUBS,
    EventType.LIVE_START: FeedCategory.LIVE,
    EventType.LIVE_END: FeedCategory.LIVE,
    EventType.BAN: FeedCategory.MODERATION,
    EventType.UNBAN: FeedCategory.MODERATION,
    EventType.MESSAGE_DELETED: FeedCategory.MODERATION,
    EventType.HOST: FeedCategory.OTHER,
    EventType.REWARD: FeedCategory.OTHER,
}


def category_of(event: StreamEvent) -> FeedCategory:
    return _CATEGORY.get(event.type, FeedCategory.OTHER)


# =============================================================================== words


# Characters that would let a message rearrange or hide what is drawn around it: C0/C1 controls
# (newlines included) and the bidirectional overrides/isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def _clean(value: object, limit: int = _MAX_FIELD_CHARS) -> str:
    """A payload value as one safe line of plain text."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return _UNSAFE.sub(" ", text).strip()


def render_message(message: object) -> tuple[str, list[tuple[int, int]]]:
    """Chat content as drawn: `[emote:ID:NAME]` becomes `:NAME:`; returns the text and the
    (start, length) of every emote in it, for bold."""
    text = _clean(message, _MAX_MESSAGE_CHARS)
    if "[emote:" not in text:
        return text, []
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    last = 0
    for match in EMOTE_TOKEN.finditer(text):
        before = text[last : match.start()]
        if match.start() > 0 and not text[match.start() - 1].isspace():
            before += " "  # `[emote:1:A][emote:2:B]` reads as `:A: :B:`, not `:A::B:`
        parts.append(before)
        length += len(before)
        token = f":{match.group(2)}:"
        spans.append((length, len(token)))
        parts.append(token)
        length += len(token)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), spans


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


@dataclass(frozen=True, slots=True)
class RowText:
    """Everything a row says, as plain text. `chip` is the short tag of a notice row."""

    chip: str
    summary: str  # chat: the message; notices: the one-line summary
    detail: str = ""  # second line (a sub's message, gift recipients, who banned)
    is_chat: bool = False


def _name(value: object, fallback: str = "Someone") -> str:
    return _clean(value) or fallback


def describe(event: StreamEvent) -> RowText:
    """The words of a row. Pure; untrusted text is cleaned of control characters and left as
    plain text (it is never interpreted as markup anywhere)."""
    data = event.data  # typed and checked by the normalizer: read, do not re-check
    user = _name(event.username)
    if isinstance(data, ChatData):
        return RowText("", render_message(data.message)[0], is_chat=True)
    if isinstance(data, FollowData):
        total = f"{data.followers_count:,} followers"
        if event.username:
            return RowText("FOLLOW", f"{user} followed", total)
        return RowText("FOLLOW", "New follower", total)
    if isinstance(data, SubscribeData):
        months = data.months or 1
        summary = (
            f"{user} subscribed" if months <= 1 else f"{user} subscribed for {months:,} months"
        )
        return RowText("SUB", summary, render_message(data.message)[0])
    if isinstance(data, GiftSubData):
        gifter = _name(data.gifter_username or event.username, "Anonymous")
        recipients = [_clean(r) for r in data.recipients]
        count = data.gifted_count or len(recipients) or 1
        if count == 1 and len(recipients) == 1:
            return RowText("GIFT", f"{gifter} gifted a sub to {recipients[0]}")
        summary = f"{gifter} gifted {_plural(count, 'sub', 'subs')}"
        shown = recipients[:12]
        detail = ", ".join(shown)
        if len(recipients) > len(shown):
            detail += f" and {len(recipients) - len(shown):,} more"
        return RowText("GIFT", summary, f"to {detail}" if detail else "")
    if isinstance(data, LiveStartData):
        title = _clean(data.title)
        return RowText("LIVE", f"Stream started: {title}" if title else "Stream started")
    if isinstance(data, LiveEndData):
        return RowText("ENDED", "Stream ended")
    if isinstance(data, MessageDeletedData):
        return RowText("DELETED", "A message was deleted")
    if isinstance(data, BanData | UnbanData):
        target = _name(data.target or event.username)
        moderator = _clean(data.moderator)
        by = f" by {moderator}" if moderator else ""
        if isinstance(data, UnbanData):
            return RowText("UNBAN", f"{target} was unbanned{by}")
        minutes = data.duration_minutes
        if data.permanent or not minutes:
            return RowText("BAN", f"{target} was banned{by}")
        return RowText("TIMEOUT", f"{target} was timed out for {_duration(minutes)}{by}")
    if isinstance(data, HostData):
        host = _name(data.host_username or event.username)
        viewers = data.viewers
        with_viewers = f" with {_plural(viewers, 'viewer', 'viewers')}" if viewers else ""
        return RowText("HOST", f"{host} is hosting{with_viewers}", _clean(data.message))
    if isinstance(data, KicksData):
        gift = _clean(data.gift_name)
        what = f"{_plural(data.amount, 'Kick', 'Kicks')}" + (f" ({gift})" if gift else "")
        return RowText("KICKS", f"{user} sent {what}", render_message(data.message)[0])
    if isinstance(data, RewardData):
        title = _clean(data.title) or "a reward"
        return RowText("REWARD", f"{user} redeemed {title}", _clean(data.user_input))
    return RowText(_clean(str(event.type.value)).upper()[:10], f"{user}: {event.type.value}")


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        return _plural(minutes // 1440, "day", "days")
    if minutes % 60 == 0:
        return _plural(minutes // 60, "hour", "hours")
    return _plural(minutes, "minute", "minutes")


def display_text(event: StreamEvent) -> str:
    """The row's text as one plain line: exactly the strings the delegate draws."""
    row = describe(event)
    if row.is_chat:
        return f"{_name(event.username)}: {row.summary}"
    return f"{row.summary} — {row.detail}" if row.detail else row.summary


def local_time(timestamp: str, fmt: str = "%H:%M") -> str:
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return ""
    try:
        return moment.astimezone().strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return ""


# =============================================================================== colours

_TEXT = QColor("#e8eaed")
_MUTED = QColor("#9aa0a9")
_FAINT = QColor("#6b717b")
_EMOTE_FG = QColor("#f1f3f5")
_EMOTE_BG = QColor(255, 255, 255, 22)
_HOVER = QColor(255, 255, 255, 9)
_SELECTED = QColor(83, 252, 24, 26)

# Readable on #121417: what a sender without a colour of their own gets, by a hash of the name.
_NAME_PALETTE = tuple(
    QColor(c)
    for c in (
        "#7ab8ff", "#ff8fa3", "#8ce99a", "#ffd166", "#c8a2ff", "#66d9e8",
        "#ffa94d", "#f783ac", "#a9e34b", "#91a7ff", "#63e6be", "#ffb8a8",
    )
)  # fmt: skip

_NOTICE_ACCENT = {
    EventType.FOLLOW: QColor("#4aa8ff"),
    EventType.SUBSCRIBE: QColor("#b57bff"),
    EventType.GIFT_SUB: QColor("#ff6fcf"),
    EventType.KICKS: QColor("#53fc18"),
    EventType.LIVE_START: QColor("#53fc18"),
    EventType.LIVE_END: QColor("#8a8f98"),
    EventType.BAN: QColor("#ff4d4f"),
    EventType.UNBAN: QColor("#2fd49a"),
    EventType.MESSAGE_DELETED: QColor("#8a8f98"),
    EventType.HOST: QColor("#ffb547"),
    EventType.REWARD: QColor("#2fd4e0"),
}
_DEFAULT_ACCENT = QColor("#8a8f98")
_NOTICE_CHIPS = ("FOLLOW", "SUB", "GIFT", "LIVE", "ENDED", "BAN", "TIMEOUT", "UNBAN", "DELETED",
                 "HOST", "KICKS", "REWARD")  # fmt: skip

_BADGES: dict[str, tuple[str, QColor]] = {
    "broadcaster": ("Streamer", QColor("#ff5c5c")),
    "moderator": ("Mod", QColor("#2fd47a")),
    "vip": ("VIP", QColor("#ff4fd8")),
    "og": ("OG", QColor("#f5c518")),
    "founder": ("Founder", QColor("#ffb547")),
    "subscriber": ("Sub", QColor("#b57bff")),
    "sub_gifter": ("Gifter", QColor("#ff6fcf")),
    "verified": ("Verified", QColor("#4aa8ff")),
    "staff": ("Staff", QColor("#53fc18")),
    "sidekick": ("Sidekick", QColor("#66d9e8")),
}
_DEFAULT_BADGE = QColor("#8a8f98")
_MAX_BADGES = 4


def _readable(color: QColor) -> QColor:
    """The same hue, lifted until it reads on the dark feed background."""
    hue, sat, light = color.hslHueF(), color.hslSaturationF(), color.lightnessF()
    if light >= 0.58:
        return color
    lifted = QColor()
    lifted.setHslF(max(hue, 0.0), min(sat, 0.9), 0.66)
    return lifted


def sender_color(event: StreamEvent) -> QColor:
    """senderIdentity.color made readable on dark, else a stable colour picked by the name."""
    raw = event.data.sender_identity.color if isinstance(event.data, ChatData) else ""
    if raw:
        color = QColor(raw.strip())
        if color.isValid():
            opaque = QColor(color)
            opaque.setAlpha(255)
            return _readable(opaque)
    index = zlib.crc32(event.username.lower().encode()) % len(_NAME_PALETTE)
    return QColor(_NAME_PALETTE[index])


def badge_chips(event: StreamEvent) -> list[tuple[str, QColor]]:
    """(text, colour) of the sender's badges, as small chips."""
    if not isinstance(event.data, ChatData):
        return []
    chips: list[tuple[str, QColor]] = []
    for badge in event.data.sender_identity.badges[:_MAX_BADGES]:
        kind = badge.type
        label, color = _BADGES.get(kind, ("", _DEFAULT_BADGE))
        if not label:
            label = _clean(badge.text, 16) or _clean(kind, 16)
        if not label:
            continue
        count = badge.count
        if count and kind in ("subscriber", "sub_gifter"):
            label = f"{label} {count:,}"
        chips.append((label, color))
    return chips


# =============================================================================== model


class EventFeedModel(QAbstractListModel):
    """The newest `capacity` events, newest first (row 0)."""

    EventRole = Qt.ItemDataRole.UserRole + 1  # the StreamEvent
    CategoryRole = Qt.ItemDataRole.UserRole + 2  # FeedCategory value
    DeletedRole = Qt.ItemDataRole.UserRole + 3  # bool: a chat message a moderator deleted
    ContextRole = Qt.ItemDataRole.UserRole + 4  # message_deleted: the deleted chat event, if held

    countChanged = Signal(int)

    def __init__(self, capacity: int = DEFAULT_CAPACITY, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._events: deque[StreamEvent] = deque()  # oldest first; row r is _events[-1 - r]
        self._first_seq = 0  # sequence number of _events[0]
        self._chat_seq: dict[str, int] = {}  # chatId -> sequence number, for held chat messages
        self._deleted: OrderedDict[str, None] = OrderedDict()  # deleted chatIds, bounded

    # -- size ----------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._events)

    def rowCount(self, parent: ModelIndex | None = None) -> int:
        if parent is not None and parent.isValid():
            return 0
        return len(self._events)

    # -- reading -------------------------------------------------------------------------------

    def event_at(self, row: int) -> StreamEvent:
        return self._events[-1 - row]

    def category_at(self, row: int) -> FeedCategory:
        return category_of(self._events[-1 - row])

    def events(self) -> list[StreamEvent]:
        """All held events, newest first (a copy)."""
        return list(reversed(self._events))

    def is_deleted(self, chat_id: str) -> bool:
        return chat_id in self._deleted

    def _chat_event(self, chat_id: str) -> StreamEvent | None:
        seq = self._chat_seq.get(chat_id)
        if seq is None:
            return None
        return self._events[seq - self._first_seq]

    def _row_of_seq(self, seq: int) -> int:
        return self._first_seq + len(self._events) - 1 - seq

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event = self._events[-1 - index.row()]
        if role == self.EventRole:
            return event
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(event)
        if role == self.CategoryRole:
            return category_of(event).value
        if role == self.DeletedRole:
            data = event.data
            return isinstance(data, ChatData) and data.chat_id in self._deleted
        if role == self.ContextRole:
            data = event.data
            return self._chat_event(data.chat_id) if isinstance(data, MessageDeletedData) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            when = local_time(event.timestamp, "%Y-%m-%d %H:%M:%S")
            return plain_tooltip(f"{when}\n{display_text(event)}" if when else display_text(event))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return display_text(event)
        return None

    # -- writing -------------------------------------------------------------------------------

    def add_events(self, events: Iterable[StreamEvent]) -> None:
        """Add a batch (oldest first, as they arrived): one row removal for the oldest rows
        that no longer fit, then one insertion at the top."""
        batch = list(events)
        if not batch:
            return
        if len(batch) > self._capacity:
            batch = batch[-self._capacity :]
        size = len(self._events)
        excess = size + len(batch) - self._capacity
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), size - excess, size - 1)
            for _ in range(excess):
                old = self._events.popleft()
                old_data = old.data
                chat_id = old_data.chat_id if isinstance(old_data, ChatData) else None
                if chat_id is not None and self._chat_seq.get(chat_id) == self._first_seq:
                    del self._chat_seq[chat_id]
                self._first_seq += 1
            self.endRemoveRows()

        self.beginInsertRows(QModelIndex(), 0, len(batch) - 1)
        deleted_rows: list[int] = []
        for event in batch:
            seq = self._first_seq + len(self._events)
            self._events.append(event)
            data = event.data
            if isinstance(data, ChatData):
                if data.chat_id:
                    self._chat_seq[data.chat_id] = seq
            elif isinstance(data, MessageDeletedData):
                chat_id = data.chat_id
                if chat_id:
                    self._remember_deleted(chat_id)
                    held = self._chat_seq.get(chat_id)
                    if held is not None and held < self._first_seq + size - max(excess, 0):
                        deleted_rows.append(held)  # a row that was already shown
        self.endInsertRows()
        for seq in deleted_rows:
            index = self.index(self._row_of_seq(seq))
            self.dataChanged.emit(index, index, [self.DeletedRole])
        self.countChanged.emit(len(self._events))

    def _remember_deleted(self, chat_id: str) -> None:
        self._deleted[chat_id] = None
        while len(self._deleted) > self._capacity:
            self._deleted.popitem(last=False)

    def clear(self) -> None:
        if not self._events:
            return
        self.beginResetModel()
        self._first_seq += len(self._events)
        self._events.clear()
        self._chat_seq.clear()
        self._deleted.clear()
        self.endResetModel()
        self.countChanged.emit(0)


class EventFilterProxy(QSortFilterProxyModel):
    """Rows of one FeedCategory (or all of them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._category = FeedCategory.ALL

    @property
    def category(self) -> FeedCategory:
        return self._category

    def set_category(self, category: FeedCategory) -> None:
        if category is self._category:
            return
        self.beginFilterChange()
        self._category = category
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        if self._category is FeedCategory.ALL:
            return True
        model = self.sourceModel()
        if isinstance(model, EventFeedModel):
            return model.category_at(source_row) is self._category
        value = model.index(source_row, 0, source_parent).data(EventFeedModel.CategoryRole)
        return bool(value == self._category.value)


# =============================================================================== painting


@dataclass(slots=True)
class _Metrics:
    font: QFont
    bold: QFont
    small: QFont
    fm: QFontMetricsF
    bold_fm: QFontMetricsF
    small_fm: QFontMetricsF
    line: float  # height of one text line
    small_line: float
    time_w: float  # width of the time column
    chip_h: float


@dataclass(slots=True)
class _Chip:
    text: str
    color: QColor
    width: float


@dataclass(slots=True)
class _ChatRow:
    height: int
    time: str
    reply: str
    chips: list[_Chip]
    name: str
    name_color: QColor
    prefix_w: float
    message_y: float  # top of the first message line, below the reply line if any
    layout: QTextLayout | None


@dataclass(slots=True)
class _NoticeRow:
    height: int
    time: str
    chip: _Chip
    summary: str
    detail: str


_Row = _ChatRow | _NoticeRow


@dataclass(slots=True)
class _Natural:
    event: StreamEvent
    prefix_w: float  # badges + name
    text_w: float  # the message on one line
    message_y: float


_PAD_X = 12.0
_PAD_Y = 5.0
_NOTICE_MARGIN_Y = 3.0
_NOTICE_MARGIN_X = 4.0
_CHIP_PAD = 6.0
_GAP = 6.0
_MIN_FIRST_LINE = 72.0


EventResolver = Callable[[ModelIndex], "StreamEvent | None"]


def event_from_index(index: ModelIndex) -> StreamEvent | None:
    event = index.data(EventFeedModel.EventRole)
    return event if isinstance(event, StreamEvent) else None


def _deleted_context(index: ModelIndex) -> StreamEvent | None:
    context = index.data(EventFeedModel.ContextRole)
    return context if isinstance(context, StreamEvent) else None


def _chat_data(event: StreamEvent) -> ChatData:
    """The data of a chat row (the delegate lays out chat rows only for chat events)."""
    data = event.data
    if not isinstance(data, ChatData):
        raise TypeError(f"a {event.type.value} event is not a chat row")
    return data


class EventFeedDelegate(QStyledItemDelegate):
    """Paints one event per row: plain text only (no QTextDocument, no HTML).

    Heights are measured cheaply (one `horizontalAdvance` for the usual one-line chat message,
    a `QTextLayout` only for messages that wrap) and cached per event until the width or font
    changes; the full layout of a row is built when it is painted and kept for the few hundred
    rows most recently painted.
    """

    def __init__(
        self, parent: QWidget | None = None, *, resolve: EventResolver = event_from_index
    ) -> None:
        super().__init__(parent)
        self._resolve = resolve
        self._metrics: _Metrics | None = None
        self._font_key = ""
        self._width = 480
        # id(event) -> (event, ...): the event is kept with its entry so an id is never reused
        # while the entry lives; both caches are bounded.
        self._rows: OrderedDict[int, tuple[StreamEvent, _Row]] = OrderedDict()
        self._heights: dict[int, tuple[StreamEvent, int]] = {}
        self._chip_widths: dict[str, float] = {}
        self._prefixes: dict[tuple[str, ...], tuple[list[_Chip], str, float]] = {}
        self._naturals: dict[int, _Natural] = {}  # kept across width changes
        self.max_cached_rows = 600
        self.max_cached_heights = 2 * DEFAULT_CAPACITY + 1_000

    # -- width and fonts -----------------------------------------------------------------------

    @property
    def width(self) -> int:
        return self._width

    def set_width(self, width: int) -> bool:
        """The width rows are laid out for; True when it changed (heights must be redone)."""
        width = max(160, width)
        if width == self._width:
            return False
        self._width = width
        self.invalidate()
        return True

    def set_font(self, font: QFont) -> bool:
        """The font rows are drawn in; True when it changed (heights must be redone)."""
        key = font.key()
        if self._metrics is not None and key == self._font_key:
            return False
        font = QFont(font)  # our own copy: an option's font dies with the option
        bold = QFont(font)
        bold.setBold(True)
        small = QFont(font)
        size = font.pointSizeF()
        if size > 0:
            small.setPointSizeF(max(6.5, size * 0.8))
        else:
            small.setPixelSize(max(9, int(font.pixelSize() * 0.8)))
        small.setBold(True)
        fm = QFontMetricsF(font)
        small_fm = QFontMetricsF(small)
        self._metrics = _Metrics(
            font=font,
            bold=bold,
            small=small,
            fm=fm,
            bold_fm=QFontMetricsF(bold),
            small_fm=small_fm,
            line=fm.lineSpacing(),
            small_line=small_fm.lineSpacing(),
            time_w=fm.horizontalAdvance("00:00") + 12,
            chip_h=min(fm.height(), small_fm.height() + 4),
        )
        self._font_key = key
        self.invalidate(fonts=True)
        return True

    def set_resolver(self, resolve: EventResolver) -> None:
        """How to get the StreamEvent behind an index of the model the view shows."""
        self._resolve = resolve

    def invalidate(self, *, fonts: bool = False) -> None:
        """Forget the layouts; with `fonts` the width-independent measures too."""
        self._rows.clear()
        self._heights.clear()
        if fonts:
            self._chip_widths.clear()
            self._prefixes.clear()
            self._naturals.clear()

    def _m(self, font: QFont) -> _Metrics:
        if self._metrics is None:
            self.set_font(font)
        assert self._metrics is not None
        return self._metrics

    # -- measuring -----------------------------------------------------------------------------

    def height_of(self, event: StreamEvent, context: StreamEvent | None, font: QFont) -> int:
        """The row height of `event` at the current width (cached)."""
        entry = self._heights.get(id(event))
        if entry is not None and entry[0] is event:
            return entry[1]
        m = self._m(font)
        if event.type is EventType.CHAT:
            height = self._chat_height(event, m)
        else:
            height = self._notice_height(bool(self._notice_detail(event, context)), m)
        if len(self._heights) >= self.max_cached_heights:
            self._heights.clear()
        self._heights[id(event)] = (event, height)
        return height

    def _avail(self, m: _Metrics) -> float:
        return max(40.0, self._width - _PAD_X - m.time_w - _PAD_X)

    def _chip_width(self, text: str, m: _Metrics) -> float:
        width = self._chip_widths.get(text)
        if width is None:
            width = m.small_fm.horizontalAdvance(text) + 2 * _CHIP_PAD
            if len(self._chip_widths) > 512:
                self._chip_widths.clear()
            self._chip_widths[text] = width
        return width

    def _notice_chip_w(self, m: _Metrics) -> float:
        """One width for the tags of notice rows, so their summaries start in one column."""
        return max(self._chip_width(label, m) for label in _NOTICE_CHIPS)

    def _prefix(self, event: StreamEvent, m: _Metrics) -> tuple[list[_Chip], str, float]:
        """Badges, name, and how far the message's first line is pushed right by them
        (cached per name and badges: chatters talk more than once)."""
        badges = badge_chips(event)
        name = _name(event.username)
        key = (name, *(text for text, _ in badges))
        cached = self._prefixes.get(key)
        if cached is not None:
            return cached
        chips = [_Chip(t, c, self._chip_width(t, m)) for t, c in badges]
        width = sum(chip.width + 4 for chip in chips) + (2 if chips else 0)
        width += m.bold_fm.horizontalAdvance(name + ":") + _GAP
        if len(self._prefixes) > 2_048:
            self._prefixes.clear()
        self._prefixes[key] = (chips, name, width)
        return chips, name, width

    @staticmethod
    def _reply_text(data: ChatData) -> str:
        reply_to = data.reply_to
        if reply_to is None:
            return ""
        who = _clean(reply_to.username)
        said = render_message(reply_to.message)[0]
        return f"↪ @{who}: {said}" if who else f"↪ {said}"

    def _natural(self, event: StreamEvent, m: _Metrics) -> _Natural:
        """The width-independent measures of a chat row (kept across resizes)."""
        entry = self._naturals.get(id(event))
        if entry is not None and entry.event is event:
            return entry
        data = _chat_data(event)
        _, _, prefix_w = self._prefix(event, m)
        text, spans = render_message(data.message)
        width = m.fm.horizontalAdvance(text)
        for start, length in spans:  # emotes are drawn bold
            token = text[start : start + length]
            width += m.bold_fm.horizontalAdvance(token) - m.fm.horizontalAdvance(token)
        message_y = _PAD_Y + (m.small_line + 1 if self._reply_text(data) else 0)
        natural = _Natural(event, prefix_w, width, message_y)
        if len(self._naturals) >= self.max_cached_heights:
            self._naturals.clear()
        self._naturals[id(event)] = natural
        return natural

    def _chat_height(self, event: StreamEvent, m: _Metrics) -> int:
        natural = self._natural(event, m)
        first_w = self._avail(m) - natural.prefix_w
        if first_w >= _MIN_FIRST_LINE and natural.text_w <= first_w - 2:
            # the usual case: one line, no layout needed
            return int(natural.message_y + m.line + _PAD_Y + 0.999)
        text, spans = render_message(_chat_data(event).message)
        _, lines_h = self._layout_message(text, spans, natural.prefix_w, m)
        return int(natural.message_y + lines_h + _PAD_Y + 0.999)

    def _notice_height(self, has_detail: bool, m: _Metrics) -> int:
        lines = m.line * (2 if has_detail else 1)
        return int(2 * _NOTICE_MARGIN_Y + 2 * (_PAD_Y + 1) + lines + 0.999)

    @staticmethod
    def _notice_detail(event: StreamEvent, context: StreamEvent | None) -> str:
        if event.type is EventType.MESSAGE_DELETED and context is not None:
            return display_text(context)
        return describe(event).detail

    # -- laying out ----------------------------------------------------------------------------

    def _keep_row(self, event: StreamEvent, row: _Row) -> None:
        self._rows[id(event)] = (event, row)
        self._rows.move_to_end(id(event))
        while len(self._rows) > self.max_cached_rows:
            self._rows.popitem(last=False)

    def _row(self, event: StreamEvent, context: StreamEvent | None, font: QFont) -> _Row:
        entry = self._rows.get(id(event))
        if entry is not None and entry[0] is event:
            self._rows.move_to_end(id(event))
            return entry[1]
        m = self._m(font)
        row: _Row
        if event.type is EventType.CHAT:
            row = self._chat_row(event, m)
        else:
            row = self._notice_row(event, context, m)
        self._keep_row(event, row)
        return row

    def _layout_message(
        self, text: str, spans: list[tuple[int, int]], prefix_w: float, m: _Metrics
    ) -> tuple[QTextLayout | None, float]:
        """The message wrapped to the row: the first line starts after the name, the others
        under the name's start. Returns the layout (None for no text) and its height."""
        if not text:
            return None, m.line
        avail = self._avail(m)
        layout = QTextLayout(text, m.font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        if spans:
            emote = QTextCharFormat()
            emote.setFontWeight(QFont.Weight.Bold)
            emote.setForeground(_EMOTE_FG)
            emote.setBackground(_EMOTE_BG)
            formats = []
            for start, length in spans:
                fr = QTextLayout.FormatRange()
                fr.start = start
                fr.length = length
                fr.format = emote
                formats.append(fr)
            layout.setFormats(formats)
        layout.setCacheEnabled(True)
        layout.beginLayout()
        y = 0.0
        first = True
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            if first and avail - prefix_w >= _MIN_FIRST_LINE:
                line.setLineWidth(avail - prefix_w)
                line.setPosition(QPointF(prefix_w, y))
            else:
                if first:  # a very long name: the message starts on the next line
                    y += m.line
                line.setLineWidth(avail)
                line.setPosition(QPointF(0, y))
            first = False
            y += m.line
        layout.endLayout()
        return layout, max(m.line, y)

    def _chat_row(self, event: StreamEvent, m: _Metrics) -> _ChatRow:
        data = _chat_data(event)
        chips, name, prefix_w = self._prefix(event, m)
        reply = self._reply_text(data)
        message_y = _PAD_Y + (m.small_line + 1 if reply else 0)
        text, spans = render_message(data.message)
        layout, lines_h = self._layout_message(text, spans, prefix_w, m)
        return _ChatRow(
            height=int(message_y + lines_h + _PAD_Y + 0.999),
            time=local_time(event.timestamp),
            reply=reply,
            chips=chips,
            name=name,
            name_color=sender_color(event),
            prefix_w=prefix_w,
            message_y=message_y,
            layout=layout,
        )

    def _notice_row(
        self, event: StreamEvent, context: StreamEvent | None, m: _Metrics
    ) -> _NoticeRow:
        text = describe(event)
        detail = self._notice_detail(event, context)
        accent = _NOTICE_ACCENT.get(event.type, _DEFAULT_ACCENT)
        chip_w = max(self._notice_chip_w(m), self._chip_width(text.chip, m))
        return _NoticeRow(
            height=self._notice_height(bool(detail), m),
            time=local_time(event.timestamp),
            chip=_Chip(text.chip, accent, chip_w),
            summary=text.summary,
            detail=detail,
        )

    # -- QStyledItemDelegate -------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        event = self._resolve(index)
        if event is None:
            return QSize(self._width, 24)
        entry = self._heights.get(id(event))
        if entry is not None and entry[0] is event:
            return QSize(self._width, entry[1])
        context = _deleted_context(index) if event.type is EventType.MESSAGE_DELETED else None
        return QSize(self._width, self.height_of(event, context, option.font))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        event = self._resolve(index)
        if event is None:
            return
        if self.set_font(option.font):  # the view's font changed under us: measure again
            self.sizeHintChanged.emit(index)
        context = _deleted_context(index) if event.type is EventType.MESSAGE_DELETED else None
        row = self._row(event, context, option.font)
        m = self._m(option.font)
        rect = QRectF(option.rect)
        state = option.state
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setClipRect(option.rect)
        if isinstance(row, _ChatRow):
            if state & QStyle.StateFlag.State_Selected:
                painter.fillRect(rect, _SELECTED)
            elif state & QStyle.StateFlag.State_MouseOver:
                painter.fillRect(rect, _HOVER)
            deleted = bool(index.data(EventFeedModel.DeletedRole))
            self._paint_chat(painter, rect, row, m, deleted)
        else:
            self._paint_notice(painter, rect, row, m, state)
        painter.restore()

    def _paint_time(
        self, painter: QPainter, x: float, baseline: float, row: _Row, m: _Metrics
    ) -> None:
        painter.setFont(m.font)
        painter.setPen(_FAINT)
        painter.drawText(QPointF(x, baseline), row.time)

    def _paint_chip(
        self, painter: QPainter, x: float, center_y: float, chip: _Chip, m: _Metrics
    ) -> None:
        box = QRectF(x, center_y - m.chip_h / 2, chip.width, m.chip_h)
        background = QColor(chip.color)
        background.setAlpha(40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(background)
        painter.drawRoundedRect(box, 4, 4)
        painter.setFont(m.small)
        painter.setPen(chip.color.lighter(115))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, chip.text)

    def _paint_chat(
        self, painter: QPainter, rect: QRectF, row: _ChatRow, m: _Metrics, deleted: bool
    ) -> None:
        x0 = rect.left() + _PAD_X + m.time_w
        top = rect.top()
        if row.reply:
            painter.setFont(m.small)
            painter.setPen(_FAINT)
            width = rect.right() - _PAD_X - x0
            text = m.small_fm.elidedText(row.reply, Qt.TextElideMode.ElideRight, width)
            painter.drawText(QPointF(x0, top + _PAD_Y + m.small_fm.ascent()), text)
        line_top = top + row.message_y
        baseline = line_top + m.fm.ascent()
        self._paint_time(painter, rect.left() + _PAD_X, baseline, row, m)
        if deleted:
            painter.setOpacity(0.45)
        x = x0
        for chip in row.chips:
            self._paint_chip(painter, x, line_top + m.line / 2, chip, m)
            x += chip.width + 4
        if row.chips:
            x += 2
        painter.setFont(m.bold)
        painter.setPen(row.name_color)
        painter.drawText(QPointF(x, baseline), row.name)
        painter.setPen(_MUTED)
        painter.drawText(QPointF(x + m.bold_fm.horizontalAdvance(row.name), baseline), ":")
        if row.layout is not None:
            painter.setPen(_MUTED if deleted else _TEXT)
            origin = QPointF(x0, line_top)
            row.layout.draw(painter, origin)
            if deleted:
                painter.setPen(QPen(_MUTED, 1.2))
                for i in range(row.layout.lineCount()):
                    line = row.layout.lineAt(i)
                    y = origin.y() + line.y() + line.ascent() * 0.62
                    start = origin.x() + line.x()
                    painter.drawLine(QPointF(start, y), QPointF(start + line.naturalTextWidth(), y))
        painter.setOpacity(1.0)

    def _paint_notice(
        self,
        painter: QPainter,
        rect: QRectF,
        row: _NoticeRow,
        m: _Metrics,
        state: QStyle.StateFlag,
    ) -> None:
        box = rect.adjusted(
            _NOTICE_MARGIN_X, _NOTICE_MARGIN_Y, -_NOTICE_MARGIN_X, -_NOTICE_MARGIN_Y
        )
        accent = row.chip.color
        tint = QColor(accent)
        tint.setAlpha(34 if state & QStyle.StateFlag.State_Selected else 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(box, 7, 7)
        painter.setBrush(accent)
        painter.drawRoundedRect(QRectF(box.left(), box.top(), 3.5, box.height()), 1.75, 1.75)

        line_top = box.top() + _PAD_Y + 1
        baseline = line_top + m.fm.ascent()
        self._paint_time(painter, rect.left() + _PAD_X, baseline, row, m)
        x = rect.left() + _PAD_X + m.time_w
        self._paint_chip(painter, x, line_top + m.line / 2, row.chip, m)
        x += row.chip.width + 8
        right = box.right() - _PAD_X
        painter.setFont(m.bold)
        painter.setPen(_TEXT)
        summary = m.bold_fm.elidedText(row.summary, Qt.TextElideMode.ElideRight, right - x)
        painter.drawText(QPointF(x, baseline), summary)
        if row.detail:
            painter.setFont(m.font)
            painter.setPen(_MUTED)
            detail = m.fm.elidedText(row.detail, Qt.TextElideMode.ElideRight, right - x)
            painter.drawText(QPointF(x, baseline + m.line), detail)
