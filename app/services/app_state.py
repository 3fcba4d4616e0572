"""What the app shows and the user chose, in one observable object the pages bind to.

Each field has a setter that announces a real change once (a repeat of the current value is
silent) and a signal carrying the new value; the fields the user chooses are saved to the
settings as they change, so no caller saves them (napari's settings habit). A page reads the
current values when it is built and follows the signals from then on, so a page opened late is
as current as one opened first.

Light on purpose: built before the window's first paint (Qt's core and the settings are already
loaded then; nothing here touches the network or asyncio).
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QObject, Signal

from app.core.state import Status
from app.settings import SettingsHolder


class RelayInfo(NamedTuple):
    """What the event server serves: overlay name -> URL, its port and token; or, with no
    URLs, the plain reason it is not serving (`problem`)."""

    urls: dict[str, str]
    port: int
    token: str
    problem: str


class AppState(QObject):
    statusChanged = Signal(object)  # Status
    countChanged = Signal(int)  # events since the connection was established
    channelChanged = Signal(str)  # the channel to connect to at launch (saved)
    autoConnectChanged = Signal(bool)  # saved
    providerChanged = Signal(str)  # Kick's realtime provider: auto, pusher, centrifugo (saved)
    relayLanChanged = Signal(bool)  # serve the overlays to the whole network (saved)
    relayChanged = Signal(object)  # RelayInfo

    def __init__(self, settings: SettingsHolder, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        saved = settings.settings
        # Before the connection service says anything: the saved channel, Disconnected (what
        # the service says first, too).
        self._status = Status(slug=saved.kick_slug)
        self._count = 0
        self._channel = saved.kick_slug
        self._auto_connect = saved.auto_connect
        self._provider = saved.realtime_provider
        self._relay_lan = saved.relay_lan
        self._relay: RelayInfo | None = None  # None until the event server has started or failed

    # --- shown ----------------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        return self._status

    def set_status(self, status: Status) -> None:
        if status == self._status:
            return
        self._status = status
        self.statusChanged.emit(status)
        self.set_count(status.event_count)  # the count the status carries is the newest one

    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int) -> None:
        if count == self._count:
            return
        self._count = count
        self.countChanged.emit(count)

    @property
    def relay(self) -> RelayInfo | None:
        return self._relay

    def set_relay(self, relay: RelayInfo) -> None:
        if relay == self._relay:
            return
        self._relay = relay
        self.relayChanged.emit(relay)

    # --- chosen, and saved ----------------------------------------------------------------------

    @property
    def channel(self) -> str:
        return self._channel

    def set_channel(self, slug: str) -> None:
        if slug == self._channel:
            return
        self._channel = slug
        self._settings.update(kick_slug=slug)
        self.channelChanged.emit(slug)

    @property
    def auto_connect(self) -> bool:
        return self._auto_connect

    def set_auto_connect(self, enabled: bool) -> None:
        if enabled == self._auto_connect:
            return
        self._auto_connect = enabled
        self._settings.update(auto_connect=enabled)
        self.autoConnectChanged.emit(enabled)

    @property
    def provider(self) -> str:
        return self._provider

    def set_provider(self, provider: str) -> None:
        if provider == self._provider:
            return
        self._provider = provider
        self._settings.update(realtime_provider=provider)
        self.providerChanged.emit(provider)

    @property
    def relay_lan(self) -> bool:
        return self._relay_lan

    def set_relay_lan(self, enabled: bool) -> None:
        if enabled == self._relay_lan:
            return
        self._relay_lan = enabled
        self._settings.update(relay_lan=enabled)
        self.relayLanChanged.emit(enabled)
