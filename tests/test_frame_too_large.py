"""A frame over the 8 MiB cap ends the connection with a reason that says so (issue #17), not
only "connection lost"; the next connection goes on."""

from __future__ import annotations

from app.core.state import ConnectionState
from app.core.supervisor import ConnectRequest
from app.kick.websocket_link import MAX_FRAME_BYTES
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.test_transport import build, send_chat


async def test_a_frame_over_the_cap_is_reported_as_too_large() -> None:
    huge = "x" * (MAX_FRAME_BYTES + 1024)

    async def script(conn: PusherConn) -> None:
        await conn.handshake()
        if len(conn.server.connections) == 1:
            await send_chat(conn, 1, huge)
        else:
            await send_chat(conn, 2)
        await conn.hold()

    async with ScriptedPusherServer(script) as server:
        sup, rec, _, _ = build(server)
        sup.connect(ConnectRequest("nightowlgg"))
        await rec.until(lambda: len(rec.events) == 1, timeout=30)
        assert [e.id for e in rec.events] == ["msg-2"]
        dropped = next(s for s in rec.statuses if s.state is ConnectionState.RECONNECTING)
        assert dropped.reason == "Kick's chat server sent a message too large to accept"
        assert dropped.detail == f"a frame over the {MAX_FRAME_BYTES:,}-byte limit (close 1009)"
        await sup.disconnect()
