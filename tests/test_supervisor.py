"""Supervisor policy under plain asyncio: a scripted connector, a fake clock, no real sleeps."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from app.core.backoff import BASE_DELAYS, Backoff
from app.core.events import EventType, StreamEvent
from app.core.state import TRANSITIONS, ConnectionState, IllegalTransition, Status, check_transition
from app.core.supervisor import (
    ChannelTarget,
    ConnectRequest,
    Ending,
    EndingKind,
    ResolveError,
    SessionSink,
    Supervisor,
)
from tests.event_samples import make_data

S = ConnectionState
TARGET = ChannelTarget(
    "nightowlgg", chatroom_id=5079311, channel_id=5120934, display_name="NightOwlGG"
)


def make_event(kind: EventType, n: int = 0) -> StreamEvent:
    return StreamEvent(
        id=f"e{n}",
        type=kind,
        channel="nightowlgg",
        username="u",
        timestamp="2026-03-14T19:42:07+00:00",
        data=make_data(kind),
    )


@dataclass
class FakeResolver:
    target: ChannelTarget = TARGET
    error: ResolveError | None = None
    failures_left: int = 1_000_000  # how many resolves raise `error`
    lookups: list[str] = field(default_factory=list)
    resolves: int = 0
    lookup_result: ChannelTarget | None = None

    async def resolve(self, request: ConnectRequest) -> ChannelTarget:
        self.resolves += 1
        if self.error is not None and self.failures_left > 0:
            self.failures_left -= 1
            raise self.error
        return self.target

    async def lookup(self, slug: str) -> ChannelTarget:
        self.lookups.append(slug)
        if self.lookup_result is None:
            raise ResolveError("blocked", retryable=True)
        return self.lookup_result


Session = Callable[[SessionSink], "asyncio.Future[Ending] | Ending"]


class ScriptedConnector:
    """Each session runs the next step: a function of the sink returning how the session ended,
    or None to stay open until the test ends it."""

    def __init__(self, *steps: Callable[[SessionSink], Ending | None]) -> None:
        self.steps = list(steps)
        self.sessions = 0
        self.fresh_flags: list[bool] = []
        self.open_session: asyncio.Future[Ending] | None = None
        self.started = asyncio.Event()

    async def run_session(
        self, target: ChannelTarget, sink: SessionSink, *, fresh_endpoint: bool
    ) -> Ending:
        self.sessions += 1
        self.fresh_flags.append(fresh_endpoint)
        step = self.steps.pop(0) if self.steps else (lambda s: None)
        ending = step(sink)
        if ending is not None:
            return ending
        self.open_session = asyncio.get_running_loop().create_future()
        self.started.set()
        return await self.open_session


class FakeTime:
    """A clock and a sleep that returns at once, recording the delays asked for."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


def drop(kind: EndingKind = EndingKind.BACKOFF, reason: str = "connection lost"):
    return lambda sink: Ending(kind, reason)


def subscribe_then(ending: Ending | None):
    def step(sink: SessionSink) -> Ending | None:
        sink.subscribed()
        return ending

    return step


def build(connector: ScriptedConnector, resolver: FakeResolver | None = None, jitter: float = 0.0):
    time = FakeTime()
    sup = Supervisor(
        resolver or FakeResolver(),
        connector,
        backoff=Backoff(random_source=lambda: jitter),
        clock=time.clock,
        sleep=time.sleep,
    )
    seen: list[Status] = []
    sup.add_status_listener(seen.append)
    return sup, time, seen


async def until(sup: Supervisor, condition: Callable[[], bool]) -> None:
    changed = asyncio.Event()
    sup.add_status_listener(lambda status: changed.set())
    async with asyncio.timeout(5):
        while not condition():
            changed.clear()
            await changed.wait()


def states(seen: list[Status]) -> list[ConnectionState]:
    out: list[ConnectionState] = []
    for status in seen:
        if not out or out[-1] is not status.state:
            out.append(status.state)
    return out


