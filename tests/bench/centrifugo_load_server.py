"""A Centrifugo server process (JSON protocol) that streams Kick chat publications, for benchmarks.

    python tests/bench/centrifugo_load_server.py --rate 5000 --seconds 10 [--port 0]
    python tests/bench/centrifugo_load_server.py --rate 0 --count 50000     # a burst

Prints `port N` once listening. For each client: answer connect (ping 25, pong) and every
subscribe; once the chat channel is subscribed, send `rate` publications a second for `seconds`,
batched per 10 ms tick into one WebSocket message with `\\n` between frames (as Centrifugo
batches), or with `--rate 0` `count` publications as fast as it can, 100 per message. Then
`sent N in S s` on stdout; the connection stays open. Its own process: never competes with the
client for the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_server import CHATROOM, chat_frame  # the Pusher load server's payloads

CHAT_CHANNEL = f"chatrooms.{CHATROOM}.v2"
TICK = 0.01
BURST_BATCH = 100


def publication(n: int) -> str:
    pusher_frame = json.loads(chat_frame(n))  # the same chat payload as the Pusher benchmarks
    data = {"event": pusher_frame["event"], "data": pusher_frame["data"]}
    return json.dumps({"push": {"channel": CHAT_CHANNEL, "pub": {"data": data}}})


async def answer(ws: ServerConnection, chat_subscribed: asyncio.Event) -> None:
    async for raw in ws:
        text = raw if isinstance(raw, str) else raw.decode()
        replies = []
        for line in text.split("\n"):
            if not line.strip():
                continue
            command = json.loads(line)
            if "connect" in command:
                body = {"client": "bench", "version": "6.2.0", "ping": 25, "pong": True}
                replies.append({"id": command["id"], "connect": body})
            elif "subscribe" in command:
                replies.append({"id": command["id"], "subscribe": {}})
                if command["subscribe"]["channel"] == CHAT_CHANNEL:
                    chat_subscribed.set()
        if replies:
            await ws.send("\n".join(json.dumps(r) for r in replies))


async def stream(ws: ServerConnection, rate: int, seconds: float, count: int) -> None:
    chat_subscribed = asyncio.Event()
    reader = asyncio.create_task(answer(ws, chat_subscribed))
    try:
        await chat_subscribed.wait()
        frames = [publication(n) for n in range(count if rate == 0 else int(rate * seconds))]
        start = time.monotonic()
        sent = 0
        if rate == 0:
            while sent < len(frames):
                await ws.send("\n".join(frames[sent : sent + BURST_BATCH]))
                sent = min(len(frames), sent + BURST_BATCH)
        else:
            while sent < len(frames):
                due = min(len(frames), int((time.monotonic() - start) * rate) + 1)
                if due > sent:
                    await ws.send("\n".join(frames[sent:due]))
                    sent = due
                await asyncio.sleep(TICK)
        print(f"sent {sent} in {time.monotonic() - start:.2f} s", flush=True)
        await ws.wait_closed()
    except ConnectionClosed:
        pass
    finally:
        reader.cancel()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, required=True, help="publications a second; 0: burst")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=50_000, help="with --rate 0")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    async with serve(
        lambda ws: stream(ws, args.rate, args.seconds, args.count),
        "127.0.0.1",
        args.port,
        compression=None,
        max_size=None,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
