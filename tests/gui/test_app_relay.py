"""The desktop app hosts the event server: started after the window is shown, shown in
Settings > Overlays, test events through the whole pipeline, a token that renews, a port taken."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.application import VmscApp
from app.core.events import StreamEvent
from app.settings import SettingsStore
from tests.gui.apps import running_app
from tests.gui.waiting import until
from tests.relay_client import http_request


@pytest.fixture
async def vmsc(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[VmscApp]:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", "")
    async with running_app() as app:
        yield app


def serving(app: VmscApp) -> bool:
    return app.relay is not None and app.relay.server is not None


async def test_the_app_serves_overlays_and_test_events_reach_the_feed(vmsc: VmscApp) -> None:
    received: list[StreamEvent] = []
    vmsc.service.eventsReceived.connect(received.extend)
    vmsc.start(auto_connect=False)
    await until(lambda: serving(vmsc), vmsc.state.relayChanged)
    assert vmsc.relay is not None and vmsc.relay.server is not None
    port = vmsc.relay.server.port
    page = vmsc.window.settings_page
    await until(lambda: page.overlay_urls["chat"].text() != "", vmsc.state.relayChanged)
    assert page.overlay_urls["chat"].text() == f"http://127.0.0.1:{port}/overlay/chat"
    assert page.overlay_urls["alerts"].text() == f"http://127.0.0.1:{port}/overlay/alerts"
    token = page.relay_token.text()
    assert token and SettingsStore().load().relay_token == token  # made once, remembered
    status = await http_request(port, "GET", "/api/status")
    assert status.json()["state"] == "disconnected"

    answer = await http_request(
        port, "POST", "/api/test-event", headers={"Authorization": f"Bearer {token}"},
        body=b'{"type":"follow"}',
    )  # fmt: skip
    assert answer.status == 200
    await until(lambda: len(received) == 1, vmsc.service.eventsReceived)
    assert received[0].type == "follow" and received[0].data.test is True
    vmsc.send_test_event("chat")  # what the Dashboard card's menu asks for
    await until(lambda: len(received) == 2, vmsc.service.eventsReceived)
    assert vmsc.supervisor.status.event_count == 2

    renew = page.findChild(QPushButton, "renewRelayToken")
    assert renew is not None
    renew.click()
    await until(lambda: page.relay_token.text() not in ("", token), vmsc.state.relayChanged)
    await until(lambda: serving(vmsc), vmsc.state.relayChanged)
    new_port = vmsc.relay.server.port if vmsc.relay and vmsc.relay.server else 0
    old = await http_request(
        new_port, "POST", f"/api/test-event?token={token}", body=b'{"type":"chat"}'
    )
    assert old.status == 401
    assert (
        json.loads(SettingsStore().dir.joinpath("settings.json").read_text())["relay_token"]
        == page.relay_token.text()
    )


async def test_a_port_already_taken_is_said_in_settings_not_a_crash(
    vmsc: VmscApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("VMSC_RELAY_PORT", str(port))
        vmsc.start(auto_connect=False)
        page = vmsc.window.settings_page
        await until(lambda: "already in use" in page.relay_state.text(), vmsc.state.relayChanged)
        assert f"Port {port}" in page.relay_state.text()
        assert page.overlay_urls["chat"].text() == ""
        assert vmsc.window.isVisible()


async def test_the_lan_switch_serves_with_the_token_everywhere_and_is_saved(
    vmsc: VmscApp,
) -> None:
    vmsc.start(auto_connect=False)
    await until(lambda: serving(vmsc), vmsc.state.relayChanged)
    page = vmsc.window.settings_page
    assert not page.relay_lan.isChecked()
    await until(lambda: page.overlay_urls["chat"].text() != "", vmsc.state.relayChanged)
    assert "token=" not in page.overlay_urls["chat"].text()

    page.relay_lan.click()  # the user opts in: OBS on a second PC
    await until(lambda: "token=" in page.overlay_urls["chat"].text(), vmsc.state.relayChanged)
    assert SettingsStore().load().relay_lan is True
    assert vmsc.relay is not None and vmsc.relay.server is not None
    assert vmsc.relay.server.lan_mode
    port = vmsc.relay.server.port
    token = page.relay_token.text()
    # Now nothing is read without the token, even from this computer.
    assert (await http_request(port, "GET", "/api/status")).status == 401
    assert (await http_request(port, "GET", f"/api/status?token={token}")).status == 200

    page.relay_lan.click()  # and back to this computer only
    await until(lambda: "token=" not in page.overlay_urls["chat"].text(), vmsc.state.relayChanged)
    assert SettingsStore().load().relay_lan is False
