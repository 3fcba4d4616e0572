"""Widgets only (design.md §4): pure views that show what they are given and emit intent signals.

Nothing here touches the network or asyncio (design rule 5); state colours come from the
`state` Qt property and `resources/theme.qss` (rule 6); chat text is never rendered as rich text
(rule 8).

Importing this package also applies `guard_none_refcount` (below).
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_PROBE_CALLS = 64


def guard_none_refcount() -> bool:
    """Keep `None` alive under a PySide6 build that leaks references to it; True if applied.

    PySide6-Essentials 6.12.0 on CPython 3.11 drops one reference to `None` on every call of a
    Qt method that returns void (`setText`, `setPen`, `update`, ...; measured: exactly -1 per
    call, 6.11.2 does not). `None` starts with about 12,000 references, so a painting widget
    brings it to zero within seconds and CPython aborts with "none_dealloc: deallocating None".
    From Python 3.12 on `None` is immortal and nothing is needed. Otherwise this measures the
    leak once and, only if it is there, raises `None`'s count far beyond reach (2**48 calls).
    """
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    leaked = before - sys.getrefcount(None)
    if leaked < _PROBE_CALLS * 3 // 4:
        return False
    # ob_refcnt is the first field of every CPython object (a Py_ssize_t at id(obj)).
    refcount = ctypes.c_ssize_t.from_address(id(None))
    refcount.value += 1 << 48
    log.warning(
        "this PySide6 build leaks references to None (%d in %d calls): guarded",
        leaked,
        _PROBE_CALLS,
    )
    return True


guard_none_refcount()
