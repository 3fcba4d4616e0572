"""PyInstaller hook for PySide6.QtGui: PyInstaller's own, minus Qt plugins the app never loads.

Used instead of the built-in hook (hooks in the spec's `hookspath` take precedence). Plugins are
dropped here, before PyInstaller scans what they link to, so the system libraries only they
need (cairo, pango, harfbuzz, gio for the gtk3 theme; libjpeg for the jpeg plugin) stay out too.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# plugin directory -> the plugins kept there (file names without "lib" and extension).
# Plugin directories not listed are kept whole (input methods, xcb GL, wayland, styles).
KEEP = {
    # windows/cocoa/xcb/wayland: the desktops; offscreen/minimal: headless runs and CI
    "platforms": {"qwindows", "qcocoa", "qxcb", "qwayland", "qoffscreen", "qminimal"},
    "platformthemes": {"qxdgdesktopportal"},  # not qgtk3: it needs libgtk-3 on the machine
    "imageformats": {"qsvg"},  # the icons are SVG; PNG is built into QtGui
    "iconengines": {"qsvgicon"},
    "egldeviceintegrations": set(),  # for eglfs (no window system), not bundled
    "generic": set(),  # evdev/tuio input for eglfs/linuxfb
}


def _kept(source: str, dest_dir: str) -> bool:
    allowed = KEEP.get(PurePath(dest_dir).name)
    return allowed is None or PurePath(source).name.split(".")[0].removeprefix("lib") in allowed


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, dest) for source, dest in binaries if _kept(source, dest)]
