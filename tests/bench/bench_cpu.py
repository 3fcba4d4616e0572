"""CPU per delivered event: our client next to pusher-js, on the same soketi stream, same run.

    python tests/bench/bench_cpu.py [--short] [--rate R] [--events M] [--reps K] [--no-burst]

One real soketi server on 127.0.0.1; `python -m app watch` (stdout read by this process in large
chunks and discarded) and the official pusher-js client are connected and subscribed to the same
chat channel at the same time. So is a second pusher-js with --print, which also writes every
event as a JSON line to its stdout (read and discarded the same way): the output work `watch`
does per event and plain pusher-js does not, shown for comparison only. All sit idle for 2 s
first: their idle CPU is shown (it should be about 0). Then, K times, M realistic
ChatMessageEvent payloads are published through soketi's HTTP API with the official `pusher` SDK:

- paced: R events/s (default 1,000/s), one event per request, so each arrives in its own frame
  at its own time, as chat does (the figure that counts: the cost a client pays per message);
- burst (unless --no-burst): as fast as 3 publisher processes can, 500 events per request, in
  bursts of 5,000 (larger ones overrun soketi's per-client buffer, see bench_e2e), so frames
  arrive back to back and a client handles many per wake-up (the best case).

CPU of each client process for a repetition = its CPU time after its last event minus before the
first publish, divided by the events it received. CPU time is the scheduler's count of the time
each thread of the process ran, user + system (/proc/<pid>/task/*/schedstat, ns; the same
quantity /proc/<pid>/stat shows as utime + stime in 10 ms ticks, cross-checked at the end).

Final figure: median pusher-js CPU per event / median ours, paced (target >= 1.0: ours costs
no more than the official client).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass

import _common as c

TARGET = 1.0
IDLE_SECONDS = 2.0
WARM_UP = 2000  # events, at the paced rate
BURST = 5000  # events per burst


@dataclass
class Sample:
    mode: str
    publish_rate: float
    ours_us: float  # CPU per event
    js_us: float
    js_print_us: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced events/s (R)")
    parser.add_argument("--events", type=int, help="events per repetition (M)")
    parser.add_argument("--reps", type=int, help="repetitions (K) of each mode")
    parser.add_argument("--no-burst", action="store_true", help="paced repetitions only")
    args = parser.parse_args()
    m = args.events or (5_000 if args.short else 15_000)
    k = args.reps or (2 if args.short else 3)
    modes = ["paced"] + ([] if args.no_burst else ["burst"])
    total = WARM_UP + len(modes) * k * m
    print(
        f"bench_cpu: {k} x {m:,} events paced at {args.rate:,.0f}/s"
        + ("" if args.no_burst else f", then {k} x {m:,} in bursts"),
        flush=True,
    )
    samples: list[Sample] = []
    lost = 0
    with c.bench_peers("cpu") as (soketi, api, work):
        watch = c.WatchClient(soketi, api, work / "config")
        every = math.gcd(WARM_UP, m, BURST)  # progress lines from pusher-js at every boundary
        js = c.PusherJsClient(soketi, total, timeout=3600, every=every)
        js_print = c.PusherJsClient(soketi, total, timeout=3600, every=every, print_events=True)
        pids = (watch.pid, js.pid, js_print.pid)
        publishers = c.Publishers(soketi, 3)
        try:
            watch.wait_stderr("state: connected")
            js.wait_subscribed()
            js_print.wait_subscribed()
            stat0 = [c.cpu_seconds(pid) for pid in pids]
            idle0 = [c.cpu_ns(pid) for pid in pids]
            time.sleep(IDLE_SECONDS)
            idle1 = [c.cpu_ns(pid) for pid in pids]
            print(
                f"idle for {IDLE_SECONDS:g} s after subscribing: ours "
                f"{(idle1[0] - idle0[0]) / 1e6:.1f} ms CPU, pusher-js "
                f"{(idle1[1] - idle0[1]) / 1e6:.1f} ms CPU",
                flush=True,
            )
            # Warm-up, not counted: pusher-js's first thousands of events run before V8's JIT
            # has compiled its hot path (the first paced repetition would cost it ~1.5x).
            warm = c.chat_payloads(WARM_UP, seed=999)
            publishers.go(warm, batch_size=1, rate=args.rate)
            publishers.join()
            done = WARM_UP
            if not (
                watch.wait_lines(done, timeout=60, quiet=3.0)
                and js.wait_for(done, timeout=30)
                and js_print.wait_for(done, timeout=30)
            ):
                raise RuntimeError("warm-up events lost")
            time.sleep(0.3)
            for mode in modes:
                for rep in range(k):
                    payloads = c.chat_payloads(m, seed=len(samples) + 1)
                    before = [c.cpu_ns(pid) for pid in pids]
                    # Bursts go in pieces of BURST events, each received in full before the next:
                    # soketi drops frames for a client more than ~1 MB behind (see bench_e2e).
                    step = m if mode == "paced" else BURST
                    rates: list[float] = []
                    all_ok = True
                    for i in range(0, m, step):
                        piece = payloads[i : i + step]
                        if mode == "paced":
                            publishers.go(piece, batch_size=1, rate=args.rate)
                        else:
                            publishers.go(piece, batch_size=500)
                        rates.append(publishers.join().rate)
                        done += len(piece)
                        ours_ok = watch.wait_lines(done, timeout=120, quiet=3.0)
                        js_ok = js.wait_for(done, timeout=60 if ours_ok else 3.0)
                        js_ok &= js_print.wait_for(done, timeout=60 if js_ok else 3.0)
                        if not (ours_ok and js_ok):
                            all_ok = False
                            break
                    after = [c.cpu_ns(pid) for pid in pids]
                    if not all_ok:
                        lost = (
                            (done - watch.lines)
                            + (done - int(js.progress()["received"]))
                            + (done - int(js_print.progress()["received"]))
                        )
                        print(f"{mode} {rep + 1}: LOST {lost:,} events: stopping", flush=True)
                        break
                    sample = Sample(
                        mode,
                        c.median(rates),
                        (after[0] - before[0]) / 1e3 / m,
                        (after[1] - before[1]) / 1e3 / m,
                        (after[2] - before[2]) / 1e3 / m,
                    )
                    samples.append(sample)
                    print(
                        f"{mode} {rep + 1}: published at {sample.publish_rate:7,.0f}/s | CPU per "
                        f"event: ours {sample.ours_us:6.1f} us, pusher-js {sample.js_us:6.1f} us"
                        f" ({sample.js_print_us:6.1f} us with --print)"
                        f" | pusher-js/ours {sample.js_us / sample.ours_us:.2f}",
                        flush=True,
                    )
                    time.sleep(0.3)
                if lost:
                    break
            stat1 = [c.cpu_seconds(pid) for pid in pids]
            ns1 = [c.cpu_ns(pid) for pid in pids]
        finally:
            publishers.close()
            watch.stop()
            js.stop()
            js_print.stop()

    print()
    print(
        "cross-check, whole run: /proc/<pid>/stat utime+stime "
        f"ours {stat1[0] - stat0[0]:.2f} s, pusher-js {stat1[1] - stat0[1]:.2f} s; schedstat "
        f"ours {(ns1[0] - idle0[0]) / 1e9:.2f} s, pusher-js {(ns1[1] - idle0[1]) / 1e9:.2f} s"
    )
    figures: dict[str, float] = {}
    for mode in modes:
        rows = [s for s in samples if s.mode == mode]
        if not rows:
            continue
        ours, theirs = c.median([s.ours_us for s in rows]), c.median([s.js_us for s in rows])
        printing = c.median([s.js_print_us for s in rows])
        figures[mode] = theirs / ours
        print(
            f"{mode}: median CPU per event ours {ours:.1f} us, pusher-js {theirs:.1f} us "
            f"-> pusher-js/ours {theirs / ours:.2f}; pusher-js --print {printing:.1f} us -> "
            f"{printing / ours:.2f} (median publish rate "
            f"{c.median([s.publish_rate for s in rows]):,.0f}/s)"
        )
    if "burst" in figures:
        burst = figures["burst"]
        print(f"cpu_burst: {burst:.2f}x (target {TARGET}) {c.verdict(burst >= TARGET)}")
    ratio = figures.get("paced", float("nan"))
    ok = lost == 0 and len([s for s in samples if s.mode == "paced"]) == k and ratio >= TARGET
    print(f"cpu: {ratio:.2f}x pusher-js CPU per event over ours (target {TARGET}) {c.verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
