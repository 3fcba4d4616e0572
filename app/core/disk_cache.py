"""A folder of small files by key, its total size capped: the least recently used go first.

Used for emote and badge pictures (`app.kick.images`). Blocking file I/O: call it from a worker
thread (`asyncio.to_thread`), never from the GUI thread or the loop; a lock makes that safe.

Nothing here raises for the disk's sake: a folder that cannot be made or written turns the cache
into a no-op for writes (said once in the log, the app keeps its pictures in memory), a file that
cannot be read is a miss. The use order survives restarts as the files' modification times.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)

_KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,80}")  # a file name on every OS, never a path
_TEMP_SUFFIX = ".part"


class DiskCache:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: OrderedDict[str, int] | None = None  # least recently used first
        self._total = 0
        self._temp_names = itertools.count()
        self.write_problem = ""  # why nothing is written (the first failure), or ""

    @property
    def writable(self) -> bool:
        return not self.write_problem

    @property
    def total_bytes(self) -> int:
        with self._lock:
            self._index()
            return self._total

    def keys(self) -> list[str]:
        """The cached keys, least recently used first."""
        with self._lock:
            return list(self._index())

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None; a hit counts as a use."""
        if not _KEY_RE.fullmatch(key):
            return None
        with self._lock:
            sizes = self._index()
            if key not in sizes:
                return None
            path = self.folder / key
            try:
                data = path.read_bytes()
            except OSError as exc:
                log.debug("image cache: %s not read (%s)", key, exc)
                self._forget(key)
                return None
            sizes.move_to_end(key)
            with contextlib.suppress(OSError):  # only the order after a restart depends on it
                os.utime(path)
            return data

    def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`, then drop the least recently used files over the cap."""
        if not _KEY_RE.fullmatch(key) or len(data) > self.max_bytes or not self.writable:
            return
        with self._lock:
            sizes = self._index()
            temp = self.folder / f"{key}.{os.getpid()}-{next(self._temp_names)}{_TEMP_SUFFIX}"
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                temp.write_bytes(data)
                os.replace(temp, self.folder / key)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    temp.unlink()
                self._write_failed(exc)
                return
            self._total -= sizes.pop(key, 0)
            sizes[key] = len(data)
            self._total += len(data)
            self._evict()

    def discard(self, key: str) -> None:
        """Drop `key` (its file turned out to be unusable)."""
        if not _KEY_RE.fullmatch(key):
            return
        with self._lock:
            if key in self._index():
                with contextlib.suppress(OSError):
                    (self.folder / key).unlink()
                self._forget(key)

    # -- under the lock ---------------------------------------------------------------------------

    def _index(self) -> OrderedDict[str, int]:
        """The files in the folder by last use (modification time), read once per run."""
        if self._sizes is None:
            found: list[tuple[float, str, int]] = []
            try:
                with os.scandir(self.folder) as entries:
                    for entry in entries:
                        if entry.name.endswith(_TEMP_SUFFIX):  # a write cut short by a crash
                            with contextlib.suppress(OSError):
                                os.unlink(entry.path)
                        elif _KEY_RE.fullmatch(entry.name) and entry.is_file():
                            info = entry.stat()
                            found.append((info.st_mtime, entry.name, info.st_size))
            except OSError:  # no folder yet, or not readable: an empty cache
                pass
            found.sort()
            self._sizes = OrderedDict((name, size) for _, name, size in found)
            self._total = sum(self._sizes.values())
            self._evict()  # the cap may have been lowered since the last run
        return self._sizes

    def _evict(self) -> None:
        assert self._sizes is not None
        while self._total > self.max_bytes and self._sizes:
            oldest = next(iter(self._sizes))
            with contextlib.suppress(OSError):
                (self.folder / oldest).unlink()
            self._forget(oldest)

    def _forget(self, key: str) -> None:
        assert self._sizes is not None
        self._total -= self._sizes.pop(key, 0)

    def _write_failed(self, exc: OSError) -> None:
        self.write_problem = f"{self.folder}: {exc.strerror or exc}"
        log.warning(
            "the picture cache cannot be written (%s): pictures are kept in memory only",
            self.write_problem,
        )
