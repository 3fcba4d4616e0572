"""Emotes in the feed as their pictures, from a real file server on 127.0.0.1, on the app's qasync
loop: the `:NAME:` chip first, the picture once it is here (in the chip's place, at line height,
the line wrapped around it); a 404, garbage or a server that stalls keep the chip and block
nothing; one fetch however many rows show the emote; and the app wires it all up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.application import VmscApp
from app.core.events import EventType as T
from app.core.events import StreamEvent
from app.kick.images import ImageFetcher
from app.services.images import ImageService
from app.ui.feed_model import EventFeedModel
from app.ui.feed_rows import PICTURE_CHAR, ChatRow
from app.ui.feed_view import EventFeedView
from app.ui.theme import load_theme
from tests.gui.waiting import until
from tests.image_files import ImageFiles, Reply, png_bytes
from tests.ui import delete_closed_widgets, make_event

MAGENTA = (255, 0, 255)
WIDE_PNG = png_bytes(40, 20, (*MAGENTA, 255))  # twice as wide as tall
WIDER_PNG = png_bytes(60, 20, (*MAGENTA, 255))


def feed_with(qtbot: QtBot, images: ImageService | None, width: int = 720) -> EventFeedView:
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    delete_closed_widgets()
    load_theme(qapp)
    view = EventFeedView()
    qtbot.addWidget(view)
    view.set_images(images)
    view.resize(width, 500)
    view.show()
    return view


def grab(view: EventFeedView) -> QImage:
    return view.list_view.viewport().grab().toImage()


def magenta_box(image: QImage) -> QRect:
    """The bounding box of the emote's colour in `image` (empty if it is not there)."""
    box = QRect()
    for y in range(image.height()):
        for x in range(image.width()):
            if image.pixelColor(x, y).getRgb()[:3] == MAGENTA:
                box = box.united(QRect(x, y, 1, 1))
    return box


def row_of(view: EventFeedView, event: StreamEvent) -> ChatRow:
    row = view.delegate._row(event, None, view.list_view.font())
    assert isinstance(row, ChatRow)
    return row


async def test_an_emote_is_its_chip_then_its_picture_in_the_chips_place(
    files: ImageFiles, client: httpx.AsyncClient, qtbot: QtBot
) -> None:
    path = files.emote("101", Reply(body=WIDE_PNG))
    images = ImageService(ImageFetcher(client, None, files.url))
    view = feed_with(qtbot, images)
    event = make_event(T.CHAT, "pixel_mage", message="look [emote:101:Wide] here")
    view.add_events([event])
    font = view.list_view.font()
    height = view.delegate.height_of(event, None, font)

    assert magenta_box(grab(view)).isEmpty()  # painted at once: the chip
    chip_row = row_of(view, event)
    assert chip_row.layout is not None and chip_row.layout.text() == "look :Wide: here"
    assert chip_row.pictures == ()
    chip_x = chip_row.layout.lineAt(0).cursorToX(len("look "))[0]

    await until(lambda: not magenta_box(grab(view)).isEmpty(), view.picturesShown)
    box = magenta_box(grab(view))
    row = row_of(view, event)
    assert row.layout is not None and row.layout.text() == f"look {PICTURE_CHAR} here"
    assert row.pictures == ((len("look "), "101"),)
    m = view.delegate._m(font)
    assert abs(box.height() - m.picture_h) <= 1  # at line height
    assert abs(box.width() - 2 * m.picture_h) <= 1  # and as wide as the picture is
    assert abs(box.left() - (m.time_w + 12 + chip_x)) <= 1.5  # where the chip began
    rect = view.list_view.visualRect(view.list_view.model().index(0, 0))
    assert rect.top() <= box.top() and box.bottom() <= rect.bottom()
    # the text after it moved by the picture's width instead of the chip's
    line = row.layout.lineAt(0)
    after = line.cursorToX(len("look ") + 1)[0] - line.cursorToX(len("look "))[0]
    assert abs(after - 2 * m.picture_h) < 0.5
    assert view.delegate.height_of(event, None, font) == height == row.height  # still one line
    # what is read and copied stays text
    index = view.list_view.model().index(0, 0)
    assert index.data() == "pixel_mage: look :Wide: here"
    assert "look :Wide: here" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert files.counts[path] == 1


async def test_lines_wrap_around_the_pictures_and_the_list_takes_the_new_height(
    files: ImageFiles, client: httpx.AsyncClient, qtbot: QtBot
) -> None:
    files.emote("101", Reply(body=WIDER_PNG))  # much wider than its chip, `:W:`
    images = ImageService(ImageFetcher(client, None, files.url))
    view = feed_with(qtbot, images, width=320)
    event = make_event(T.CHAT, "w", message="[emote:101:W] " * 16)
    view.add_events([make_event(T.CHAT, "older", message="below"), event])
    list_view = view.list_view
    model = list_view.model()
    font = list_view.font()
    chip_height = view.delegate.height_of(event, None, font)
    grab(view)
    list_view.executeDelayedItemsLayout()
    assert list_view.visualRect(model.index(1, 0)).top() == chip_height

    await until(lambda: bool(row_of(view, event).pictures), view.picturesShown)
    row = row_of(view, event)
    assert row.layout is not None and len(row.pictures) == 16
    assert row.height == view.delegate.height_of(event, None, font) > chip_height
    for n in range(row.layout.lineCount()):
        line = row.layout.lineAt(n)
        assert line.naturalTextWidth() <= line.width() + 0.5
    list_view.executeDelayedItemsLayout()  # the relayout the view asked for, now
    rect = list_view.visualRect(model.index(0, 0))
    assert rect.height() == row.height
    assert list_view.visualRect(model.index(1, 0)).top() == row.height  # the row below moved
    image = grab(view)
    m = view.delegate._m(font)
    left = rect.left() + 12 + m.time_w
    for position, _ in row.pictures:  # every picture drawn, inside the row
        line = row.layout.lineForTextPosition(position)
        x = left + line.cursorToX(position)[0] + 1.5 * m.picture_h  # its middle
        y = rect.top() + row.message_y + line.y() + m.line / 2
        assert image.pixelColor(int(x), int(y)).getRgb()[:3] == MAGENTA
        assert y < rect.bottom()


