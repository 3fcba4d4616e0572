"""Logging to a rotating file in the platform's log dir (Settings > Open log folder)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

import platformdirs

from app.settings import CONFIG_DIR_ENV

LOG_FILE = "vmsc.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_dir() -> Path:
    """Beside the settings when VMSC_CONFIG_DIR is set (tests, portable use), else the OS's."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir("VMSC", appauthor=False))


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to a rotating file (2 MB x 5) and warnings to stderr; returns the file, or None when
    it could not be opened (then stderr only: a read-only home must not stop the app)."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_vmsc", False):
            root.removeHandler(handler)
            handler.close()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(_FORMAT))
    console._vmsc = True  # type: ignore[attr-defined]
    root.addHandler(console)
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
    file_handler._vmsc = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    return path
