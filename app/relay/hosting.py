"""Feeds the event server from a supervisor: the desktop app, `watch --serve` and `replay` host
it the same way."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from app.core.events import StreamEvent
from app.core.state import Status
from app.core.supervisor import Supervisor
from app.relay.address import ListenAddress
from app.relay.server import RelayServer
from app.relay.status import status_payload
from app.relay.test_events import make_test_event


def new_token() -> str:
    """A random token for the event server (the Overlays settings show and renew it)."""
    return secrets.token_urlsafe(18)


class RelayHost:
    """One supervisor's status and events on an event server. The server can be replaced (a new
    port or token): `start` builds a fresh one and the listeners follow it."""

    def __init__(
        self,
        supervisor: Supervisor,
        *,
        clock: Callable[[], float] = time.monotonic,
        kick_files_url: str | None = None,
    ) -> None:
        self._supervisor = supervisor
        self._clock = clock
        self._files_url = kick_files_url
        self.server: RelayServer | None = None
        supervisor.add_status_listener(self._on_status)
        supervisor.add_event_listener(self._on_event)

    def status(self) -> dict[str, object]:
        return status_payload(self._supervisor.status, self._clock())

    async def start(self, address: ListenAddress, token: str) -> RelayServer:
        """Listen on `address` (closing the server before, if any); raises RelayStartError."""
        await self.stop()
        server = RelayServer(
            address,
            token=token,
            status=self.status,
            test_event=self.send_test_event,
            kick_files_url=self._files_url,
        )
        await server.start()
        self.server = server
        return server

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.close()

    def send_test_event(self, kind: str) -> StreamEvent:
        """A made-up event of type `kind` through the whole pipeline (count, feed, overlays, log),
        marked `"test": true`; ValueError for an unknown type."""
        event = make_test_event(kind, self._supervisor.status.slug or "test")
        self._supervisor.event(event)
        return event

    def _on_status(self, status: Status) -> None:
        if self.server is not None:
            self.server.publish_status()

    def _on_event(self, event: StreamEvent) -> None:
        if self.server is not None:
            self.server.publish_event(event)
