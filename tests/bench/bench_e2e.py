"""End-to-end delivery rate: soketi -> our client -> StreamEvent, next to pusher-js, same stream.

    python tests/bench/bench_e2e.py [--short] [--events M] [--reps K] [--workers W] [--batch B]

One real soketi server on 127.0.0.1 (event batch limit raised to 1000). `python -m app watch`
(pointed at soketi and the fake Kick API; it subscribes to all five Kick channels) and the
official pusher-js client (subscribed to the chat channel) are both connected and subscribed to
the same soketi at the same time. Then, K + 1 times (the first burst only warms both up): W
publisher processes send M realistic ChatMessageEvent payloads (compact JSON strings shaped like
tests/fixtures/kick-frames, each with its own id and text) as fast as they can through soketi's HTTP
batch API (the official `pusher` SDK's trigger_batch, B events per call, signed beforehand).

Each client's rate for a burst is M / (its last event - its first event): ours from the parent
reading watch's stdout (CLOCK_MONOTONIC at each read), pusher-js from its own process.hrtime
stamps (same clock). Also shown: how long after the last publish answer each client had its last
event (clearly > 0: the client was the bottleneck, not the publisher) and the CPU each used per
event (/proc/<pid>/task/*/schedstat).

Why bursts of a few thousand and not one of 50,000: soketi *drops* frames for a socket that is
more than its 1 MB send buffer (uWebSockets maxBackpressure, hard-coded) plus the kernel's socket
buffers behind, so once the publisher outruns the clients by more than a few thousand events,
both clients lose events (seen with bursts of 15,000 and more at 40-60k/s). A burst that fits in
that backlog keeps the clients the bottleneck without losses. A lost event ends the run (MISS).

Final figure: median rate ours / median rate pusher-js over the K bursts (target >= 1.0).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import _common as c

TARGET = 1.0


@dataclass
class Burst:
    publish_rate: float
    publish_end_ns: int
    ours_first_ns: int
    ours_last_ns: int
    ours_cpu: float
    js_first_ns: int
    js_last_ns: int
    js_cpu: float


def rate(count: int, first_ns: int, last_ns: int) -> float:
    return count / ((last_ns - first_ns) / 1e9) if last_ns > first_ns else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="fewer bursts")
    parser.add_argument("--events", type=int, default=8000, help="events per burst (M)")
    parser.add_argument("--reps", type=int, help="measured bursts (K)")
    parser.add_argument("--workers", type=int, default=3, help="publisher processes")
    parser.add_argument("--batch", type=int, default=500, help="events per batch_events call")
    args = parser.parse_args()
    m = args.events
    k = args.reps or (5 if args.short else 15)
    total = (k + 1) * m
    print(
        f"bench_e2e: {k} bursts (+1 warm-up) of {m:,} chat events, {args.workers} publisher "
        f"processes, {args.batch} events per batch_events call",
        flush=True,
    )
    bursts: list[Burst] = []
    lost_ours = lost_js = bad = 0
    with c.bench_peers("e2e") as (soketi, api, work):
        watch = c.WatchClient(soketi, api, work / "config", keep_lines=True)
        js = c.PusherJsClient(soketi, total, timeout=3600, every=m)
        publishers = c.Publishers(soketi, args.workers)
        expected: set[str] = set()
        try:
            watch.wait_stderr("state: connected")
            js.wait_subscribed()
            for b in range(k + 1):
                payloads = c.chat_payloads(m, seed=b + 1)
                expected.update(json.loads(p)["id"] for p in payloads)
                time.sleep(0.3)  # both idle again
                cpu_ours0, cpu_js0 = c.cpu_ns(watch.pid) / 1e9, c.cpu_ns(js.pid) / 1e9
                publishers.go(payloads, batch_size=args.batch)
                report = publishers.join()
                if report.errors:
                    print(f"  publisher errors: {report.errors[:3]}", flush=True)
                ours_ok = watch.wait_lines((b + 1) * m, timeout=60, quiet=3.0)
                js_ok = js.wait_blocks(b + 1, timeout=3.0 if not ours_ok else 60)
                cpu_ours1, cpu_js1 = c.cpu_ns(watch.pid) / 1e9, c.cpu_ns(js.pid) / 1e9
                if not (ours_ok and js_ok):
                    lost_ours = (b + 1) * m - watch.lines
                    lost_js = (b + 1) * m - int(js.progress()["received"])
                    print(
                        f"burst {b}: published {report.sent:,} at {report.rate:,.0f}/s; LOST "
                        f"{lost_ours:,} at ours, {lost_js:,} at pusher-js: stopping",
                        flush=True,
                    )
                    break
                block = js.blocks[b]
                burst = Burst(
                    report.rate,
                    report.end_ns,
                    watch.line_ns(b * m + 1),
                    watch.line_ns((b + 1) * m),
                    cpu_ours1 - cpu_ours0,
                    int(block["first_ns"]),
                    int(block["last_ns"]),
                    cpu_js1 - cpu_js0,
                )
                name = "warm-up" if b == 0 else f"burst {b:2}"
                print(
                    f"{name}: publish {burst.publish_rate:7,.0f}/s | ours "
                    f"{rate(m, burst.ours_first_ns, burst.ours_last_ns):7,.0f}/s, last "
                    f"{(burst.ours_last_ns - burst.publish_end_ns) / 1e6:+4.0f} ms, "
                    f"{burst.ours_cpu / m * 1e6:4.1f} us/ev | pusher-js "
                    f"{rate(m, burst.js_first_ns, burst.js_last_ns):7,.0f}/s, last "
                    f"{(burst.js_last_ns - burst.publish_end_ns) / 1e6:+4.0f} ms, "
                    f"{burst.js_cpu / m * 1e6:4.1f} us/ev",
                    flush=True,
                )
                if b:
                    bursts.append(burst)
            events = watch.events()
            good = {e["id"] for e in events if e["type"] == "chat"} & expected
            bad = len(events) - len(good)
        finally:
            publishers.close()
            watch.stop()
            js.stop()

    print()
    if bad:
        print(f"{bad} of our events were not the published ones (wrong type/id, or twice)")
    ours_rate = c.median([rate(m, x.ours_first_ns, x.ours_last_ns) for x in bursts])
    js_rate = c.median([rate(m, x.js_first_ns, x.js_last_ns) for x in bursts])
    ratios = [
        rate(m, x.ours_first_ns, x.ours_last_ns) / rate(m, x.js_first_ns, x.js_last_ns)
        for x in bursts
    ]
    print(f"bursts measured: {len(bursts)} of {k}")
    print(f"median publish rate:  {c.median([x.publish_rate for x in bursts]):,.0f}/s")
    print(f"median delivery rate: ours {ours_rate:,.0f}/s, pusher-js {js_rate:,.0f}/s")
    print(
        "median last event after the last publish: ours "
        f"{c.median([(x.ours_last_ns - x.publish_end_ns) / 1e6 for x in bursts]):+.0f} ms, "
        f"pusher-js {c.median([(x.js_last_ns - x.publish_end_ns) / 1e6 for x in bursts]):+.0f} ms"
    )
    print(
        f"median CPU per event: ours {c.median([x.ours_cpu / m * 1e6 for x in bursts]):.1f} us, "
        f"pusher-js {c.median([x.js_cpu / m * 1e6 for x in bursts]):.1f} us"
    )
    if ratios:
        print(
            f"per-burst ratio ours/pusher-js: median {c.median(ratios):.2f}, "
            f"min {min(ratios):.2f}, max {max(ratios):.2f}"
        )
    lost = lost_ours + lost_js
    ratio = ours_rate / js_rate if bursts else float("nan")
    ok = bool(bursts) and len(bursts) == k and lost == 0 and not bad and ratio >= TARGET
    print(f"e2e_lost: {lost} events (target 0) {c.verdict(lost == 0)}")
    print(f"e2e: {ratio:.2f}x pusher-js (target {TARGET}) {c.verdict(ok)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
