"""Render the app icon (`resources/icons/vmsc.svg`) into the files a bundle and installers need.

    python packaging/make_icons.py OUT_DIR

writes, from the one SVG, with QtSvg (no Pillow, no ImageMagick):

    OUT_DIR/hicolor/<N>x<N>/apps/vmsc.png   N = 16 24 32 48 64 128 256 512 (freedesktop icon theme)
    OUT_DIR/hicolor/scalable/apps/vmsc.svg  the source itself
    OUT_DIR/vmsc.png                        256 px, for anything that wants one picture
    OUT_DIR/vmsc.ico                        Windows: PNG entries 16..256 (Vista and later)
    OUT_DIR/vmsc.icns                       macOS: PNG entries 16..1024, 1x and 2x

`packaging/vmsc.spec` runs it at build time; nothing generated is checked in.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "vmsc.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns element type -> pixel size (ic11..ic14 are the @2x variants of 16, 32, 128 and 256 pt)
ICNS_TYPES = {
    b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
    b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512,
}  # fmt: skip


def render_pngs(svg: Path, sizes: set[int]) -> dict[int, bytes]:
    """PNG bytes of `svg` drawn at each size (transparent background, antialiased)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot render {svg}")
    pngs = {}
    for size in sorted(sizes):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub wants bytes, Qt str
        pngs[size] = bytes(data.data())
    return pngs


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .ico holding the PNGs as they are."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    for size in sizes:
        side = size % 256  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(pngs[size]), offset)
        offset += len(pngs[size])
    return header + entries + b"".join(pngs[size] for size in sizes)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .icns of PNG elements (readable by macOS 10.7 and later)."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_TYPES.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(out_dir: Path, svg: Path = SVG) -> None:
    pngs = render_pngs(svg, {*HICOLOR_SIZES, *ICO_SIZES, *ICNS_TYPES.values()})
    for size in HICOLOR_SIZES:
        target = out_dir / "hicolor" / f"{size}x{size}" / "apps" / "vmsc.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    scalable = out_dir / "hicolor" / "scalable" / "apps" / "vmsc.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    (out_dir / "vmsc.png").write_bytes(pngs[256])
    (out_dir / "vmsc.ico").write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    (out_dir / "vmsc.icns").write_bytes(icns_bytes(pngs))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    make_icons(Path(sys.argv[1]))
