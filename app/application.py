"""Composition root: builds the settings, the app's state, the services and the window, and makes
every connection between them in `VmscApp._wire`."""

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
from PySide6.QtWidgets import QApplication

from app import APP_NAME, __version__
from app.logs import add_file_logging, log_dir, setup_console_logging
from app.services.app_state import AppState, RelayInfo
from app.settings import CONFIG_DIR_ENV, SettingsHolder, SettingsStore
from app.ui.main_window import PAGES, MainWindow
from app.ui.theme import icon, load_theme

# asyncio (~50 ms to import here) and the network stack load after the first paint: they are
# imported where they are used.
if TYPE_CHECKING:
    import asyncio

    from app.relay.hosting import RelayHost

log = logging.getLogger(__name__)

DASHBOARD, SOURCES, SETTINGS = range(len(PAGES))


class VmscApp:
    """The running app: one settings holder, one state, one Kick API client, one connection
    service, one window. Tests build it on a qasync loop to drive the real thing."""

    def __init__(
        self,
        settings: SettingsHolder | None = None,
        state: AppState | None = None,
        window: MainWindow | None = None,
    ) -> None:
        # The network stack (httpx, websockets, the pipeline) is imported here, not at the top:
        # `main` paints the window first and loads this while the user already sees it.
        import asyncio

        from app.core.disk_cache import DiskCache
        from app.id_cache import SettingsIdCache
        from app.kick.api import KickApi
        from app.kick.constants import IMAGE_CACHE_MAX_BYTES
        from app.kick.images import ImageFetcher, cache_dir
        from app.kick.session import build_supervisor
        from app.services.connection import ConnectionService
        from app.services.images import ImageService
        from app.session_log import SessionLog, session_dir

        self.settings = settings or SettingsHolder(SettingsStore())
        self.state = state or AppState(self.settings)
        id_cache = SettingsIdCache(self.settings)
        self.api = KickApi()
        self.supervisor = build_supervisor(
            self.api,
            id_cache,
            provider=lambda: self.state.provider,  # read at each attempt
            silence_limit=60.0 * max(0, self.settings.settings.silence_minutes),
        )
        self.service = ConnectionService(self.supervisor)
        # Emote pictures for the feed: through the API's client (one connection pool, made on
        # the first request), kept on disk in the cache folder.
        pictures = DiskCache(cache_dir(), IMAGE_CACHE_MAX_BYTES)
        self.images = ImageService(ImageFetcher(lambda: self.api.client, pictures))
        # Before anything connects, the saved channel is shown (Disconnected) by its cached name.
        cached = id_cache.get(self.state.channel)
        self.service.remember_channel(self.state.channel, cached.display_name if cached else "")
        # every event in a JSON-lines file per connection (Settings > Open session log folder)
        self.session_log = SessionLog(session_dir())
        self.session_log.attach(self.supervisor)
        self.relay: RelayHost | None = None  # the event server's host, made by `start`
        self._relay_task: asyncio.Future[None] | None = None
        self.window = window or MainWindow(log_dir(), self.state)
        self.closed: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._closing = False
        self._close_task: asyncio.Future[None] | None = None
        self._wire()

    def _wire(self) -> None:
        """Every connection between the services, the app's state and the window's pages.

        Pages bind to the state themselves as they are built (their `bind`): they show its
        current values, follow its changes and change the settings on it, from the first page,
        which is painted before the app exists. A widget wires its own children."""
        state, service, window = self.state, self.service, self.window

        # --- the connection -> the app's state (and from there every page that shows it)
        service.statusChanged.connect(state.set_status)
        service.countChanged.connect(state.set_count)
        service.channelChosen.connect(state.set_channel)  # saved: the next launch's channel
        state.set_status(service.status)  # from the start: the saved channel, Disconnected

        # --- the connection -> the Dashboard's feed (built for the events if need be)
        service.eventsReceived.connect(window.add_events)

        # --- the app's state -> the event server
        state.relayLanChanged.connect(self._on_relay_lan_changed)

        # --- the settings file -> the window: what could not be read or saved, said once
        store = self.settings.store
        for problem in (store.load_problem, store.save_problem):
            if problem:
                window.show_notice(problem)
        store.problem_listeners.append(window.show_notice)

        # --- the window -> the app
        window.closeRequested.connect(self.request_close)

        # --- the pages' requests -> the services: each page once built (the first may be)
        window.pageBuilt.connect(self._wire_page)
        for index in range(len(PAGES)):
            if window.is_page_built(index):
                self._wire_page(index)

    def _wire_page(self, index: int) -> None:
        window, service = self.window, self.service
        if index == DASHBOARD:
            card = window.status_card
            card.connectRequested.connect(service.connect_channel)  # the channel it shows
            card.retryRequested.connect(service.retry_now)
            card.testEventRequested.connect(self.send_test_event)
            window.feed.set_images(self.images)  # emotes drawn as their pictures
        elif index == SOURCES:
            sources = window.sources
            sources.connectRequested.connect(service.connect_channel)
            sources.disconnectRequested.connect(service.disconnect_channel)
        elif index == SETTINGS:
            page = window.settings_page
            page.relayPortChanged.connect(self._on_relay_port_changed)
            page.relayTokenRenewRequested.connect(self._on_relay_token_renew)

    def start(self, *, auto_connect: bool = True) -> bool:
        """Show the window and connect to the saved channel if wanted; True if it connects.
        Needs the running loop (the connection is a task on it)."""
        state = self.state
        # `main` prepares and shows the window before building the app; doing it again here
        # would wipe what the user has typed into the username field meanwhile.
        if not self.window.isVisible():
            self.window.restore_geometry_text(self.settings.settings.window_geometry)
            self.window.show()
        self.start_relay()  # after the window is on screen, in the running loop
        if auto_connect and state.auto_connect and state.channel:
            log.info("auto-connecting to %s", state.channel)
            self.service.connect_channel(state.channel)
            return True
        if not state.channel and self.window.page_name() != "Sources":
            self.window.show_page(SOURCES)  # first launch: straight to where the username goes
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
        from app.relay.address import DEFAULT_HOST, DEFAULT_PORT, ListenAddress, default_port
        from app.relay.server import RelayStartError

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
            self.state.set_relay(RelayInfo({}, settings.relay_port or DEFAULT_PORT, "", str(exc)))
            return
        self.state.set_relay(RelayInfo(server.overlay_urls(), server.port, server.token, ""))

    def _on_relay_port_changed(self, port: int) -> None:
        self.settings.update(relay_port=port)
        self.start_relay()

    def _on_relay_lan_changed(self, enabled: bool) -> None:
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
        await self.images.aclose()  # before the client its fetches use
        await self.api.aclose()


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
    settings = SettingsHolder(SettingsStore())
    state = AppState(settings)
    page = SOURCES if not state.channel else DASHBOARD  # first launch: where the username goes
    window = MainWindow(log_dir(), state, page=page, defer_page=True)
    window.restore_geometry_text(settings.settings.window_geometry)
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
            return int(
                loop.run_until_complete(_run(qapp, settings, state, window, args, quit_signals))
            )
    finally:
        asyncio.set_event_loop(None)


async def _run(
    qapp: QApplication,
    settings: SettingsHolder,
    state: AppState,
    window: MainWindow,
    args: argparse.Namespace,
    quit_signals: QuitSignals,
) -> int:
    vmsc = VmscApp(settings, state, window)
    if args.smoke_test:
        from app.smoke_test import run_smoke_test

        return await run_smoke_test(qapp, vmsc, auto_connect=not args.no_auto_connect)
    vmsc.start(auto_connect=not args.no_auto_connect)
    quit_signals.attach(vmsc)
    await vmsc.closed
    return 0


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
