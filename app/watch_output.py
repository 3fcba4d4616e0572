"""`watch`'s stdout: events as JSON lines, written by a thread so the socket never waits for the
reader, with a bounded queue for a reader slower than the chat."""

from __future__ import annotations

import asyncio
import collections
import math
import os
import threading
import time
from collections.abc import Callable
from typing import BinaryIO, TextIO

from app.cli import discard_output
from app.core.events import StreamEvent, json_lines

# What `watch` keeps for a reader that is slower than the chat: about 70,000 events, over ten
# minutes of a busy chat at 100 messages/s. Past it the oldest batches are dropped, and stderr
# says how many.
MAX_BUFFERED_BYTES = 32 * 1024 * 1024
DROP_REPORT_INTERVAL = 5.0  # seconds between "dropped" lines while the reader stays behind
DRAIN_TIMEOUT = 5.0  # at exit, how long a stalled reader may hold up the end


class JsonLinesWriter:
    """Writes events as JSON lines, off the event loop: the socket never waits for the reader.

    The events handled in one loop pass (one socket read, which holds many messages while they
    arrive fast: see the socket driver's read coalescing) are encoded in one go and queued; a
    writer thread writes the queue to `out`, joining what piled up into one write. The queue
    holds at most `max_bytes`: past that the oldest batches are dropped, counted, and reported
    on `err` (at most once per DROP_REPORT_INTERVAL, and at the end). Writes go to the file
    descriptor itself where there is one, so a write blocked on a full pipe holds no Python
    lock that the interpreter's exit would wait for."""

    def __init__(
        self,
        out: BinaryIO,
        loop: asyncio.AbstractEventLoop,
        reader_gone: Callable[[], None] = lambda: None,
        *,
        err: TextIO | None = None,
        max_bytes: int = MAX_BUFFERED_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._loop = loop
        self._reader_gone = reader_gone  # called once if the reader closes the pipe (`| head`)
        self._err = err
        self._max_bytes = max_bytes
        self._clock = clock
        self._pending: list[StreamEvent] = []
        self._open = True
        self._queue: collections.deque[tuple[bytes, int]] = collections.deque()  # (lines, count)
        self._queued_bytes = 0
        self._ready = threading.Condition()
        self._closing = False
        self._busy = False  # the writer holds data taken off the queue
        self.dropped = 0  # events dropped in all
        self._unreported = 0
        self._reported_at = -math.inf
        self._thread: threading.Thread | None = None
        try:
            self._fd: int | None = out.fileno()
        except (OSError, ValueError, AttributeError):  # io.BytesIO and the like
            self._fd = None

    def add(self, event: StreamEvent) -> None:
        if not self._open:
            return
        self._pending.append(event)
        if len(self._pending) == 1:
            self._loop.call_soon(self.flush)  # after the rest of this pass's messages

    def flush(self) -> None:
        """Queues what this pass handled (never blocks)."""
        if not self._pending:  # (also never once the reader is gone: `add` keeps nothing)
            return
        data = json_lines(self._pending)  # one encoder call for the batch
        count = len(self._pending)
        self._pending.clear()
        dropped = 0
        with self._ready:
            self._queue.append((data, count))
            self._queued_bytes += len(data)
            while self._queued_bytes > self._max_bytes and len(self._queue) > 1:
                old, old_count = self._queue.popleft()
                self._queued_bytes -= len(old)
                dropped += old_count
            self._ready.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_all, name="watch-out", daemon=True)
            self._thread.start()
        if dropped:
            self.dropped += dropped
            self._unreported += dropped
            if self._clock() - self._reported_at >= DROP_REPORT_INTERVAL:
                self._report()

    def _report(self) -> None:
        if self._unreported and self._err is not None:
            print(
                f"watch: the output is read too slowly: dropped {self._unreported:,} events "
                f"(the oldest; {self.dropped:,} in all) to keep up with Kick",
                file=self._err,
                flush=True,
            )
        self._unreported = 0
        self._reported_at = self._clock()

    async def aclose(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Writes what is pending and waits (at most `timeout`) for the writer to finish."""
        self.flush()
        with self._ready:
            self._closing = True
            self._ready.notify()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, timeout)
        with self._ready:
            left = sum(count for _, count in self._queue) + (1 if self._busy else 0)
        if self._unreported:
            self._report()
        if thread is not None and thread.is_alive() and self._open and self._err is not None:
            print(
                f"watch: the output reader stalled: about {left:,} events were not written",
                file=self._err,
                flush=True,
            )

    def _write_all(self) -> None:
        """The writer thread: queue -> `out`, until closed and empty, or the reader is gone."""
        while True:
            with self._ready:
                self._busy = False
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    return
                chunks = [data for data, _ in self._queue]
                self._queue.clear()
                self._queued_bytes = 0
                self._busy = True
            try:
                self._write(b"".join(chunks) if len(chunks) > 1 else chunks[0])
            except (BrokenPipeError, ConnectionResetError):  # like other filters: stop quietly
                self._open = False
                discard_output(self._out)
                self._loop.call_soon_threadsafe(self._reader_gone)
                return

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            self._out.write(data)
            self._out.flush()
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


def buffer_limit() -> int:
    """MAX_BUFFERED_BYTES, or $VMSC_WATCH_BUFFER_BYTES (tests use a small one)."""
    text = os.environ.get("VMSC_WATCH_BUFFER_BYTES", "")
    return int(text) if text.isdigit() and int(text) > 0 else MAX_BUFFERED_BYTES