async def test_connects_and_counts_events() -> None:
    connector = ScriptedConnector(subscribe_then(None))
    sup, time, seen = build(connector)
    events: list[StreamEvent] = []
    sup.add_event_listener(events.append)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert sup.status.state is S.CONNECTED
    assert sup.status.connected_at == time.now
    assert sup.status.channel == "NightOwlGG"
    sink: SessionSink = sup
    for n in range(3):
        sink.event(make_event(EventType.CHAT, n))
    assert sup.status.event_count == 3
    assert [e.id for e in events] == ["e0", "e1", "e2"]
    await sup.disconnect()
    assert sup.status.state is S.DISCONNECTED
    assert states(seen) == [S.CONNECTING, S.CONNECTED, S.DISCONNECTED]


async def test_backoff_grows_while_sessions_drop_before_subscribing() -> None:
    connector = ScriptedConnector(*[drop() for _ in range(7)], subscribe_then(None))
    sup, time, seen = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert time.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
    attempts = [s.attempt for s in seen if s.retry_at is not None]
    assert attempts == [1, 2, 3, 4, 5, 6, 7]
    assert sup.status.state is S.CONNECTED and sup.status.attempt == 0
    await sup.disconnect()


async def test_backoff_resets_only_after_subscription() -> None:
    connector = ScriptedConnector(
        drop(),
        drop(),
        subscribe_then(Ending(EndingKind.BACKOFF, "lost")),
        drop(),
        subscribe_then(None),
    )
    sup, time, _ = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert time.sleeps == [1.0, 2.0, 1.0, 2.0]
    await sup.disconnect()


async def test_reconnect_now_after_a_healthy_session_but_backoff_when_unhealthy() -> None:
    restart = Ending(EndingKind.RECONNECT_NOW, "server closed 4200")
    connector = ScriptedConnector(
        subscribe_then(restart), drop(EndingKind.RECONNECT_NOW), subscribe_then(None)
    )
    sup, time, seen = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert time.sleeps == [1.0]  # the first retry was immediate, the second backed off
    reasons = [s.reason for s in seen if s.state is S.RECONNECTING]
    assert "server closed 4200" in reasons
    await sup.disconnect()


async def test_fatal_close_is_error_without_retry() -> None:
    connector = ScriptedConnector(drop(EndingKind.FATAL, "server closed 4009 (unauthorized)"))
    sup, time, _ = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await sup.wait_stopped()
    assert sup.status.state is S.ERROR
    assert sup.status.reason == "server closed 4009 (unauthorized)"
    assert connector.sessions == 1 and time.sleeps == []


async def test_unknown_key_rediscovers_once_then_error() -> None:
    stale = drop(EndingKind.STALE_ENDPOINT, "server closed 4001 (unknown app key)")
    connector = ScriptedConnector(stale, stale, stale)
    sup, time, _ = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await sup.wait_stopped()
    assert connector.fresh_flags == [False, True]
    assert sup.status.state is S.ERROR and "4001" in sup.status.reason
    assert time.sleeps == []


async def test_rediscovered_key_that_works_keeps_connected() -> None:
    stale = drop(EndingKind.STALE_ENDPOINT, "server closed 4001")
    connector = ScriptedConnector(stale, subscribe_then(None))
    sup, _, _ = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert sup.status.state is S.CONNECTED
    await sup.disconnect()


@pytest.mark.parametrize("retryable", [False, True])
async def test_resolve_errors(retryable: bool) -> None:
    resolver = FakeResolver(
        error=ResolveError("Kick has no channel named 'nobody'", retryable=retryable)
    )
    connector = ScriptedConnector(subscribe_then(None))
    sup, time, _ = build(connector, resolver)
    sup.connect(ConnectRequest("nobody"))
    if retryable:
        resolver.failures_left = 3
        await connector.started.wait()
        assert sup.status.state is S.CONNECTED
        assert resolver.resolves == 4 and time.sleeps == [1.0, 2.0, 4.0]
        await sup.disconnect()
    else:
        await sup.wait_stopped()
        assert sup.status.state is S.ERROR
        assert sup.status.reason == "Kick has no channel named 'nobody'"
        assert connector.sessions == 0


