"""Logging at start-up: warnings on stderr at once, and what was logged before the log file
opened (the window is painted first) written to the file when it does."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logs import LOG_FILE, add_file_logging, setup_console_logging
from app.settings import CONFIG_DIR_ENV


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_records_from_before_the_file_opened_are_written_to_it(
    root_logging: logging.Logger,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    log = logging.getLogger("app.test_logs")
    setup_console_logging()
    log.debug("below the level")
    log.info("before the window")
    log.warning("a warning before the window")
    assert "a warning before the window" in capsys.readouterr().err  # at once, not kept back

    path = add_file_logging()
    log.info("after the window")
    for handler in root_logging.handlers:
        handler.flush()

    assert path == tmp_path / "logs" / LOG_FILE
    text = path.read_text(encoding="utf-8")
    lines = [line.split(": ", 1)[1] for line in text.splitlines()]
    assert lines == ["before the window", "a warning before the window", "after the window"]
    assert "after the window" not in capsys.readouterr().err  # info stays out of stderr


def test_an_unwritable_log_folder_leaves_stderr_logging(
    root_logging: logging.Logger,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    setup_console_logging()
    assert add_file_logging() is None
    assert "cannot write the log file" in capsys.readouterr().err
