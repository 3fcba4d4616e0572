"""The scripted Centrifugo server checked against the official client, centrifuge-python: the
server is then not only our own reading of the protocol."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from centrifuge import (
    Client,
    ClientEventHandler,
    ClientState,
    ConnectedContext,
    DisconnectedContext,
    PublicationContext,
    SubscriptionEventHandler,
)

from tests.centrifugo_server import CentrifugoConn, ScriptedCentrifugoServer
from tests.kick_payloads import CHAT_CHANNEL, CHAT_EVENT, chat_data

KICK_ORIGIN = "https://kick.com"


async def test_the_official_client_connects_subscribes_pongs_receives_and_obeys_3500_codes() -> (
    None
):
    pong_seen = asyncio.Event()

    async def script(conn: CentrifugoConn) -> None:
        connect = await conn.accept_connect(ping=25, pong=True)
        assert connect["connect"]["token"] == "T1"
        await conn.confirm_subscriptions(1)
        # two publications batched in one message, then a ping
        await conn.send(
            {
                "push": {
                    "channel": CHAT_CHANNEL,
                    "pub": {"data": {"event": CHAT_EVENT, "data": chat_data(1)}},
                }
            },
            {
                "push": {
                    "channel": CHAT_CHANNEL,
                    "pub": {"data": {"event": CHAT_EVENT, "data": chat_data(2)}},
                }
            },
        )
        await conn.send_raw("{}")
        assert await conn.next_command() == {}  # the official client's pong
        pong_seen.set()
        await conn.disconnect(3501, "bad request")  # "do not reconnect"
        await conn.hold()

    publications: list[Any] = []
    got_two = asyncio.Event()
    disconnected: list[DisconnectedContext] = []
    gone = asyncio.Event()
    connected: list[ConnectedContext] = []

    class Events(ClientEventHandler):
        async def on_connected(self, ctx: ConnectedContext) -> None:
            connected.append(ctx)

        async def on_disconnected(self, ctx: DisconnectedContext) -> None:
            disconnected.append(ctx)
            gone.set()

    class SubEvents(SubscriptionEventHandler):
        async def on_publication(self, ctx: PublicationContext) -> None:
            publications.append(ctx.pub.data)
            if len(publications) == 2:
                got_two.set()

    async with ScriptedCentrifugoServer(script, require_origin=KICK_ORIGIN) as server:
        client = Client(server.url, events=Events(), token="T1", headers={"Origin": KICK_ORIGIN})
        subscription = client.new_subscription(CHAT_CHANNEL, events=SubEvents())
        await client.connect()
        await subscription.subscribe()
        await asyncio.wait_for(got_two.wait(), 10)
        await asyncio.wait_for(pong_seen.wait(), 10)
        await asyncio.wait_for(gone.wait(), 10)
        assert [p["event"] for p in publications] == [CHAT_EVENT, CHAT_EVENT]
        assert [json.loads(p["data"])["id"] for p in publications] == ["msg-1", "msg-2"]
        assert connected and connected[0].client == "6b2f1e4c-client"
        assert disconnected[0].code == 3501
        # 3500-3999: the official client stays disconnected (3000-3499 would be CONNECTING)
        assert client.state is ClientState.DISCONNECTED
        assert len(server.connections) == 1
        await client.disconnect()
