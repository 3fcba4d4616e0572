"""A fake kick.com on 127.0.0.1: the channel lookup, served from a dict, on a real HTTP socket.

Used where the client runs in another process (`watch`, the GUI) and an httpx.MockTransport
cannot reach.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHANNEL_PREFIX = "/api/v2/channels/"
REALTIME_PREFIX = "/api/v1/realtime/channels/"
TOKEN_PATH = "/api/v1/realtime/auth/connection"
CLOUDFLARE_PAGE = b"<!DOCTYPE html><html><title>Just a moment...</title></html>"


def negotiation_json(
    *, centrifugo_url: str | None = None, pusher: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Kick's provider negotiation answer offering the providers given."""
    connections: list[dict[str, Any]] = []
    if pusher is not None:
        connections.append(
            {"provider": "pusher", "credentials": {"app_key": pusher[0], "cluster": pusher[1]}}
        )
    if centrifugo_url is not None:
        connections.append({"provider": "centrifugo", "credentials": {"url": centrifugo_url}})
    return {"data": {"connections": connections}}


def channel_json(
    slug: str, channel_id: int, chatroom_id: int, *, live: bool = False, title: str = "Ranked grind"
) -> dict[str, Any]:
    return {
        "id": channel_id,
        "user_id": channel_id + 1,
        "slug": slug,
        "followers_count": 48213,
        "livestream": {"is_live": True, "viewer_count": 1371, "session_title": title}
        if live
        else None,
        "user": {"username": slug.capitalize()},
        "chatroom": {"id": chatroom_id, "channel_id": channel_id},
    }


class FakeKickApi:
    def __init__(self) -> None:
        self.channels: dict[str, dict[str, Any]] = {}
        self.blocked = False
        self.requests: list[str] = []
        # Provider negotiation: (status, body, content type); `negotiate_as` sets it.
        self.negotiation: tuple[int, bytes, str] = (404, b'{"message":"Not Found"}', "text/plain")
        self.negotiation_bodies: list[dict[str, Any]] = []  # what clients asked
        self.token_requests: list[dict[str, Any]] = []
        self.tokens_issued: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests.append(self.path)
                if api.blocked:
                    self._send(403, b"<html><title>Just a moment...</title></html>", "text/html")
                    return
                slug = self.path.removeprefix(CHANNEL_PREFIX)
                body = api.channels.get(slug)
                if not self.path.startswith(CHANNEL_PREFIX) or body is None:
                    self._send(404, b'{"message":"Not Found"}', "application/json")
                else:
                    self._send(200, json.dumps(body).encode(), "application/json")

            def do_POST(self) -> None:
                api.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                if self.path.startswith(REALTIME_PREFIX):
                    api.negotiation_bodies.append(body)
                    self._send(*api.negotiation)
                elif self.path == TOKEN_PATH:
                    api.token_requests.append(body)
                    token = f"eyJhbGciOiJIUzI1NiJ9.guest-{len(api.tokens_issued) + 1}.sig"
                    api.tokens_issued.append(token)
                    self._send(
                        200, json.dumps({"data": {"token": token}}).encode(), "application/json"
                    )
                else:
                    self._send(404, b'{"message":"Not Found"}', "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_channel(self, slug: str, channel_id: int, chatroom_id: int, live: bool = False) -> None:
        self.channels[slug] = channel_json(slug, channel_id, chatroom_id, live=live)

    def negotiate_as(
        self, *, centrifugo_url: str | None = None, pusher: tuple[str, str] | None = None
    ) -> None:
        """Answer the provider negotiation offering these providers."""
        body = negotiation_json(centrifugo_url=centrifugo_url, pusher=pusher)
        self.negotiation = (200, json.dumps(body).encode(), "application/json")

    @contextmanager
    def running(self) -> Iterator[FakeKickApi]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()
