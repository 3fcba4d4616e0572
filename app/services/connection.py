"""The connection service: runs the supervisor on the qasync loop and speaks Qt signals.

Widgets never await: they call the slots here (intent) and show what the signals carry. Events
are coalesced into batches every `flush_ms` so a chat of thousands of messages a second costs the
GUI a few repaints a second, not one per message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.core.events import StreamEvent
from app.core.state import Status
from app.core.supervisor import ConnectRequest, Supervisor
from app.kick.slug import canonical_slug

log = logging.getLogger(__name__)

FLUSH_MS = 75


class ConnectionService(QObject):
    statusChanged = Signal(object)  # Status: on every state / reason / retry change
    eventsReceived = Signal(list)  # list[StreamEvent], oldest first, at most every FLUSH_MS
    countChanged = Signal(int)  # events since the connection was established, once per batch
    channelChosen = Signal(str)  # the slug a connect asks for, before it starts

    def __init__(
        self,
        supervisor: Supervisor,
        parent: QObject | None = None,
        flush_ms: int = FLUSH_MS,
    ) -> None:
        super().__init__(parent)
        self._supervisor = supervisor
        self._pending: list[StreamEvent] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(flush_ms)
        self._flush_timer.timeout.connect(self._flush)
        self._background: set[asyncio.Task[None]] = set()
        supervisor.add_status_listener(self.statusChanged.emit)
        supervisor.add_event_listener(self._on_event)

    @property
    def status(self) -> Status:
        return self._supervisor.status

    def remember_channel(self, slug: str, display_name: str = "") -> None:
        """The channel Connect would use, shown (Disconnected) before anything connects: at
        launch the saved one, auto-connect on or off."""
        slug = canonical_slug(slug)  # as connect_channel has it
        if slug:
            self._supervisor.remember_channel(slug, display_name)

    # --- intent from the widgets ---------------------------------------------------------------

    @Slot(str, object, object)
    def connect_channel(
        self, slug: str, chatroom_id: object = None, channel_id: object = None
    ) -> None:
        slug = canonical_slug(slug)
        room = chatroom_id if isinstance(chatroom_id, int) else None
        chan = channel_id if isinstance(channel_id, int) else None
        self.channelChosen.emit(slug)
        self._flush_now()
        self._supervisor.connect(ConnectRequest(slug, room, chan))

    @Slot()
    def disconnect_channel(self) -> None:
        self._flush_now()
        self._spawn(self._supervisor.disconnect())

    @Slot()
    def retry_now(self) -> None:
        self._supervisor.retry_now()

    async def shutdown(self) -> None:
        self._flush_timer.stop()
        await self._supervisor.disconnect()
        for task in list(self._background):
            await task

    # --- from the supervisor -------------------------------------------------------------------

    def _on_event(self, event: StreamEvent) -> None:
        self._pending.append(event)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            self.eventsReceived.emit(batch)
        self.countChanged.emit(self._supervisor.status.event_count)

    def _flush_now(self) -> None:
        """Deliver what is pending before the connection changes: nothing is lost."""
        self._flush_timer.stop()
        self._flush()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