async def test_reconnects_reuse_the_resolved_ids() -> None:
    resolver = FakeResolver()
    connector = ScriptedConnector(drop(), drop(), subscribe_then(None))
    sup, _, _ = build(connector, resolver)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert resolver.resolves == 1
    await sup.disconnect()


async def test_live_from_lookup_and_events() -> None:
    resolver = FakeResolver(target=ChannelTarget("x", 1, 2, "X", is_live=True))
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, seen = build(connector, resolver)
    sup.connect(ConnectRequest("x"))
    await connector.started.wait()
    assert sup.status.state is S.LIVE and sup.status.is_live
    sup.event(make_event(EventType.LIVE_END))
    assert sup.status.state is S.CONNECTED
    sup.event(make_event(EventType.LIVE_START, 1))
    assert sup.status.state is S.LIVE
    assert sup.status.event_count == 2  # live start/end count as events
    await sup.disconnect()
    assert states(seen) == [S.CONNECTING, S.LIVE, S.CONNECTED, S.LIVE, S.DISCONNECTED]


async def test_cached_ids_refresh_live_status_in_background() -> None:
    resolver = FakeResolver(
        target=ChannelTarget("x", 1, 2, "X", is_live=None),
        lookup_result=ChannelTarget("x", 1, 2, "X!", is_live=True),
    )
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, _ = build(connector, resolver)
    sup.connect(ConnectRequest("x"))
    await connector.started.wait()
    await until(sup, lambda: sup.status.state is S.LIVE)
    assert resolver.lookups == ["x"]
    assert sup.status.display_name == "X!"
    await sup.disconnect()


async def test_count_resets_on_each_new_connection() -> None:
    def chat_then_drop(sink: SessionSink) -> Ending:
        sink.subscribed()
        for n in range(5):
            sink.event(make_event(EventType.CHAT, n))
        return Ending(EndingKind.BACKOFF, "lost")

    connector = ScriptedConnector(chat_then_drop, subscribe_then(None))
    sup, _, seen = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert any(s.event_count == 5 for s in seen)
    assert sup.status.event_count == 0
    await sup.disconnect()


async def test_disconnect_during_backoff_wait_never_reconnects() -> None:
    connector = ScriptedConnector(drop())
    never = asyncio.Event()
    sleeping = asyncio.Event()

    async def slow_sleep(delay: float) -> None:
        sleeping.set()
        await never.wait()

    sup = Supervisor(FakeResolver(), connector, sleep=slow_sleep)
    sup.connect(ConnectRequest("nightowlgg"))
    await sleeping.wait()
    assert sup.status.state is S.RECONNECTING and sup.status.retry_at is not None
    await sup.disconnect()
    assert sup.status.state is S.DISCONNECTED
    for _ in range(10):
        await asyncio.sleep(0)
    assert connector.sessions == 1


async def test_retry_now_cuts_the_wait_short() -> None:
    connector = ScriptedConnector(drop(), subscribe_then(None))
    never = asyncio.Event()
    sleeping = asyncio.Event()

    async def slow_sleep(delay: float) -> None:
        sleeping.set()
        await never.wait()

    sup = Supervisor(FakeResolver(), connector, sleep=slow_sleep)
    sup.connect(ConnectRequest("nightowlgg"))
    await sleeping.wait()
    sup.retry_now()
    await connector.started.wait()
    assert sup.status.state is S.CONNECTED
    await sup.disconnect()


async def test_disconnect_while_connected_cancels_the_session() -> None:
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, _ = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    await sup.disconnect()
    assert connector.open_session is not None and connector.open_session.cancelled()
    assert connector.sessions == 1


async def test_reconnect_from_error() -> None:
    connector = ScriptedConnector(drop(EndingKind.FATAL, "bad"), subscribe_then(None))
    sup, _, seen = build(connector)
    sup.connect(ConnectRequest("nightowlgg"))
    await sup.wait_stopped()
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert states(seen) == [S.CONNECTING, S.ERROR, S.CONNECTING, S.CONNECTED]
    await sup.disconnect()


