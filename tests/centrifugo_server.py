"""A scripted Centrifugo server (JSON client protocol) on 127.0.0.1, for Kick's Centrifugo path.

Each accepted connection runs `script(conn)`; the default script is a well-behaved server. The
connection records every command the client sent (one per `\\n`-separated line; a pong is `{}`)
so tests wait on conditions. `require_origin` refuses an upgrade without that Origin (HTTP 403),
as Kick's server is said to. A test checks this server against the official centrifuge-python
client, so it is not only our own reading of the protocol.
"""

from __future__ import annotations

import asyncio
import http
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

Script = Callable[["CentrifugoConn"], Awaitable[None]]
PATH = "/connection/websocket"


def publication(channel: str, event: str, data: str) -> dict[str, Any]:
    """A push carrying one Kick event, as Kick's Centrifugo sends it."""
    return {"push": {"channel": channel, "pub": {"data": {"event": event, "data": data}}}}


class CentrifugoConn:
    def __init__(self, ws: ServerConnection, server: ScriptedCentrifugoServer) -> None:
        self.ws = ws
        self.server = server
        self.received: list[dict[str, Any]] = []
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.origin = ws.request.headers.get("Origin") if ws.request is not None else None

    async def next_command(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._inbox.get(), timeout)

    async def expect(self, method: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next command with `method` (connect, subscribe, refresh...); others skipped."""
        while True:
            command = await self.next_command(timeout)
            if method in command:
                return command

    async def send(self, *frames: dict[str, Any]) -> None:
        """Frames in one WebSocket message, separated by newlines (as Centrifugo batches)."""
        await self.ws.send("\n".join(json.dumps(frame) for frame in frames))

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def accept_connect(
        self,
        *,
        ping: float = 25,
        pong: bool = True,
        ttl: float | None = None,
        client: str = "6b2f1e4c-client",
    ) -> dict[str, Any]:
        """Answer the connect command; returns it (its token is in ["connect"]["token"])."""
        command = await self.expect("connect")
        body: dict[str, Any] = {"client": client, "version": "6.2.0", "ping": ping, "pong": pong}
        if ttl is not None:
            body.update(expires=True, ttl=ttl)
        await self.send({"id": command["id"], "connect": body})
        return command

    async def confirm_subscriptions(self, count: int = 5) -> list[str]:
        """Answer `count` subscribe commands; the channel names in the order asked."""
        channels = []
        while len(channels) < count:
            command = await self.expect("subscribe")
            channels.append(command["subscribe"]["channel"])
            await self.send({"id": command["id"], "subscribe": {}})
        return channels

    async def handshake(self, **connect: Any) -> list[str]:
        await self.accept_connect(**connect)
        return await self.confirm_subscriptions()

    async def publish(self, channel: str, event: str, data: str) -> None:
        await self.send(publication(channel, event, data))

    async def disconnect(self, code: int, reason: str) -> None:
        """A disconnect push, then the close with the same code (as Centrifugo does)."""
        await self.send({"push": {"disconnect": {"code": code, "reason": reason}}})
        await self.ws.close(code, reason)

    async def hold(self) -> None:
        await self.ws.wait_closed()

    async def _pump(self) -> None:
        try:
            async for raw in self.ws:
                text = raw if isinstance(raw, str) else raw.decode()
                for line in text.split("\n"):
                    if not line.strip():
                        continue
                    command = json.loads(line)
                    self.received.append(command)
                    self._inbox.put_nowait(command)
                self.server.command_seen.set()
        except ConnectionClosed:
            pass


async def well_behaved(conn: CentrifugoConn) -> None:
    await conn.handshake()
    await conn.hold()


class ScriptedCentrifugoServer:
    def __init__(self, script: Script = well_behaved, require_origin: str | None = None) -> None:
        self.script = script
        self.require_origin = require_origin
        self.connections: list[CentrifugoConn] = []
        self.refused_origins: list[str | None] = []
        self.connected = asyncio.Event()
        self.command_seen = asyncio.Event()
        self._server: Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{PATH}"

    async def __aenter__(self) -> ScriptedCentrifugoServer:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            max_size=None,
            ping_interval=None,
            process_request=self._check_origin,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def wait_connections(self, count: int, timeout: float = 10.0) -> CentrifugoConn:
        async with asyncio.timeout(timeout):
            while len(self.connections) < count:
                self.connected.clear()
                await self.connected.wait()
        return self.connections[count - 1]

    def _check_origin(self, connection: ServerConnection, request: Request) -> Response | None:
        origin = request.headers.get("Origin")
        if self.require_origin is not None and origin != self.require_origin:
            self.refused_origins.append(origin)
            return connection.respond(http.HTTPStatus.FORBIDDEN, "bad origin\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        conn = CentrifugoConn(ws, self)
        self.connections.append(conn)
        self.connected.set()
        pump = asyncio.create_task(conn._pump())
        try:
            await self.script(conn)
        except ConnectionClosed:
            pass
        finally:
            pump.cancel()
