"""Where the app's resources live, and the dark theme (`resources/theme.qss`).

Every colour that depends on a connection state lives in the QSS, selected by the `state`
dynamic property of the widget showing it; `repolish` re-applies the style after that property
changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

_ICONS_TOKEN = "@ICONS@"


def resources_dir() -> Path:
    """`resources/` of a source checkout or an installed tree, or the PyInstaller bundle's copy."""
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        bundled = Path(bundle) / "resources"
        if bundled.is_dir():
            return bundled
    return Path(__file__).resolve().parents[2] / "resources"


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / name


def icon(name: str) -> QIcon:
    return QIcon(str(icon_path(name)))


def theme_stylesheet() -> str:
    """The QSS text, with `@ICONS@` made an absolute path (QSS urls are relative to the cwd)."""
    text = (resources_dir() / "theme.qss").read_text(encoding="utf-8")
    return text.replace(_ICONS_TOKEN, (resources_dir() / "icons").as_posix())


def _dark_palette() -> QPalette:
    """Colours for what QSS does not reach (native dialogs' fallbacks, disabled text roles)."""
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#0f1113",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#121417",
        QPalette.ColorRole.AlternateBase: "#181b1f",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#22262b",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.ToolTipBase: "#22262b",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#6b717b",
        QPalette.ColorRole.Highlight: "#53fc18",
        QPalette.ColorRole.HighlightedText: "#0b0d0e",
        QPalette.ColorRole.Link: "#53fc18",
        QPalette.ColorRole.BrightText: "#ffffff",
    }
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5d636c"))
    return palette


def load_theme(app: QApplication) -> None:
    """Fusion (the most predictable base for QSS on every OS), a dark palette and theme.qss."""
    app.setStyle("Fusion")
    app.setPalette(_dark_palette())
    app.setStyleSheet(theme_stylesheet())


def repolish(root: QWidget) -> None:
    """Re-apply the stylesheet to `root` and its descendants after a dynamic property changed.

    Descendant selectors such as `#kickStatusCard[state="live"] #stateIndicator` depend on an
    ancestor's property, so every descendant's cached style has to go, not only root's.
    """
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
    for widget in widgets:
        widget.update()
