"""A Pusher server process that streams chat frames at a fixed rate, for load benchmarks.

    python tests/bench/load_server.py --rate 1000 --seconds 60 [--port 0]

Prints `port N` once listening. For each client: handshake, confirm its subscriptions, then send
`rate` ChatMessageEvent frames a second for `seconds` (paced every 10 ms), then
`sent N` on stdout, and keep the connection open. Runs in its own process so it never competes
with the client for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from websockets.asyncio.server import ServerConnection, serve

CHATROOM = 5079311
TICK = 0.01


def chat_frame(n: int) -> str:
    data = {
        "id": f"bench-{n}",
        "chatroom_id": CHATROOM,
        "content": f"message number {n} that clutch was insane [emote:37226:KEKW]",
        "type": "message",
        "created_at": "2026-03-14T19:42:07+00:00",
        "sender": {
            "id": 1000 + n % 500,
            "username": f"viewer_{n % 500}",
            "slug": f"viewer-{n % 500}",
            "identity": {
                "color": "#75FD46",
                "badges": [{"type": "subscriber", "text": "Subscriber", "count": 3}],
            },
        },
        "metadata": {"message_ref": str(n)},
    }
    return json.dumps(
        {
            "event": "App\\Events\\ChatMessageEvent",
            "data": json.dumps(data),
            "channel": f"chatrooms.{CHATROOM}.v2",
        }
    )


async def stream(ws: ServerConnection, rate: int, seconds: float) -> None:
    await ws.send(
        json.dumps(
            {
                "event": "pusher:connection_established",
                "data": json.dumps({"socket_id": "1.1", "activity_timeout": 120}),
            }
        )
    )
    for _ in range(5):
        frame = json.loads(await ws.recv())
        channel = frame["data"]["channel"]
        await ws.send(
            json.dumps(
                {
                    "event": "pusher_internal:subscription_succeeded",
                    "data": "{}",
                    "channel": channel,
                }
            )
        )
    total = int(rate * seconds)
    start = time.monotonic()
    sent = 0
    while sent < total:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        while sent < due:
            await ws.send(chat_frame(sent))
            sent += 1
        await asyncio.sleep(TICK)
    print(f"sent {sent} in {time.monotonic() - start:.2f} s", flush=True)
    await ws.wait_closed()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    async with serve(
        lambda ws: stream(ws, args.rate, args.seconds), "127.0.0.1", args.port, compression=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
