"""Session logs: every StreamEvent appended to a JSON-lines file, one file per connection.

A new file starts on each confirmed subscription (a connection, or a reconnect); each line is the
event exactly as `watch` prints it (`json_lines`), so `replay` (and any JSON-lines tool) reads
it. Events that come while no connection has been made yet (a test event before Connect) open a
file of their own.

Nothing here waits on the disk in the event loop: `add` appends to a list; every
FLUSH_INTERVAL_S (or MAX_PENDING_EVENTS, whichever is first) the list is encoded in one call and
handed to a writer thread, which does every file operation (open, write, roll over, delete). A
file that reaches `max_file_bytes` goes on in a new file (the same connection, a later name);
past `max_total_bytes` in the folder, the files written longest ago are deleted. If the disk
stalls, at most MAX_QUEUED_BYTES wait for it; past that the oldest batches are dropped and
the log says how many. A crash loses at most the last FLUSH_INTERVAL_S of events.

Qt-free: the desktop app and `watch --session-log` host it the same way (`attach`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from app.core.events import StreamEvent, json_lines
from app.settings import CONFIG_DIR_ENV

log = logging.getLogger(__name__)

SESSIONS_FOLDER = "sessions"
SUFFIX = ".jsonl"
MAX_FILE_BYTES = 64 * 1024 * 1024  # about 150,000 chat events; hours of a busy chat
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # in the folder, all sessions together
FLUSH_INTERVAL_S = 0.5
MAX_PENDING_EVENTS = 2_000  # a burst is flushed sooner than the interval
MAX_QUEUED_BYTES = 16 * 1024 * 1024  # encoded, waiting for a stalled disk

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def session_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$VMSC_CONFIG_DIR/sessions` when that is set (tests, portable use), else `sessions` in
    the OS's user data folder for VMSC (Linux `~/.local/share/VMSC/sessions`)."""
    override = environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override) / SESSIONS_FOLDER
    import platformdirs  # ~15 ms; only without the override

    return Path(platformdirs.user_data_dir("VMSC", appauthor=False)) / SESSIONS_FOLDER


def session_file_name(started: datetime, slug: str) -> str:
    """`2026-11-29T19-42-07Z_nightowlgg.jsonl`: sorts by start time, valid on every OS."""
    stamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    name = _UNSAFE_NAME.sub("_", slug)[:40] or "no-channel"
    return f"{stamp}_{name}{SUFFIX}"


