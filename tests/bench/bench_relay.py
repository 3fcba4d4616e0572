"""The event server under load: 20 WebSocket clients on /events at 1,000 events/s.

    python tests/bench/bench_relay.py [--rate 1000] [--seconds 60] [--clients 20] [--short]

What runs, all on 127.0.0.1, each in a process of its own (nothing shares a CPU budget with the
event server's loop but what shares it in real use):
- a scripted Pusher server (in this file) that sends chat frames paced every millisecond,
  `rate` a second, each stamped with CLOCK_MONOTONIC (time.monotonic_ns, system-wide on Linux)
  in its event id just before it is written;
- `python -m app watch SLUG --serve 127.0.0.1:0` against it: the real pipeline the way the
  headless command hosts the event server (socket driver with its 10 ms read coalescing,
  decode, normalize, dedupe, supervisor, `RelayHost`, fan-out), its stdout to /dev/null;
- `clients` raw WebSocket clients on `/events` (multiprocessing, one process each; a hand-rolled
  frame reader, so a client costs a few µs a message), each stamping every read.

Latency is measured from the frame leaving the Pusher server to a client reading the event: the
real pipeline, which is the honest figure for an overlay, and an upper bound on "frame received
to client received" (loopback adds microseconds; the socket driver's read coalescing adds up to
10 ms under load, as in real use). Feeding `RelayServer.publish_event` in-process would leave out
the pipeline and the process that really hosts the server.

Phase 1 (`seconds`): all clients read; p99 latency over every event at every client, no event
lost at any client, the watch process's RSS after `warmup` s against the end. Phase 2: client 0
stops reading; it must be dropped (close 1008 "too slow", seen by the client once it reads again,
after the server logged the drop) and the other clients' p99 over phase 2 must stay under target.
Phase 2 lasts at least `--stall-seconds` and until 5 s after the drop (at most 120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

CHATROOM_ID, CHANNEL_ID = 5079311, 5120934
SLUG = "relaybench"
PAGE = os.sysconf("SC_PAGE_SIZE")
# our Pusher server's ids carry the send time; load_server.py's (for --gui) only a number
EVENT_ID = re.compile(rb'"id":"(?:relay|bench)-(\d+)(?:-(\d+))?"')
AFTER_DROP_S = 5.0
MAX_STALL_S = 120.0


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def percentile(ordered: Any, q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if len(ordered) else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (10 ms ticks)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_pressure_us() -> int | None:
    """Microseconds in which some runnable task waited for a CPU (/proc/pressure/cpu), since
    boot; None without PSI."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


# --- the Pusher server (a process of its own) ------------------------------------------------


def _chat_frame(n: int, stamp: int) -> str:
    user = n % 500
    data = {
        "id": f"relay-{n}-{stamp}",
        "chatroom_id": CHATROOM_ID,
        "content": f"message number {n} that clutch was insane [emote:37226:KEKW]",
        "type": "message",
        "created_at": "2026-03-14T19:42:07+00:00",
        "sender": {
            "id": 1000 + user,
            "username": f"viewer_{user}",
            "slug": f"viewer-{user}",
            "identity": {
                "color": "#75FD46",
                "badges": [{"type": "subscriber", "text": "Subscriber", "count": 3}],
            },
        },
        "metadata": {"message_ref": str(n)},
    }
    return json.dumps(
        {
            "event": "App\\Events\\ChatMessageEvent",
            "data": json.dumps(data, separators=(",", ":")),
            "channel": f"chatrooms.{CHATROOM_ID}.v2",
        },
        separators=(",", ":"),
    )


