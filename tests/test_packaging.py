"""Fast checks of the desktop packaging (packaging/): nothing here runs PyInstaller.

The full build (`python packaging/build.py`) and a smoke test of the bundle run in CI's script.
"""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
DESKTOP_FILE = PACKAGING / "vmsc.desktop"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", data[16:24])  # IHDR comes first
    return width, height


def _calls(source: Path) -> dict[str, ast.Call]:
    """The spec's top-level PyInstaller calls (Analysis, EXE, ...) by name."""
    calls = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls[node.func.id] = node
    return calls


def _keyword(call: ast.Call, name: str) -> ast.expr:
    return next(k.value for k in call.keywords if k.arg == name)


def test_desktop_file_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = subprocess.run([validator, str(DESKTOP_FILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # no warnings or hints either


def test_desktop_file_matches_the_app() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP_FILE, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "vmsc"  # /usr/bin/vmsc from the .deb
    assert desktop["Icon"] == "vmsc"  # hicolor/*/apps/vmsc.png|svg from the .deb
    # X11 WM_CLASS's class is Qt's applicationName: the launcher groups the window with this entry
    from app import APP_NAME

    assert desktop["StartupWMClass"] == APP_NAME


def test_spec_bundles_resources_hooks_and_lazy_gui_import() -> None:
    spec = PACKAGING / "vmsc.spec"
    calls = _calls(spec)
    analysis = calls["Analysis"]
    datas = _keyword(analysis, "datas")
    assert isinstance(datas, ast.List)
    targets = {  # destination -> source, of the (source, destination) pairs
        ast.literal_eval(pair.elts[1]): ast.unparse(pair.elts[0])
        for pair in datas.elts
        if isinstance(pair, ast.Tuple)
    }
    assert "theme.qss" in targets["resources"]  # app/ui/theme.py looks in _MEIPASS/resources
    assert "icons" in targets["resources/icons"]
    # app/relay/routes.py serves the overlays from the folder next to it (_MEIPASS/app/relay)
    from app.relay.routes import STATIC_DIR

    assert STATIC_DIR.relative_to(ROOT).as_posix() == "app/relay/static"
    assert targets["app/relay/static"] == "str(ROOT / 'app' / 'relay' / 'static')"
    assert not any("screenshots" in source for source in targets.values())  # README only
    assert "app.application" in ast.literal_eval(_keyword(analysis, "hiddenimports"))
    assert "hooks" in ast.unparse(_keyword(analysis, "hookspath"))
    excludes = ast.literal_eval(_keyword(analysis, "excludes"))
    assert "PySide6.QtNetwork" in excludes
    exe = calls["EXE"]
    assert ast.literal_eval(_keyword(exe, "name")) == "VMSC"
    assert ast.literal_eval(_keyword(exe, "console")) is False
    assert ast.literal_eval(_keyword(calls["COLLECT"], "name")) == "VMSC"
    assert "bundle_identifier" in {k.arg for k in calls["BUNDLE"].keywords}
    entry = (PACKAGING / "vmsc_entry.py").read_text(encoding="utf-8")
    assert "from app.__main__ import main" in entry


def test_qt_hook_keeps_the_plugins_the_app_needs() -> None:
    hook = ast.parse((PACKAGING / "hooks" / "hook-PySide6.QtGui.py").read_text(encoding="utf-8"))
    keep = next(
        ast.literal_eval(node.value)
        for node in hook.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "KEEP"
    )
    needed = {
        "platforms": {"qxcb", "qwayland", "qoffscreen", "qwindows", "qcocoa"},
        "imageformats": {"qsvg"},  # the --smoke-test checks this one
        "iconengines": {"qsvgicon"},
    }
    for kind, names in needed.items():
        assert names <= keep[kind], kind
    assert "qgtk3" not in keep["platformthemes"]
    if sys.platform.startswith("linux"):  # the kept names are the installed PySide6's file names
        import PySide6

        plugins = Path(PySide6.__file__).parent / "Qt" / "plugins"
        for kind, name in [("platforms", "qxcb"), ("platforms", "qoffscreen"),
                           ("imageformats", "qsvg"), ("iconengines", "qsvgicon"),
                           ("platformthemes", "qxdgdesktopportal")]:  # fmt: skip
            assert (plugins / kind / f"lib{name}.so").is_file(), (kind, name)


def test_build_script_help() -> None:
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "build.py"), "--help"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--bundle-only" in result.stdout
    assert ".deb" in result.stdout


def test_icons_render_for_every_platform(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)],
        check=True, timeout=30, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    for size in (48, 64, 128, 256):
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "vmsc.png"
        assert _png_size(png.read_bytes()) == (size, size)
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "vmsc.svg").is_file()

    ico = (tmp_path / "vmsc.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 5
    for index in range(count):
        width, _, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index : 22 + 16 * index]
        )
        assert _png_size(ico[offset : offset + length])[0] == (width or 256)

    icns = (tmp_path / "vmsc.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    position, sizes = 8, set()
    while position < len(icns):
        length = struct.unpack(">I", icns[position + 4 : position + 8])[0]
        sizes.add(_png_size(icns[position + 8 : position + length])[0])
        position += length
    assert {16, 32, 128, 256, 512, 1024} <= sizes
