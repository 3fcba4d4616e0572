"""PyInstaller hook for PySide6.QtCore: PyInstaller's own, without Qt's translations.

The app is English only and installs no QTranslator, so Qt's .qm files (7 MB) would never be
read. Used instead of the built-in hook (hooks in the spec's `hookspath` take precedence).
"""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
datas = []
