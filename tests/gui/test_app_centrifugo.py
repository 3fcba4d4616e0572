"""The desktop app through Kick's Centrifugo (issue 14): a Centrifugo-only negotiation from the
fake Kick API, our scripted Centrifugo server, the real window, service and sockets. The card says
"via Centrifugo"; the Settings choice reaches the next connection attempt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot

from app.application import VmscApp
from app.settings import SettingsStore
from tests.centrifugo_server import CentrifugoConn, ScriptedCentrifugoServer
from tests.fake_kick_api import FakeKickApi
from tests.gui.apps import running_app
from tests.gui.waiting import until
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHAT_EVENT, CHATROOM_ID, chat_data
from tests.pusher_server import PusherConn, ScriptedPusherServer


@pytest.fixture
def kick_api() -> Iterator[FakeKickApi]:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        yield api


async def chat_script(conn: CentrifugoConn) -> None:
    await conn.handshake()
    await conn.publish(CHAT_CHANNEL, CHAT_EVENT, chat_data(1))
    await conn.hold()


async def pusher_script(conn: PusherConn) -> None:
    await conn.handshake()
    await conn.hold()


@pytest.fixture
async def servers() -> AsyncIterator[tuple[ScriptedCentrifugoServer, ScriptedPusherServer]]:
    async with (
        ScriptedCentrifugoServer(chat_script, require_origin="https://kick.com") as centrifugo,
        ScriptedPusherServer(pusher_script) as pusher,
    ):
        yield centrifugo, pusher


@pytest.fixture
async def vmsc(
    tmp_path: Path,
    kick_api: FakeKickApi,
    servers: tuple[ScriptedCentrifugoServer, ScriptedPusherServer],
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> AsyncIterator[VmscApp]:
    centrifugo, pusher = servers
    kick_api.negotiate_as(centrifugo_url=centrifugo.url, pusher=("testkey", "us2"))
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", kick_api.url)
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", kick_api.url)
    monkeypatch.setenv("VMSC_KICK_PUSHER_URL", pusher.url())  # when Pusher is chosen
    monkeypatch.delenv("VMSC_KICK_CENTRIFUGO_URL", raising=False)
    async with running_app() as app:
        yield app


def via(app: VmscApp) -> str:
    label = app.window.status_card.findChild(QLabel, "connectionVia")
    assert isinstance(label, QLabel)
    return label.text()


async def test_the_app_connects_through_centrifugo_and_the_setting_switches_to_pusher(
    vmsc: VmscApp,
    servers: tuple[ScriptedCentrifugoServer, ScriptedPusherServer],
    tmp_path: Path,
) -> None:
    centrifugo, pusher = servers
    vmsc.start(auto_connect=False)
    vmsc.service.connect_channel("nightowlgg")
    await until(lambda: via(vmsc) == "via Centrifugo", vmsc.service.statusChanged)
    await until(lambda: vmsc.service.status.event_count == 1, vmsc.service.countChanged)
    assert centrifugo.connections[0].origin == "https://kick.com"

    # Settings > Realtime provider: Pusher, saved, and used by the next attempt
    combo = vmsc.window.settings_page.findChild(QComboBox, "realtimeProvider")
    assert isinstance(combo, QComboBox) and combo.currentText() == "Automatic"
    combo.setCurrentIndex(combo.findData("pusher"))
    assert SettingsStore(tmp_path).load().realtime_provider == "pusher"
    vmsc.service.connect_channel("nightowlgg")
    await until(lambda: via(vmsc) == "via Pusher", vmsc.service.statusChanged)
    assert len(pusher.connections) == 1 and len(centrifugo.connections) == 1
