"""pytest fixtures for a real soketi server (see tests/soketi.py).

Use them from a test module with::

    from tests.e2e_fixtures import soketi  # noqa: F401  (pytest finds fixtures by name)

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


@pytest.fixture
def soketi(tmp_path: Path) -> Iterator[SoketiServer]:
    """A soketi server on 127.0.0.1 for this test only; log in tmp_path/soketi.log."""
    yield from _run(tmp_path)


@pytest.fixture(scope="session")
def soketi_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoketiServer]:
    """One soketi server shared by the whole session."""
    yield from _run(tmp_path_factory.mktemp("soketi"))
