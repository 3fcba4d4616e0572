"""The event feed's data: a bounded model of the latest events and a filter by category.

- `EventFeedModel` keeps at most `capacity` events (newest first). `add_events` inserts a batch
  with one `beginInsertRows` and trims the oldest with one `beginRemoveRows`, so memory stays flat
  however long the stream runs. It remembers which chat messages a moderator deleted.
- `EventFilterProxy` narrows the feed to one `FeedCategory`.
- `event_resolver` gives the event behind a list index without a trip through `data()`, for the
  delegate, which asks for every row's size whenever rows arrive.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QWidget

from app.core.events import EventType, StreamEvent
from app.ui.feed_category import FeedCategory
from app.ui.feed_text import category_of, chat_id_of, display_text, local_time
from app.ui.plain import plain_tooltip

__all__ = [
    "DEFAULT_CAPACITY",
    "EventFeedModel",
    "EventFilterProxy",
    "EventResolver",
    "ModelIndex",
    "event_from_index",
    "event_resolver",
]

DEFAULT_CAPACITY = 5_000

ModelIndex = QModelIndex | QPersistentModelIndex
EventResolver = Callable[[ModelIndex], "StreamEvent | None"]


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
            chat_id = chat_id_of(event) if event.type is EventType.CHAT else None
            return chat_id is not None and chat_id in self._deleted
        if role == self.ContextRole:
            if event.type is EventType.MESSAGE_DELETED:
                chat_id = chat_id_of(event)
                if chat_id is not None:
                    return self._chat_event(chat_id)
            return None
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
                if old.type is EventType.CHAT:
                    chat_id = chat_id_of(old)
                    if chat_id is not None and self._chat_seq.get(chat_id) == self._first_seq:
                        del self._chat_seq[chat_id]
                self._first_seq += 1
            self.endRemoveRows()

        self.beginInsertRows(QModelIndex(), 0, len(batch) - 1)
        deleted_rows: list[int] = []
        for event in batch:
            seq = self._first_seq + len(self._events)
            self._events.append(event)
            if event.type is EventType.CHAT:
                chat_id = chat_id_of(event)
                if chat_id:
                    self._chat_seq[chat_id] = seq
            elif event.type is EventType.MESSAGE_DELETED:
                chat_id = chat_id_of(event)
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


def event_from_index(index: ModelIndex) -> StreamEvent | None:
    """The event behind an index of any model that answers `EventFeedModel.EventRole`."""
    event = index.data(EventFeedModel.EventRole)
    return event if isinstance(event, StreamEvent) else None


def event_resolver(model: EventFeedModel, proxy: EventFilterProxy | None = None) -> EventResolver:
    """index -> event for a list that shows `model` (proxy None) or `proxy` over it: straight
    from the model's deque, which is much cheaper than `data()`."""
    if proxy is None:

        def at_source_row(index: ModelIndex) -> StreamEvent | None:
            try:
                return model.event_at(index.row())
            except IndexError:
                return None

        return at_source_row

    def through_proxy(index: ModelIndex) -> StreamEvent | None:
        row = index.row()
        if index.model() is proxy:
            row = proxy.mapToSource(index).row()
        if 0 <= row < len(model):
            return model.event_at(row)
        return None

    return through_proxy
