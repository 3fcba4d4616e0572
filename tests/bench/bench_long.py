"""A long stream through headless `python -m app watch`: memory stays flat, nothing is lost.

    python tests/bench/bench_long.py [--events 1000000] [--rate 5000] [--short]

`load_server.py` (another process) sends `events` chat frames at `rate`/s; `watch` prints each as
a StreamEvent JSON line, which this script counts. RSS of the watch process is read from /proc
after the first 10,000 events and at the end. Target: end within 30 MB of that, and every event
delivered.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--rss-target", type=float, default=30.0)
    parser.add_argument("--short", action="store_true", help="100,000 events")
    args = parser.parse_args()
    if args.short:
        args.events = min(args.events, 100_000)
    seconds = args.events / args.rate
    server = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "load_server.py"),
            "--rate",
            str(args.rate),
            "--seconds",
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port = int(server.stdout.readline().split()[1])
    env = dict(os.environ)
    env.update(
        VMSC_CONFIG_DIR=tempfile.mkdtemp(prefix="vmsc-long-"),
        VMSC_KICK_API_URL="http://127.0.0.1:9",
        VMSC_KICK_REALTIME_URL="",
        VMSC_KICK_PUSHER_URL=f"ws://127.0.0.1:{port}/app/bench?protocol=7&client=js&version=8.4.0&flash=false",
    )
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "watch",
            "benchchannel",
            "--chatroom-id",
            "5079311",
            "--channel-id",
            "5120934",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert watch.stdout is not None
    received = 0
    rss_warm = 0.0
    started = time.monotonic()
    deadline = started + seconds * 2 + 60
    try:
        for line in watch.stdout:
            if line.startswith(b"{"):
                received += 1
            if received == 10_000:
                rss_warm = rss_mb(watch.pid)
            if received >= args.events or time.monotonic() > deadline:
                break
        rss_end = rss_mb(watch.pid)
    finally:
        watch.terminate()
        watch.wait()
        server.terminate()
        server.wait()
    elapsed = time.monotonic() - started
    growth = rss_end - rss_warm
    lost = args.events - received
    print(
        f"headless watch: {received:,} of {args.events:,} events at {args.rate:,}/s in {elapsed:.0f} s"
    )
    print(
        f"RSS after 10,000 events {rss_warm:.1f} MB, at the end {rss_end:.1f} MB ({growth:+.1f} MB)"
    )
    print(f"long_lost: {lost} events (target 0) {'ok' if lost == 0 else 'MISS'}")
    ok = growth <= args.rss_target
    print(f"long_rss: {growth:+.1f} MB (target {args.rss_target:g}) {'ok' if ok else 'MISS'}")
    return 0 if ok and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
