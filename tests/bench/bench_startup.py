"""Start-up: process start to first painted window, and idle RSS, next to a bare PySide6 window
with one label measured in the same run (alternating, medians). Also shown, with no target: when
the app's page is painted (the app paints its window's frame first, then the page).

    python tests/bench/bench_startup.py [--short]

Targets: time ratio app/bare <= 1.5; idle RSS within 40 MB of the bare window.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(kind: str) -> tuple[float, float, float]:
    """(ms to first paint, ms to the content's first paint, idle RSS MB) of one process."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["VMSC_CONFIG_DIR"] = tempfile.mkdtemp(prefix="vmsc-startup-")
    # As on a user's machine, the first run leaves the app's compiled bytecode behind for the
    # next ones (this sandbox turns that off; a frozen bundle ships it compiled).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.monotonic_ns()
    out = subprocess.run(
        [sys.executable, str(HERE / "startup_probe.py"), kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    fields = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    return (
        (int(fields["painted"]) - start) / 1e6,
        (int(fields["content"]) - start) / 1e6,
        float(fields["rss"]),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.short else 15
    results: dict[str, list[tuple[float, float, float]]] = {"bare": [], "app": []}
    run("bare")  # warm-up: the page cache for both, and the app's bytecode
    run("app")
    for _ in range(rounds):
        for kind in ("bare", "app"):
            results[kind].append(run(kind))
    med = {
        k: [statistics.median(column) for column in zip(*v, strict=True)]
        for k, v in results.items()
    }
    ratio = med["app"][0] / med["bare"][0]
    page_ratio = med["app"][1] / med["bare"][0]
    rss_delta = med["app"][2] - med["bare"][2]
    platform = os.environ.get("QT_QPA_PLATFORM", "offscreen")
    print(f"platform {platform}, {rounds} rounds, medians")
    for kind in ("bare", "app"):
        times = ", ".join(f"{t:.0f}" for t, _, _ in results[kind])
        print(
            f"{kind:>4}: first paint {med[kind][0]:.0f} ms (runs {times}), idle RSS {med[kind][2]:.0f} MB"
        )
    pages = ", ".join(f"{p:.0f}" for _, p, _ in results["app"])
    print(f" app: page painted {med['app'][1]:.0f} ms (runs {pages}), {page_ratio:.2f}x bare")
    print(
        f"startup_rss: {rss_delta:+.0f} MB over bare (target 40) {'ok' if rss_delta <= 40 else 'MISS'}"
    )
    print(f"startup: {ratio:.2f}x bare (target 1.5) {'ok' if ratio <= 1.5 else 'MISS'}")
    return 0 if ratio <= 1.5 and rss_delta <= 40 else 1


if __name__ == "__main__":
    sys.exit(main())
