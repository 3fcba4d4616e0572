r"""A real soketi 1.6.1 Pusher server on 127.0.0.1, for end-to-end tests and benchmarks.

soketi comes from npm (``tests/e2e/package.json``); install it once with::

    npm install --prefix tests/e2e

Nothing here listens beyond loopback. soketi is configured with these ``SOKETI_*`` variables
(names from ``@soketi/soketi/dist/cli/cli.js``; every value is JSON-parsed first, so ``"false"``
is a boolean and ``"12"`` a number):

==================================  =====================================================
``SOKETI_HOST=127.0.0.1``           WebSocket + HTTP API listener (default 0.0.0.0)
``SOKETI_PORT``                     its port (default 6001)
``SOKETI_DEFAULT_APP_ID/KEY/SECRET`` the one app of the default "array" app manager
``SOKETI_METRICS_ENABLED=false``    no Prometheus /metrics. The metrics server itself
                                    (``/``, ``/ready``, ``/usage``) always starts, so:
``SOKETI_METRICS_HOST=127.0.0.1``   (default 0.0.0.0)
``SOKETI_METRICS_SERVER_PORT``      a free port of ours (default 9601)
``SOKETI_CLUSTER_HOST=127.0.0.1``   the hostname node-discover *advertises*
``SOKETI_CLUSTER_PORT``             node-discover's UDP port, a free one (default 11002)
``SOKETI_CLUSTER_UNICAST_ADDRESSES`` ``127.0.0.1``: hello packets go to loopback only,
                                    not to the 255.255.255.255 broadcast default
``SOKETI_SHUTDOWN_GRACE_PERIOD``    ms between closing the sockets and exiting on SIGTERM
==================================  =====================================================

UDP discovery cannot be switched off, and its *bind* address (``cluster.address`` in
node-discover, default 0.0.0.0) has no environment variable: it is set through soketi's
``start --config=FILE`` JSON file instead (``{"cluster.address": "127.0.0.1"}``). soketi also loads
a ``.env`` from its working directory (dotenv), so it runs in a private directory, and inherited
``SOKETI_*`` variables are dropped.

What a subscriber receives from :meth:`SoketiServer.publish` (exact wire text, checked in
tests/test_soketi_harness.py; Python call first, then the text frame)::

    publish("chatrooms.1.v2", "App\\Events\\ChatMessageEvent", {"id": "m1", "t": "é"})
    {"event":"App\\Events\\ChatMessageEvent","channel":"chatrooms.1.v2",  (no line break)
     "data":"{\"id\": \"m1\", \"t\": \"é\"}"}

    publish("chatrooms.1.v2", "App\\Events\\ChatMessageEvent", '{"id":"m2"}')
    {"event":"App\\Events\\ChatMessageEvent","channel":"chatrooms.1.v2","data":"{\"id\":\"m2\"}"}

So ``data`` on the wire is always a JSON *string* inside the JSON frame, as Kick sends it. A dict
(or list, number...) is encoded by the SDK with ``json.dumps(ensure_ascii=False)``: ", " and ": "
separators, non-ASCII unescaped. A ``str`` is sent byte for byte (it is not validated as JSON),
which is how to reproduce Kick's compact payloads exactly. Key order: event, channel, data.

Other soketi behaviour seen on the wire (also pinned by the tests):

- ``pusher:connection_established`` data: ``{"socket_id": ..., "activity_timeout": 30}``.
- ``pusher_internal:subscription_succeeded`` on a public channel has *no* ``data`` key (Kick's
  servers send ``"data":"{}"``).
- unknown app key: ``{"event":"pusher:error","data":{"code":4001,"message":"App key K does not
  exist."}}`` (data is an object here, not a string), then a close frame with code 4001.
- :meth:`SoketiServer.stop` (SIGTERM): ``pusher:error`` with code 4200, then close code 4200, then
  exit 0 after the grace period.
- :meth:`SoketiServer.kill` (SIGKILL): no frame at all; the TCP connection drops and websockets
  reports close code 1006. :meth:`SoketiServer.restart` then listens on the same port again.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

E2E_DIR = Path(__file__).resolve().parent / "e2e"
SOKETI_BIN = E2E_DIR / "node_modules" / "@soketi" / "soketi" / "bin" / "server.js"
INSTALL_HINT = "run `npm install --prefix tests/e2e` (needs node >= 18 and npm)"

# The client query string Kick's web page sends (pusher-js 8.4.0).
CLIENT_QUERY = "protocol=7&client=js&version=8.4.0&flash=false"

LOOPBACK = "127.0.0.1"

# Preloaded into soketi's node (`node -r`): when our end of its stdin pipe closes, i.e. this
# Python process is gone however it ended (even SIGKILL or pytest-timeout's os._exit), soketi
# stops too instead of living on as an orphan that holds the port.
WATCHDOG_JS = """\
process.stdin.on('end', () => {
  setTimeout(() => process.exit(1), 5000).unref();
  process.kill(process.pid, 'SIGTERM');
});
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();
"""


class SoketiError(RuntimeError):
    """soketi is not installed, did not start, or died."""


def _port_is_free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        # soketi's listener (uSockets) rebinds next to TIME_WAIT sockets (seen in 20 kill/restart
        # rounds with open connections), and node-discover sets SO_REUSEADDR: do as they do.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    if kind == socket.SOCK_STREAM:
        # Also refuse a port someone serves on another address (0.0.0.0, via SO_REUSEPORT).
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, contextlib.suppress(OSError):
            s.settimeout(0.2)
            if s.connect_ex((LOOPBACK, port)) == 0:
                return False
    return True


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A free loopback port *below* Linux's ephemeral range (32768-60999).

    The kernel never hands such a port to an outgoing connection, so it stays free while soketi
    is down between kill() and restart(). Falls back to a kernel-chosen port.
    """
    rng = random.Random()  # not the global one: tests may seed that
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        if _port_is_free(port, kind):
            return port
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _listening_inodes() -> dict[int, tuple[str, str, int]]:
    """inode -> (proto, address, port) for every listening TCP / bound UDP IPv4+6 socket."""
    found: dict[int, tuple[str, str, int]] = {}
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            state, inode = f[3], int(f[9])
            if proto.startswith("tcp") and state != "0A":  # 0A = LISTEN
                continue
            hex_addr, hex_port = f[1].split(":")
            raw = bytes.fromhex(hex_addr)
            if len(raw) == 4:
                addr = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                addr = socket.inet_ntop(socket.AF_INET6, words)
            found[inode] = (proto, addr, int(hex_port, 16))
    return found


