"""`python -m app replay FILE`: a session log (or any `watch` output) played back, with its
original spacing, to stdout and to the event server, so overlays can be tried off-stream.

Timing comes from the events' own `timestamp`s: the spacing between them, divided by `--speed`
(0: as fast as possible). Kick stamps chat to the second, so the events that share a
whole-second timestamp are spread evenly over that second (a busy chat replays as a flow, not
in one-second lumps); time never runs backwards (an event stamped earlier than the one before
it comes right after it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO, TextIO

from app.cli import HelpFormatter, discard_output, exit_status_help, terminal_safe
from app.core.events import EventFormatError, StreamEvent, json_lines
from app.relay.address import ListenAddress
from app.relay.server import RelayServer, RelayStartError

EXIT_OK = 0
EXIT_MALFORMED = 1  # a malformed line (reported and skipped), or the output closed early
EXIT_ERROR = 2  # FILE cannot be read, the port cannot be used, or a bad command line
BATCH = 1_000  # at most this many events are handed on in one go (then the loop runs)

Deliver = Callable[[list[StreamEvent]], None]


def parse_events(
    lines: Iterable[bytes], err: TextIO, malformed: list[int] | None = None
) -> Iterator[StreamEvent]:
    """The events of a JSON-lines file; a malformed line is reported on `err` as `line N: ...`
    (its number appended to `malformed`) and skipped; blank lines are skipped silently."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield StreamEvent.from_json(line)
        except EventFormatError as exc:
            print(f"line {number}: {terminal_safe(str(exc))}", file=err, flush=True)
            if malformed is not None:
                malformed.append(number)


def _seconds(event: StreamEvent) -> tuple[float, bool]:
    """The event's time in seconds since the epoch, and whether it is a whole second."""
    moment = datetime.fromisoformat(event.timestamp)  # checked by StreamEvent.from_json
    return moment.timestamp(), moment.microsecond == 0


def schedule(events: Iterable[StreamEvent]) -> Iterator[tuple[float, StreamEvent]]:
    """(seconds after the first event, event) for each event, in file order (see the module
    docstring for how same-second events are spread and times that run backwards)."""
    origin: float | None = None
    last = 0.0
    group: list[StreamEvent] = []
    group_key = ""

    def spread(group: list[StreamEvent]) -> Iterator[tuple[float, StreamEvent]]:
        nonlocal origin, last
        when, whole = _seconds(group[0])
        if origin is None:
            origin = when
        start = max(last, when - origin)
        step = 1.0 / len(group) if whole and len(group) > 1 else 0.0
        for index, event in enumerate(group):
            yield start + index * step, event
        last = start

    for event in events:
        if group and event.timestamp != group_key:
            yield from spread(group)
            group = []
        group.append(event)
        group_key = event.timestamp
    if group:
        yield from spread(group)


