"""Child process for bench_startup.py: start a window, report when it first painted, then idle.

    python startup_probe.py bare|app

Prints `painted <monotonic ns>` at the first paint of a top-level window, `content <ns>` at the
first paint of what the window is for (the bare window's label; the app's page, which it builds
after painting its frame), then after the idle period `rss <MB>`, and exits.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

IDLE_SECONDS = 3.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def watch_first_paint(is_content: Callable[[QWidget], bool]) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.painted = self.content = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() != QEvent.Type.Paint or not isinstance(obj, QWidget):
                return False
            now = time.monotonic_ns()
            if not self.painted and obj.isWindow():
                self.painted = True
                print(f"painted {now}", flush=True)
                QTimer.singleShot(int(IDLE_SECONDS * 1000), report_and_exit)
            if not self.content and is_content(obj):
                self.content = True
                print(f"content {now}", flush=True)
            return False

    def report_and_exit() -> None:
        print(f"rss {rss_mb():.1f}", flush=True)
        os._exit(0)

    app = QApplication.instance()
    assert app is not None
    probe = FirstPaint()
    app.installEventFilter(probe)
    app._vmsc_probe = probe  # type: ignore[attr-defined]  # keep it alive


def bare() -> None:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication(sys.argv[:1])
    watch_first_paint(lambda widget: widget.isWindow())
    label = QLabel("VMSC")
    label.resize(1100, 720)
    label.show()
    app.exec()


def vmsc() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    # a page: a child of the window's page stack
    watch_first_paint(
        lambda widget: (
            (parent := widget.parentWidget()) is not None and parent.objectName() == "pages"
        )
    )
    from app import application

    application.main(["--no-auto-connect"])
    del app


if __name__ == "__main__":
    {"bare": bare, "app": vmsc}[sys.argv[1]]()
