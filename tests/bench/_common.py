"""Shared helpers for the end-to-end benchmarks (bench_e2e, bench_cpu, bench_reconnect).

Everything here runs on 127.0.0.1 only: a real soketi server (tests/soketi.py) with raised event
limits, the fake Kick API (tests/fake_kick_api.py), `python -m app watch` as a subprocess, the
official pusher-js client (tests/e2e/pusherjs_client.js) as a node subprocess, and publisher
processes that push realistic ChatMessageEvent payloads through soketi's HTTP batch API with the
official `pusher` SDK.

Timestamps are CLOCK_MONOTONIC nanoseconds everywhere (Python's time.monotonic_ns(), node's
process.hrtime.bigint()), so figures from different processes compare directly.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.fake_kick_api import FakeKickApi  # noqa: E402
from tests.soketi import E2E_DIR, SoketiServer  # noqa: E402
from tests.watch_process import app_env  # noqa: E402

FRAMES_DIR = ROOT / "tests" / "fixtures" / "kick-frames"
PUSHERJS_CLIENT = E2E_DIR / "pusherjs_client.js"

SLUG = "nightowlgg"
CHATROOM_ID, CHANNEL_ID = 5079311, 5120934
CHAT_CHANNEL = f"chatrooms.{CHATROOM_ID}.v2"
CHAT_EVENT = "App\\Events\\ChatMessageEvent"

# soketi's defaults allow 10 events per batch_events call and 100 KB per event (a Kick chat
# payload is about 0.5 KB); 1,000 per call lets a publisher process send bursts with 10-100x less
# HTTP overhead per event. There is no backend rate limit by default (-1), set here explicitly.
# soketi's per-socket send buffer (uWebSockets maxBackpressure, 1 MB, hard-coded in its
# server.js) has no setting: a client that falls more than that (plus the kernel's socket
# buffers) behind *loses* events silently. soketi does not negotiate permessage-deflate (our
# client offers it, soketi's answer has no Sec-WebSocket-Extensions), so frames are plain text.
BATCH_LIMIT = 1000
BATCH_SIZE = 100  # default events per call of Publishers.go
SOKETI_ENV = {
    "SOKETI_EVENT_MAX_BATCH_SIZE": str(BATCH_LIMIT),
    "SOKETI_EVENT_MAX_SIZE_IN_KB": "100",
    "SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC": "-1",
}

CLK_TCK = os.sysconf("SC_CLK_TCK")

# --- small helpers --------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads) from /proc/<pid>/stat.

    Works on a zombie too (an exited child not yet reaped). Resolution: one clock tick (10 ms).
    """
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLK_TCK


