"""Widgets only (design.md §4): pure views that show what they are given and emit intent signals.

Nothing here touches the network or asyncio (design rule 5); state colours come from the
`state` Qt property and `resources/theme.qss` (rule 6); chat text is never rendered as rich text
(rule 8).

Importing this package also applies `guard_singleton_refcounts` (below).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

_PROBE_CALLS = 64
_HEADROOM = 1 << 48  # references: more calls than any process will ever make


def _leak_per_call(call: Callable[[], object], singleton: object) -> float:
    before = sys.getrefcount(singleton)
    for _ in range(_PROBE_CALLS):
        call()
    return (before - sys.getrefcount(singleton)) / _PROBE_CALLS


def _add_references(singleton: object) -> None:
    # ob_refcnt is the first field of every CPython object: a Py_ssize_t at id(obj).
    ctypes.c_ssize_t.from_address(id(singleton)).value += _HEADROOM


def guard_singleton_refcounts() -> list[str]:
    """Keep None, True and False alive under a PySide6 build that leaks references to them;
    returns the names of the objects it had to guard.

    PySide6-Essentials 6.12.0 on CPython 3.11 drops one reference to `None` on every call of a
    Qt method that returns void (`setText`, `setPen`, `update`, ...) and one to `True` on every
    `Signal.emit()` (measured: exactly -1 per call; 6.11.2 does neither). These objects start
    with a few thousand references, so a painting widget or a busy signal brings one to zero
    within seconds and CPython aborts ("none_dealloc: deallocating None", "bool_dealloc").
    From Python 3.12 on they are immortal and nothing is needed. Otherwise this measures each
    leak once and, only where it is there, adds references far beyond reach.
    """
    if sys.version_info >= (3, 12):
        return []
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    guarded: list[str] = []
    if _leak_per_call(lambda: probe.setObjectName("probe"), None) >= 0.75:
        _add_references(None)
        guarded.append("None")
    if _leak_per_call(probe.ping.emit, True) >= 0.75:
        _add_references(True)
        _add_references(False)  # emit() returns False when signals are blocked
        guarded += ["True", "False"]
    if guarded:
        log.warning(
            "this PySide6 build leaks references to %s on every call: guarded "
            "(pin PySide6-Essentials 6.11.2 or use Python 3.12+ to need no guard)",
            ", ".join(guarded),
        )
    return guarded


guard_singleton_refcounts()
