"""The silent-socket watchdog on real sockets, both protocols: while Live and keep-alives flow,
no channel event for the limit -> resubscribe on the same socket; still nothing -> reconnect.
(The rule itself, offline channels and events that reset it included, is tested with plain
numbers for time in test_centrifugo.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.events import StreamEvent
from app.core.supervisor import Ending, EndingKind
from app.core.watchdog import SILENT_REASON
from app.kick.normalize import Normalizer
from app.kick.pusher_connector import PusherConnector
from app.kick.realtime import CentrifugoConnector
from app.kick.websocket_connect import Timeouts
from tests.centrifugo_server import CentrifugoConn, ScriptedCentrifugoServer
from tests.kick_payloads import CHAT_CHANNEL, CHAT_EVENT, chat_data
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import TARGET

LIMIT = 0.3  # seconds of silence while live (ten minutes in the app)


class LiveSink:
    def __init__(self, live: bool = True) -> None:
        self.live = live
        self.events: list[StreamEvent] = []
        self.subscribed_count = 0
        self.changed = asyncio.Event()

    def subscribed(self) -> None:
        self.subscribed_count += 1
        self.changed.set()

    def event(self, event: StreamEvent) -> None:
        self.events.append(event)
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


def normalizer(target: object) -> Callable[..., StreamEvent | None]:
    return Normalizer("nightowlgg").normalize


async def test_pusher_resubscribes_on_the_same_socket_then_reconnects() -> None:
    resubscribed: list[str] = []

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        subscribed_again = 0
        while len(resubscribed) < 5 or subscribed_again < 5:
            frame = await conn.next_frame()
            if frame["event"] == "pusher:unsubscribe":
                resubscribed.append(frame["data"]["channel"])
            elif frame["event"] == "pusher:subscribe":
                subscribed_again += 1
                channel = frame["data"]["channel"]
                await conn.send("pusher_internal:subscription_succeeded", "{}", channel)
        await conn.hold()  # and still no event

    async with ScriptedPusherServer(script) as server:
        connector = PusherConnector(
            lambda t, fresh: _url(server.url()), normalizer, Timeouts(open=5), silence_limit=LIMIT
        )
        sink = LiveSink()
        ending = await asyncio.wait_for(
            connector.run_session(TARGET, sink, fresh_endpoint=False), 10
        )
    assert resubscribed[0] == CHAT_CHANNEL and len(resubscribed) == 5
    assert ending.kind is EndingKind.RECONNECT_NOW and ending.reason == SILENT_REASON
    assert sink.subscribed_count == 1  # the resubscription is not a new connection
    assert len(server.connections) == 1


async def test_centrifugo_resubscribes_on_the_same_socket_then_reconnects() -> None:
    resubscribed = asyncio.Event()

    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake(ping=25)
        await conn.publish(CHAT_CHANNEL, CHAT_EVENT, chat_data(1))
        await conn.expect("unsubscribe")
        await conn.confirm_subscriptions()  # subscribed again, then silence
        resubscribed.set()
        await conn.hold()

    async def token() -> str:
        return "T"

    async with ScriptedCentrifugoServer(script) as server:
        connector = CentrifugoConnector(normalizer, Timeouts(open=5), silence_limit=LIMIT)
        sink = LiveSink()
        ending: Ending = await asyncio.wait_for(connector.run(server.url, token, TARGET, sink), 10)
        assert resubscribed.is_set()
        assert ending.kind is EndingKind.RECONNECT_NOW and ending.reason == SILENT_REASON
        assert sink.subscribed_count == 1 and len(sink.events) == 1


async def _url(url: str) -> str:
    return url