def cpu_ns(pid: int) -> int:
    """CPU time of process `pid` in nanoseconds: the sum over its live threads of the time they
    ran (/proc/<pid>/task/*/schedstat, the scheduler's own count; user + system). Precise where
    `cpu_seconds` has 10 ms ticks, but it forgets threads that exited, so take both readings
    while the process runs steadily."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def banner(text: str) -> None:
    print(f"--- {text}", flush=True)


# --- payloads -------------------------------------------------------------------------------

WORDS = (  # noqa: SIM905 - a sentence reads better than a list of quoted words
    "gg that clutch was insane lol no way bro what a play LUL pog monkaS first time chatter "
    "here hello from Brazil ok nice shot again one more game please let's go W L huge chat "
    "is this real he is cooking wp bruh rip unlucky ez clean actually crazy wait "
    "[emote:37226:KEKW] [emote:39261:kkHuh] 🎉 🔥 Ünïcødé"
).split()


def chat_payloads(count: int, seed: int = 1, prefix: str = "b") -> list[str]:
    """`count` ChatMessageEvent data strings shaped like tests/fixtures/kick-frames/ChatMessageEvent
    (compact JSON, UTF-8 unescaped, as Kick sends them), each with its own id, text and sender."""
    sample = json.loads((FRAMES_DIR / "ChatMessageEvent.json").read_text(encoding="utf-8"))
    template = json.loads(sample["data"])
    rng = random.Random(seed)
    out = []
    for n in range(count):
        data = dict(template)
        user = rng.randrange(5000)
        data["id"] = f"{prefix}{seed:04x}{n:08x}-5b3d-4e8a-9c41-7d2e8b6f0a13"
        data["chatroom_id"] = CHATROOM_ID
        data["content"] = " ".join(rng.choices(WORDS, k=rng.randint(2, 14)))
        data["created_at"] = f"2026-03-14T19:{(n // 60) % 60:02d}:{n % 60:02d}+00:00"
        sender = dict(template["sender"])
        sender["id"] = 23_000_000 + user
        sender["username"] = f"viewer_{user}"
        sender["slug"] = f"viewer-{user}"
        data["sender"] = sender
        data["metadata"] = {"message_ref": str(1773517327114 + n)}
        out.append(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return out


# --- servers --------------------------------------------------------------------------------


def start_soketi(log_dir: Path, **kwargs: Any) -> SoketiServer:
    """soketi on 127.0.0.1 with the raised event limits of SOKETI_ENV."""
    extra = dict(SOKETI_ENV)
    extra.update(kwargs.pop("extra_env", {}))
    return SoketiServer(log_dir=log_dir, extra_env=extra, **kwargs).start()


@contextlib.contextmanager
def bench_peers(name: str) -> Iterator[tuple[SoketiServer, FakeKickApi, Path]]:
    """(soketi, fake Kick API, scratch dir) for one benchmark run; all removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=f"vmsc-{name}-"))
    api = FakeKickApi()
    api.add_channel(SLUG, CHANNEL_ID, CHATROOM_ID)
    soketi = start_soketi(work / "soketi")
    try:
        with api.running():
            yield soketi, api, work
    finally:
        soketi.stop()
        shutil.rmtree(work, ignore_errors=True)


# --- our client: `python -m app watch` ------------------------------------------------------


