"""Composition root: builds settings, services and the window, and wires every signal here."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import QApplication

from app import APP_NAME, __version__
from app.id_cache import SettingsIdCache
from app.logs import add_file_logging, log_dir, setup_console_logging
from app.settings import CONFIG_DIR_ENV, SettingsStore
from app.ui.main_window import MainWindow
from app.ui.theme import icon, load_theme

# asyncio (~50 ms to import here) and the network stack load after the first paint: they are
# imported where they are used.
if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)


class VmscApp:
    """The running app: one settings holder, one Kick API client, one connection service, one
    window. Tests build it on a qasync loop to drive the real thing."""

    def __init__(
        self,
        settings: SettingsIdCache | None = None,
        window: MainWindow | None = None,
    ) -> None:
        # The network stack (httpx, websockets, the pipeline) is imported here, not at the top:
        # `main` paints the window first and loads this while the user already sees it.
        import asyncio

        from app.kick.api import KickApi
        from app.kick.session import build_supervisor
        from app.services.connection import ConnectionService

        self.settings = settings or SettingsIdCache(SettingsStore())
        self.api = KickApi()
        self.service = ConnectionService(build_supervisor(self.api, self.settings), self.settings)
        self.window = window or MainWindow(log_dir())
        self.closed: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._closing = False
        self._close_task: asyncio.Future[None] | None = None
        self._wire()

    def _wire(self) -> None:
        # The window's pages are built when first shown: their requests come through the
        # window's signals, and the window hands them the current state.
        window, service = self.window, self.service
        window.connectRequested.connect(service.connect_channel)
        window.disconnectRequested.connect(service.disconnect_channel)
        window.retryRequested.connect(service.retry_now)
        window.cardConnectRequested.connect(service.connect_channel)
        service.statusChanged.connect(window.set_status)
        window.set_status(service.status)  # from the start: the saved channel, Disconnected
        service.countChanged.connect(window.set_event_count)
        service.eventsReceived.connect(window.add_events)
        window.autoConnectChanged.connect(
            lambda enabled: self.settings.update(auto_connect=enabled)
        )
        window.closeRequested.connect(self.request_close)

    def start(self, *, auto_connect: bool = True) -> None:
        settings = self.settings.settings
        if not self.window.isVisible():  # `main` shows the window before building the app
            self.window.restore_geometry_text(settings.window_geometry)
        self.window.set_username(settings.kick_slug)
        self.window.set_auto_connect(settings.auto_connect)
        self.window.show()
        if auto_connect and self.service.auto_connect():
            log.info("auto-connecting to %s", settings.kick_slug)
        elif not settings.kick_slug:
            self.window.show_page(1)  # first launch: straight to where the username goes

    def request_close(self) -> None:
        if self._closing:
            return
        self._closing = True
        import asyncio

        self._close_task = asyncio.ensure_future(self._close())

    async def _close(self) -> None:
        try:
            await self.shutdown()
        finally:
            self.window.close_now()
            if not self.closed.done():
                self.closed.set_result(None)

    async def shutdown(self) -> None:
        self.settings.update(window_geometry=self.window.geometry_text())
        await self.service.shutdown()
        await self.api.aclose()


def _smoke_check(qapp: QApplication, vmsc: VmscApp) -> str:
    """What --smoke-test verifies; raises RuntimeError naming what is missing."""
    problems = []
    if "#53fc18" not in qapp.styleSheet().lower():
        problems.append("theme not loaded")
    for name in ("kick.svg", "vmsc.svg"):
        if icon(name).isNull() or icon(name).pixmap(16, 16).isNull():
            problems.append(f"icon {name} did not load")
    if b"svg" not in [bytes(f.data()) for f in QImageReader.supportedImageFormats()]:
        problems.append("the Qt SVG image plugin is missing")
    if not qapp.platformName():
        problems.append("no Qt platform plugin")
    if not vmsc.window.isVisible():
        problems.append("main window not shown")
    if problems:
        raise RuntimeError("; ".join(problems))
    size = vmsc.window.size()
    return (
        f"smoke test ok: {APP_NAME} {__version__}, platform {qapp.platformName()}, theme "
        f"{len(qapp.styleSheet())} chars, icons ok, svg plugin ok, window "
        f"{size.width()}x{size.height()}, state {vmsc.service.status.state}"
    )


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="vmsc", add_help=True)
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="build the real window and services, check resources, print one line and exit",
    )
    parser.add_argument("--no-auto-connect", action="store_true", help="do not connect on launch")
    return parser.parse_known_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = _parse(sys.argv[1:] if argv is None else argv)
    if args.smoke_test and not os.environ.get(CONFIG_DIR_ENV):
        # never touch the user's real settings (or logs) from a smoke test
        os.environ[CONFIG_DIR_ENV] = tempfile.mkdtemp(prefix="vmsc-smoke-")
    setup_console_logging()  # the log file is opened once the window is on screen
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    qapp.setApplicationName(APP_NAME)
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName("vmsc")
    # The window's close is awaited (disconnect first); Qt must not stop the loop under it.
    qapp.setQuitOnLastWindowClosed(False)
    qapp.setWindowIcon(icon("vmsc.svg"))
    load_theme(qapp)

    # Start-up time: the window's frame is painted first, then its page, and only then come the
    # event loop, the network stack and the log file.
    settings = SettingsIdCache(SettingsStore())
    first_launch = not settings.settings.kick_slug  # straight to where the username goes
    page = 1 if first_launch else 0
    window = MainWindow(log_dir(), page=page, defer_page=True)
    window.restore_geometry_text(settings.settings.window_geometry)
    window.set_username(settings.settings.kick_slug)
    window.set_auto_connect(settings.settings.auto_connect)
    window.show()
    qapp.processEvents()
    window.show_page(page)
    qapp.processEvents()

    log_file = add_file_logging()
    log.info("%s %s starting; log file %s", APP_NAME, __version__, log_file)
    import asyncio

    import qasync  # type: ignore[import-untyped]  # ships no type information

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            vmsc = VmscApp(settings, window)
            vmsc.start(auto_connect=not (args.smoke_test or args.no_auto_connect))
            if args.smoke_test:
                return int(loop.run_until_complete(_smoke_test(qapp, vmsc)))
            _install_quit_signals(vmsc)
            loop.run_until_complete(vmsc.closed)
            return 0
    finally:
        asyncio.set_event_loop(None)


async def _smoke_test(qapp: QApplication, vmsc: VmscApp) -> int:
    import asyncio

    await asyncio.sleep(0.3)  # let the loop run: paint, timers, deferred layout
    try:
        line = _smoke_check(qapp, vmsc)
    except RuntimeError as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        code = 1
    else:
        print(line)
        code = 0
    vmsc.request_close()
    await vmsc.closed
    return code


def _install_quit_signals(vmsc: VmscApp) -> None:
    """Ctrl-C / SIGTERM close the window cleanly (disconnect first). Qt's C++ loop holds the
    interpreter, so a light timer lets Python's signal handlers run."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: vmsc.request_close())
    timer = QTimer(vmsc.window)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
