"""`python -m app --help`: the desktop app's options (kept in step with the app's own parser) and
the exit statuses, without starting Qt."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import app.__main__ as entry
from tests.test_watch_cli import exit_status_rows

REPO = Path(__file__).resolve().parents[1]


def desktop_options(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """The options `app.application` parses (option -> help), read from the parser it builds:
    `_parse` only parses and starts nothing (the import loads PySide6 but makes no QApplication)."""
    from app import application

    parsers: list[argparse.ArgumentParser] = []
    parse = argparse.ArgumentParser.parse_known_args

    def spy(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        parsers.append(self)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", spy)
    application._parse([])
    assert len(parsers) == 1
    return {
        action.option_strings[-1]: action.help
        for action in parsers[0]._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
    }


def help_text() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def test_the_desktop_options_in_help_are_the_apps_own(monkeypatch: pytest.MonkeyPatch) -> None:
    options = desktop_options(monkeypatch)
    assert "--smoke-test" in options and "--no-auto-connect" in options
    assert options == entry.GUI_OPTIONS  # names and help texts
    text = help_text()
    section = text.split("desktop app options (without a command):\n", 1)[1].split("\n\n")[0]
    flat = " ".join(section.split())
    for name, help_ in options.items():
        assert f"{name} {help_}" in flat
        assert f"[{name}]" in text.split("\n\n")[0]  # and in the usage lines


def test_top_level_help_documents_the_exit_statuses() -> None:
    text = help_text()
    rows = exit_status_rows(text)
    assert sorted(rows) == [0, 1, 2]
    assert "window was closed" in rows[0] and "--smoke-test passed" in rows[0]
    assert "cannot start" in rows[1] and "--smoke-test found a problem" in rows[1]
    assert "bad command line" in rows[2]
    assert "own options and exit status: COMMAND --help" in text
    for command in entry.COMMANDS:
        assert f"\n    {command}" in text
