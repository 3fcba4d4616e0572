"""`python -m app watch SLUG`: the live connection with no GUI, as JSON lines on stdout."""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

from app.cli import HelpFormatter, discard_output, exit_status_help, terminal_safe
from app.core.events import StreamEvent, json_lines
from app.core.state import ConnectionState, Status
from app.core.supervisor import ConnectRequest
from app.kick import constants
from app.kick.api import KickApi
from app.kick.ids import CachedIds, MemoryIdCache
from app.kick.realtime import AUTO, PROVIDER_NAMES, PROVIDERS
from app.kick.session import build_supervisor
from app.relay.server import ListenAddress
from app.settings import SettingsStore

EXIT_OK = 0
EXIT_ERROR = 2  # also argparse's status for a bad command line


def describe_status(status: Status, now: float) -> str:
    """One stderr line per state change, e.g. `state: reconnecting (Kick's chat server asked us
    to reconnect (server closed 4200 (server restarting)), retry 2 in 2.4 s)`: the plain reason
    with its technical detail in parentheses."""
    details = [status.full_reason] if status.full_reason else []
    if status.state is ConnectionState.RECONNECTING and status.retry_at is not None:
        details.append(f"retry {status.attempt} in {max(0.0, status.retry_at - now):.1f} s")
    elif status.state.is_connected and status.channel:
        details.append(status.channel)
    if status.state.is_connected and status.provider in PROVIDER_NAMES:
        details.append(f"via {PROVIDER_NAMES[status.provider]}")
    # A reason is a sentence and may end in a full stop: none before the comma ("Advanced., ")
    joined = ", ".join([part.removesuffix(".") for part in details[:-1]] + details[-1:])
    return f"state: {status.state}" + (f" ({joined})" if details else "")


