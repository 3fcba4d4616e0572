"""Widget tests (pytest-qt, QT_QPA_PLATFORM=offscreen). Helpers shared by the test modules."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget

from app.core.events import EventType, StreamEvent
from app.services.app_state import AppState
from app.settings import SettingsHolder, SettingsStore
from app.ui.theme import load_theme
from tests.event_samples import make_data


def app_state(config_dir: Path, **saved: Any) -> AppState:
    """The app's state over a settings file in `config_dir`, holding `saved` (Settings fields)."""
    holder = SettingsHolder(SettingsStore(config_dir))
    if saved:
        holder.update(**saved)
    return AppState(holder)


def delete_closed_widgets() -> None:
    """Finish deleting what earlier tests left behind (pytest-qt's `deleteLater`, wrappers gone
    out of scope) before an app-wide style change walks every widget. The app sets its style
    once, before it has widgets; tests change it around live leftovers, and once (in CI, not
    reproduced since) that crashed in `setStyleSheet`."""
    gc.collect()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@contextmanager
def themed(app: QApplication) -> Iterator[None]:
    """The app's theme, loaded the way the app loads it, and put back afterwards."""
    style = app.style().name()
    palette = app.palette()
    sheet = app.styleSheet()
    delete_closed_widgets()
    load_theme(app)
    try:
        yield
    finally:
        delete_closed_widgets()
        app.setStyleSheet(sheet)
        app.setPalette(palette)
        app.setStyle(style)


def center_color(widget: QWidget) -> QColor:
    """The colour actually rendered at the middle of `widget`."""
    image = widget.grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


_counter = 0


def make_event(
    kind: EventType = EventType.CHAT,
    username: str = "pixel_mage",
    *,
    ident: str | None = None,
    timestamp: str = "2026-03-14T19:42:07+00:00",
    **data: Any,
) -> StreamEvent:
    global _counter
    _counter += 1
    if kind is EventType.CHAT:
        data.setdefault("message", "hello")
        data.setdefault("emotes", [])
        data.setdefault("chatId", ident or f"chat-{_counter}")
        data.setdefault("senderIdentity", {"color": "#75FD46", "badges": []})
        data.setdefault("replyTo", None)
    return StreamEvent(
        id=ident or f"ev-{_counter}",
        type=kind,
        channel="nightowlgg",
        username=username,
        timestamp=timestamp,
        data=make_data(kind, **data),
    )


class FakeClock:
    """A clock the test sets: `clock.now = ...`; the widgets call it for the time."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
