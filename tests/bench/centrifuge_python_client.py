"""The official Centrifugo client (centrifuge-python) as a benchmark peer: connects, subscribes to
the chat channel, and for each publication decodes Kick's inner JSON string and writes it as one
line on stdout (our `watch` decodes, normalizes and writes one line per event: comparable work).

    python tests/bench/centrifuge_python_client.py ws://127.0.0.1:PORT/connection/websocket

Prints `subscribed` on stderr once the subscription is confirmed.
"""

from __future__ import annotations

import asyncio
import json
import sys

from centrifuge import Client, PublicationContext, SubscribedContext, SubscriptionEventHandler

CHAT_CHANNEL = "chatrooms.5079311.v2"


class Handler(SubscriptionEventHandler):
    """Writes as `watch` does: the lines of one loop pass together, one flush per pass."""

    def __init__(self) -> None:
        self.out = sys.stdout
        self._flush_due = False

    def _flush(self) -> None:
        self._flush_due = False
        self.out.flush()

    async def on_subscribed(self, ctx: SubscribedContext) -> None:
        print("subscribed", file=sys.stderr, flush=True)

    async def on_publication(self, ctx: PublicationContext) -> None:
        inner = json.loads(ctx.pub.data["data"])
        self.out.write(json.dumps(inner, separators=(",", ":")) + "\n")
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)


async def main() -> None:
    client = Client(sys.argv[1], headers={"Origin": "https://kick.com"})
    subscription = client.new_subscription(CHAT_CHANNEL, events=Handler())
    await client.connect()
    await subscription.subscribe()
    await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