def test_backoff_schedule_over_many_jitter_draws() -> None:
    import random

    rng = random.Random(7)
    draws: list[float] = []

    def source() -> float:
        draws.append(rng.random())
        return draws[-1]

    backoff = Backoff(random_source=source)
    for _cycle in range(200):
        delays = [backoff.next_delay() for _ in range(8)]
        expected = [*BASE_DELAYS, 16.0, 16.0, 16.0]
        for delay, base, jitter in zip(delays, expected, draws[-8:], strict=True):
            assert base <= delay < base + 1.0
            assert delay == pytest.approx(base + jitter)
        backoff.reset()
    assert min(draws) < 0.05 and max(draws) > 0.95  # the jitter really spans 0-1 s


def test_transition_table() -> None:
    for old in ConnectionState:
        for new in ConnectionState:
            if new in TRANSITIONS[old]:
                check_transition(old, new)
            else:
                with pytest.raises(IllegalTransition):
                    check_transition(old, new)
    assert all(S.DISCONNECTED in TRANSITIONS[s] for s in ConnectionState if s is not S.DISCONNECTED)
    with pytest.raises(IllegalTransition):
        check_transition(S.DISCONNECTED, S.LIVE)


async def test_disconnect_is_shown_at_once_even_if_the_socket_closes_slowly() -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    class SlowClose:
        async def run_session(
            self, target: ChannelTarget, sink: SessionSink, *, fresh_endpoint: bool
        ) -> Ending:
            sink.subscribed()
            entered.set()
            try:
                await asyncio.get_running_loop().create_future()
            finally:
                await release.wait()  # a close handshake with a dead peer
            raise AssertionError("unreachable")

    sup = Supervisor(FakeResolver(), SlowClose())
    sup.connect(ConnectRequest("nightowlgg"))
    await entered.wait()
    disconnecting = asyncio.ensure_future(sup.disconnect())
    await asyncio.sleep(0)  # one loop turn: disconnect() runs up to awaiting the session
    assert sup.status.state is S.DISCONNECTED
    assert not disconnecting.done()
    release.set()
    await disconnecting


# --- the remembered channel, shown before any Connect -------------------------------------------


async def test_remembered_channel_is_the_disconnected_status_until_connect() -> None:
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, seen = build(connector)
    sup.remember_channel("nightowlgg", "NightOwlGG")
    assert sup.status == Status(S.DISCONNECTED, slug="nightowlgg", display_name="NightOwlGG")
    assert seen == [sup.status]  # published, so a view shows it before any Connect
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    # the cached name stays up while connecting (no flicker back to the slug)
    assert [s.display_name for s in seen if s.state is S.CONNECTING] == ["NightOwlGG"]
    sup.remember_channel("someone_else")  # too late: a connection is under way
    assert sup.status.slug == "nightowlgg" and sup.status.state is S.CONNECTED
    await sup.disconnect()
    # after a Disconnect the channel stays, so it can be connected to again
    assert sup.status == Status(S.DISCONNECTED, slug="nightowlgg", display_name="NightOwlGG")


async def test_connecting_to_another_channel_drops_the_remembered_name() -> None:
    other = ChannelTarget("pixel_mage", chatroom_id=1, channel_id=2, display_name="Pixel_Mage")
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, seen = build(connector, FakeResolver(target=other))
    sup.remember_channel("nightowlgg", "NightOwlGG")
    sup.connect(ConnectRequest("pixel_mage"))
    await connector.started.wait()
    connecting = [s for s in seen if s.state is S.CONNECTING]
    assert connecting[0].slug == "pixel_mage" and connecting[0].display_name == ""
    assert sup.status.channel == "Pixel_Mage"
    await sup.disconnect()


# --- what the log says: one line per state change and per attempt, nothing said twice ----------


NO_DNS = Ending(
    EndingKind.BACKOFF,
    "Can't reach Kick — check your internet connection",
    "[Errno -2] Name or service not known",
)
NO_DNS_TEXT = f"{NO_DNS.reason} ({NO_DNS.detail})"
# Looked up, so the live status is known: no background lookup logs a line of its own.
LOOKED_UP = dataclasses.replace(TARGET, is_live=False)


