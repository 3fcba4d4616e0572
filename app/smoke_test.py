"""`vmsc --smoke-test`: the launch path a user has, checked end to end (the bundle check runs it).
Loaded only for the smoke test."""

from __future__ import annotations

import asyncio
import sys
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImageReader
from PySide6.QtWidgets import QApplication, QWidget

from app import APP_NAME, __version__
from app.core.state import ConnectionState, Status
from app.services.connection import ConnectionService
from app.ui.theme import icon


class SmokeTarget(Protocol):
    """What the smoke test uses of `application.VmscApp` (which imports this module: a Protocol,
    not an import back, keeps the import graph free of loops)."""

    @property
    def window(self) -> QWidget: ...
    @property
    def service(self) -> ConnectionService: ...
    @property
    def closed(self) -> asyncio.Future[None]: ...
    def start(self, *, auto_connect: bool = True) -> bool: ...
    def request_close(self) -> None: ...


def smoke_check(qapp: QApplication, vmsc: SmokeTarget) -> str:
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


SMOKE_CONNECT_TIMEOUT_S = 30.0


async def run_smoke_test(qapp: QApplication, vmsc: SmokeTarget, *, auto_connect: bool) -> int:
    """The launch path a user has: with a saved channel (and auto-connect on), connect to it and
    wait for Connected / Live, or a clear error, before reporting."""
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
        line = smoke_check(qapp, vmsc)
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
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    QTimer.singleShot(0, lambda: None if done.done() else done.set_result(None))
    await done
