"""`python -m app watch SLUG`: the live connection with no GUI, as JSON lines on stdout (written by
`watch_output`; the command line is `watch_cli`'s)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from typing import BinaryIO, TextIO

from app.cli import terminal_safe
from app.core.state import ConnectionState, Status
from app.core.supervisor import ConnectRequest
from app.kick.api import KickApi
from app.kick.ids import CachedIds, MemoryIdCache
from app.kick.realtime import AUTO, PROVIDER_NAMES
from app.kick.session import build_supervisor
from app.kick.slug import canonical_slug
from app.relay.address import ListenAddress
from app.settings import SettingsStore
from app.watch_output import JsonLinesWriter, buffer_limit

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
        cache.put(canonical_slug(slug), CachedIds(cached[1], cached[0], settings.kick_display_name))

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

            lines = JsonLinesWriter(
                sys.stdout.buffer if out is None else out,
                loop,
                stop.set,
                err=err,
                max_bytes=buffer_limit(),
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
