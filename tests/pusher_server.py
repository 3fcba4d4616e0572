"""A scripted Pusher protocol 7 server on 127.0.0.1 for fault cases the real servers won't produce.

Each accepted connection runs `script(conn)`; the default script is a well-behaved server. The
connection helper records everything the client sent, so tests can wait on conditions.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

Script = Callable[["PusherConn"], Awaitable[None]]


class PusherConn:
    def __init__(self, ws: ServerConnection, server: ScriptedPusherServer) -> None:
        self.ws = ws
        self.server = server
        self.received: list[dict[str, Any]] = []
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.path = ws.request.path if ws.request is not None else ""

    async def establish(self, activity_timeout: int | None = 120) -> None:
        data: dict[str, Any] = {"socket_id": "683192.4521907"}
        if activity_timeout is not None:
            data["activity_timeout"] = activity_timeout
        await self.send("pusher:connection_established", json.dumps(data))

    async def send(self, event: str, data: Any = None, channel: str | None = None) -> None:
        frame: dict[str, Any] = {"event": event}
        if data is not None:
            frame["data"] = data
        if channel is not None:
            frame["channel"] = channel
        await self.ws.send(json.dumps(frame))

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def next_frame(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._inbox.get(), timeout)

    async def confirm_subscriptions(self, count: int = 5) -> list[str]:
        """Answer the client's subscribe frames; return the channel names in the order sent."""
        channels = []
        while len(channels) < count:
            frame = await self.next_frame()
            if frame.get("event") == "pusher:subscribe":
                channel = frame["data"]["channel"]
                channels.append(channel)
                await self.send("pusher_internal:subscription_succeeded", "{}", channel)
        return channels

    async def handshake(self, activity_timeout: int | None = 120) -> list[str]:
        await self.establish(activity_timeout)
        return await self.confirm_subscriptions()

    async def close(self, code: int, reason: str = "") -> None:
        await self.ws.close(code, reason)

    def abort(self) -> None:
        """Drop the TCP connection with no close frame, like a network loss."""
        self.ws.transport.abort()

    async def hold(self) -> None:
        """Keep the connection open until the client goes away."""
        await self.ws.wait_closed()

    async def _pump(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.received.append(frame)
                self._inbox.put_nowait(frame)
                self.server.frame_seen.set()
        except ConnectionClosed:
            pass


async def well_behaved(conn: PusherConn) -> None:
    await conn.handshake()
    await conn.hold()


class ScriptedPusherServer:
    def __init__(self, script: Script = well_behaved, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.connections: list[PusherConn] = []
        self.connected = asyncio.Event()
        self.frame_seen = asyncio.Event()
        self._server: Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, key: str = "testkey") -> str:
        scheme = "wss" if self.tls is not None else "ws"
        return (
            f"{scheme}://127.0.0.1:{self.port}/app/{key}"
            "?protocol=7&client=js&version=8.4.0&flash=false"
        )

    async def __aenter__(self) -> ScriptedPusherServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, max_size=None, ping_interval=None, ssl=self.tls
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def wait_connections(self, count: int, timeout: float = 10.0) -> PusherConn:
        async with asyncio.timeout(timeout):
            while len(self.connections) < count:
                self.connected.clear()
                await self.connected.wait()
        return self.connections[count - 1]

    async def _handle(self, ws: ServerConnection) -> None:
        conn = PusherConn(ws, self)
        self.connections.append(conn)
        self.connected.set()
        pump = asyncio.create_task(conn._pump())
        try:
            await self.script(conn)
        except ConnectionClosed:
            pass
        finally:
            pump.cancel()
