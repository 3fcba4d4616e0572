"""Guards on the Qt build the app pins."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    # PySide6-Essentials 6.12.0 on CPython 3.11 drops one reference to None per call of a Qt
    # method returning void; a painting app then aborts in none_dealloc within minutes.
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        probe.setObjectName("probe")
    assert sys.getrefcount(None) - before > -100


def test_signal_emit_does_not_leak_references_to_true() -> None:
    # The same 6.12.0 build also drops a reference to True on every Signal.emit().
    from PySide6.QtCore import Signal

    class Emitter(QObject):
        fired = Signal(int)

    emitter = Emitter()
    before = sys.getrefcount(True)
    for n in range(1000):
        emitter.fired.emit(n)
    assert sys.getrefcount(True) - before > -100
