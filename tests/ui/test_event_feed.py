"""The event feed: a bounded model, the type filter, literal (never rich) text, cheap painting."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QComboBox, QListView, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from app.core.events import EventType as T
from app.core.events import StreamEvent
from app.kick.normalize import Normalizer
from app.ui import feed_category, feed_delegate, feed_model, feed_rows, feed_style, feed_text
from app.ui import feed_view as feed_view_module
from app.ui.feed_category import FILTERS, FeedCategory
from app.ui.feed_model import DEFAULT_CAPACITY, EventFeedModel
from app.ui.feed_rows import ChatRow
from app.ui.feed_style import sender_color
from app.ui.feed_text import (
    category_of,
    describe,
    display_text,
    render_emotes,
    render_message,
    shows_emote,
)
from app.ui.feed_view import EventFeedView
from tests.ui import make_event, themed

HOSTILE = "<b>bold?</b> <img src=x onerror=alert(1)> &amp; <script>alert(1)</script>"


@pytest.fixture
def view(qapp: QApplication, qtbot: QtBot) -> Iterator[EventFeedView]:
    with themed(qapp):
        widget = EventFeedView()
        qtbot.addWidget(widget)
        widget.resize(720, 600)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget


def chats(n: int, start: int = 0) -> list[StreamEvent]:
    return [make_event(T.CHAT, f"user{i}", ident=f"id{i}", message=f"msg {i}") for i in
            range(start, start + n)]  # fmt: skip


def one_of_each() -> list[StreamEvent]:
    return [
        make_event(T.CHAT, message="hi"),
        make_event(T.FOLLOW, "cozy_fern", followersCount=10),
        make_event(T.SUBSCRIBE, months=7, message=""),
        make_event(T.GIFT_SUB, "santa", giftedCount=3, gifterUsername="santa",
                   recipients=["a", "b", "c"]),
        make_event(T.KICKS, amount=100, giftName="Hype", message=""),
        make_event(T.LIVE_START, "nightowlgg", title="Ranked"),
        make_event(T.LIVE_END, "nightowlgg"),
        make_event(T.BAN, "", target="spammer", moderator="mod", permanent=True,
                   durationMinutes=None),
        make_event(T.UNBAN, "", target="spammer", moderator="mod", permanent=False,
                   durationMinutes=None),
        make_event(T.MESSAGE_DELETED, "", chatId="nope"),
        make_event(T.HOST, "friend", hostUsername="friend", viewers=12, message=""),
        make_event(T.REWARD, "snack", title="Hydrate", userInput=""),
    ]  # fmt: skip


# -- the model --------------------------------------------------------------------------------


def test_model_passes_qt_model_checks(qtmodeltester: object) -> None:
    model = EventFeedModel(capacity=50)
    model.add_events(chats(10))
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.add_events(chats(60, 10))  # trims while the tester watches the signals
    model.add_events(one_of_each())
    model.clear()
    model.add_events(chats(3))


def test_newest_first_with_the_event_role() -> None:
    model = EventFeedModel()
    model.add_events(chats(3))
    model.add_events(chats(2, 3))
    ids = [model.index(row).data(EventFeedModel.EventRole).id for row in range(model.rowCount())]
    assert ids == ["id4", "id3", "id2", "id1", "id0"]
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole) == "user4: msg 4"
    assert model.index(0).data(EventFeedModel.CategoryRole) == "chat"


def test_default_capacity_is_5000() -> None:
    assert EventFeedModel().capacity == DEFAULT_CAPACITY == 5_000


def test_bound_holds_under_100000_events_in_batches() -> None:
    model = EventFeedModel()
    inserts: list[tuple[int, int]] = []
    removes: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserts.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: removes.append((first, last)))
    batches = 0
    for start in range(0, 100_000, 500):
        model.add_events(chats(500, start))
        batches += 1
        assert len(model) <= model.capacity
    assert model.rowCount() == 5_000
    assert len(model._events) == 5_000  # the memory: what the model holds
    assert len(model._chat_seq) <= 5_000
    assert model.event_at(0).id == "id99999"  # newest first
    assert model.event_at(4_999).id == "id95000"
    assert len(inserts) == batches  # one insertion per batch ...
    assert all(first == 0 and last == 499 for first, last in inserts)
    assert len(removes) == batches - 10  # ... and one removal per batch once full
    assert all(last - first + 1 == 500 for first, last in removes)


def test_a_batch_larger_than_the_bound_keeps_its_newest() -> None:
    model = EventFeedModel(capacity=100)
    model.add_events(chats(30))
    model.add_events(chats(250, 30))
    assert model.rowCount() == 100
    assert model.event_at(0).id == "id279"
    assert model.event_at(99).id == "id180"


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        EventFeedModel(capacity=0)


def test_deleted_messages_are_marked(qtbot: QtBot) -> None:
    model = EventFeedModel()
    target = make_event(T.CHAT, "spammer", ident="bad", message="buy followers")
    model.add_events([target, make_event(T.CHAT, message="ok")])
    assert model.index(1).data(EventFeedModel.DeletedRole) is False
    with qtbot.waitSignal(model.dataChanged, timeout=1_000) as blocker:
        model.add_events([make_event(T.MESSAGE_DELETED, "", chatId="bad")])
    assert blocker.args[0].row() == 2  # the deleted message's row, after the insertion
    assert model.index(2).data(EventFeedModel.DeletedRole) is True
    assert model.index(0).data(EventFeedModel.ContextRole) is target


def test_clear() -> None:
    model = EventFeedModel()
    model.add_events(chats(5))
    model.clear()
    assert model.rowCount() == 0
    model.add_events(chats(1))
    assert model.event_at(0).id == "id0"


# -- words ------------------------------------------------------------------------------------


def test_summaries() -> None:
    assert describe(make_event(T.SUBSCRIBE, months=7, message="")).summary == (
        "pixel_mage subscribed for 7 months"
    )
    assert describe(make_event(T.SUBSCRIBE, months=1, message="")).summary == (
        "pixel_mage subscribed"
    )
    gift = make_event(T.GIFT_SUB, giftedCount=3, gifterUsername="pixel_mage",
                      recipients=["a", "b", "c"])  # fmt: skip
    assert describe(gift).summary == "pixel_mage gifted 3 subs"
    assert describe(gift).detail == "to a, b, c"
    one = make_event(T.GIFT_SUB, giftedCount=1, gifterUsername="g", recipients=["lucky"])
    assert describe(one).summary == "g gifted a sub to lucky"
    assert describe(make_event(T.LIVE_START, title="Ranked grind")).summary == (
        "Stream started: Ranked grind"
    )
    assert describe(make_event(T.LIVE_END)).summary == "Stream ended"
    ban = make_event(T.BAN, "", target="x", moderator="m", permanent=False, durationMinutes=60)
    assert describe(ban).summary == "x was timed out for 1 hour by m"
    assert describe(ban).chip == "TIMEOUT"
    assert describe(make_event(T.FOLLOW, "f", followersCount=1234)).detail == "1,234 followers"
    assert describe(make_event(T.FOLLOW, "", followersCount=5)).summary == "New follower"


def test_counts_arriving_as_strings_are_read_as_the_normalizer_typed_them() -> None:
    kick = json.dumps({"username": "s", "months": "12"})
    event = Normalizer("nightowlgg").normalize_event("App\\Events\\SubscriptionEvent", None, kick)
    assert event is not None and describe(event).summary == "s subscribed for 12 months"


def test_emotes_become_names() -> None:
    text, spans = render_message("gg [emote:37226:KEKW] [emote:1:A][emote:2:B]")
    assert text == "gg :KEKW: :A: :B:"
    assert [text[s : s + n] for s, n in spans] == [":KEKW:", ":A:", ":B:"]
    assert render_emotes("gg [emote:37226:KEKW] [emote:1:A][emote:2:B]") == (
        text,
        [(3, 6, "37226"), (10, 3, "1"), (14, 3, "2")],
    )  # each with its id, for its picture
    event = make_event(T.CHAT, message="x [emote:12:A]")
    assert shows_emote(event, {"12", "99"}) and not shows_emote(event, {"1", "123"})
    assert not shows_emote(make_event(T.FOLLOW, followersCount=1), {"12"})


def test_hostile_text_is_literal() -> None:
    event = make_event(T.CHAT, "<i>evil</i>", message=HOSTILE)
    shown = display_text(event)
    assert shown == f"<i>evil</i>: {HOSTILE}"
    assert "<b>" in shown and "<img src=x" in shown and "&amp;" in shown
    sub = make_event(T.SUBSCRIBE, "<b>x</b>", months=2, message=HOSTILE)
    assert describe(sub).summary == "<b>x</b> subscribed for 2 months"
    assert describe(sub).detail == HOSTILE


def test_no_rich_text_anywhere_in_the_feed() -> None:
    modules = (feed_category, feed_delegate, feed_model, feed_rows, feed_style, feed_text,
               feed_view_module)  # fmt: skip
    for module in modules:
        source = inspect.getsource(module)
        for rich in ("QTextDocument(", "setHtml(", "TextFormat.RichText", "mightBeRichText("):
            assert rich not in source, module.__name__


def test_control_and_bidi_characters_are_neutralised() -> None:
    text, _ = render_message("a\nb\r\nc\u202edef\u2066g\x00h")
    assert text == "a b c def g h"


def test_categories_cover_every_type() -> None:
    assert {category_of(e) for e in one_of_each()} == {
        FeedCategory.CHAT, FeedCategory.FOLLOWS, FeedCategory.SUBS, FeedCategory.LIVE,
        FeedCategory.MODERATION, FeedCategory.OTHER,
    }  # fmt: skip
    assert [text for text, _ in FILTERS] == [
        "All", "Chat", "Follows", "Subs & gifts", "Live", "Moderation", "Other",
    ]  # fmt: skip


def test_sender_colours_are_readable() -> None:
    dark = sender_color(make_event(T.CHAT, senderIdentity={"color": "#000080", "badges": []}))
    assert dark.lightnessF() >= 0.58
    bright = sender_color(make_event(T.CHAT, senderIdentity={"color": "#75FD46", "badges": []}))
    assert bright == QColor("#75FD46")
    missing = make_event(T.CHAT, "someone", senderIdentity={"color": "", "badges": []})
    assert sender_color(missing) == sender_color(missing)  # stable per name
    assert sender_color(missing).lightnessF() >= 0.58
    junk = make_event(T.CHAT, "x", senderIdentity={"color": "javascript:", "badges": []})
    assert sender_color(junk).isValid()


# -- the view ---------------------------------------------------------------------------------


def test_view_parts(view: EventFeedView) -> None:
    assert isinstance(view.findChild(QComboBox, "feedFilter"), QComboBox)
    assert view.findChild(QListView, "eventFeedList") is view.list_view
    combo = view.findChild(QComboBox, "feedFilter")
    assert [combo.itemText(i) for i in range(combo.count())] == [t for t, _ in FILTERS]


def test_filter(qtbot: QtBot, view: EventFeedView) -> None:
    view.add_events(one_of_each())
    combo = view.findChild(QComboBox, "feedFilter")
    assert isinstance(combo, QComboBox)
    shown = view.list_view.model()
    assert shown.rowCount() == 12

    combo.setCurrentIndex(combo.findText("Subs & gifts"))
    assert view.category() is FeedCategory.SUBS
    assert {e.type for e in view.visible_events()} == {T.SUBSCRIBE, T.GIFT_SUB, T.KICKS}
    view.add_events([make_event(T.CHAT), make_event(T.SUBSCRIBE, months=2, message="")])
    assert len(view.visible_events()) == 4  # new arrivals are filtered too
    assert view.visible_events()[0].type is T.SUBSCRIBE

    view.set_filter(FeedCategory.MODERATION)
    assert {e.type for e in view.visible_events()} == {T.BAN, T.UNBAN, T.MESSAGE_DELETED}
    view.set_filter(FeedCategory.ALL)
    assert len(view.visible_events()) == 14


def test_view_bound_and_order(view: EventFeedView) -> None:
    for start in range(0, 20_000, 1_000):
        view.add_events(chats(1_000, start))
    assert view.list_view.model().rowCount() == 5_000
    assert view.visible_events()[0].id == "id19999"


def test_hostile_text_reaches_the_painter_literally(view: EventFeedView) -> None:
    event = make_event(T.CHAT, "<b>x</b>", message=HOSTILE)
    view.add_events([event])
    row = view.delegate._row(event, None, view.list_view.font())
    assert isinstance(row, ChatRow)
    assert row.name == "<b>x</b>"
    assert row.layout is not None
    assert row.layout.text() == HOSTILE  # a plain-text layout: no markup was interpreted


def paint_rows(view: EventFeedView, width: int = 700) -> QImage:
    list_view = view.list_view
    model = list_view.model()
    delegate = view.delegate
    heights = []
    option = QStyleOptionViewItem()
    option.font = list_view.font()
    for row in range(model.rowCount()):
        heights.append(delegate.sizeHint(option, model.index(row, 0)).height())
    image = QImage(width, sum(heights), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#121417"))
    painter = QPainter(image)
    y = 0
    for row, height in enumerate(heights):
        option.rect = QRect(0, y, width, height)
        delegate.paint(painter, option, model.index(row, 0))
        y += height
    painter.end()
    return image


def test_painting_1000_varied_rows(view: EventFeedView) -> None:
    events: list[StreamEvent] = []
    for i in range(1_000 // 20):
        events += one_of_each()
        events += [
            make_event(T.CHAT, "wall", message="long words " * 40),
            make_event(T.CHAT, "<b>", message=HOSTILE),
            make_event(T.CHAT, "emo", message="[emote:1:KEKW]" * 5),
            make_event(T.CHAT, "reply", message="@a yes",
                       replyTo={"chatId": "c", "username": "a", "message": "q?"}),
            make_event(T.CHAT, "a" * 25, message="x",
                       senderIdentity={"color": "#123456", "badges": [
                           {"type": "moderator", "text": "Moderator"},
                           {"type": "subscriber", "text": "Subscriber", "count": 12},
                           {"type": "weird", "text": "<b>Odd</b>"}]}),
            make_event(T.CHAT, "", message=""),
            make_event(T.CHAT, "t", message="x", timestamp="not a time"),
            make_event(T.MESSAGE_DELETED, "", chatId=f"gone{i}"),
        ]  # fmt: skip
    events = events[:1_000]
    view.add_events(events)
    assert view.model.rowCount() == 1_000
    image = paint_rows(view)
    assert image.height() > 1_000 * 20
    assert len(view.delegate._rows) <= view.delegate.max_cached_rows
    # something was drawn: pixels other than the background
    assert any(image.pixelColor(x, 12) != QColor("#121417") for x in range(60, 200))


def test_wrapped_chat_rows_are_taller(view: EventFeedView) -> None:
    short = make_event(T.CHAT, message="gg")
    long = make_event(T.CHAT, message="word " * 200)
    view.add_events([short, long])
    font = view.list_view.font()
    delegate = view.delegate
    assert delegate.height_of(long, None, font) > 3 * delegate.height_of(short, None, font)
    # the measured height is the laid-out height
    row = delegate._row(long, None, font)
    assert row.height == delegate.height_of(long, None, font)


def test_grab_smoke(view: EventFeedView) -> None:
    view.add_events(one_of_each() + chats(50))
    assert not view.grab().isNull()
    view.resize(400, 300)  # a narrower list lays out again
    assert not view.grab().isNull()


def test_empty_model_index_is_harmless(view: EventFeedView) -> None:
    option = QStyleOptionViewItem()
    assert view.delegate.sizeHint(option, QModelIndex()).height() > 0


# -- a reader who scrolled down keeps their place -------------------------------------------


def settle(view: EventFeedView) -> None:
    """Run the list's pending (delayed, batched) layout to the end: no sleeping, just events,
    until the scroll range covers every row."""
    app = QApplication.instance()
    assert app is not None
    list_view = view.list_view
    model = list_view.model()
    height = sum(list_view.sizeHintForIndex(model.index(r, 0)).height() for r in
                 range(model.rowCount()))  # fmt: skip
    expected = max(0, height - list_view.viewport().height())
    bar = list_view.verticalScrollBar()
    for _ in range(1_000):
        app.processEvents()
        if abs(bar.maximum() - expected) <= 4:  # a frame's width either way; a batch is 500 rows
            app.processEvents()
            return
    raise AssertionError(f"layout did not finish: range {bar.maximum()} != {expected}")


def top_row(view: EventFeedView) -> tuple[str, int]:
    """(id of the event at the top of the viewport, its y in the viewport)."""
    list_view = view.list_view
    index = list_view.indexAt(QPoint(40, 1))
    event = index.data(EventFeedModel.EventRole)
    assert isinstance(event, StreamEvent)
    return event.id, list_view.visualRect(index).top()


def scroll_to_middle(view: EventFeedView, fraction: float = 0.5) -> None:
    bar = view.list_view.verticalScrollBar()
    bar.setValue(int(bar.maximum() * fraction))
    settle(view)


@pytest.mark.parametrize(
    ("capacity", "rows", "category"),
    [(200, 200, FeedCategory.ALL), (DEFAULT_CAPACITY, DEFAULT_CAPACITY, FeedCategory.ALL),
     (DEFAULT_CAPACITY, 400, FeedCategory.CHAT)],
    ids=["trimming", "full-5000", "filtered"],
)  # fmt: skip
def test_rows_arriving_above_do_not_move_what_the_reader_looks_at(
    qapp: QApplication, qtbot: QtBot, capacity: int, rows: int, category: FeedCategory
) -> None:
    with themed(qapp):
        view = EventFeedView(EventFeedModel(capacity))
        qtbot.addWidget(view)
        view.resize(720, 600)
        view.show()
        qtbot.waitExposed(view)
        view.set_filter(category)
        view.add_events(chats(rows))
        settle(view)
        scroll_to_middle(view, 0.6)
        before = top_row(view)
        assert not view.is_following()

        # a batch (one that would trim the oldest rows once the feed is full), and the things
        # the filter hides arrive too: held back while the reader is scrolled away
        view.add_events([*chats(30, start=100_000), make_event(T.FOLLOW, "fern", followersCount=1)])
        settle(view)
        assert top_row(view) == before  # same event, same place on screen
        assert len(view.model) == rows
        assert view.unseen == 30 + (category is FeedCategory.ALL)
        assert view.jump_button.isVisible()
        assert view.jump_button.text().startswith(f"↑ {view.unseen} new")

        view.add_events(chats(5, start=200_000))
        settle(view)
        assert top_row(view) == before
        assert view.unseen == 35 + (category is FeedCategory.ALL)

        view.scroll_to_latest()  # nothing was lost: all of them are shown, newest on top
        settle(view)
        assert len(view.model) == min(capacity, rows + 36)
        assert top_row(view)[0] == "id200004" and view.unseen == 0


def test_jump_to_latest_by_keyboard(view: EventFeedView, qtbot: QtBot) -> None:
    view.add_events(chats(300))
    settle(view)
    scroll_to_middle(view)
    view.add_events(chats(3, start=1_000))
    settle(view)
    button = view.jump_button
    assert button.isVisible() and button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    settle(view)
    assert view.is_following()
    assert top_row(view)[0] == "id1002"  # the newest
    assert not button.isVisible() and view.unseen == 0
    assert view.list_view.hasFocus()  # the keyboard stays in the feed


def test_at_the_newest_edge_the_feed_follows_new_rows(view: EventFeedView) -> None:
    view.add_events(chats(300))
    settle(view)
    assert view.is_following()
    view.add_events(chats(10, start=1_000))
    settle(view)
    assert top_row(view) == ("id1009", 0)
    assert view.is_following()
    assert not view.jump_button.isVisible() and view.unseen == 0


def test_scrolling_back_up_clears_the_count(view: EventFeedView) -> None:
    view.add_events(chats(300))
    settle(view)
    scroll_to_middle(view)
    view.add_events(chats(4, start=1_000))
    settle(view)
    assert view.unseen == 4
    view.list_view.verticalScrollBar().setValue(0)
    assert view.unseen == 0 and not view.jump_button.isVisible()
    view.add_events(chats(2, start=2_000))
    settle(view)
    assert top_row(view)[0] == "id2001"


def test_the_model_and_delegate_are_built_on_first_use(qtbot: QtBot) -> None:
    view = EventFeedView()
    qtbot.addWidget(view)
    assert view._parts is None  # start-up: nothing but the widgets the first paint shows
    assert view.list_view.model() is None
    view.add_events(chats(1))
    assert view._parts is not None
    assert view.list_view.model() is view.model and view.model.rowCount() == 1
