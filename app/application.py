"""Composition root: builds settings, services and the window, and wires every signal here."""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
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

    from app.core.state import Status
    from app.relay.hosting import RelayHost

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
        from app.session_log import SessionLog, session_dir

        self.settings = settings or SettingsIdCache(SettingsStore())
        self.api = KickApi()
        self.supervisor = build_supervisor(
            self.api,
            self.settings,
            provider=lambda: self.settings.settings.realtime_provider,  # read at each attempt
            silence_limit=60.0 * max(0, self.settings.settings.silence_minutes),
        )
        self.service = ConnectionService(self.supervisor, self.settings)
        # every event in a JSON-lines file per connection (Settings > Open session log folder)
        self.session_log = SessionLog(session_dir())
        self.session_log.attach(self.supervisor)
        self.relay: RelayHost | None = None  # the event server's host, made by `start`
        self._relay_task: asyncio.Future[None] | None = None
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
        window.providerChanged.connect(
            lambda provider: self.settings.update(realtime_provider=provider)
        )
        window.closeRequested.connect(self.request_close)
        # Settings that could not be read or saved: said once, in the window.
        store = self.settings.store
        for problem in (store.load_problem, store.save_problem):
            if problem:
                window.show_notice(problem)
        store.problem_listeners.append(window.show_notice)
        window.relayPortChanged.connect(self._on_relay_port_changed)
        window.relayTokenRenewRequested.connect(self._on_relay_token_renew)
        window.set_relay_lan(self.settings.settings.relay_lan)
        window.relayLanChanged.connect(self._on_relay_lan_changed)
        window.testEventRequested.connect(self.send_test_event)

    def start(self, *, auto_connect: bool = True) -> bool:
        """Show the window and connect to the saved channel if wanted; True if it connects.
        Needs the running loop (the connection is a task on it)."""
        settings = self.settings.settings
        # `main` prepares and shows the window before building the app; doing it again here
        # would wipe what the user has typed into the username field meanwhile.
        if not self.window.isVisible():
            self.window.restore_geometry_text(settings.window_geometry)
            self.window.set_username(settings.kick_slug)
            self.window.set_auto_connect(settings.auto_connect)
            self.window.set_provider(settings.realtime_provider)
            self.window.show()
        self.start_relay()  # after the window is on screen, in the running loop
        if auto_connect and self.service.auto_connect():
            log.info("auto-connecting to %s", settings.kick_slug)
            return True
        if not settings.kick_slug and self.window.page_name() != "Sources":
            self.window.show_page(1)  # first launch: straight to where the username goes
        return False

    # --- the event server (overlays, /events) ----------------------------------------------------

    def start_relay(self) -> None:
        """Start (or restart) the event server if the user wants it (on by default); a task on the
        running loop. What it serves, or why it cannot, is told to the window."""
        from app.relay.hosting import RelayHost, new_token

        if not self.settings.settings.relay_token:
            self.settings.update(relay_token=new_token())  # first launch
        if self.relay is None:
            self.relay = RelayHost(self.supervisor)
        if self.settings.settings.relay_enabled:
            import asyncio

            previous = self._relay_task
            self._relay_task = asyncio.ensure_future(self._run_relay(previous))

    async def _run_relay(self, previous: asyncio.Future[None] | None) -> None:
        from app.relay.server import (
            DEFAULT_HOST,
            DEFAULT_PORT,
            ListenAddress,
            RelayStartError,
            default_port,
        )

        if previous is not None:
            await previous
        assert self.relay is not None
        settings = self.settings.settings
        host = "0.0.0.0" if settings.relay_lan else DEFAULT_HOST
        try:
            port = default_port(fallback=settings.relay_port or DEFAULT_PORT)
            server = await self.relay.start(ListenAddress(host, port), settings.relay_token)
        except (RelayStartError, ValueError) as exc:
            log.warning("event server not started: %s", exc)
            self.window.set_relay_info({}, settings.relay_port or DEFAULT_PORT, "", str(exc))
            return
        self.window.set_relay_info(server.overlay_urls(), server.port, server.token, "")

    def _on_relay_port_changed(self, port: int) -> None:
        self.settings.update(relay_port=port)
        self.start_relay()

    def _on_relay_lan_changed(self, enabled: bool) -> None:
        self.settings.update(relay_lan=enabled)
        self.start_relay()  # listen again, on every address or on loopback only

    def _on_relay_token_renew(self) -> None:
        from app.relay.hosting import new_token

        self.settings.update(relay_token=new_token())
        self.start_relay()

    def send_test_event(self, kind: str) -> None:
        """A made-up event through the whole pipeline (feed, count, overlays)."""
        if self.relay is None:
            from app.relay.hosting import RelayHost

            self.relay = RelayHost(self.supervisor)
        self.relay.send_test_event(kind)

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
        await self.session_log.aclose()
        if self._relay_task is not None:
            await self._relay_task
        if self.relay is not None:
            await self.relay.stop()
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