@pytest.mark.parametrize(
    "reply",
    [Reply(404, b"not found", "text/plain"), Reply(body=b"garbage, not a picture")],
    ids=["404", "garbage"],
)
async def test_an_emote_without_a_picture_stays_its_chip(
    files: ImageFiles, client: httpx.AsyncClient, qtbot: QtBot, reply: Reply
) -> None:
    path = files.emote("102", reply)
    images = ImageService(ImageFetcher(client, None, files.url))
    view = feed_with(qtbot, images)
    event = make_event(T.CHAT, message="so [emote:102:Bad] sad")
    view.add_events([event])
    before = grab(view)
    await images.settled()
    assert files.counts[path] == 1
    row = row_of(view, event)
    assert row.layout is not None and row.layout.text() == "so :Bad: sad" and row.pictures == ()
    assert grab(view) == before  # the chip, as it was
    for _ in range(5):  # later paints ask for nothing again
        grab(view)
    assert images.loading == 0 and files.counts[path] == 1


async def test_a_stalled_server_blocks_neither_painting_nor_the_loop(
    files: ImageFiles, client: httpx.AsyncClient, qtbot: QtBot
) -> None:
    files.emote("103", Reply(body=WIDE_PNG, stall=True))
    images = ImageService(ImageFetcher(client, None, files.url))
    view = feed_with(qtbot, images)
    event = make_event(T.CHAT, message="wait [emote:103:Slow] for it")
    view.add_events([event])
    grab(view)
    assert await asyncio.to_thread(files.wait_for_requests, 1)  # the answer has begun, and stalls
    timer_fired = asyncio.Event()
    QTimer.singleShot(1, timer_fired.set)
    await asyncio.wait_for(timer_fired.wait(), 5)  # the loop runs meanwhile
    started = time.monotonic()
    image = grab(view)
    assert time.monotonic() - started < 1.0  # a paint does not wait for the picture
    assert magenta_box(image).isEmpty()
    layout = row_of(view, event).layout
    assert layout is not None and layout.text() == "wait :Slow: for it"
    assert images.loading == 1
    await images.aclose()
    assert images.loading == 0


async def test_fifty_rows_with_one_emote_make_one_fetch(
    files: ImageFiles, client: httpx.AsyncClient, qtbot: QtBot
) -> None:
    path = files.emote("104", Reply(body=WIDE_PNG))
    images = ImageService(ImageFetcher(client, None, files.url))
    view = feed_with(qtbot, images)
    events = [make_event(T.CHAT, f"u{i}", message=f"{i} [emote:104:Same]") for i in range(50)]
    view.add_events(events)
    grab(view)
    await until(lambda: all(row_of(view, e).pictures for e in events), view.picturesShown)
    assert files.counts[path] == 1


async def test_without_an_image_service_emotes_are_chips_and_nothing_is_fetched(
    files: ImageFiles, qtbot: QtBot
) -> None:
    files.emote("105", Reply(body=WIDE_PNG))
    view = feed_with(qtbot, None)
    event = make_event(T.CHAT, message="gg [emote:105:KEKW]")
    view.add_events([event])
    image = grab(view)
    assert magenta_box(image).isEmpty()
    row = row_of(view, event)
    assert row.layout is not None and row.layout.text() == "gg :KEKW:" and row.pictures == ()
    timer_fired = asyncio.Event()
    QTimer.singleShot(1, timer_fired.set)
    await timer_fired.wait()
    assert files.counts.total() == 0


async def test_the_app_shows_a_chat_emote_from_the_files_url_and_keeps_it_on_disk(
    files: ImageFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files.emote("37226", Reply(body=WIDE_PNG))  # the test chat message's KEKW
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", "")
    monkeypatch.setenv("VMSC_KICK_FILES_URL", files.url)
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    delete_closed_widgets()
    load_theme(qapp)
    vmsc = VmscApp()
    try:
        vmsc.start(auto_connect=False)
        vmsc.window.show_page(0)
        feed = vmsc.window.feed
        vmsc.send_test_event("chat")
        await until(lambda: not magenta_box(grab(feed)).isEmpty(), feed.picturesShown)
        event = feed.model.event_at(0)
        assert event.type is T.CHAT
        assert feed.model.index(0, 0).data(EventFeedModel.EventRole) is event
        assert feed.model.index(0, 0).data().endswith("This is a test message :KEKW:")
        assert (tmp_path / "cache" / "images" / "emote-37226").read_bytes() == WIDE_PNG
    finally:
        vmsc.request_close()
        await vmsc.closed
        vmsc.window.deleteLater()
    assert vmsc.images.loading == 0