async def play(
    timed: Iterable[tuple[float, StreamEvent]],
    deliver: Deliver,
    *,
    speed: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Hands the events to `deliver` at their offsets divided by `speed` (0: at once, in
    batches of BATCH with a loop pass between them), all that are due together in one call.
    Returns how many were delivered."""
    start = clock()
    batch: list[StreamEvent] = []
    count = 0
    for offset, event in timed:
        due = start + offset / speed if speed > 0 else start
        if batch and (due > clock() or len(batch) >= BATCH):
            deliver(batch)
            count += len(batch)
            batch = []
            await sleep(0)  # the event server writes what it was given
        now = clock()
        if due > now:
            await sleep(due - now)
        batch.append(event)
    if batch:
        deliver(batch)
        count += len(batch)
    return count


class _Output:
    """The events as JSON lines on `out`, until the reader goes away (`| head`)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.closed = False

    def write(self, events: list[StreamEvent]) -> None:
        if self.closed:
            return
        try:
            self._out.write(json_lines(events))
            self._out.flush()
        except BrokenPipeError:
            self.closed = True
            discard_output(self._out)


class _ReplayStatus:
    """What `/api/status` and `/events` say during a replay: connected to the log's channel."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.state = "connecting"  # until the first client is there and playing starts
        self.channel = ""
        self.events = 0
        self.started: float | None = None

    def __call__(self) -> dict[str, object]:
        uptime = None if self.started is None else max(0, int(self._clock() - self.started))
        return {
            "state": self.state,
            "channel": self.channel,
            "provider": "replay",
            "live": False,
            "uptime_s": uptime,
            "events": self.events,
        }


async def replay(
    source: Iterable[bytes],
    *,
    speed: float = 1.0,
    serve: ListenAddress | None = None,
    quiet: bool = False,
    out: BinaryIO | None = None,
    err: TextIO = sys.stderr,
    token: str = "",
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Plays the JSON lines of `source`; returns the exit status."""
    output = _Output(sys.stdout.buffer if out is None else out)
    status = _ReplayStatus(clock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server: RelayServer | None = None
    malformed: list[int] = []

    def deliver(events: list[StreamEvent]) -> None:
        status.events += len(events)
        if not status.channel:
            status.channel = events[0].channel
        if not quiet:
            output.write(events)
        if server is not None:
            for event in events:
                server.publish_event(event)  # (the count is no status change, as in the app)

    try:
        if serve is not None:
            server = await _start_server(serve, token, status, deliver, err)
            if server is None:
                return EXIT_ERROR
            if not await _first_client(server, stop, err):
                return EXIT_OK
        status.state, status.started = "connected", clock()
        if server is not None:
            server.publish_status()
        events = parse_events(source, err, malformed)
        playing = asyncio.ensure_future(play(schedule(events), deliver, speed=speed))
        asked_to_stop = asyncio.ensure_future(stop.wait())
        await asyncio.wait((playing, asked_to_stop), return_when=asyncio.FIRST_COMPLETED)
        asked_to_stop.cancel()
        if not playing.done():  # Ctrl-C, SIGTERM
            playing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing
            return EXIT_OK
        played = playing.result()
        status.state = "disconnected"
        if server is not None:
            server.publish_status()
            print(
                f"replay: done, {played:,} events; still serving (Ctrl-C to stop)",
                file=err,
                flush=True,
            )
            await stop.wait()
        if output.closed:
            return EXIT_MALFORMED
        return EXIT_MALFORMED if malformed else EXIT_OK
    finally:
        if server is not None:
            await server.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


async def _start_server(
    address: ListenAddress,
    token: str,
    status: _ReplayStatus,
    deliver: Deliver,
    err: TextIO,
) -> RelayServer | None:
    from app.relay.hosting import new_token
    from app.relay.test_events import make_test_event
    from app.settings import SettingsStore
    from app.watch import serving_line

    def test_event(kind: str) -> StreamEvent:
        event = make_test_event(kind, status.channel or "test")
        deliver([event])
        return event

    token = token or SettingsStore().load().relay_token or new_token()
    server = RelayServer(address, token=token, status=status, test_event=test_event)
    try:
        await server.start()
    except RelayStartError as exc:
        print(f"replay: {exc}", file=err, flush=True)
        return None
    print(serving_line(server.base_url, server.token), file=err, flush=True)
    return server


async def _first_client(server: RelayServer, stop: asyncio.Event, err: TextIO) -> bool:
    """Waits until something listens on /events (an overlay, the `/` page); False if stopped
    first."""
    print(
        f"replay: waiting for an overlay (or the page {server.base_url}/) to connect",
        file=err,
        flush=True,
    )
    joined = asyncio.Event()
    server.client_joined = joined.set
    waiters = (asyncio.ensure_future(joined.wait()), asyncio.ensure_future(stop.wait()))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    server.client_joined = None
    return joined.is_set() and not stop.is_set()


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the speed must be 0 or more")
    return value


def add_replay_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from app.watch_cli import add_serve_option

    parser = commands.add_parser(
        "replay",
        help="play a session log back (stdout and the event server), to try overlays",
        formatter_class=HelpFormatter,
        description="Play FILE, a session log (or any saved `watch` output: one StreamEvent "
        "JSON per line), back with its original spacing: each event's JSON line on stdout and, "
        "with --serve, on the event server's /events (the overlays). Timing comes from the "
        "events' timestamps; events that share a whole-second timestamp are spread over that "
        "second. A malformed line is reported on stderr as 'line N: ...' and skipped. With "
        "--serve, playing starts once the first client (an overlay, the / page) is connected, "
        "and the server keeps serving after the last event until Ctrl-C or SIGTERM.",
        epilog=exit_status_help(
            (
                0,
                "every line was played (with --serve: then Ctrl-C or SIGTERM), or stopped early "
                "by Ctrl-C or SIGTERM",
            ),
            (
                1,
                "a line was malformed (reported and skipped), the reader closed the output "
                "before the end (`| head`), or an unexpected error (a Python traceback)",
            ),
            (
                2,
                "FILE cannot be read, the event server cannot listen (a port taken), or a bad "
                "command line (with a usage message)",
            ),
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the session log to play")
    parser.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="X",
        help="X times the original pace (2: twice as fast; 0: as fast as possible); default 1",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print nothing on stdout (with --serve)"
    )
    add_serve_option(parser)
    parser.set_defaults(run=_run_replay)


def _run_replay(args: argparse.Namespace) -> int:
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after playing
    except OSError as exc:
        reason = terminal_safe(f"{args.file}: {exc.strerror or exc}")
        print(f"replay: cannot read {reason}", file=sys.stderr)
        return EXIT_ERROR
    with source:
        return asyncio.run(replay(source, speed=args.speed, serve=args.serve, quiet=args.quiet))
