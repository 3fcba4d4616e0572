"""The Centrifugo path end to end on loopback: `watch` (ours) against the official client,
centrifuge-python, on the same server in the same run.

    python tests/bench/bench_centrifugo.py [--short]

A Centrifugo server process (centrifugo_load_server.py) streams Kick chat publications, batched
per 10 ms as Centrifugo batches them. Each client runs as its own process and writes one line per
event on stdout; the parent only counts newlines. Two phases per client:

- paced: 5,000 events/s for 10 s (3 s with --short): every event must arrive (no loss), and the
  client's CPU per event (its threads' scheduler time while streaming, divided by the events);
- burst: 50,000 events (20,000 with --short) as fast as the server sends them: delivered events/s,
  first line to last.

Ours: `python -m app watch SLUG --chatroom-id --channel-id --provider centrifugo` with
VMSC_KICK_CENTRIFUGO_URL pointing at the server and no realtime base (no token, no lookup).
Targets (issue 14): at least 1.0x the official client's rate, less CPU per event, 0 lost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _common import banner, cpu_ns, median, verdict  # noqa: E402

CHATROOM, CHANNEL = 5079311, 5120934
RATE = 5_000


@dataclass
class Run:
    events: int
    expected: int
    seconds: float  # first line to last
    cpu_ns: int  # the client's CPU while streaming

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("nan")

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_ns / 1000 / max(1, self.events)


class Server:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "centrifugo_load_server.py"), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.port = int(line.split()[1])
        self.url = f"ws://127.0.0.1:{self.port}/connection/websocket"

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Client:
    """A client process; threads count its stdout lines and watch its stderr for `ready`."""

    def __init__(self, command: list[str], env: dict[str, str], ready: str) -> None:
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.lines = 0
        self.first_ns: int | None = None
        self.last_ns: int | None = None
        self.stderr: list[str] = []
        self.ready = threading.Event()
        self._ready_text = ready
        self._cond = threading.Condition()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 1 << 20):
            now = time.monotonic_ns()
            with self._cond:
                n = chunk.count(b"\n")
                if n:
                    self.first_ns = self.first_ns or now
                    self.last_ns = now
                    self.lines += n
                self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.stderr.append(line)
            if self._ready_text in line:
                self.ready.set()

    def wait_lines(self, count: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.lines >= count, timeout)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def ours(url: str, config_dir: str) -> Client:
    env = dict(os.environ)
    env.update(
        VMSC_CONFIG_DIR=config_dir,
        VMSC_KICK_REALTIME_URL="",  # no negotiation, no token: the URL below, as is
        VMSC_KICK_CENTRIFUGO_URL=url,
        VMSC_KICK_API_URL="http://127.0.0.1:9",  # never asked: the ids are given
    )
    command = [
        sys.executable, "-m", "app", "watch", "benchchannel",
        "--chatroom-id", str(CHATROOM), "--channel-id", str(CHANNEL), "--provider", "centrifugo",
    ]  # fmt: skip
    return Client(command, env, "state: connected")


def official(url: str, config_dir: str) -> Client:
    command = [sys.executable, str(HERE / "centrifuge_python_client.py"), url]
    return Client(command, dict(os.environ), "subscribed")


def measure(kind: str, server_args: list[str], expected: int, seconds: float) -> Run:
    server = Server(*server_args)
    with tempfile.TemporaryDirectory() as config_dir:
        client = (ours if kind == "ours" else official)(server.url, config_dir)
        try:
            if not client.ready.wait(20):
                raise SystemExit(f"{kind} did not connect: {client.stderr[-5:]}")
            start_cpu = cpu_ns(client.proc.pid)
            client.wait_lines(expected, seconds + 20)
            # a moment for stragglers (a loss shows as a short count, never as a hang)
            client.wait_lines(expected + 1, 0.5)
            end_cpu = cpu_ns(client.proc.pid)
            span = ((client.last_ns or 0) - (client.first_ns or 0)) / 1e9
            return Run(client.lines, expected, span, end_cpu - start_cpu)
        finally:
            client.stop()
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--rounds", type=int, default=0, help="burst rounds per client")
    args = parser.parse_args()
    paced_seconds = 3.0 if args.short else 10.0
    burst = 20_000 if args.short else 50_000
    rounds = args.rounds or (1 if args.short else 3)

    banner(f"paced: {RATE:,} events/s for {paced_seconds:g} s, each client")
    paced: dict[str, Run] = {}
    for kind in ("official", "ours"):
        expected = int(RATE * paced_seconds)
        run = measure(
            kind, ["--rate", str(RATE), "--seconds", str(paced_seconds)], expected, paced_seconds
        )
        paced[kind] = run
        print(
            f"  {kind:8} {run.events:,}/{expected:,} events, {run.rate:,.0f}/s, "
            f"{run.cpu_us_per_event:.1f} µs CPU per event",
            flush=True,
        )

    banner(f"burst: {burst:,} events as fast as the server sends, {rounds} round(s) each")
    rates: dict[str, list[float]] = {"official": [], "ours": []}
    burst_lost = 0
    for _ in range(rounds):
        for kind in ("official", "ours"):
            run = measure(kind, ["--rate", "0", "--count", str(burst)], burst, 30.0)
            rates[kind].append(run.rate)
            burst_lost += run.expected - run.events
            print(
                f"  {kind:8} {run.events:,}/{burst:,} events, {run.rate:,.0f}/s, "
                f"{run.cpu_us_per_event:.1f} µs CPU per event",
                flush=True,
            )

    ours_rate, their_rate = median(rates["ours"]), median(rates["official"])
    rate_ratio = ours_rate / their_rate
    cpu_ratio = paced["official"].cpu_us_per_event / paced["ours"].cpu_us_per_event
    lost = paced["ours"].expected - paced["ours"].events
    print(
        f"centrifugo_rate: {rate_ratio:.2f}x ours {ours_rate:,.0f} vs centrifuge-python "
        f"{their_rate:,.0f} events/s in a burst (target 1.0) {verdict(rate_ratio >= 1.0)}"
    )
    print(
        f"centrifugo_cpu: {cpu_ratio:.2f}x centrifuge-python / ours CPU per event at "
        f"{RATE:,}/s: {paced['official'].cpu_us_per_event:.1f} vs "
        f"{paced['ours'].cpu_us_per_event:.1f} µs (target 1.0) {verdict(cpu_ratio > 1.0)}"
    )
    print(
        f"centrifugo_lost: {lost} events lost by ours at {RATE:,}/s "
        f"(official client: {paced['official'].expected - paced['official'].events}; "
        f"burst: {burst_lost}) (target 0) {verdict(lost == 0)}"
    )


if __name__ == "__main__":
    main()
