"""The running window under load: event-loop lag and memory while chat streams in.

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_gui.py [--rate 1000] [--seconds 60] [--short]

The real app (window, services, supervisor, socket) runs on its qasync loop and connects to
`load_server.py`, a Pusher server in another process sending `rate` chat frames a second for
`seconds`. A 10 ms precise QTimer measures the loop's lag (how late each tick fires); RSS is
sampled every second. Afterwards the card's event count must equal what the server sent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run as a script: make `tests` importable
PROBE_MS = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rate: int, seconds: float, warmup: float) -> dict[str, float]:
    from PySide6.QtCore import Qt, QTimer

    from app.application import VmscApp
    from tests.gui.waiting import until

    server = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "load_server.py"),
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        os.environ["VMSC_KICK_PUSHER_URL"] = (
            f"ws://127.0.0.1:{port}/app/bench?protocol=7&client=js&version=8.4.0&flash=false"
        )
        vmsc = VmscApp()
        vmsc.start(auto_connect=False)
        vmsc.window.show_page(0)

        lags: list[tuple[float, float]] = []  # (time, lag ms)
        rss: list[tuple[float, float]] = []
        last = time.perf_counter()

        def probe() -> None:
            nonlocal last
            now = time.perf_counter()
            lags.append((now, max(0.0, (now - last) * 1000 - PROBE_MS)))
            last = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(PROBE_MS)
        timer.timeout.connect(probe)
        sampler = QTimer()
        sampler.setInterval(1000)
        sampler.timeout.connect(lambda: rss.append((time.perf_counter(), rss_mb())))

        service = vmsc.service
        service.connect_channel("benchchannel", 5079311, 5120934)
        await until(lambda: service.status.state.is_connected, service.statusChanged, timeout=10)
        started = time.perf_counter()
        last = started
        timer.start()
        sampler.start()
        rss.append((started, rss_mb()))
        total = int(rate * seconds)
        count = vmsc.window.status_card.findChild(object, "eventCount")
        await until(
            lambda: service.status.event_count >= total,
            service.countChanged,
            timeout=seconds * 3 + 30,
        )
        await until(
            lambda: count.text().replace(",", "") == str(total), service.countChanged, timeout=5
        )
        elapsed = time.perf_counter() - started
        timer.stop()
        sampler.stop()
        rss.append((time.perf_counter(), rss_mb()))
        in_load = [lag for t, lag in lags if t - started <= elapsed]
        after_warmup = [mb for t, mb in rss if t - started >= warmup] or [rss[-1][1]]
        result = {
            "events": float(service.status.event_count),
            "expected": float(total),
            "elapsed": elapsed,
            "lag_p50": percentile(in_load, 0.50),
            "lag_p99": percentile(in_load, 0.99),
            "lag_max": max(in_load),
            "rss_start": rss[0][1],
            "rss_warm": after_warmup[0],
            "rss_end": rss[-1][1],
            "feed_rows": float(vmsc.window.feed.model.rowCount()),
        }
        vmsc.request_close()
        await vmsc.closed
        return result
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="RSS is compared from here on")
    parser.add_argument("--lag-target", type=float, default=50.0, help="p99 lag target, ms")
    parser.add_argument("--rss-target", type=float, default=20.0, help="RSS growth target, MB")
    parser.add_argument("--name", default="gui_load")
    parser.add_argument("--short", action="store_true", help="10 s instead of 60 s")
    args = parser.parse_args()
    if args.short:
        args.seconds, args.warmup = min(args.seconds, 10.0), min(args.warmup, 3.0)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["VMSC_CONFIG_DIR"] = tempfile.mkdtemp(prefix="vmsc-bench-")
    os.environ["VMSC_KICK_REALTIME_URL"] = ""
    os.environ["VMSC_KICK_API_URL"] = (
        "http://127.0.0.1:9"  # the live-status refresh: refused at once
    )

    import qasync
    from PySide6.QtWidgets import QApplication

    from app.ui.theme import load_theme

    qapp = QApplication([])
    qapp.setQuitOnLastWindowClosed(False)
    load_theme(qapp)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        r = loop.run_until_complete(run(args.rate, args.seconds, args.warmup))
    growth = r["rss_end"] - r["rss_warm"]
    print(
        f"{args.rate:,} events/s for {args.seconds:g} s: {int(r['events']):,} of {int(r['expected']):,} counted in {r['elapsed']:.1f} s; feed rows {int(r['feed_rows']):,}"
    )
    print(
        f"event-loop lag: p50 {r['lag_p50']:.1f} ms, p99 {r['lag_p99']:.1f} ms, max {r['lag_max']:.1f} ms"
    )
    print(
        f"RSS: start {r['rss_start']:.0f} MB, after {args.warmup:g} s {r['rss_warm']:.0f} MB, end {r['rss_end']:.0f} MB (growth {growth:+.1f} MB)"
    )
    exact = r["events"] == r["expected"]
    lag_ok = r["lag_p99"] < args.lag_target
    rss_ok = growth <= args.rss_target
    print(
        f"{args.name}_count: {int(r['events'])} of {int(r['expected'])} counted (target {int(r['expected'])}) {'ok' if exact else 'MISS'}"
    )
    print(
        f"{args.name}_rss: {growth:+.1f} MB (target {args.rss_target:g}) {'ok' if rss_ok else 'MISS'}"
    )
    print(
        f"{args.name}: {r['lag_p99']:.1f} ms p99 lag (target {args.lag_target:g}) {'ok' if lag_ok else 'MISS'}"
    )
    return 0 if (exact and lag_ok and rss_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
