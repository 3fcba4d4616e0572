"""pytest fixtures for a real soketi server (see tests/soketi.py).

Use them from a test module with::

    from tests.e2e_fixtures import soketi_fixture  # noqa: F401

and take a `soketi` argument (the fixture's name; the function is named apart so ruff's F811
doesn't fire on the argument). Likewise `soketi_session_fixture` for `soketi_session`.

`soketi` is a fresh server per test (about 1 s to start; free to kill/restart). `soketi_session`
is one server for the whole run, for read-mostly tests: don't kill or restart it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.soketi import SoketiServer


def _run(log_dir: Path) -> Iterator[SoketiServer]:
    server = SoketiServer(log_dir=log_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # Shown by pytest for a failing test, next to its captured output.
        print(f"soketi log: {server.log_path}")


@pytest.fixture(name="soketi")
def soketi_fixture(tmp_path: Path) -> Iterator[SoketiServer]:
    """A soketi server on 127.0.0.1 for this test only; log in tmp_path/soketi.log."""
    yield from _run(tmp_path)


@pytest.fixture(name="soketi_session", scope="session")
def soketi_session_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoketiServer]:
    """One soketi server shared by the whole session."""
    yield from _run(tmp_path_factory.mktemp("soketi"))
