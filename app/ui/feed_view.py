"""The event feed's widget: title, event count, type filter, "N new" button and the list.

The model and filter proxy (`app.ui.feed_model`), the delegate (`app.ui.feed_delegate`) and
the words (`app.ui.feed_text`) load on first use, so the window can be painted before them: the
model and the delegate are built the first time the feed gets events or someone asks for them
(`model`, `delegate`, `proxy`). Until then the list says that it is empty, which is what it
would show anyway. The view hands the delegate the way to find an index's event
(`event_resolver`); the delegate never calls back into the view.

The list shows the newest event on top. While the reader is at that top edge it follows new
rows; once they scroll away, new events are held back so what they read stays where it is, and
`feedJumpLatest` says how many came in and takes them back up (a button: Tab reaches it). Held
events are shown as soon as the reader is back at the top.

Emote pictures: `set_images` hands the delegate an `ImageService`. Pictures that become ready
are gathered for a moment (`PICTURES_BATCH_MS`: a chat's first seconds bring many at once) and
then the rows showing them are measured again: the list is laid out again only if a height
changed, otherwise the visible rows are repainted. (Inserting rows above and moving the
scroll position by their height needs the whole list laid out at once: 40 ms and more per batch
at 5,000 rows, which the event loop cannot afford at a thousand events a second.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.feed_category import FILTERS, FeedCategory
from app.ui.feed_list import EMPTY_ALL, FOLLOW_SLACK_PX, FeedList

if TYPE_CHECKING:
    from app.core.events import StreamEvent
    from app.services.images import ImageService
    from app.ui.feed_delegate import EventFeedDelegate
    from app.ui.feed_model import EventFeedModel, EventFilterProxy, EventResolver, ModelIndex

__all__ = ["FOLLOW_SLACK_PX", "PICTURES_BATCH_MS", "EventFeedView"]

# Emote pictures that arrive within this long are put in the rows together.
PICTURES_BATCH_MS = 40


class _Parts:
    """The model side of the feed, built on first use, and how to find an index's event with
    the list showing the model itself (`at_source_row`) or the proxy (`through_proxy`)."""

    def __init__(
        self,
        model: EventFeedModel,
        proxy: EventFilterProxy,
        delegate: EventFeedDelegate,
        at_source_row: EventResolver,
        through_proxy: EventResolver,
    ):
        self.model = model
        self.proxy = proxy
        self.delegate = delegate
        self.at_source_row = at_source_row
        self.through_proxy = through_proxy


class EventFeedView(QWidget):
    """Title, event count, type filter (`feedFilter`), the "N new" button (`feedJumpLatest`)
    and the list (`eventFeedList`).

    With the "All" filter the list shows the model itself; another filter puts an
    `EventFilterProxy` in between."""

    picturesShown = Signal()  # emote pictures that became ready are in the rows now

    def __init__(
        self,
        model: EventFeedModel | None = None,
        parent: QWidget | None = None,
        *,
        title: str = "Live events",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eventFeed")
        self._given_model = model
        self._parts: _Parts | None = None
        # Events that came while the reader was scrolled away from the newest row: held back
        # (as many as the feed keeps), so the rows they are reading do not move, and shown when
        # they return to the top or click "N new".
        self._held: deque[StreamEvent] = deque()
        self._unseen = 0
        self._images: ImageService | None = None
        self._ready_emotes: set[str] = set()
        self._pictures_timer = QTimer(self)
        self._pictures_timer.setSingleShot(True)
        self._pictures_timer.setInterval(PICTURES_BATCH_MS)
        self._pictures_timer.timeout.connect(self._show_pictures)

        # the list first: it is the first child destroyed, while the rest still exists
        self._list = FeedList(self)
        self._list.setObjectName("eventFeedList")
        self._list.setAccessibleName("Event feed")
        self._list.setUniformItemSizes(False)
        self._list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._list.verticalScrollBar().setSingleStep(24)
        self._list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list.setResizeMode(QListView.ResizeMode.Adjust)
        self._list.setLayoutMode(QListView.LayoutMode.Batched)  # big relayouts stay responsive
        self._list.setBatchSize(500)
        self._list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._list.setMouseTracking(True)
        palette = self._list.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor("#121417"))
        self._list.setPalette(palette)
        self._list.verticalScrollBar().valueChanged.connect(self._on_scrolled)

        heading = QLabel(title, self)
        heading.setObjectName("feedTitle")
        self._count = QLabel("", self)
        self._count.setObjectName("feedCount")
        self._jump = QPushButton(self)
        self._jump.setObjectName("feedJumpLatest")
        self._jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self._jump.setToolTip("Scroll back up to the newest event")
        self._jump.clicked.connect(self.scroll_to_latest)
        self._jump.hide()
        self._filter = QComboBox(self)
        self._filter.setObjectName("feedFilter")
        self._filter.setAccessibleName("Show events of type")
        self._filter.setToolTip("Show only one kind of event")
        for text, category in FILTERS:
            self._filter.addItem(text, category.value)
        self._filter.currentIndexChanged.connect(self._on_filter)

        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(heading)
        header.addWidget(self._count, 0, Qt.AlignmentFlag.AlignBottom)
        header.addStretch(1)
        header.addWidget(self._jump)
        header.addWidget(self._filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self._list, 1)
        QWidget.setTabOrder(self._jump, self._filter)
        QWidget.setTabOrder(self._filter, self._list)

        if model is not None:
            self._ensure()

    # -- the model side, on first use ----------------------------------------------------------

    def _ensure(self) -> _Parts:
        if self._parts is not None:
            return self._parts
        from app.ui.feed_delegate import EventFeedDelegate
        from app.ui.feed_model import EventFeedModel, EventFilterProxy, event_resolver

        model = self._given_model if self._given_model is not None else EventFeedModel(parent=self)
        if model.parent() is None:
            model.setParent(self)  # dies with the view, never under a live list
        proxy = EventFilterProxy(self)
        proxy.setSourceModel(model)
        at_source_row = event_resolver(model)
        delegate = EventFeedDelegate(self, resolve=at_source_row)
        delegate.max_cached_heights = 2 * model.capacity + 1_000
        delegate.set_images(self._images)
        self._parts = _Parts(model, proxy, delegate, at_source_row, event_resolver(model, proxy))
        model.countChanged.connect(self._render_count)
        model.modelReset.connect(lambda: self._render_count(len(model)))
        self._list.set_feed_delegate(delegate)
        self._show_category(self.category())
        self._render_count(len(model))
        return self._parts

    # -- API -----------------------------------------------------------------------------------

    @property
    def model(self) -> EventFeedModel:
        return self._ensure().model

    @property
    def proxy(self) -> EventFilterProxy:
        return self._ensure().proxy

    @property
    def list_view(self) -> QListView:
        return self._list

    @property
    def delegate(self) -> EventFeedDelegate:
        return self._ensure().delegate

    @property
    def jump_button(self) -> QPushButton:
        return self._jump

    @property
    def unseen(self) -> int:
        """Events held back while the reader is scrolled away from the newest row, of the kind
        the filter shows."""
        return self._unseen

    def set_images(self, images: ImageService | None) -> None:
        """Where emote pictures come from; None: emotes are drawn as `:NAME:` chips."""
        if images is self._images:
            return
        if self._images is not None:
            self._images.emote_ready.disconnect(self._on_picture_ready)
        self._images = images
        if images is not None:
            images.emote_ready.connect(self._on_picture_ready)
        if self._parts is not None:
            self._parts.delegate.set_images(images)
            self._list.heights_changed()

    def add_events(self, events: Sequence[StreamEvent]) -> None:
        parts = self._ensure()
        if not self._held and self._list.is_following():
            parts.model.add_events(events)
            return
        self._held.extend(events)
        if len(self._held) > parts.model.capacity:  # the feed would drop these anyway
            while len(self._held) > parts.model.capacity:
                self._held.popleft()
            self._unseen = self._count_shown(self._held)
        else:
            self._unseen += self._count_shown(events)
        self._show_unseen()

    def _count_shown(self, events: Iterable[StreamEvent]) -> int:
        from app.ui.feed_text import category_of

        category = self.category()
        if category is FeedCategory.ALL:
            return sum(1 for _ in events)
        return sum(1 for event in events if category_of(event) is category)

    def clear(self) -> None:
        self._held.clear()
        self._unseen = 0
        self._show_unseen()
        if self._parts is not None:
            self._parts.model.clear()

    def set_filter(self, category: FeedCategory) -> None:
        for i in range(self._filter.count()):
            if self._filter.itemData(i) == category.value:
                self._filter.setCurrentIndex(i)
                return

    def category(self) -> FeedCategory:
        return FeedCategory(self._filter.currentData())

    def is_following(self) -> bool:
        return self._list.is_following()

    def scroll_to_latest(self) -> None:
        had_focus = self._jump.hasFocus()
        self._list.verticalScrollBar().setValue(0)
        self._release_held()
        if had_focus:  # the button hides: keep the keyboard in the feed
            self._list.setFocus(Qt.FocusReason.OtherFocusReason)

    def visible_events(self) -> list[StreamEvent]:
        """The events the list shows now, top to bottom."""
        if self._parts is None:
            return []
        model = self._list.model()
        events = []
        for row in range(model.rowCount()):
            event = self._event_for(model.index(row, 0))
            if event is not None:
                events.append(event)
        return events

    # -- internals -----------------------------------------------------------------------------

    def _event_for(self, index: ModelIndex) -> StreamEvent | None:
        """The event behind a list index (of the model or the proxy)."""
        return self._ensure().through_proxy(index)

    def _on_filter(self, i: int) -> None:
        self._show_category(FeedCategory(self._filter.itemData(i)))

    def _show_category(self, category: FeedCategory) -> None:
        if self._parts is not None:
            parts = self._parts
            parts.proxy.set_category(category)
            target: EventFeedModel | EventFilterProxy
            if category is FeedCategory.ALL:
                parts.delegate.set_resolver(parts.at_source_row)
                target = parts.model
            else:
                parts.delegate.set_resolver(parts.through_proxy)
                target = parts.proxy
            if self._list.model() is not target:
                self._list.setModel(target)
                self._list.scrollToTop()
        self._release_held()
        self._list.empty_text = (
            EMPTY_ALL
            if category is FeedCategory.ALL
            else f"No {self._filter.currentText().lower()} events yet."
        )
        self._list.viewport().update()

    def _on_scrolled(self, value: int) -> None:
        if value <= FOLLOW_SLACK_PX:
            self._release_held()

    def _release_held(self) -> None:
        if self._held and self._parts is not None:
            held = list(self._held)
            self._held.clear()
            self._parts.model.add_events(held)
        self._unseen = 0
        self._show_unseen()

    def _on_picture_ready(self, emote_id: str) -> None:
        self._ready_emotes.add(emote_id)
        if not self._pictures_timer.isActive():  # not restarted: a steady stream still shows
            self._pictures_timer.start()

    def _show_pictures(self) -> None:
        ready, self._ready_emotes = self._ready_emotes, set()
        if self._parts is not None:
            if self._parts.delegate.pictures_ready(ready):
                self._list.heights_changed()
            self._list.viewport().update()
        self.picturesShown.emit()

    def _show_unseen(self) -> None:
        n = self._unseen
        if n:
            text = f"↑ {n:,} new — jump to latest"
            self._jump.setText(text)
            self._jump.setAccessibleName(f"{n:,} new events above. Jump to the latest")
        self._jump.setVisible(n > 0)

    def _render_count(self, n: int) -> None:
        self._count.setText(f"{n:,} {'event' if n == 1 else 'events'}" if n else "")