class _StatusLike(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def connected_at(self) -> float | None: ...


class _Supervisor(Protocol):
    def add_status_listener(self, listener: Callable[[_StatusLike], None]) -> None: ...
    def add_event_listener(self, listener: Callable[[StreamEvent], None]) -> None: ...


class SessionLog:
    """Call `add` for every event and `new_session` on every confirmed subscription (or
    `attach` to a supervisor, which does both), then `await aclose()` at the end."""

    def __init__(
        self,
        directory: Path,
        *,
        max_file_bytes: int = MAX_FILE_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        flush_interval: float = FLUSH_INTERVAL_S,
        max_pending: int = MAX_PENDING_EVENTS,
        max_queued_bytes: int = MAX_QUEUED_BYTES,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = directory
        self._max_file = max_file_bytes
        self._max_total = max_total_bytes
        self._interval = flush_interval
        self._max_pending = max_pending
        self._max_queued = max_queued_bytes
        self._now = now
        self._pending: list[StreamEvent] = []
        self._timer: asyncio.TimerHandle | None = None
        self._slug = ""
        self._connected_at: float | None = None
        # the writer thread's work, in order: a file name (str) to open, or lines (bytes)
        self._queue: collections.deque[bytes | str] = collections.deque()
        self._queued_bytes = 0
        self._counts: collections.deque[int] = collections.deque()  # events per queued write
        self._ready = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.dropped = 0  # events dropped because the disk was too slow
        self.written = 0  # events written (by the writer thread)
        self.current_file: Path | None = None  # the file being written (writer thread's)
        self.problem = ""  # the last disk error, once logged
        # the writer thread's own state
        self._file: IO[bytes] | None = None
        self._file_bytes = 0
        self._file_base = ""
        self._file_part = 1
        self._total: int | None = None  # bytes in the folder, counted on the first open

    # --- on the event loop --------------------------------------------------------------------

    def attach(self, supervisor: _Supervisor) -> None:
        supervisor.add_status_listener(self.on_status)
        supervisor.add_event_listener(self.add)

    def on_status(self, status: _StatusLike) -> None:
        """A new `connected_at` is a new confirmed subscription: a new file."""
        if status.connected_at is not None and status.connected_at != self._connected_at:
            self.new_session(status.slug)
        self._connected_at = status.connected_at

    def new_session(self, slug: str) -> None:
        """The events from here on go to a new file named after `slug` and the time now."""
        self.flush()  # the last connection's events into its own file
        self._slug = slug
        self._submit(session_file_name(self._now(), slug), 0)

    def add(self, event: StreamEvent) -> None:
        if not self._pending:
            if not self._slug:  # no connection yet (a test event): a file of its own
                self.new_session(event.channel)
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._interval, self.flush)
        self._pending.append(event)
        if len(self._pending) >= self._max_pending:
            self.flush()

    def flush(self) -> None:
        """Hands what is pending to the writer (encoded in one call; never blocks)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        data = json_lines(self._pending)
        count = len(self._pending)
        self._pending = []
        self._submit(data, count)

    async def aclose(self) -> None:
        """Writes what is pending, closes the file and ends the writer thread."""
        self.flush()
        self._stop()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join)

    def close(self) -> None:
        """`aclose` for code outside the loop (blocks until written)."""
        self.flush()
        self._stop()
        if self._thread is not None:
            self._thread.join()

    def _stop(self) -> None:
        with self._ready:
            self._closing = True
            self._ready.notify()

    def _submit(self, payload: bytes | str, count: int) -> None:
        dropped = 0
        with self._ready:
            self._queue.append(payload)
            if isinstance(payload, bytes):
                self._queued_bytes += len(payload)
                self._counts.append(count)
            while self._queued_bytes > self._max_queued:
                dropped += self._drop_oldest_write()
            self._ready.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="session-log", daemon=True)
            self._thread.start()
        if dropped:
            self.dropped += dropped
            log.warning(
                "session log: the disk is too slow; dropped %d events (%d in all)",
                dropped,
                self.dropped,
            )

    def _drop_oldest_write(self) -> int:
        for index, payload in enumerate(self._queue):
            if isinstance(payload, bytes):
                del self._queue[index]
                self._queued_bytes -= len(payload)
                return self._counts.popleft()
        return 0

    # --- the writer thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    break
                payload = self._queue.popleft()
                count = 0
                if isinstance(payload, bytes):
                    self._queued_bytes -= len(payload)
                    count = self._counts.popleft()
            try:
                if isinstance(payload, bytes):
                    self._write(payload)
                    self.written += count
                else:
                    self._open(payload)
            except OSError as exc:
                self._disk_problem(exc)
        self._close_file()

    def _disk_problem(self, exc: OSError) -> None:
        text = f"{exc.strerror or exc} ({exc.filename or self.directory})"
        if text != self.problem:
            self.problem = text
            log.warning("session log: cannot write: %s", text)
        self._close_file()

    def _open(self, name: str, part: int = 1) -> None:
        self._close_file()
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._total is None:
            self._total = sum(size for _, size, _ in self._files())
        base = name.removesuffix(SUFFIX)
        stem = base if part == 1 else f"{base}.part{part:03d}"  # sorts by number
        for attempt in range(1, 100):  # two connections in the same second
            candidate = stem if attempt == 1 else f"{stem}-{attempt}"
            path = self.directory / f"{candidate}{SUFFIX}"
            try:
                self._file = open(path, "xb")  # noqa: SIM115 - kept open for the connection
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(f"no free name for {stem}{SUFFIX}")
        self._file_base, self._file_part, self._file_bytes = name, part, 0
        self.current_file = path
        log.info("session log: %s", path)

    def _write(self, data: bytes) -> None:
        if self._file is None:
            self._open(self._file_base or session_file_name(self._now(), "no-channel"))
        elif self._file_bytes and self._file_bytes + len(data) > self._max_file:
            self._open(self._file_base, self._file_part + 1)  # the same connection goes on
        assert self._file is not None
        self._file.write(data)
        self._file.flush()  # to the OS: another program (or `replay`) may read it now
        self._file_bytes += len(data)
        self._total = (self._total or 0) + len(data)
        if self._total > self._max_total:
            self._prune()

    def _files(self) -> list[tuple[float, int, Path]]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((info.st_mtime, info.st_size, path))
        return found

    def _prune(self) -> None:
        """Deletes the files written longest ago until the folder is under the total cap (never
        the file being written)."""
        files = sorted(self._files(), key=lambda item: (item[0], item[2].name))
        total = sum(size for _, size, _ in files)
        for _, size, path in files:
            if total <= self._max_total:
                break
            if path == self.current_file:
                continue
            try:
                path.unlink()
            except OSError as exc:
                log.warning("session log: cannot delete %s: %s", path, exc.strerror or exc)
                continue
            total -= size
            log.info(
                "session log: deleted %s (over %d MiB in all)", path.name, self._max_total >> 20
            )
        self._total = total

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                log.warning("session log: cannot close %s: %s", self.current_file, exc)
