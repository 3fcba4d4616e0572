"""Logging to a rotating file in the platform's log dir (Settings > Open log folder).

Start-up paints the window first: `setup_console_logging` (cheap) runs before it and keeps what
is logged meanwhile; `add_file_logging` (it loads `logging.handlers`) runs once the window is on
screen and writes those records to the file too.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from app.settings import CONFIG_DIR_ENV

LOG_FILE = "vmsc.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_EARLY_LIMIT = 1_000  # records kept for the file while it is not open yet


def log_dir() -> Path:
    """Beside the settings when VMSC_CONFIG_DIR is set (tests, portable use), else the OS's."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override) / "logs"
    import platformdirs  # here, not at the top: ~15 ms of start-up, needed only without override

    return Path(platformdirs.user_log_dir("VMSC", appauthor=False))


class _EarlyRecords(logging.Handler):
    """Keeps the records logged before the file is open (bounded), to replay into it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < _EARLY_LIMIT:
            self.records.append(record)


def _mark(handler: logging.Handler) -> logging.Handler:
    handler._vmsc = True  # type: ignore[attr-defined]
    return handler


def setup_console_logging(level: int = logging.INFO) -> None:
    """Warnings to stderr at once; every record at `level` kept for `add_file_logging`."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_vmsc", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(_mark(console))
    root.addHandler(_mark(_EarlyRecords()))


def add_file_logging() -> Path | None:
    """Log to a rotating file (2 MB x 5), starting with what was logged since
    `setup_console_logging`; returns the file, or None when it could not be opened (then stderr
    only: a read-only home must not stop the app)."""
    import logging.handlers

    root = logging.getLogger()
    early: list[logging.LogRecord] = []
    for handler in list(root.handlers):
        if isinstance(handler, _EarlyRecords):
            early.extend(handler.records)
            root.removeHandler(handler)
            handler.close()
    path = log_dir() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).error("cannot write the log file %s: %s", path, exc)
        return None
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    for record in early:
        if record.levelno >= root.level:
            file_handler.handle(record)
    root.addHandler(_mark(file_handler))
    return path
