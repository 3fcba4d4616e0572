"""The event feed's list widget: keeps the delegate's width and font current, says something
when empty, copies the selected rows as text (`app.ui.feed_view` puts it in the feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QListView, QWidget

if TYPE_CHECKING:
    from app.ui.feed_delegate import EventFeedDelegate

__all__ = ["EMPTY_ALL", "FOLLOW_SLACK_PX", "FeedList"]

# Within this many pixels of the top the reader is "at the newest row" and the list follows.
FOLLOW_SLACK_PX = 2

_FAINT = QColor("#6b717b")
EMPTY_ALL = "Events will appear here once the channel is connected."


class FeedList(QListView):
    """The list: keeps the delegate's width and font current, says something when empty, and
    copies the selected rows as text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._delegate: EventFeedDelegate | None = None
        self.empty_text = EMPTY_ALL

    def set_feed_delegate(self, delegate: EventFeedDelegate) -> None:
        self._delegate = delegate
        self.setItemDelegate(delegate)
        self._sync_delegate()

    def is_following(self) -> bool:
        """At the newest (top) edge: new rows are shown as they come."""
        return self.verticalScrollBar().value() <= FOLLOW_SLACK_PX

    def _sync_delegate(self) -> None:
        if self._delegate is None:
            return
        changed = self._delegate.set_font(self.font())
        changed = self._delegate.set_width(self.viewport().width()) or changed
        if changed:
            self.scheduleDelayedItemsLayout()

    def heights_changed(self) -> None:
        """Rows were measured again: lay the list out again (later, batched)."""
        self.scheduleDelayedItemsLayout()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._sync_delegate()
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._sync_delegate()

    def paintEvent(self, event: QPaintEvent) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(_FAINT)
            painter.drawText(
                self.viewport().rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()
            return
        super().paintEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            selection = self.selectionModel()
            rows = sorted(selection.selectedIndexes(), key=lambda i: i.row()) if selection else []
            lines = [str(index.data(Qt.ItemDataRole.DisplayRole) or "") for index in rows]
            if lines:
                QGuiApplication.clipboard().setText("\n".join(lines))
            event.accept()
            return
        super().keyPressEvent(event)
