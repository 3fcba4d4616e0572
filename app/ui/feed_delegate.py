"""The event feed's delegate: measures rows, keeps their layouts and has them painted.

Heights are measured cheaply (one `horizontalAdvance` for the usual one-line chat message, a
`QTextLayout` only for messages that wrap) and cached per event until the width or font changes;
the full layout of a row is built when it is painted and kept for the few hundred rows most
recently painted. The event behind an index comes from a resolver the view sets
(`set_resolver`, see `app.ui.feed_model.event_resolver`): the delegate knows nothing of the view.

Emote pictures come from an `ImageService` (`set_images`; without one every emote is its
`:NAME:` chip). A row is measured and laid out with the pictures at hand then, and chips for the
rest, which the service starts loading; `pictures_ready` forgets the rows that showed one of
those emotes as a chip, so they are measured and laid out again with the picture.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.core.events import EventType, StreamEvent
from app.ui.feed_model import (
    DEFAULT_CAPACITY,
    EventFeedModel,
    EventResolver,
    ModelIndex,
    event_from_index,
)
from app.ui.feed_pictures import RowPictures
from app.ui.feed_rows import (
    CHIP_PAD,
    GAP,
    MIN_FIRST_LINE,
    NOTICE_MARGIN_Y,
    PAD_X,
    PAD_Y,
    ChatRow,
    Chip,
    Metrics,
    NoticeRow,
    Row,
    layout_message,
    metrics_for,
    paint_chat_row,
    paint_notice_row,
)
from app.ui.feed_style import HOVER, SELECTED, badge_chips, notice_accent, sender_color
from app.ui.feed_text import (
    NOTICE_CHIPS,
    chat_message,
    describe,
    display_text,
    local_time,
    reply_line,
    sender_name,
    shows_emote,
)

if TYPE_CHECKING:
    from app.services.images import ImageService

__all__ = ["EventFeedDelegate"]


@dataclass(slots=True)
class _Natural:
    event: StreamEvent
    prefix_w: float  # badges + name
    text_w: float  # the message on one line
    message_y: float


def _deleted_context(index: ModelIndex) -> StreamEvent | None:
    context = index.data(EventFeedModel.ContextRole)
    return context if isinstance(context, StreamEvent) else None


class EventFeedDelegate(QStyledItemDelegate):
    """Paints one event per row: plain text only (no QTextDocument, no HTML)."""

    def __init__(
        self, parent: QWidget | None = None, *, resolve: EventResolver = event_from_index
    ) -> None:
        super().__init__(parent)
        self._resolve = resolve
        self._metrics: Metrics | None = None
        self._font_key = ""
        self._width = 480
        # id(event) -> (event, ...): the event is kept with its entry so an id is never reused
        # while the entry lives; both caches are bounded.
        self._rows: OrderedDict[int, tuple[StreamEvent, Row]] = OrderedDict()
        self._heights: dict[int, tuple[StreamEvent, int]] = {}
        self._chip_widths: dict[str, float] = {}
        self._prefixes: dict[tuple[str, ...], tuple[list[Chip], str, float]] = {}
        self._naturals: dict[int, _Natural] = {}  # kept across width changes
        self._pictures = RowPictures()
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
        self._metrics = metrics_for(font)
        self._font_key = key
        self.invalidate(fonts=True)
        return True

    def set_resolver(self, resolve: EventResolver) -> None:
        """How to get the StreamEvent behind an index of the model the view shows."""
        self._resolve = resolve

    def set_images(self, images: ImageService | None) -> None:
        """Where emote pictures come from (None: every emote is its chip)."""
        if images is not self._pictures.images:
            self._pictures.images = images
            self.invalidate(fonts=True)

    def invalidate(self, *, fonts: bool = False) -> None:
        """Forget the layouts; with `fonts` the width-independent measures too."""
        self._rows.clear()
        self._heights.clear()
        if fonts:
            self._chip_widths.clear()
            self._prefixes.clear()
            self._naturals.clear()
            self._pictures.forget()

    def _m(self, font: QFont) -> Metrics:
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

    def _avail(self, m: Metrics) -> float:
        return max(40.0, self._width - PAD_X - m.time_w - PAD_X)

    def _chip_width(self, text: str, m: Metrics) -> float:
        width = self._chip_widths.get(text)
        if width is None:
            width = m.small_fm.horizontalAdvance(text) + 2 * CHIP_PAD
            if len(self._chip_widths) > 512:
                self._chip_widths.clear()
            self._chip_widths[text] = width
        return width

    def _notice_chip_w(self, m: Metrics) -> float:
        """One width for the tags of notice rows, so their summaries start in one column."""
        return max(self._chip_width(label, m) for label in NOTICE_CHIPS)

    def _prefix(self, event: StreamEvent, m: Metrics) -> tuple[list[Chip], str, float]:
        """Badges, name, and how far the message's first line is pushed right by them
        (cached per name and badges: chatters talk more than once)."""
        badges = badge_chips(event)
        name = sender_name(event)
        key = (name, *(text for text, _ in badges))
        cached = self._prefixes.get(key)
        if cached is not None:
            return cached
        chips = [Chip(t, c, self._chip_width(t, m)) for t, c in badges]
        width = sum(chip.width + 4 for chip in chips) + (2 if chips else 0)
        width += m.bold_fm.horizontalAdvance(name + ":") + GAP
        if len(self._prefixes) > 2_048:
            self._prefixes.clear()
        self._prefixes[key] = (chips, name, width)
        return chips, name, width

    def _natural(self, event: StreamEvent, m: Metrics) -> _Natural:
        """The width-independent measures of a chat row (kept across resizes)."""
        entry = self._naturals.get(id(event))
        if entry is not None and entry.event is event:
            return entry
        _, _, prefix_w = self._prefix(event, m)
        text, spans = chat_message(event)
        width = m.fm.horizontalAdvance(text)
        if spans:  # emotes are drawn bold, or as their pictures
            widths = self._pictures.widths(spans, m.picture_h, id(event))
            for n, (start, length, _) in enumerate(spans):
                token = text[start : start + length]
                picture_w = widths[n] if widths else None
                drawn = m.bold_fm.horizontalAdvance(token) if picture_w is None else picture_w
                width += drawn - m.fm.horizontalAdvance(token)
        message_y = PAD_Y + (m.small_line + 1 if reply_line(event) else 0)
        natural = _Natural(event, prefix_w, width, message_y)
        if len(self._naturals) >= self.max_cached_heights:
            self._naturals.clear()
        self._naturals[id(event)] = natural
        return natural

    def _chat_height(self, event: StreamEvent, m: Metrics) -> int:
        natural = self._natural(event, m)
        first_w = self._avail(m) - natural.prefix_w
        if first_w >= MIN_FIRST_LINE and natural.text_w <= first_w - 2:
            # the usual case: one line, no layout needed
            return int(natural.message_y + m.line + PAD_Y + 0.999)
        text, spans = chat_message(event)
        widths = self._pictures.widths(spans, m.picture_h, id(event))
        message = layout_message(text, spans, natural.prefix_w, self._avail(m), m, widths)
        return int(natural.message_y + message.height + PAD_Y + 0.999)

    def _notice_height(self, has_detail: bool, m: Metrics) -> int:
        lines = m.line * (2 if has_detail else 1)
        return int(2 * NOTICE_MARGIN_Y + 2 * (PAD_Y + 1) + lines + 0.999)

    @staticmethod
    def _notice_detail(event: StreamEvent, context: StreamEvent | None) -> str:
        if event.type is EventType.MESSAGE_DELETED and context is not None:
            return display_text(context)
        return describe(event).detail

    # -- emote pictures ------------------------------------------------------------------------

    def pictures_ready(self, emote_ids: Collection[str]) -> bool:
        """These emotes' pictures can be drawn now: the rows that showed one as a chip are
        measured and laid out again. True when a row's height changed (the list must be laid
        out again)."""
        if not emote_ids:
            return False
        keys = self._pictures.rows_to_measure(emote_ids)
        if keys is None:
            keys = set(self._rows) | set(self._naturals) | set(self._heights)
        changed = False
        m = self._metrics
        for key in keys:
            row = self._rows.get(key)
            if row is not None and shows_emote(row[0], emote_ids):
                del self._rows[key]
            natural = self._naturals.get(key)
            if natural is not None and shows_emote(natural.event, emote_ids):
                del self._naturals[key]
            entry = self._heights.get(key)
            if entry is None or not shows_emote(entry[0], emote_ids):
                continue
            event, height = entry
            if m is None or event.type is not EventType.CHAT:
                del self._heights[key]
                continue
            new_height = self._chat_height(event, m)
            self._heights[key] = (event, new_height)
            changed = changed or new_height != height
        return changed

    # -- laying out ----------------------------------------------------------------------------

    def _keep_row(self, event: StreamEvent, row: Row) -> None:
        self._rows[id(event)] = (event, row)
        self._rows.move_to_end(id(event))
        while len(self._rows) > self.max_cached_rows:
            self._rows.popitem(last=False)

    def _row(self, event: StreamEvent, context: StreamEvent | None, font: QFont) -> Row:
        entry = self._rows.get(id(event))
        if entry is not None and entry[0] is event:
            self._rows.move_to_end(id(event))
            return entry[1]
        m = self._m(font)
        row: Row
        if event.type is EventType.CHAT:
            row = self._chat_row(event, m)
        else:
            row = self._notice_row(event, context, m)
        self._keep_row(event, row)
        return row

    def _chat_row(self, event: StreamEvent, m: Metrics) -> ChatRow:
        chips, name, prefix_w = self._prefix(event, m)
        reply = reply_line(event)
        message_y = PAD_Y + (m.small_line + 1 if reply else 0)
        text, spans = chat_message(event)
        widths = self._pictures.widths(spans, m.picture_h, id(event))
        message = layout_message(text, spans, prefix_w, self._avail(m), m, widths)
        return ChatRow(
            height=int(message_y + message.height + PAD_Y + 0.999),
            time=local_time(event.timestamp),
            reply=reply,
            chips=chips,
            name=name,
            name_color=sender_color(event),
            prefix_w=prefix_w,
            message_y=message_y,
            layout=message.layout,
            pictures=message.pictures,
        )

    def _notice_row(self, event: StreamEvent, context: StreamEvent | None, m: Metrics) -> NoticeRow:
        text = describe(event)
        detail = self._notice_detail(event, context)
        chip_w = max(self._notice_chip_w(m), self._chip_width(text.chip, m))
        return NoticeRow(
            height=self._notice_height(bool(detail), m),
            time=local_time(event.timestamp),
            chip=Chip(text.chip, notice_accent(event.type), chip_w),
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
        device = painter.device()
        if device is not None:
            self._pictures.pixel_ratio = device.devicePixelRatioF()
        row = self._row(event, context, option.font)
        m = self._m(option.font)
        rect = QRectF(option.rect)
        state = option.state
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setClipRect(option.rect)
        if isinstance(row, ChatRow):
            if state & QStyle.StateFlag.State_Selected:
                painter.fillRect(rect, SELECTED)
            elif state & QStyle.StateFlag.State_MouseOver:
                painter.fillRect(rect, HOVER)
            deleted = bool(index.data(EventFeedModel.DeletedRole))
            pixmaps = self._pictures.pixmaps(row.pictures, m.picture_h)
            paint_chat_row(painter, rect, row, m, deleted, pixmaps)
        else:
            paint_notice_row(painter, rect, row, m, state)
        painter.restore()