class WatchClient:
    """`python -m app watch SLUG` as a subprocess; the parent reads both pipes in threads.

    stdout (one StreamEvent JSON per line) is read in large chunks with os.read and only the
    newlines are counted, so the parent stays cheap; `line_ns(k)` is when line k (from 1) was
    read.
    Pass `keep_lines=True` to also keep the text (for checking ids after the timing).
    """

    def __init__(
        self,
        soketi: SoketiServer,
        api: FakeKickApi,
        config_dir: Path,
        keep_lines: bool = False,
        command: Sequence[str] = (sys.executable, "-m", "app", "watch"),
    ) -> None:
        config_dir.mkdir(parents=True, exist_ok=True)
        env = app_env(config_dir, api.url, soketi.ws_url())
        self.proc = subprocess.Popen(
            [*command, SLUG],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.keep_lines = keep_lines
        self.lines = 0
        self.first_ns: int | None = None
        self.last_ns: int | None = None
        self._chunk_lines: list[int] = []  # lines read in total after each chunk
        self._chunk_ns: list[int] = []  # when each chunk was read
        self.chunks: list[bytes] = []
        self.stderr: list[tuple[int, str]] = []  # (monotonic ns, line)
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._threads:
            t.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 20)
            now = time.monotonic_ns()
            if not chunk:
                break
            n = chunk.count(b"\n")
            with self._cond:
                if n:
                    if self.first_ns is None:
                        self.first_ns = now
                    self.last_ns = now
                    self.lines += n
                    self._chunk_lines.append(self.lines)
                    self._chunk_ns.append(now)
                if self.keep_lines:
                    self.chunks.append(chunk)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            with self._cond:
                self.stderr.append((time.monotonic_ns(), line))
                self._cond.notify_all()

    def line_ns(self, k: int) -> int:
        """When line `k` (counting from 1) was read."""
        with self._cond:
            return self._chunk_ns[bisect.bisect_left(self._chunk_lines, k)]

    def wait_stderr(self, prefix: str, after: int = 0, timeout: float = 30.0) -> tuple[int, str]:
        """The first stderr line (index >= `after`) starting with `prefix`: (ns, line)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for stamp, line in self.stderr[after:]:
                    if line.startswith(prefix):
                        return stamp, line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = "\n".join(line for _, line in self.stderr[-10:])
                    raise TimeoutError(f"watch printed no {prefix!r} line; stderr:\n{tail}")
                self._cond.wait(min(left, 0.5))

    def wait_lines(self, count: int, timeout: float, quiet: float | None = None) -> bool:
        """True once `count` event lines arrived; False on timeout, on exit, or (with `quiet`)
        when no line arrived for `quiet` seconds: events were lost."""
        deadline = time.monotonic() + timeout
        with self._cond:
            seen, since = self.lines, time.monotonic()
            while self.lines < count:
                now = time.monotonic()
                if self.lines != seen:
                    seen, since = self.lines, now
                if now >= deadline or (quiet is not None and now - since >= quiet):
                    return False
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    return False
                self._cond.wait(min(deadline - now, 0.1))
            return True

    def events(self) -> list[dict[str, Any]]:
        """All event lines read so far, decoded (needs keep_lines=True)."""
        return [json.loads(line) for line in b"".join(self.chunks).splitlines() if line]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        code = self.proc.wait()
        for t in self._threads:
            t.join(5)
        return code


# --- the official client: pusher-js ---------------------------------------------------------


class PusherJsClient:
    """tests/e2e/pusherjs_client.js as a subprocess, kept alive after its result (--stay) so
    the parent can read its CPU time; closed by closing its stdin."""

    def __init__(
        self,
        soketi: SoketiServer,
        count: int,
        timeout: float,
        channel: str = CHAT_CHANNEL,
        every: int | None = None,
        print_events: bool = False,
    ) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        self.proc = subprocess.Popen(
            [
                node,
                str(PUSHERJS_CLIENT),
                "--stay",
                *([f"--every={every}"] if every else []),
                *(["--print"] if print_events else []),
                soketi.host,
                str(soketi.port),
                soketi.key,
                channel,
                CHAT_EVENT,
                str(count),
                str(timeout),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.subscribed_ns: int | None = None
        self.result: dict[str, Any] | None = None
        self.result_ns: int | None = None
        self.blocks: list[dict[str, Any]] = []  # with --every: one per K events
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode().strip()
            with self._cond:
                if line == "subscribed":
                    self.subscribed_ns = time.monotonic_ns()
                elif line.startswith('{"event"'):
                    continue  # --print: an event, discarded
                elif line.startswith('{"block"'):
                    self.blocks.append(json.loads(line))
                elif line.startswith("{"):
                    self.result = json.loads(line)
                    self.result_ns = time.monotonic_ns()
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_subscribed(self, timeout: float = 20.0) -> None:
        self._wait(lambda: self.subscribed_ns is not None, timeout, "subscribed")

    def wait_result(self, timeout: float) -> dict[str, Any]:
        self._wait(lambda: self.result is not None, timeout, "its result")
        assert self.result is not None
        return self.result

    def _wait(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
                    raise TimeoutError(f"pusher-js did not print {what}; {err}")
                self._cond.wait(min(left, 0.5))

    def wait_blocks(self, count: int, timeout: float) -> bool:
        """True once `count` --every blocks were reported; False on timeout."""
        try:
            self._wait(lambda: len(self.blocks) >= count, timeout, f"block {count}")
        except TimeoutError:
            return False
        return True

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once (--every) progress lines say `count` events arrived; False on timeout."""
        try:
            self._wait(
                lambda: bool(self.blocks) and self.blocks[-1]["received"] >= count,
                timeout,
                f"{count} events",
            )
        except TimeoutError:
            return False
        return True

    def progress(self) -> dict[str, Any]:
        """The result now: the one it printed, or (SIGINT) the count so far."""
        if self.result is None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.wait_result(10)

    def stop(self) -> int:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# --- publishers ---------------------------------------------------------------------------


@dataclass
class PublishReport:
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    start_ns: int = 0  # first request sent (earliest over workers)
    end_ns: int = 0  # last answer received (latest over workers)

    @property
    def rate(self) -> float:
        seconds = (self.end_ns - self.start_ns) / 1e9
        return self.sent / seconds if seconds > 0 else float("nan")