def pusher_server(rate: int, go: Any, stop: Any, out: Any) -> None:
    """Waits for `go`, then sends `rate` chat frames a second to every connected client until
    `stop`; reports ("port", N), ("started", ns) and ("sent", count, last ns) on `out`."""
    from websockets.asyncio.server import ServerConnection, serve

    async def answer(ws: ServerConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("event") == "pusher:subscribe":
                channel = frame["data"]["channel"]
                reply = {"event": "pusher_internal:subscription_succeeded", "data": "{}"}
                await ws.send(json.dumps({**reply, "channel": channel}))
            elif frame.get("event") == "pusher:ping":
                await ws.send(json.dumps({"event": "pusher:pong", "data": "{}"}))

    sockets: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        established = {"socket_id": "1.1", "activity_timeout": 120}
        await ws.send(
            json.dumps({"event": "pusher:connection_established", "data": json.dumps(established)})
        )
        sockets.add(ws)
        try:
            await answer(ws)
        finally:
            sockets.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            out.put(("port", server.sockets[0].getsockname()[1]))
            await asyncio.to_thread(go.wait)
            start = time.monotonic_ns()
            out.put(("started", start))
            sent, last = 0, start
            while not stop.is_set():
                due = int((time.monotonic_ns() - start) * rate / 1e9) + 1
                while sent < due:
                    last = time.monotonic_ns()
                    frame = _chat_frame(sent, last)
                    for ws in list(sockets):
                        await ws.send(frame)
                    sent += 1
                await asyncio.sleep(0.001)
            out.put(("sent", sent, last))
            await asyncio.sleep(3600)  # until terminated: keep watch connected

    asyncio.run(main())


# --- a client on /events (a process of its own) ----------------------------------------------


def relay_client(
    port: int,
    index: int,
    ready: Any,
    stall_at: Any,
    resume: Any,
    expected: Any,
    finish: Any,
    results: Any,
) -> None:
    """Connects to ws://127.0.0.1:PORT/events, reads every message and stamps each read with
    time.monotonic_ns(). Client 0 stops reading at `stall_at` until `resume`, then reads what
    waits for it up to the close frame. Puts its figures on `results`."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the event server closed during the handshake")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(f"handshake refused: {head[:200]!r}")
    buf = bytearray(rest)
    local_port = sock.getsockname()[1]
    seqs, sends, lats = array("q"), array("q"), array("q")
    statuses = 0
    close: tuple[int, str] | None = None
    error = ""
    stalled = resumed = False
    read_after_resume = 0
    announced = False
    fresh = bool(buf)
    sock.settimeout(0.2)
    search = EVENT_ID.search
    while True:
        if not announced and statuses:
            ready.release()
            announced = True
        if index == 0 and not stalled and stall_at.value and time.monotonic_ns() >= stall_at.value:
            stalled = True
            resume.wait(MAX_STALL_S + 60)
            resumed = True
            sock.settimeout(10.0)
        try:
            # what came with the handshake's answer (the first status) is parsed first
            data = b"" if fresh else sock.recv(1 << 18)
        except TimeoutError:
            if finish.is_set() or (expected.value and len(seqs) >= expected.value):
                break
            if resumed:
                error = "no close frame within 10 s of reading again"
                break
            continue
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
        now = time.monotonic_ns()
        if fresh:
            fresh = False
        elif not data:
            error = "connection closed without a close frame"
            break
        if resumed:
            read_after_resume += len(data)
        buf += data
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, length = buf[pos], buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < length:
                break
            pos = start + length
            opcode = b0 & 0x0F
            if opcode == 1:
                m = search(buf, start, pos)
                if m is None:
                    statuses += 1
                    continue
                seqs.append(int(m[1]))
                sent = int(m[2] or 0)
                sends.append(sent)
                # no latency for the stalled client's own backlog, nor without a stamp
                lats.append(-1 if resumed or not sent else now - sent)
            elif opcode == 9:  # a keep-alive ping: answered as a browser does (a masked pong)
                mask = os.urandom(4)
                ping = bytes(buf[start:pos])
                with contextlib.suppress(OSError):
                    sock.sendall(
                        bytes((0x8A, 0x80 | len(ping)))
                        + mask
                        + bytes(b ^ mask[i % 4] for i, b in enumerate(ping))
                    )
            elif opcode == 8:
                payload = bytes(buf[start:pos])
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                close = (code, payload[2:].decode(errors="replace"))
                break
        del buf[:pos]
        if close is not None:
            with contextlib.suppress(OSError):  # answer the close (a masked client frame)
                mask = os.urandom(4)
                reply = close[0].to_bytes(2, "big")
                sock.sendall(
                    bytes((0x88, 0x80 | 2)) + mask + bytes(b ^ mask[i] for i, b in enumerate(reply))
                )
            break
        if expected.value and len(seqs) >= expected.value:
            break
    with contextlib.suppress(OSError):
        sock.close()
    if not announced:
        ready.release()
    results.put(
        (
            index,
            local_port,
            seqs.tobytes(),
            sends.tobytes(),
            lats.tobytes(),
            statuses,
            close,
            error,
            read_after_resume,
        )
    )


# --- watch --serve ---------------------------------------------------------------------------


class Watch:
    """`python -m app watch SLUG --serve 127.0.0.1:0` against the Pusher server; stderr kept
    with the time each line was read."""

    def __init__(self, pusher_port: int, config_dir: Path) -> None:
        env = dict(
            os.environ,
            VMSC_CONFIG_DIR=str(config_dir),
            VMSC_KICK_API_URL="http://127.0.0.1:9",  # the live-status refresh: refused at once
            VMSC_KICK_REALTIME_URL="",  # no provider negotiation: Pusher at the URL below
            VMSC_KICK_PUSHER_URL=(
                f"ws://127.0.0.1:{pusher_port}/app/bench"
                "?protocol=7&client=js&version=8.4.0&flash=false"
            ),
            PYTHONUNBUFFERED="1",
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "watch",
                SLUG,
                "--chatroom-id",
                str(CHATROOM_ID),
                "--channel-id",
                str(CHANNEL_ID),
                "--serve",
                "127.0.0.1:0",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lines: list[tuple[int, str]] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._cond:
                self.lines.append((time.monotonic_ns(), raw.decode(errors="replace").rstrip()))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, needle: str, timeout: float) -> tuple[int, str] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for stamp, line in self.lines:
                    if needle in line:
                        return stamp, line
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return None
                self._cond.wait(min(left, 0.1))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._thread.join(5)


# --- the run ---------------------------------------------------------------------------------


def run(
    rate: int, seconds: float, stall_seconds: float, clients: int, warmup: float
) -> dict[str, Any]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    go, stop, server_out = ctx.Event(), ctx.Event(), ctx.Queue()
    server = ctx.Process(target=pusher_server, args=(rate, go, stop, server_out), daemon=True)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="vmsc-bench-relay-"))
    watch: Watch | None = None
    procs: list[Any] = []
    try:
        _, pusher_port = server_out.get(timeout=30)
        watch = Watch(pusher_port, work)
        serving = watch.wait_line("serving: http://", 30)
        connected = watch.wait_line("state: connected", 30)
        if serving is None or connected is None:
            raise RuntimeError("watch did not start: " + "\n".join(line for _, line in watch.lines))
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", serving[1])
        assert found is not None, serving[1]
        relay_port = int(found[1])

        ready = ctx.Semaphore(0)
        stall_at, expected = ctx.RawValue("q", 0), ctx.RawValue("q", 0)
        resume, finish, results = ctx.Event(), ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(
                target=relay_client,
                args=(relay_port, i, ready, stall_at, resume, expected, finish, results),
                daemon=True,
            )
            for i in range(clients)
        ]
        for p in procs:
            p.start()
        for _ in procs:
            if not ready.acquire(timeout=60):
                raise RuntimeError("not every client got the first status message")
        time.sleep(0.5)

        rss: list[tuple[int, float]] = []
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.5):
                with contextlib.suppress(OSError):
                    rss.append((time.monotonic_ns(), rss_mb(watch.proc.pid)))

        rss.append((time.monotonic_ns(), rss_mb(watch.proc.pid)))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        cpu_before = cpu_seconds(watch.proc.pid)
        pressure_before = cpu_pressure_us()
        go.set()
        _, started = server_out.get(timeout=10)
        t_stall = started + int(seconds * 1e9)
        stall_at.value = t_stall
        time.sleep(max(0.0, (t_stall - time.monotonic_ns()) / 1e9))
        rss_phase1_end = rss_mb(watch.proc.pid)
        dropped = watch.wait_line("dropping", MAX_STALL_S)
        drop_ns = dropped[0] if dropped else None
        resume.set()
        end = t_stall + int(stall_seconds * 1e9)
        if drop_ns is not None:
            end = max(end, drop_ns + int(AFTER_DROP_S * 1e9))
        end = min(end, t_stall + int(MAX_STALL_S * 1e9))
        time.sleep(max(0.0, (end - time.monotonic_ns()) / 1e9))
        stop.set()
        _, sent, last_sent = server_out.get(timeout=10)
        expected.value = sent
        rss_end = rss_mb(watch.proc.pid)
        cpu = cpu_seconds(watch.proc.pid) - cpu_before
        pressure_after = cpu_pressure_us()
        pressure = None
        if pressure_before is not None and pressure_after is not None:
            pressure = (pressure_after - pressure_before) / ((last_sent - started) / 1e3)
        sampling.set()
        sampler.join(2)

        got: list[tuple[Any, ...]] = []
        deadline = time.monotonic() + 30
        while len(got) < clients:
            left = deadline - time.monotonic()
            if left <= 0:
                finish.set()
                left = 10
            try:
                got.append(results.get(timeout=left))
            except Exception:
                break
        for p in procs:
            p.join(5)
        dropping_lines = [line for _, line in watch.lines if "dropping" in line]
        return {
            "sent": sent,
            "started": started,
            "t_stall": t_stall,
            "last_sent": last_sent,
            "drop_ns": drop_ns,
            "dropping_lines": dropping_lines,
            "clients": got,
            "rss": rss,
            "rss_phase1_end": rss_phase1_end,
            "rss_end": rss_end,
            "cpu": cpu,
            "pressure": pressure,
            "warmup_ns": started + int(warmup * 1e9),
        }
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        if watch is not None:
            watch.stop()
        server.kill()
        server.join(5)
        shutil.rmtree(work, ignore_errors=True)


def report(r: dict[str, Any], args: argparse.Namespace) -> int:
    sent, t_stall = r["sent"], r["t_stall"]
    phase1: list[int] = []
    phase2: list[int] = []
    seconds: dict[int, list[int]] = {}  # whole seconds since the start -> latencies sent in it
    lost = 0
    lost_detail: list[str] = []
    stamps: dict[int, int] = {}
    by_index = {c[0]: c for c in r["clients"]}
    for c in r["clients"]:
        seqs, sends = array("q"), array("q")
        seqs.frombytes(c[2])
        sends.frombytes(c[3])
        stamps.update(zip(seqs, sends, strict=True))
    for index in range(args.clients):
        c = by_index.get(index)
        if c is None:
            lost += sent
            lost_detail.append(f"client {index} reported nothing")
            continue
        seqs, sends, lats = array("q"), array("q"), array("q")
        seqs.frombytes(c[2])
        sends.frombytes(c[3])
        lats.frombytes(c[4])
        # the one that stalls: everything sent before it stopped reading; the others: all
        want = {n for n, t in stamps.items() if t < t_stall} if index == 0 else set(range(sent))
        missing = len(want - set(seqs))
        if len(seqs) != len(set(seqs)):
            lost_detail.append(f"client {index}: {len(seqs) - len(set(seqs))} duplicates")
        if missing:
            lost += missing
            lost_detail.append(f"client {index}: {missing} missing")
        for t, lat in zip(sends, lats, strict=True):
            if lat < 0:
                continue
            if t < t_stall:
                phase1.append(lat)
            elif index != 0:
                phase2.append(lat)
            else:
                continue
            seconds.setdefault((t - r["started"]) // 1_000_000_000, []).append(lat)
    phase1.sort()
    phase2.sort()
    ms = 1e-6
    p1 = {q: percentile(phase1, q) * ms for q in (0.5, 0.99, 1.0)}
    p2 = {q: percentile(phase2, q) * ms for q in (0.5, 0.99, 1.0)}

    warm = [mb for t, mb in r["rss"] if t >= r["warmup_ns"]]
    rss_warm = warm[0] if warm else r["rss"][-1][1]
    growth1 = r["rss_phase1_end"] - rss_warm
    growth = max(growth1, r["rss_end"] - rss_warm)

    stalled = by_index.get(0)
    close = stalled[6] if stalled else None
    drop_after = (r["drop_ns"] - t_stall) / 1e9 if r["drop_ns"] else None
    # exactly one client dropped, and it is the one that stopped reading
    one_drop = (
        stalled is not None
        and len(r["dropping_lines"]) == 1
        and f"'127.0.0.1', {stalled[1]})" in r["dropping_lines"][0]
    )
    dropped_ok = close is not None and close[0] == 1008 and drop_after is not None and one_drop

    stall_s = (r["last_sent"] - t_stall) / 1e9
    print(
        f"{args.clients} clients on /events, {args.rate:,} events/s: {sent:,} events sent in "
        f"{(r['last_sent'] - r['started']) / 1e9:.1f} s (phase 1 {args.seconds:g} s, "
        f"phase 2 {stall_s:.1f} s)"
    )
    print(
        f"phase 1 latency, Pusher frame sent -> client read, {len(phase1):,} samples: "
        f"p50 {p1[0.5]:.1f} ms, p99 {p1[0.99]:.1f} ms, max {p1[1.0]:.1f} ms"
    )
    print(
        f"phase 2 (client 0 stopped reading), the other {args.clients - 1}, {len(phase2):,} "
        f"samples: p50 {p2[0.5]:.1f} ms, p99 {p2[0.99]:.1f} ms, max {p2[1.0]:.1f} ms"
    )
    if stalled is not None:
        print(
            f"stalled client: dropped {f'{drop_after:.1f} s' if drop_after is not None else 'never'}"
            f" after it stopped reading; close {close}; read {stalled[8] / 2**20:.1f} MiB after "
            f"reading again{'; ' + stalled[7] if stalled[7] else ''}"
        )
    for line in r["dropping_lines"]:
        print(f"server: {line}")
    print(
        f"watch RSS: start {r['rss'][0][1]:.1f} MB, after {args.warmup:g} s {rss_warm:.1f} MB, "
        f"end of phase 1 {r['rss_phase1_end']:.1f} MB, end {r['rss_end']:.1f} MB"
    )
    per_second = {second: percentile(sorted(lats), 0.99) * ms for second, lats in seconds.items()}
    split = (t_stall - r["started"]) // 1_000_000_000
    for name, part in (
        ("phase 1", {k: v for k, v in per_second.items() if k < split}),
        ("phase 2", {k: v for k, v in per_second.items() if k >= split}),
    ):
        if part:
            worst = max(part, key=part.__getitem__)
            over = sum(v >= args.target for v in part.values())
            print(
                f"{name}, p99 per second: slowest {part[worst]:.1f} ms in second {worst} "
                f"(of the run); {over} of {len(part)} seconds at or over {args.target:g} ms"
            )
    run_s = (r["last_sent"] - r["started"]) / 1e9
    if r["pressure"] is not None:
        print(
            f"CPU pressure (PSI some, whole machine) during the run: {r['pressure']:.0%} of the "
            "time a runnable task waited for a CPU"
        )
    print(
        f"watch --serve CPU: {r['cpu']:.1f} s in {run_s:.1f} s ({r['cpu'] / run_s:.0%} of a core, "
        f"{r['cpu'] / max(1, sent) * 1e6:.0f} µs an event with {args.clients} clients)"
    )
    if lost_detail:
        print("loss: " + "; ".join(lost_detail))

    p99_ok = p1[0.99] < args.target
    lost_ok = lost == 0
    rss_ok = growth <= args.rss_target
    stalled_ok = p2[0.99] < args.target and dropped_ok
    drop_text = (
        f"client 0 dropped after {drop_after:.1f} s with {close[0]} {close[1]!r}"
        if dropped_ok and close is not None and drop_after is not None
        else f"client 0 NOT dropped as expected (close {close}, {len(r['dropping_lines'])} drops)"
    )
    print(
        f"relay_p99: {p1[0.99]:.1f} ms p99 latency, frame sent -> {args.clients} clients read "
        f"(p50 {p1[0.5]:.1f}, max {p1[1.0]:.1f}) (target {args.target:g}) {verdict(p99_ok)}"
    )
    print(
        f"relay_lost: {lost} events lost over {args.clients} clients (target 0) {verdict(lost_ok)}"
    )
    print(
        f"relay_rss: {growth:+.1f} MB watch --serve RSS after {args.warmup:g} s vs end "
        f"(phase 1 {growth1:+.1f}) (target {args.rss_target:g}) {verdict(rss_ok)}"
    )
    print(
        f"relay_stalled_p99: {p2[0.99]:.1f} ms p99 of the other {args.clients - 1}; "
        f"{drop_text} (target {args.target:g}) {verdict(stalled_ok)}"
    )
    return 0 if (p99_ok and lost_ok and rss_ok and stalled_ok) else 1


def gui_client(port: int, *args: Any) -> None:
    """`relay_client` once the app's event server listens (polled every 5 ms)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    relay_client(port, *args)


def run_gui(args: argparse.Namespace) -> int:
    """bench_gui.py (the window under chat load) with `clients` clients on its event server,
    connected as soon as it listens, before the load starts: the GUI's loop-lag, RSS and count
    targets with the server busy, and no event lost at any client."""
    import multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = mp.get_context("spawn")
    ready = ctx.Semaphore(0)
    stall_at, expected = ctx.RawValue("q", 0), ctx.RawValue("q", 0)
    resume, finish, results = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=gui_client,
            args=(port, i + 1, ready, stall_at, resume, expected, finish, results),
            daemon=True,
        )
        for i in range(args.clients)
    ]
    for p in procs:
        p.start()
    time.sleep(3)  # every client process is up and polling before the app starts
    command = [
        sys.executable,
        str(HERE / "bench_gui.py"),
        *(["--short"] if args.short else []),
        "--rate",
        str(args.rate),
        "--seconds",
        str(args.seconds),
        "--name",
        "relay_gui",
    ]
    env = dict(os.environ, VMSC_RELAY_PORT=str(port))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    print(done.stdout, end="")
    if done.returncode not in (0, 1):
        print(done.stderr[-2000:])
    total = int(args.rate * (min(args.seconds, 10.0) if args.short else args.seconds))
    finish.set()  # the app has closed: its clients got a close frame after the last event
    got = []
    for _ in procs:
        try:
            got.append(results.get(timeout=30))
        except Exception:
            break
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    lost = 0
    late: list[str] = []  # clients that joined after the load had started
    for c in got:
        seqs = array("q")
        seqs.frombytes(c[2])
        first = min(seqs, default=total)
        if first:
            late.append(f"client {c[0]} from event {first}")
        lost += len(set(range(first, total)) - set(seqs))
    lost += (args.clients - len(got)) * total
    if late:  # the load starts as the app connects: it does not wait for our clients
        print(f"joined after the first events (not counted as lost): {', '.join(late)}")
    closes = sorted({str(c[6]) for c in got})
    print(
        f"{len(got)} clients on the app's event server: {lost} of {total * args.clients:,} "
        f"events missing; closes {', '.join(closes)}"
    )
    print(
        f"relay_gui_lost: {lost} events lost over {args.clients} clients (target 0) "
        f"{verdict(lost == 0)}"
    )
    return 0 if done.returncode == 0 and lost == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0, help="phase 1")
    parser.add_argument("--stall-seconds", type=float, default=20.0, help="phase 2, at least")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=10.0, help="RSS is compared from here on")
    parser.add_argument("--target", type=float, default=50.0, help="p99 latency target, ms")
    parser.add_argument("--rss-target", type=float, default=20.0, help="RSS growth target, MB")
    parser.add_argument("--short", action="store_true", help="10 s phases instead of 60 + 20")
    parser.add_argument(
        "--gui",
        action="store_true",
        help="instead: bench_gui.py (the window at `rate` for `seconds`) with the clients on its "
        "event server",
    )
    args = parser.parse_args()
    if args.gui:
        return run_gui(args)
    if args.short:
        args.seconds, args.stall_seconds = min(args.seconds, 10.0), min(args.stall_seconds, 10.0)
        args.warmup = min(args.warmup, 3.0)
    r = run(args.rate, args.seconds, args.stall_seconds, args.clients, args.warmup)
    return report(r, args)


if __name__ == "__main__":
    sys.exit(main())