def supervisor_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "app.core.supervisor"]


async def test_every_reconnect_attempt_is_logged_with_its_number_delay_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    lost = drop(NO_DNS.kind, NO_DNS.reason)
    connector = ScriptedConnector(
        lambda sink: NO_DNS, lambda sink: NO_DNS, lost, subscribe_then(None)
    )
    sup, time, _ = build(connector, FakeResolver(target=LOOKED_UP), jitter=0.5)
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    assert time.sleeps == [1.5, 2.5, 4.5]
    assert supervisor_lines(caplog) == [
        (logging.INFO, "disconnected -> connecting"),
        (logging.INFO, f"connecting -> reconnecting, attempt 1 in 1.5 s: {NO_DNS_TEXT}"),
        (logging.INFO, f"reconnecting, attempt 2 in 2.5 s: {NO_DNS_TEXT}"),
        (logging.INFO, f"reconnecting, attempt 3 in 4.5 s: {NO_DNS.reason}"),  # no detail
        (logging.INFO, "reconnecting -> connected"),
    ]
    await sup.disconnect()
    assert supervisor_lines(caplog)[-1] == (logging.INFO, "connected -> disconnected")


async def test_an_immediate_reconnect_is_logged_as_now(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    restart = Ending(
        EndingKind.RECONNECT_NOW,
        "Kick's chat server asked us to reconnect",
        "server closed 4200 (server restarting)",
    )
    connector = ScriptedConnector(subscribe_then(restart), subscribe_then(None))
    sup, time, _ = build(connector, FakeResolver(target=LOOKED_UP))
    sup.connect(ConnectRequest("nightowlgg"))
    await until(sup, lambda: connector.sessions == 2 and sup.status.state is S.CONNECTED)
    assert time.sleeps == []
    assert supervisor_lines(caplog)[2:] == [
        (
            logging.INFO,
            "connected -> reconnecting, attempt 1 now: Kick's chat server asked us to reconnect "
            "(server closed 4200 (server restarting))",
        ),
        (logging.INFO, "reconnecting -> connected"),
    ]
    await sup.disconnect()


@pytest.mark.parametrize("how", ["fatal ending", "lookup error"])
async def test_giving_up_is_one_warning(caplog: pytest.LogCaptureFixture, how: str) -> None:
    caplog.set_level(logging.DEBUG)
    reason, detail = "The proxy setting can't be used — correct it", "socks5://x isn't valid"
    if how == "fatal ending":
        connector = ScriptedConnector(lambda sink: Ending(EndingKind.FATAL, reason, detail))
        resolver = FakeResolver(target=LOOKED_UP)
    else:
        connector = ScriptedConnector()
        resolver = FakeResolver(error=ResolveError(reason, retryable=False, detail=detail))
    sup, _, _ = build(connector, resolver)
    sup.connect(ConnectRequest("nightowlgg"))
    await sup.wait_stopped()
    assert (sup.status.state, sup.status.reason, sup.status.detail) == (S.ERROR, reason, detail)
    assert supervisor_lines(caplog) == [
        (logging.INFO, "disconnected -> connecting"),
        (logging.WARNING, f"connecting -> error: {reason} ({detail})"),
    ]
    assert [r for r in caplog.records if reason in r.getMessage()] == [caplog.records[-1]]


async def test_a_retryable_lookup_failure_keeps_its_detail() -> None:
    error = ResolveError("Can't reach Kick — check your internet connection", retryable=True,
                         detail="[Errno -2] Name or service not known")  # fmt: skip
    connector = ScriptedConnector(subscribe_then(None))
    sup, _, seen = build(connector, FakeResolver(error=error, failures_left=1))
    sup.connect(ConnectRequest("nightowlgg"))
    await connector.started.wait()
    [waiting] = [s for s in seen if s.state is S.RECONNECTING and s.retry_at is not None]
    assert (waiting.reason, waiting.detail) == (str(error), error.detail)
    assert waiting.full_reason == f"{error} ({error.detail})"
    assert (sup.status.reason, sup.status.detail) == ("", "")  # connected: nothing to explain
    await sup.disconnect()