def listening_sockets(pid: int) -> set[tuple[str, str, int]]:
    """(proto, address, port) of every TCP listener and bound UDP socket process `pid` holds.

    Linux only (reads /proc); returns an empty set elsewhere.
    """
    table = _listening_inodes()
    result = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = list(fd_dir.iterdir())
    except OSError:
        return set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inode = int(target[8:-1])
            if inode in table:
                result.add(table[inode])
    return result


class SoketiServer:
    """One soketi process on 127.0.0.1. Use as a context manager, or start()/stop().

    The port (and the metrics / UDP discovery ports) are chosen once, in __init__, and kept across
    restart(), so clients can reconnect to the same URL.
    """

    def __init__(
        self,
        *,
        app_id: str = "1",
        key: str = "vmsc-e2e-key",
        secret: str = "vmsc-e2e-secret",
        port: int | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        shutdown_grace_ms: int = 100,
        debug: bool = False,
        extra_env: dict[str, str] | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        for name, value in (("key", key), ("secret", secret)):
            # soketi JSON-parses env values: "123" would become a number and never match.
            with contextlib.suppress(ValueError):
                if not isinstance(json.loads(value), str):
                    raise ValueError(f"{name}={value!r} would be read by soketi as JSON, not text")
        if not app_id.isdigit():
            raise ValueError("the pusher SDK only accepts a numeric app_id")
        self.app_id = app_id
        self.key = key
        self.secret = secret
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self.metrics_port = free_port()
        self.cluster_port = free_port(socket.SOCK_DGRAM)
        self.shutdown_grace_ms = shutdown_grace_ms
        self.debug = debug
        self.extra_env = dict(extra_env or {})
        self.start_timeout = start_timeout
        self._own_dir = log_dir is None
        self.work_dir = Path(log_dir if log_dir is not None else tempfile.mkdtemp(prefix="soketi-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.work_dir / "soketi.log"
        self.config_path = self.work_dir / "soketi.json"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._pusher: Any = None

    # --- URLs and clients --------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ws_url(self, key: str | None = None) -> str:
        """The URL a Kick client would open, pointed at this server."""
        return f"ws://{self.host}:{self.port}/app/{key or self.key}?{CLIENT_QUERY}"

    @property
    def pusher(self) -> Any:
        """An official `pusher.Pusher` server SDK client for this app."""
        if self._pusher is None:
            import pusher  # type: ignore[import-untyped]  # the test extra; imported late so this module loads without it

            self._pusher = pusher.Pusher(
                app_id=self.app_id,
                key=self.key,
                secret=self.secret,
                host=self.host,
                port=self.port,
                ssl=False,
                timeout=10,
            )
        return self._pusher

    def publish(self, channel: str, event: str, data: Any) -> Any:
        """Trigger `event` on `channel` through soketi's HTTP API (blocking; see module doc).

        A str is sent as the frame's data unchanged; anything else is JSON-encoded by the SDK.
        Returns the SDK's parsed answer (``{"ok": True}`` from soketi).
        """
        return self.pusher.trigger(channel, event, data)

    # --- process control ---------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKETI_")}
        env.update(
            {
                "SOKETI_HOST": self.host,
                "SOKETI_PORT": str(self.port),
                "SOKETI_DEFAULT_APP_ID": self.app_id,
                "SOKETI_DEFAULT_APP_KEY": self.key,
                "SOKETI_DEFAULT_APP_SECRET": self.secret,
                "SOKETI_METRICS_ENABLED": "false",
                "SOKETI_METRICS_HOST": self.host,
                "SOKETI_METRICS_SERVER_PORT": str(self.metrics_port),
                "SOKETI_CLUSTER_HOST": self.host,
                "SOKETI_CLUSTER_PORT": str(self.cluster_port),
                "SOKETI_CLUSTER_UNICAST_ADDRESSES": self.host,
                "SOKETI_SHUTDOWN_GRACE_PERIOD": str(self.shutdown_grace_ms),
                "SOKETI_DEBUG": "true" if self.debug else "false",
                "FORCE_COLOR": "0",  # plain log text (the `colors` package)
                "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> Self:
        if self.running:
            return self
        node = shutil.which("node")
        if node is None:
            raise SoketiError(f"node is not on PATH: {INSTALL_HINT}")
        if not SOKETI_BIN.is_file():
            raise SoketiError(f"soketi is not installed ({SOKETI_BIN} missing): {INSTALL_HINT}")
        # The one setting with no SOKETI_* variable: node-discover's UDP bind address.
        self.config_path.write_text(json.dumps({"cluster.address": self.host}))
        watchdog = self.work_dir / "watchdog.js"
        watchdog.write_text(WATCHDOG_JS)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} on {self.host}:{self.port} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [
                    node,
                    "-r",
                    str(watchdog),
                    str(SOKETI_BIN),
                    "start",
                    f"--config={self.config_path}",
                ],
                cwd=self.work_dir,
                env=self._env(),
                stdin=subprocess.PIPE,  # never written; its EOF is the watchdog's signal
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C on the test run doesn't reach it first
            )
        try:
            self._wait_ready(time.monotonic() + self.start_timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, deadline: float) -> None:
        """Poll until soketi answers its health check at our address, with our pid listening."""
        assert self.proc is not None
        pause = 0.01
        last_error = "no answer yet"
        while True:
            if self.proc.poll() is not None:
                raise SoketiError(
                    f"soketi exited with {self.proc.returncode} while starting; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.http_url + "/", timeout=1) as resp:
                    body = resp.read()
                if resp.status == 200 and body == b"OK" and self._owns_port():
                    return
                last_error = f"HTTP {resp.status} {body[:80]!r} (or port not ours)"
            except (OSError, urllib.error.URLError) as exc:
                last_error = repr(exc)
            if time.monotonic() > deadline:
                raise SoketiError(
                    f"soketi did not get ready on {self.http_url} within {self.start_timeout}s "
                    f"({last_error}); log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(pause)  # poll interval, not a wait for the answer itself
            pause = min(pause * 2, 0.1)

    def _owns_port(self) -> bool:
        """True if our process is the one listening on (host, port); True off Linux."""
        assert self.proc is not None
        if not Path("/proc/self/fd").is_dir():
            return True
        return ("tcp", self.host, self.port) in listening_sockets(self.proc.pid)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def sockets(self) -> set[tuple[str, str, int]]:
        """What the soketi process listens on / has bound (Linux), for checking it's loopback."""
        return listening_sockets(self.proc.pid) if self.running and self.proc else set()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (soketi sends pusher:error 4200 and closes every socket), then SIGKILL.

        Returns the exit code, or None if it was not started.
        """
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._reap(proc)

    @staticmethod
    def _reap(proc: subprocess.Popen[bytes]) -> int:
        code = proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()
        return code

    def kill(self) -> int | None:
        """SIGKILL, as a crash would: clients see the TCP connection drop with no close frame."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        return self._reap(proc)

    def restart(self, *, graceful: bool = True) -> Self:
        """Stop (or kill) if still running, then start again on the same ports."""
        if graceful:
            self.stop()
        else:
            self.kill()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<SoketiServer {self.host}:{self.port} key={self.key} {state} log={self.log_path}>"


@contextlib.contextmanager
def running_soketi(**kwargs: Any) -> Iterator[SoketiServer]:
    """`with running_soketi() as s:` — same as `with SoketiServer(**kwargs) as s:`."""
    with SoketiServer(**kwargs) as server:
        yield server