class _StateLines:
    """Writes a line when the state changes, and for each newly scheduled retry."""

    def __init__(self, err: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._err = err
        self._clock = clock
        self._last: tuple[ConnectionState, int, bool] | None = None

    def __call__(self, status: Status) -> None:
        waiting = status.retry_at is not None
        if status.state is ConnectionState.RECONNECTING and not waiting:
            return  # the attempt itself; its line was the "retry N in ..." one
        key = (status.state, status.attempt, waiting)
        if key != self._last:
            self._last = key
            # display names and reasons are network text: no control character reaches the tty
            line = terminal_safe(describe_status(status, self._clock()))
            print(line, file=self._err, flush=True)


# What `watch` keeps for a reader that is slower than the chat: about 70,000 events, over ten
# minutes of a busy chat at 100 messages/s. Past it the oldest batches are dropped, and stderr
# says how many.
MAX_BUFFERED_BYTES = 32 * 1024 * 1024
DROP_REPORT_INTERVAL = 5.0  # seconds between "dropped" lines while the reader stays behind
DRAIN_TIMEOUT = 5.0  # at exit, how long a stalled reader may hold up the end


class _JsonLines:
    """Writes events as JSON lines, off the event loop: the socket never waits for the reader.

    The events handled in one loop pass (one socket read, which holds many messages while they
    arrive fast: see the socket driver's read coalescing) are encoded in one go and queued; a
    writer thread writes the queue to `out`, joining what piled up into one write. The queue
    holds at most `max_bytes`: past that the oldest batches are dropped, counted, and reported
    on `err` (at most once per DROP_REPORT_INTERVAL, and at the end). Writes go to the file
    descriptor itself where there is one, so a write blocked on a full pipe holds no Python
    lock that the interpreter's exit would wait for."""

    def __init__(
        self,
        out: BinaryIO,
        loop: asyncio.AbstractEventLoop,
        reader_gone: Callable[[], None] = lambda: None,
        *,
        err: TextIO | None = None,
        max_bytes: int = MAX_BUFFERED_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._out = out
        self._loop = loop
        self._reader_gone = reader_gone  # called once if the reader closes the pipe (`| head`)
        self._err = err
        self._max_bytes = max_bytes
        self._clock = clock
        self._pending: list[StreamEvent] = []
        self._open = True
        self._queue: collections.deque[tuple[bytes, int]] = collections.deque()  # (lines, count)
        self._queued_bytes = 0
        self._ready = threading.Condition()
        self._closing = False
        self._busy = False  # the writer holds data taken off the queue
        self.dropped = 0  # events dropped in all
        self._unreported = 0
        self._reported_at = -math.inf
        self._thread: threading.Thread | None = None
        try:
            self._fd: int | None = out.fileno()
        except (OSError, ValueError, AttributeError):  # io.BytesIO and the like
            self._fd = None

    def add(self, event: StreamEvent) -> None:
        if not self._open:
            return
        self._pending.append(event)
        if len(self._pending) == 1:
            self._loop.call_soon(self.flush)  # after the rest of this pass's messages

    def flush(self) -> None:
        """Queues what this pass handled (never blocks)."""
        if not self._pending:  # (also never once the reader is gone: `add` keeps nothing)
            return
        data = json_lines(self._pending)  # one encoder call for the batch
        count = len(self._pending)
        self._pending.clear()
        dropped = 0
        with self._ready:
            self._queue.append((data, count))
            self._queued_bytes += len(data)
            while self._queued_bytes > self._max_bytes and len(self._queue) > 1:
                old, old_count = self._queue.popleft()
                self._queued_bytes -= len(old)
                dropped += old_count
            self._ready.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_all, name="watch-out", daemon=True)
            self._thread.start()
        if dropped:
            self.dropped += dropped
            self._unreported += dropped
            if self._clock() - self._reported_at >= DROP_REPORT_INTERVAL:
                self._report()

    def _report(self) -> None:
        if self._unreported and self._err is not None:
            print(
                f"watch: the output is read too slowly: dropped {self._unreported:,} events "
                f"(the oldest; {self.dropped:,} in all) to keep up with Kick",
                file=self._err,
                flush=True,
            )
        self._unreported = 0
        self._reported_at = self._clock()

    async def aclose(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Writes what is pending and waits (at most `timeout`) for the writer to finish."""
        self.flush()
        with self._ready:
            self._closing = True
            self._ready.notify()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, timeout)
        with self._ready:
            left = sum(count for _, count in self._queue) + (1 if self._busy else 0)
        if self._unreported:
            self._report()
        if thread is not None and thread.is_alive() and self._open and self._err is not None:
            print(
                f"watch: the output reader stalled: about {left:,} events were not written",
                file=self._err,
                flush=True,
            )

    def _write_all(self) -> None:
        """The writer thread: queue -> `out`, until closed and empty, or the reader is gone."""
        while True:
            with self._ready:
                self._busy = False
                while not self._queue and not self._closing:
                    self._ready.wait()
                if not self._queue:
                    return
                chunks = [data for data, _ in self._queue]
                self._queue.clear()
                self._queued_bytes = 0
                self._busy = True
            try:
                self._write(b"".join(chunks) if len(chunks) > 1 else chunks[0])
            except (BrokenPipeError, ConnectionResetError):  # like other filters: stop quietly
                self._open = False
                discard_output(self._out)
                self._loop.call_soon_threadsafe(self._reader_gone)
                return

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            self._out.write(data)
            self._out.flush()
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


def _buffer_bytes() -> int:
    """MAX_BUFFERED_BYTES, or $VMSC_WATCH_BUFFER_BYTES (tests use a small one)."""
    text = os.environ.get("VMSC_WATCH_BUFFER_BYTES", "")
    return int(text) if text.isdigit() and int(text) > 0 else MAX_BUFFERED_BYTES


async def watch(
    slug: str,
    chatroom_id: int | None = None,
    channel_id: int | None = None,
    *,
    out: BinaryIO | None = None,
    err: TextIO = sys.stderr,
    serve: ListenAddress | None = None,
    provider: str = AUTO,
    session_log: bool = False,
) -> int:
    # Read the GUI's cached ids but never write the settings: `watch` must not change what the
    # desktop app remembers.
    cache = MemoryIdCache()
    settings = SettingsStore().load()
    cached = settings.cached_ids_for(slug)
    if cached is not None:
        cache.put(slug.strip().lower(), CachedIds(cached[1], cached[0], settings.kick_display_name))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    relay = None
    log_file = None  # the session log, with --session-log
    try:
        async with KickApi() as api:
            supervisor = build_supervisor(
                api,
                cache,
                provider=provider,
                silence_limit=60.0 * max(0, settings.silence_minutes),
            )
            if serve is not None:
                from app.relay.hosting import RelayHost, new_token
                from app.relay.server import RelayStartError

                relay = RelayHost(supervisor)
                try:
                    server = await relay.start(serve, settings.relay_token or new_token())
                except RelayStartError as exc:
                    print(f"watch: {exc}", file=err, flush=True)
                    return EXIT_ERROR
                print(serving_line(server.base_url, server.token), file=err, flush=True)

            lines = _JsonLines(
                sys.stdout.buffer if out is None else out,
                loop,
                stop.set,
                err=err,
                max_bytes=_buffer_bytes(),
            )
            supervisor.add_event_listener(lines.add)
            if session_log:
                from app.session_log import SessionLog, session_dir

                log_file = SessionLog(session_dir())
                log_file.attach(supervisor)
                print(f"session log: in {log_file.directory}", file=err, flush=True)
            supervisor.add_status_listener(_StateLines(err))
            supervisor.connect(ConnectRequest(slug, chatroom_id, channel_id))
            stopped = asyncio.ensure_future(supervisor.wait_stopped())
            asked_to_stop = asyncio.ensure_future(stop.wait())
            await asyncio.wait((stopped, asked_to_stop), return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            asked_to_stop.cancel()
            if stop.is_set():
                await supervisor.disconnect()
            await lines.aclose()
            # on EXIT_ERROR the reason is on the "state: error (...)" line
            return EXIT_OK if stop.is_set() else EXIT_ERROR
    finally:
        if log_file is not None:
            await log_file.aclose()
        if relay is not None:
            await relay.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


def serving_line(base_url: str, token: str) -> str:
    """The stderr line `--serve` starts with: where the overlays are, and the token."""
    return (
        f"serving: {base_url}/ (overlays {base_url}/overlay/chat and {base_url}/overlay/alerts, "
        f"events ws{base_url.removeprefix('http')}/events; token {token})"
    )


def serve_address(text: str) -> ListenAddress:
    """argparse type of `--serve [HOST:]PORT`; an empty value is 127.0.0.1 on the default port
    ($VMSC_RELAY_PORT, else 7582)."""
    from app.relay.server import DEFAULT_HOST, default_port, parse_listen_address

    try:
        if not text:
            return ListenAddress(DEFAULT_HOST, default_port())
        return parse_listen_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive id")
    return value


_WATCH_EXIT_STATUS = exit_status_help(
    (0, "stopped: Ctrl-C, SIGTERM, or the reader closed the output (`| head`)"),
    (1, "an unexpected error (a Python traceback on stderr)"),
    (
        2,
        'an error retrying cannot fix, named on the last "state: error (...)" line: no channel '
        "of that name, an invalid username, the lookup blocked with no ids to go on (give "
        "--chatroom-id and --channel-id), a fatal Pusher close (4000-4099; 4001 only once "
        "rediscovering the key did not help), a Centrifugo disconnect 3500-3999 that a fresh "
        "negotiation and token did not cure, a bad WebSocket URL or proxy setting; or a bad "
        "command line (with a usage message)",
    ),
)


def add_watch_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "watch",
        help="connect to a Kick channel and print its events as JSON lines",
        formatter_class=HelpFormatter,
        description="Connect to SLUG's public chat and channel events and print one StreamEvent "
        "JSON per line on stdout; state changes go to stderr. Losing the network, timeouts and "
        "server restarts are retried forever, with backoff.",
        epilog=_WATCH_EXIT_STATUS,
    )
    parser.add_argument("slug", metavar="SLUG", help="the Kick username / channel slug")
    parser.add_argument(
        "--chatroom-id", type=_positive_int, help="skip the lookup (with --channel-id)"
    )
    parser.add_argument(
        "--channel-id", type=_positive_int, help="skip the lookup (with --chatroom-id)"
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default=AUTO,
        help="Kick's realtime service: auto (what Kick's negotiation offers: Centrifugo, else "
        "Pusher), pusher or centrifugo (default: auto)",
    )
    add_serve_option(parser)
    parser.add_argument(
        "--session-log",
        action="store_true",
        help="also append every event to a session log, one JSON-lines file per connection, in "
        "the folder the desktop app uses ($VMSC_CONFIG_DIR/sessions, else the user data folder; "
        "`replay` plays them back). Off by default: stdout has every event already",
    )
    parser.set_defaults(run=_run_watch, usage_error=parser.error)


def add_serve_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serve",
        nargs="?",
        const="",
        type=serve_address,
        metavar="[HOST:]PORT",
        help="also run the local event server (overlays for OBS, the /events WebSocket) on "
        "127.0.0.1:PORT, or HOST:PORT (another address than 127.0.0.1 needs the token for "
        "everything); without a value $VMSC_RELAY_PORT or 7582",
    )


def missing_id_message(slug: str, chatroom_id: int | None, channel_id: int | None) -> str | None:
    """What the command line lacks when it gives only one of the two ids, else None. A lone id
    saves nothing: the lookup that could find the other one gives both, and where it is blocked
    (the reason to type ids) the other one cannot be had either."""
    if (chatroom_id is None) == (channel_id is None):
        return None
    lookup = (
        f"{os.environ.get(constants.ENV_KICK_API_URL) or constants.DEFAULT_API_URL}"
        f"/api/v2/channels/{slug.strip().lower()}"
    )
    if channel_id is None:
        return (
            "--chatroom-id needs --channel-id too (live start/end, follows and Kicks arrive on "
            "channel.N and channel_N, and the channel id finds Kick's Pusher key). Kick's lookup "
            f'{lookup} has it as "id"; or give neither option and watch looks both up.'
        )
    return (
        "--channel-id needs --chatroom-id too (chat, subs, gifts, bans, hosts and rewards arrive "
        f'on chatrooms.N.v2 and chatroom_N). Kick\'s lookup {lookup} has it as "chatroom.id"; '
        "or give neither option and watch looks both up."
    )


class _TerminalSafeFormatter(logging.Formatter):
    """Log lines carry network text too (reasons): escaped like the state lines, each line of a
    traceback on its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return "\n".join(map(terminal_safe, super().formatException(ei).split("\n")))

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(map(terminal_safe, super().formatStack(stack_info).split("\n")))


def _run_watch(args: argparse.Namespace) -> int:
    problem = missing_id_message(args.slug, args.chatroom_id, args.channel_id)
    if problem is not None:
        args.usage_error(terminal_safe(problem))  # exits 2, after the usage line
    handler = logging.StreamHandler()
    handler.setFormatter(_TerminalSafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    return asyncio.run(
        watch(
            args.slug,
            args.chatroom_id,
            args.channel_id,
            serve=args.serve,
            provider=args.provider,
            session_log=args.session_log,
        )
    )
