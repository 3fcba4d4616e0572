"""The one place that owns connection policy: states, backoff, what each ending leads to.

The supervisor is Qt-free and I/O-free: it is driven by a `ChannelResolver` (slug -> ids) and a
`Connector` (one WebSocket session), both injected, so it runs the same under plain asyncio in
tests, in the headless `watch` command and on the qasync loop of the desktop app.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from app.core.backoff import Backoff
from app.core.events import EventType, StreamEvent
from app.core.state import ConnectionState, Status, check_transition, reason_with_detail

log = logging.getLogger(__name__)

State = ConnectionState


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    slug: str
    chatroom_id: int | None = None  # typed by hand (Advanced) when Kick's lookup is blocked
    channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    slug: str
    chatroom_id: int
    channel_id: int
    display_name: str = ""
    is_live: bool | None = None  # None: not known yet (ids from the cache or typed by hand)


class ResolveError(Exception):
    """The channel's ids could not be had. `str(exc)` is a plain sentence for the user, `detail`
    the technical reason behind it (an exception's text, an HTTP status; may be empty), and
    `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool, detail: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.detail = detail


class ChannelResolver(Protocol):
    async def resolve(self, request: ConnectRequest) -> ChannelTarget:
        """Ids for the request: cached or typed ids at once, else a lookup. Raises ResolveError."""

    async def lookup(self, slug: str) -> ChannelTarget:
        """A fresh lookup, for the live status when ids came without one. Raises ResolveError."""


class EndingKind(enum.Enum):
    BACKOFF = "backoff"  # network loss, server closed 4100-4199, anything unclassified
    RECONNECT_NOW = "reconnect_now"  # server closed 4200-4299
    FATAL = "fatal"  # server closed 4000-4099: retrying unchanged cannot help
    STALE_ENDPOINT = "stale_endpoint"  # unknown app key: discover the key again, once


@dataclass(frozen=True, slots=True)
class Ending:
    kind: EndingKind
    reason: str  # a plain sentence for the user: "Can't reach Kick — check your internet ..."
    detail: str = ""  # the technical reason behind it: "[Errno -2] Name or service not known"
    close_code: int | None = None  # the server's close / disconnect code, when it sent one


class SessionSink(Protocol):
    def subscribed(self) -> None: ...
    def event(self, event: StreamEvent) -> None: ...


class ProviderSink(SessionSink, Protocol):
    """A sink that also hears which realtime provider an attempt uses (the supervisor is one)."""

    def provider_chosen(self, provider: str) -> None: ...

    @property
    def live(self) -> bool:
        """Whether the channel is broadcasting (for the silence watchdog)."""


class Connector(Protocol):
    async def run_session(
        self, target: ChannelTarget, sink: ProviderSink, *, fresh_endpoint: bool
    ) -> Ending:
        """Run one WebSocket session to its end. Cancellation means the user disconnected."""


StatusListener = Callable[[Status], None]
EventListener = Callable[[StreamEvent], None]


class Supervisor:
    def __init__(
        self,
        resolver: ChannelResolver,
        connector: Connector,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._resolver = resolver
        self._connector = connector
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._sleep = sleep
        self._status = Status()
        self._status_listeners: list[StatusListener] = []
        self._event_listeners: list[EventListener] = []
        self._task: asyncio.Task[None] | None = None
        self._live_refresh: asyncio.Task[None] | None = None
        self._retry_wake: asyncio.Event | None = None
        self._subscribed = False
        self._event_count = 0
        self._last_event_at: float | None = None

    # --- what listeners see -------------------------------------------------------------------

    @property
    def status(self) -> Status:
        status = self._status
        if status.event_count != self._event_count or status.last_event_at != self._last_event_at:
            self._status = dataclasses.replace(
                status, event_count=self._event_count, last_event_at=self._last_event_at
            )
        return self._status

    def add_status_listener(self, listener: StatusListener) -> None:
        self._status_listeners.append(listener)

    def add_event_listener(self, listener: EventListener) -> None:
        self._event_listeners.append(listener)

    # --- what the user asks for ---------------------------------------------------------------

    def remember_channel(self, slug: str, display_name: str = "") -> None:
        """The channel a Connect would use, shown while disconnected: at launch the saved one, so
        the app says which channel it would connect to before it does. Ignored once connecting."""
        if self._task is None and self._status.state is State.DISCONNECTED:
            self._update(Status(slug=slug, display_name=display_name))

    def connect(self, request: ConnectRequest) -> None:
        """Start connecting (dropping any current connection first). Needs a running loop."""
        self._stop_tasks()
        if self._status.state not in (State.DISCONNECTED, State.ERROR):
            self._update(Status())  # the old connection ends before the new one starts
        self._task = asyncio.get_running_loop().create_task(self._run(request))

    async def disconnect(self) -> None:
        """Immediate, and never followed by a reconnect."""
        task = self._task
        self._stop_tasks()
        if self._status.state is not State.DISCONNECTED:
            # Shown at once; closing the socket politely below may take a moment on a dead link.
            self._update(Status(slug=self._status.slug, display_name=self._status.display_name))
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def retry_now(self) -> None:
        """Cut the wait before the next reconnect attempt short."""
        if self._retry_wake is not None:
            self._retry_wake.set()

    async def wait_stopped(self) -> None:
        """Return once the supervisor stops trying: Error reached, or disconnected."""
        while self._task is not None:
            task = self._task
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
            if self._task is task:
                return

    # --- the reconnect loop -------------------------------------------------------------------

    def _stop_tasks(self) -> None:
        for task in (self._task, self._live_refresh):
            if task is not None and not task.done():
                task.cancel()
        self._task = None
        self._live_refresh = None

    async def _run(self, request: ConnectRequest) -> None:
        self._backoff.reset()
        # The name shown so far stays while its channel's ids are found (no flicker to the slug).
        shown = self._status.display_name if self._status.slug == request.slug else ""
        self._update(Status(State.CONNECTING, slug=request.slug, display_name=shown))
        target: ChannelTarget | None = None
        fresh_endpoint = False
        rediscovered = False
        while True:
            self._subscribed = False
            try:
                if target is None:
                    target = await self._resolver.resolve(request)
                    self._adopt_target(target)
                ending = await self._connector.run_session(
                    target, self, fresh_endpoint=fresh_endpoint
                )
            except ResolveError as exc:
                if not exc.retryable:
                    self._fail(str(exc), exc.detail)
                    return
                ending = Ending(EndingKind.BACKOFF, str(exc), exc.detail)
            fresh_endpoint = False
            if self._subscribed and ending.kind is not EndingKind.STALE_ENDPOINT:
                # (a server that ends every connection "for good", even after subscribing, gets
                # one fresh try, not an endless loop of immediate ones)
                rediscovered = False
            if ending.kind is EndingKind.STALE_ENDPOINT and not rediscovered:
                rediscovered = fresh_endpoint = True
                delay = 0.0
            elif ending.kind in (EndingKind.FATAL, EndingKind.STALE_ENDPOINT):
                self._fail(ending.reason, ending.detail, ending.close_code)
                return
            elif ending.kind is EndingKind.RECONNECT_NOW and self._subscribed:
                delay = 0.0  # a healthy connection the server asked us to redo
            else:
                delay = self._backoff.next_delay()
            await self._wait_before_retry(ending, delay)

    def _adopt_target(self, target: ChannelTarget) -> None:
        self._change(
            slug=target.slug, display_name=target.display_name, is_live=bool(target.is_live)
        )
        if target.is_live is None:
            self._live_refresh = asyncio.get_running_loop().create_task(
                self._refresh_live(target.slug)
            )

    async def _refresh_live(self, slug: str) -> None:
        """Ids came from the cache or by hand: learn the live status without holding up the
        connection. A failure here only means the dot waits for the next live event."""
        try:
            fresh = await self._resolver.lookup(slug)
        except ResolveError as exc:
            log.info(
                "live status lookup for %s failed: %s",
                slug,
                reason_with_detail(str(exc), exc.detail),
            )
            return
        if fresh.is_live is not None:
            self._set_live(fresh.is_live)
        if fresh.display_name:
            self._change(display_name=fresh.display_name)

    async def _wait_before_retry(self, ending: Ending, delay: float) -> None:
        self._change(  # logged by _update, with the attempt's number and delay
            state=State.RECONNECTING,
            reason=ending.reason,
            detail=ending.detail,
            close_code=ending.close_code,
            attempt=self._status.attempt + 1,
            retry_at=self._clock() + delay,
            connected_at=None,
        )
        if delay > 0:
            self._retry_wake = asyncio.Event()
            sleeper = asyncio.ensure_future(self._sleep(delay))
            waker = asyncio.ensure_future(self._retry_wake.wait())
            try:
                await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()
                self._retry_wake = None
        self._change(retry_at=None)

    def _fail(self, reason: str, detail: str, close_code: int | None = None) -> None:
        # logged by _update, as a warning
        self._change(
            state=State.ERROR,
            reason=reason,
            detail=detail,
            close_code=close_code,
            retry_at=None,
            connected_at=None,
        )

    def _set_live(self, is_live: bool) -> None:
        state = self._status.state
        if state.is_connected:
            state = State.LIVE if is_live else State.CONNECTED
        self._change(state=state, is_live=is_live)

    # --- SessionSink: called by the connector -------------------------------------------------

    @property
    def live(self) -> bool:
        return self._status.state is State.LIVE

    def provider_chosen(self, provider: str) -> None:
        self._change(provider=provider)

    def subscribed(self) -> None:
        self._subscribed = True
        self._backoff.reset()
        self._event_count = 0
        self._last_event_at = None
        self._change(
            state=State.LIVE if self._status.is_live else State.CONNECTED,
            reason="",
            detail="",
            close_code=None,
            attempt=0,
            retry_at=None,
            connected_at=self._clock(),
        )

    def event(self, event: StreamEvent) -> None:
        # Counted without a status notification: at thousands of events a second, listeners read
        # the count when they redraw instead.
        self._event_count += 1
        self._last_event_at = self._clock()
        if event.type is EventType.LIVE_START:
            self._set_live(True)
        elif event.type is EventType.LIVE_END:
            self._set_live(False)
        for listener in self._event_listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", event.id)

    # --- the choke point ------------------------------------------------------------------------

    def _change(self, **fields: object) -> None:
        self._update(dataclasses.replace(self.status, **fields))  # type: ignore[arg-type]

    def _update(self, new: Status) -> None:
        old = self._status
        if new.state is not old.state:
            check_transition(old.state, new.state)
            self._log_change(old, new)
        elif new.state is State.RECONNECTING and new.attempt != old.attempt:
            self._log_change(old, new)  # a further attempt: each one gets its line
        self._event_count = new.event_count
        self._last_event_at = new.last_event_at
        self._status = new
        if new == old:
            return
        for listener in self._status_listeners:
            try:
                listener(new)
            except Exception:
                log.exception("status listener failed")

    def _log_change(self, old: Status, new: Status) -> None:
        """One line per state change and per reconnect attempt, e.g. `connected -> reconnecting,
        attempt 1 in 1.4 s: Can't reach Kick — ... ([Errno -2] Name or service not known)`;
        a warning when retrying stops (Error). Nothing else logs these again."""
        line = f"{old.state} -> {new.state}" if new.state is not old.state else str(new.state)
        if new.state is State.RECONNECTING:
            line += f", attempt {new.attempt}"
            if new.retry_at is not None:
                delay = max(0.0, new.retry_at - self._clock())
                line += f" in {delay:.1f} s" if delay >= 0.05 else " now"
        if new.full_reason:
            line += f": {new.full_reason}"
        log.log(logging.WARNING if new.state is State.ERROR else logging.INFO, "%s", line)
