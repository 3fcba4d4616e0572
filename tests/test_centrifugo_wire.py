"""Kick's Centrifugo path on real sockets: a fake negotiation and token endpoint (HTTP on
127.0.0.1), a scripted Centrifugo server, the realtime connector and the supervisor."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.core.backoff import Backoff
from app.core.state import ConnectionState
from app.core.supervisor import ConnectRequest, Supervisor
from app.kick import centrifugo_endings
from app.kick.api import KickApi
from app.kick.centrifugo_session import SessionTimeouts
from app.kick.normalize import Normalizer
from app.kick.realtime import CENTRIFUGO, KNOWN_CENTRIFUGO_URL, PUSHER, RealtimeConnector
from app.kick.websocket_connect import Timeouts
from tests.centrifugo_server import CentrifugoConn, ScriptedCentrifugoServer, publication
from tests.fake_kick_api import CLOUDFLARE_PAGE, FakeKickApi
from tests.kick_payloads import CHAT_CHANNEL, CHAT_EVENT, chat_data
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import TARGET, InstantTime, Recorder, Resolver, send_chat

S = ConnectionState
KICK_ORIGIN = "https://kick.com"


@pytest.fixture
def kick_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKickApi]:
    monkeypatch.delenv("VMSC_KICK_CENTRIFUGO_URL", raising=False)
    monkeypatch.delenv("VMSC_KICK_PUSHER_URL", raising=False)
    fake = FakeKickApi()
    with fake.running():
        yield fake


def build(
    fake: FakeKickApi,
    *,
    pusher_url: str | None = None,
    provider: str = "auto",
    session_timeouts: SessionTimeouts | None = None,
) -> tuple[Supervisor, Recorder, InstantTime, RealtimeConnector]:
    api = KickApi(api_url=fake.url, realtime_url=fake.url, pusher_url=pusher_url, timeout=5)
    connector = RealtimeConnector(
        api,
        lambda t: Normalizer(t.slug).normalize,
        Timeouts(open=5.0),
        provider=provider,
        session_timeouts=session_timeouts,
    )
    time = InstantTime()
    sup = Supervisor(
        Resolver(), connector, backoff=Backoff(random_source=lambda: 0.5), sleep=time.sleep
    )
    return sup, Recorder(sup), time, connector


def pub(n: int) -> dict[str, object]:
    return publication(CHAT_CHANNEL, CHAT_EVENT, chat_data(n))


async def test_centrifugo_only_negotiation_connects_with_the_token_and_delivers_batched_events(
    kick_api: FakeKickApi,
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake()
        await conn.send(pub(1), pub(2), pub(3))  # three frames in one WebSocket message
        await conn.hold()

    async with ScriptedCentrifugoServer(script, require_origin=KICK_ORIGIN) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, _, connector = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 3)
        assert [e.id for e in rec.events] == ["msg-1", "msg-2", "msg-3"]
        assert sup.status.state is S.CONNECTED and sup.status.provider == CENTRIFUGO
        assert sup.status.last_event_at is not None
        conn = server.connections[0]
        assert conn.origin == KICK_ORIGIN
        [asked] = kick_api.negotiation_bodies
        assert asked["capabilities"]["accepted_providers"] == [
            {"provider": "pusher"},
            {"provider": "centrifugo"},
        ]
        client_id = asked["client"]["id"]
        assert kick_api.token_requests == [{"client_id": client_id}]
        assert conn.received[0]["connect"] == {"token": kick_api.tokens_issued[0], "name": "js"}
        assert connector.hint == CENTRIFUGO
        await sup.disconnect()
        assert sup.status.state is S.DISCONNECTED


async def test_server_pings_are_answered_with_pongs(kick_api: FakeKickApi) -> None:
    pongs = asyncio.Event()

    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake(ping=25, pong=True)
        for _ in range(3):
            await conn.send_raw("{}")
            assert await conn.next_command() == {}
        pongs.set()
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, _, _, _ = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await asyncio.wait_for(pongs.wait(), 10)
        await sup.disconnect()


async def test_a_frozen_server_is_dropped_within_ping_and_pong_window_then_reconnected(
    kick_api: FakeKickApi,
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        if len(conn.server.connections) == 1:
            await conn.handshake(ping=0.2)  # then silence: no pings, nothing
        else:
            await conn.handshake(ping=25)
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, _, _ = build(kick_api, session_timeouts=SessionTimeouts(pong_window=0.2))
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: rec.saw(S.RECONNECTING), timeout=5)
        frozen = next(s for s in rec.statuses if s.state is S.RECONNECTING)
        assert frozen.reason == centrifugo_endings.WENT_SILENT
        assert "0.4 s" in frozen.detail
        await server.wait_connections(2)
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        await sup.disconnect()


async def test_a_short_ttl_token_is_refreshed_with_a_fresh_token_on_the_same_socket(
    kick_api: FakeKickApi,
) -> None:
    refreshed = asyncio.Event()
    refresh_tokens: list[str] = []

    async def script(conn: CentrifugoConn) -> None:
        await conn.accept_connect(ttl=2)  # less than the refresh margin: refresh at once
        await conn.confirm_subscriptions()
        command = await conn.expect("refresh")
        refresh_tokens.append(command["refresh"]["token"])
        await conn.send({"id": command["id"], "refresh": {"expires": True, "ttl": 3600}})
        refreshed.set()
        await conn.publish(CHAT_CHANNEL, CHAT_EVENT, chat_data(1))
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, _, _ = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await asyncio.wait_for(refreshed.wait(), 10)
        await rec.until(lambda: len(rec.events) == 1)
        assert len(kick_api.tokens_issued) == 2
        assert refresh_tokens == [kick_api.tokens_issued[1]]
        assert len(server.connections) == 1  # the same socket
        await sup.disconnect()


async def test_error_109_gets_a_new_token_and_reconnects_at_once(kick_api: FakeKickApi) -> None:
    async def script(conn: CentrifugoConn) -> None:
        command = await conn.expect("connect")
        if len(conn.server.connections) == 1:
            await conn.send({"id": command["id"], "error": {"code": 109, "message": "expired"}})
        else:
            reply = {"client": "c2", "ping": 25, "pong": True}
            await conn.send({"id": command["id"], "connect": reply})
            await conn.confirm_subscriptions()
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, time, _ = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        tokens = [c.received[0]["connect"]["token"] for c in server.connections]
        assert tokens == kick_api.tokens_issued[:2] and tokens[0] != tokens[1]
        assert time.sleeps == []  # no backoff wait
        reconnecting = next(s for s in rec.statuses if s.state is S.RECONNECTING)
        assert reconnecting.reason == centrifugo_endings.TOKEN_EXPIRED
        await sup.disconnect()


async def test_disconnect_3000_range_reconnects_3500_range_stops_after_one_fresh_try(
    kick_api: FakeKickApi,
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake()
        number = len(conn.server.connections)
        if number == 1:
            await conn.disconnect(3001, "shutdown")
        elif number in (2, 3):
            await conn.disconnect(3503, "force disconnect")
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, time, _ = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.ERROR)
        assert len(server.connections) == 3
        assert time.sleeps == []  # 3001: at once; 3503: one fresh try at once, then Error
        first = next(s for s in rec.statuses if s.state is S.RECONNECTING)
        assert first.detail == "server closed 3001 (shutdown)"
        assert sup.status.detail == "server closed 3503 (force disconnect)"
        assert (first.close_code, sup.status.close_code) == (3001, 3503)  # as data, too
        # each fresh try after a final close is a new client: a new id, a new token
        ids = [body["client"]["id"] for body in kick_api.negotiation_bodies]
        assert ids[0] == ids[1] and ids[2] != ids[1]


async def test_garbage_frames_are_skipped_and_the_connection_stays(
    kick_api: FakeKickApi, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake()
        await conn.send_raw("\x00garbage\n" + json.dumps(pub(1)))
        await conn.send_raw('{"push": 5}')
        await conn.send(pub(2))
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, _, _ = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 2)
        assert [e.id for e in rec.events] == ["msg-1", "msg-2"]
        assert sup.status.state is S.CONNECTED
        assert sum("malformed Centrifugo frame" in r.message for r in caplog.records) == 2
        await sup.disconnect()


async def test_the_origin_check_refuses_a_client_without_kicks_origin() -> None:
    async with ScriptedCentrifugoServer(require_origin=KICK_ORIGIN) as server:
        with pytest.raises(InvalidStatus):
            async with connect(server.url):
                pass
        assert server.refused_origins == [None]
        async with connect(server.url, origin=KICK_ORIGIN):  # type: ignore[arg-type]
            pass
        assert len(server.connections) == 1


# -- negotiation outcomes ------------------------------------------------------------------------


async def pusher_script(conn: PusherConn) -> None:
    await conn.handshake()
    await send_chat(conn, 1)
    await conn.hold()


async def test_pusher_only_negotiation_connects_through_pusher(kick_api: FakeKickApi) -> None:
    async with ScriptedPusherServer(pusher_script) as pusher_server:
        kick_api.negotiate_as(pusher=("testkey", "us2"))
        sup, rec, _, _ = build(kick_api, pusher_url=pusher_server.url())
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1)
        assert sup.status.provider == PUSHER and rec.events[0].id == "msg-1"
        assert pusher_server.connections[0].ws.request.headers["Origin"] == KICK_ORIGIN
        await sup.disconnect()


async def test_both_offered_picks_centrifugo_unless_the_setting_says_pusher(
    kick_api: FakeKickApi,
) -> None:
    async with (
        ScriptedPusherServer(pusher_script) as pusher_server,
        ScriptedCentrifugoServer() as server,
    ):
        kick_api.negotiate_as(centrifugo_url=server.url, pusher=("testkey", "us2"))
        sup, rec, _, _ = build(kick_api, pusher_url=pusher_server.url())
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: sup.status.state is S.CONNECTED)
        assert sup.status.provider == CENTRIFUGO and len(server.connections) == 1
        await sup.disconnect()

        sup, rec, _, _ = build(kick_api, pusher_url=pusher_server.url(), provider="pusher")
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1)
        assert sup.status.provider == PUSHER and len(server.connections) == 1
        await sup.disconnect()


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        ((500, b'{"error":"oops"}', "application/json"), "HTTP 500"),
        ((200, b"{not json", "application/json"), "not JSON"),
        ((403, CLOUDFLARE_PAGE, "text/html"), "blocked by Cloudflare (HTTP 403)"),
    ],
    ids=["500", "garbage", "cloudflare-403"],
)
async def test_a_failed_negotiation_falls_back_to_pusher_and_says_why_in_the_log(
    kick_api: FakeKickApi,
    caplog: pytest.LogCaptureFixture,
    answer: tuple[int, bytes, str],
    logged: str,
) -> None:
    caplog.set_level(logging.INFO, "app.kick.realtime")
    kick_api.negotiation = answer
    async with ScriptedPusherServer(pusher_script) as pusher_server:
        sup, rec, _, _ = build(kick_api, pusher_url=pusher_server.url())
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1)
        assert sup.status.provider == PUSHER
        assert any(f"realtime negotiation failed: {logged}" in r.message for r in caplog.records)
        await sup.disconnect()


async def test_without_any_usable_offer_the_known_pusher_key_is_the_fallback(
    kick_api: FakeKickApi,
) -> None:
    kick_api.negotiation = (500, b"", "text/plain")
    _, _, _, connector = build(kick_api)
    assert await connector._choose(TARGET) == (
        PUSHER,
        "wss://ws-us2.pusher.com/app/32cbd69e4b950bf97679?protocol=7&client=js&version=8.4.0&flash=false",
    )
    # Centrifugo chosen by hand, none offered: Kick's known Centrifugo address
    _, _, _, connector = build(kick_api, provider="centrifugo")
    assert await connector._choose(TARGET) == (CENTRIFUGO, KNOWN_CENTRIFUGO_URL)


async def test_after_centrifugo_delivered_a_failed_negotiation_goes_back_to_centrifugo(
    kick_api: FakeKickApi,
) -> None:
    async def script(conn: CentrifugoConn) -> None:
        await conn.handshake()
        await conn.send(pub(len(conn.server.connections)))
        if len(conn.server.connections) == 1:
            await conn.disconnect(3001, "shutdown")
        await conn.hold()

    async with ScriptedCentrifugoServer(script) as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        sup, rec, _, connector = build(kick_api)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1)
        kick_api.negotiation = (500, b"", "text/plain")  # Kick's negotiation breaks meanwhile
        await rec.until(lambda: len(rec.events) == 2)
        assert connector.hint == CENTRIFUGO and len(server.connections) == 2
        assert sup.status.provider == CENTRIFUGO
        await sup.disconnect()


async def test_a_failed_token_request_is_a_clear_retryable_reason(kick_api: FakeKickApi) -> None:
    async with ScriptedCentrifugoServer() as server:
        kick_api.negotiate_as(centrifugo_url=server.url)
        api = KickApi(api_url=kick_api.url, realtime_url=kick_api.url + "/broken", timeout=5)
        api._realtime_url = kick_api.url  # negotiation works ...

        async def broken_token(client_id: str) -> str:  # ... the token endpoint does not
            from app.kick.realtime_negotiation import TokenFailed

            raise TokenFailed("Kick's website is having problems — it usually passes", "HTTP 502")

        api.fetch_token = broken_token  # type: ignore[method-assign]
        connector = RealtimeConnector(api, lambda t: Normalizer(t.slug).normalize)
        time = InstantTime()
        sup = Supervisor(Resolver(), connector, sleep=time.sleep)
        rec = Recorder(sup)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: rec.saw(S.RECONNECTING))
        status = next(s for s in rec.statuses if s.state is S.RECONNECTING)
        assert status.reason.startswith("Kick's website is having problems")
        assert status.detail == "HTTP 502"
        assert server.connections == []
        await sup.disconnect()