Job = tuple[list[str], int, float | None]  # (payloads, batch size, events/s or None)


def _publish_worker(
    conn: tuple[str, int, str, str, str],
    channel: str,
    jobs: Any,
    barrier: Any,
    results: Any,
) -> None:
    """One publisher process. For each job: sign its batch_events requests ahead of time, wait at
    the barrier (the parent's go), send them back to back or paced at `rate` events/s, and report
    (sent, errors, start, end)."""
    # The SDK's REST client (what pusher.Pusher delegates to), used directly to sign each
    # request ahead of time: during the burst a publisher only sends.
    from pusher.pusher_client import PusherClient  # type: ignore[import-untyped]

    host, port, app_id, key, secret = conn
    client = PusherClient(app_id, key, secret, ssl=False, host=host, port=port, timeout=30)
    client.channels_info()  # opens the keep-alive connection before any clock starts
    while True:
        job: Job | None = jobs.get()
        if job is None:
            return
        payloads, batch_size, rate = job
        requests = []
        for i in range(0, len(payloads), batch_size):
            batch = [
                {"channel": channel, "name": CHAT_EVENT, "data": data}
                for data in payloads[i : i + batch_size]
            ]
            request = client.trigger_batch.make_request(batch, already_encoded=True)
            requests.append((len(batch), request))
        barrier.wait()
        sent, errors = 0, []
        start = time.monotonic_ns()
        done = 0
        for size, request in requests:
            if rate:
                pause = (start + int(done / rate * 1e9) - time.monotonic_ns()) / 1e9
                if pause > 0:
                    time.sleep(pause)
            try:
                client.http.send_request(request)
                sent += size
            except Exception as exc:
                errors.append(repr(exc)[:200])
            done += size
        results.put((sent, errors, start, time.monotonic_ns()))


class Publishers:
    """`workers` publisher processes (official pusher SDK, soketi's HTTP batch API), kept for
    many bursts: `go(payloads)` deals whole batches round robin, lets every worker sign its
    requests, releases them all at once and returns; `join()` waits for the report."""

    def __init__(self, soketi: SoketiServer, workers: int, *, channel: str = CHAT_CHANNEL) -> None:
        ctx = mp.get_context("spawn")
        self._barrier = ctx.Barrier(workers + 1)
        self._results = ctx.Queue()
        self._jobs = [ctx.Queue() for _ in range(workers)]
        conn = (soketi.host, soketi.port, soketi.app_id, soketi.key, soketi.secret)
        self._procs = [
            ctx.Process(
                target=_publish_worker,
                args=(conn, channel, jobs, self._barrier, self._results),
                daemon=True,
            )
            for jobs in self._jobs
        ]
        for p in self._procs:
            p.start()
        self.go_ns = 0

    def go(
        self, payloads: list[str], batch_size: int = BATCH_SIZE, rate: float | None = None
    ) -> int:
        """Start publishing `payloads` (at `rate` events/s in all, or as fast as possible)."""
        workers = len(self._procs)
        chunks: list[list[str]] = [[] for _ in range(workers)]
        for i in range(0, len(payloads), batch_size):
            chunks[(i // batch_size) % workers].extend(payloads[i : i + batch_size])
        for jobs, chunk in zip(self._jobs, chunks, strict=True):
            jobs.put((chunk, batch_size, rate / workers if rate else None))
        self._barrier.wait(timeout=120)
        self.go_ns = time.monotonic_ns()
        return self.go_ns

    def join(self, timeout: float = 600.0) -> PublishReport:
        report = PublishReport(start_ns=2**63, end_ns=0)
        for _ in self._procs:
            sent, errors, start, end = self._results.get(timeout=timeout)
            report.sent += sent
            report.errors.extend(errors)
            if sent:
                report.start_ns = min(report.start_ns, start)
                report.end_ns = max(report.end_ns, end)
        return report

    def close(self) -> None:
        for jobs in self._jobs:
            jobs.put(None)
        for p in self._procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