def display_problem(qt_args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Why no window can open here, or None. Qt aborts the process when its platform plugin
    finds no display (with a hint about xcb-cursor that is usually wrong), so look first."""
    if not sys.platform.startswith("linux"):
        return None
    platforms = environ.get("QT_QPA_PLATFORM", "")
    for flag, value in itertools.pairwise(qt_args):
        if flag in ("-platform", "--platform"):
            platforms = value
    for entry in platforms.split(";"):  # Qt tries them in order
        name = entry.split(":", 1)[0].strip()
        if name in ("", "xcb") and environ.get("DISPLAY"):
            return None
        if name in ("", "wayland") or name.startswith("wayland-"):
            if environ.get("WAYLAND_DISPLAY"):
                return None
        elif name != "xcb":  # offscreen, vnc, eglfs, linuxfb...: no display server needed
            return None
    command = "vmsc" if not getattr(sys, "frozen", False) else Path(sys.executable).name
    return f"no display found — set DISPLAY, or use `{command} watch SLUG` for headless use"


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = _parse(sys.argv[1:] if argv is None else argv)
    problem = display_problem(qt_args, os.environ)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    quit_signals = QuitSignals()
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
    window.set_provider(settings.settings.realtime_provider)
    window.show()
    # Paint the frame, then the page, but keep keys and clicks queued until the app is built
    # and wired (in the running loop, below): what the user types right away, Enter included,
    # lands in the username field and reaches the service, not nowhere.
    held_input = QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
    qapp.processEvents(held_input)
    window.show_page(page)
    qapp.processEvents(held_input)

    log_file = add_file_logging()
    log.info("%s %s starting; log file %s", APP_NAME, __version__, log_file)
    import asyncio

    import qasync  # type: ignore[import-untyped]  # ships no type information

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            # Everything from here on runs inside the running loop: the supervisor's tasks (an
            # auto-connect on relaunch) need one, and the window is already painted.
            return int(loop.run_until_complete(_run(qapp, settings, window, args, quit_signals)))
    finally:
        asyncio.set_event_loop(None)


async def _run(
    qapp: QApplication,
    settings: SettingsIdCache,
    window: MainWindow,
    args: argparse.Namespace,
    quit_signals: QuitSignals,
) -> int:
    vmsc = VmscApp(settings, window)
    if args.smoke_test:
        return await _smoke_test(qapp, vmsc, auto_connect=not args.no_auto_connect)
    vmsc.start(auto_connect=not args.no_auto_connect)
    quit_signals.attach(vmsc)
    await vmsc.closed
    return 0


SMOKE_CONNECT_TIMEOUT_S = 30.0


async def _smoke_test(qapp: QApplication, vmsc: VmscApp, *, auto_connect: bool) -> int:
    """The launch path a user has: with a saved channel (and auto-connect on), connect to it and
    wait for Connected / Live, or a clear error, before reporting."""
    import asyncio

    from app.core.state import ConnectionState

    settled: asyncio.Future[Status] = asyncio.get_running_loop().create_future()

    def on_status(status: Status) -> None:
        settling = status.state.is_connected or status.state is ConnectionState.ERROR
        if settling and not settled.done():
            settled.set_result(status)

    vmsc.service.statusChanged.connect(on_status)
    problems: list[str] = []
    if vmsc.start(auto_connect=auto_connect):
        try:
            status = await asyncio.wait_for(settled, SMOKE_CONNECT_TIMEOUT_S)
        except TimeoutError:
            status = vmsc.service.status
            problems.append(
                f"not connected to {status.slug} after {SMOKE_CONNECT_TIMEOUT_S:.0f} s "
                f"(state {status.state}{': ' + status.reason if status.reason else ''})"
            )
        else:
            if status.state is ConnectionState.ERROR:
                problems.append(f"connecting to {status.slug} failed: {status.reason}")
    await _loop_pass()  # paint, timers, deferred layout
    try:
        line = _smoke_check(qapp, vmsc)
        if problems:
            raise RuntimeError("; ".join(problems))
    except RuntimeError as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        code = 1
    else:
        print(line)
        code = 0
    vmsc.request_close()
    await vmsc.closed
    return code


async def _loop_pass() -> None:
    """Return once Qt's event loop has run a full pass (posted events, paints, zero timers)."""
    import asyncio

    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    QTimer.singleShot(0, lambda: None if done.done() else done.set_result(None))
    await done


class QuitSignals:
    """Ctrl-C / SIGTERM close the app cleanly (disconnect first), from the moment the process
    starts: a signal that comes before the app is built is kept and acted on once it is."""

    def __init__(self) -> None:
        self._app: VmscApp | None = None
        self.requested = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.requested = True
        if self._app is not None:
            self._app.request_close()

    def attach(self, vmsc: VmscApp) -> None:
        self._app = vmsc
        # Qt's C++ loop holds the interpreter: a light timer lets Python's handlers run.
        timer = QTimer(vmsc.window)
        timer.setInterval(250)
        timer.timeout.connect(lambda: None)
        timer.start()
        if self.requested:
            vmsc.request_close()
