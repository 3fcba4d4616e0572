"""design.md §4: only services/, ui/ and the composition root may import Qt or qasync."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
QT_FREE = sorted(
    [
        *APP.glob("core/*.py"),
        *APP.glob("kick/*.py"),
        APP / "settings.py",
        APP / "id_cache.py",
        APP / "watch.py",
        APP / "watch_cli.py",
        APP / "watch_output.py",
        APP / "cli.py",
        APP / "logs.py",
        APP / "session_log.py",
        APP / "replay.py",
        # the feed's words and categories: Qt-free so they can be tested and reused without Qt
        APP / "ui" / "feed_text.py",
        APP / "ui" / "feed_category.py",
    ]
)
FORBIDDEN = ("PySide6", "qasync", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", QT_FREE, ids=lambda p: str(p.relative_to(APP)))
def test_module_does_not_import_qt(path: Path) -> None:
    bad = {name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(APP)} imports {sorted(bad)}"


def test_headless_code_loads_without_qt_at_run_time() -> None:
    # Transitive imports too: load every Qt-free module in a fresh interpreter and check that
    # neither Qt nor qasync came along.
    modules = ["app." + ".".join(p.relative_to(APP).with_suffix("").parts) for p in QT_FREE] + [
        "app.__main__"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
