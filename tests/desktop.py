"""The desktop app as a user starts it: the installed `vmsc` program in its own process, on a
virtual X screen (Xvfb) or offscreen, typed into with xdotool, closed as a window manager does.

Waiting is on conditions (a file's content, a server's channel list, the process's exit), polled
at a short interval: the app is another process, so there is no signal to wake us.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

POLL_S = 0.05
WINDOW_TITLE = "VMSC for Kick"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_S)  # polling another process's state; nothing to wake us


PROGRAM_ENV = "VMSC_TEST_PROGRAM"


def program() -> Path:
    """What the user starts: `$VMSC_TEST_PROGRAM` when set (CI points it at the built bundle's
    executable), else the `vmsc` script pip installed beside this interpreter."""
    override = os.environ.get(PROGRAM_ENV)
    path = Path(override).resolve() if override else Path(sys.executable).parent / "vmsc"
    if not path.exists():
        raise AssertionError(f"{path} is missing: install the project (pip install -e .)")
    return path


def user_env(**values: str) -> dict[str, str]:
    """A user's environment, not the test runner's: no virtualenv, no PYTHONPATH, no proxy."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env["HOME"] = os.environ.get("HOME", "/root")
    env.update(values)
    return env


class AppProcess:
    """One `vmsc` process; stdout and stderr go to files in `work_dir`."""

    def __init__(self, args: list[str], env: Mapping[str, str], work_dir: Path) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = work_dir / "stdout.txt"
        self.stderr_path = work_dir / "stderr.txt"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                args, env=dict(env), stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"vmsc did not exit within {timeout:.0f} s; stderr:\n{self.stderr}"
            ) from None

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait()


@contextmanager
def app_process(args: list[str], env: Mapping[str, str], work_dir: Path) -> Iterator[AppProcess]:
    app = AppProcess(args, env, work_dir)
    try:
        yield app
    finally:
        app.kill()  # a failing test leaves no process behind


# --- a virtual X screen ------------------------------------------------------------------------


def xvfb_missing() -> str | None:
    """Why the X tests cannot run here, or None."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)"
    return None


class VirtualScreen:
    """An Xvfb server on a free display number, for the tests of one module."""

    def __init__(self, size: str = "1280x800x24") -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as reader:  # Xvfb writes the number once it accepts clients
            number = reader.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}

    def xdotool(self, *args: str, timeout: float = 20.0) -> str:
        result = subprocess.run(
            ["xdotool", *args],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return result.stdout

    def find_window(self, pid: int, timeout: float = 20.0) -> int:
        """The app's main window, once it is mapped."""
        found: list[int] = []

        def shown() -> bool:
            try:
                out = self.xdotool("search", "--onlyvisible", "--pid", str(pid), "--name", "VMSC")
            except subprocess.CalledProcessError:  # nothing matches yet
                return False
            found.extend(int(line) for line in out.split())
            return bool(found)

        wait_for(shown, f"a window of process {pid}", timeout)
        return found[0]

    def focus(self, window: int) -> None:
        self.xdotool("windowfocus", "--sync", str(window))

    def type_text(self, text: str) -> None:
        self.xdotool("type", "--delay", "20", text)

    def key(self, *keys: str) -> None:
        self.xdotool("key", *keys)

    def close_window(self, window: int) -> None:
        """What a window manager does when the user clicks the window's close button: send it
        WM_DELETE_WINDOW (xdotool's windowclose destroys the window instead)."""
        send_wm_delete(self.display, window)

    def screenshot(self, path: Path) -> None:
        subprocess.run(
            ["import", "-window", "root", str(path)],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
            timeout=20,
        )

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# XClientMessageEvent on LP64, the first member of the 192-byte XEvent union.
class _ClientMessage(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    )


class _XEvent(ctypes.Union):
    _fields_ = (("xclient", _ClientMessage), ("pad", ctypes.c_long * 24))


_CLIENT_MESSAGE = 33
_NO_EVENT_MASK = 0
_CURRENT_TIME = 0


def send_wm_delete(display_name: str, window: int) -> None:
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = (ctypes.c_char_p,)
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)
    x11.XSendEvent.argtypes = (
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    )
    x11.XFlush.argtypes = (ctypes.c_void_p,)
    x11.XCloseDisplay.argtypes = (ctypes.c_void_p,)
    display = x11.XOpenDisplay(display_name.encode())
    if not display:
        raise RuntimeError(f"cannot open X display {display_name}")
    try:
        event = _XEvent()
        event.xclient.type = _CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = x11.XInternAtom(display, b"WM_PROTOCOLS", False)
        event.xclient.format = 32
        event.xclient.data[0] = x11.XInternAtom(display, b"WM_DELETE_WINDOW", False)
        event.xclient.data[1] = _CURRENT_TIME
        if not x11.XSendEvent(display, window, False, _NO_EVENT_MASK, ctypes.byref(event)):
            raise RuntimeError("XSendEvent failed")
        x11.XFlush(display)
    finally:
        x11.XCloseDisplay(display)
