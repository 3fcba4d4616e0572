"""The desktop app logs every event of the session: a test event from the Dashboard card's menu
reaches the feed and the session log file, whole once the app has closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.application import VmscApp
from app.core.events import StreamEvent, json_lines
from app.ui.theme import load_theme
from tests.relay_client import wait_until
from tests.ui import delete_closed_widgets


async def test_a_test_event_from_the_card_reaches_the_feed_and_the_session_log(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", "")
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    delete_closed_widgets()
    load_theme(qapp)
    vmsc = VmscApp()
    received: list[StreamEvent] = []
    vmsc.service.eventsReceived.connect(received.extend)
    vmsc.start(auto_connect=False)
    menu = vmsc.window.status_card.test_event_button.menu()
    assert menu is not None
    follow = next(action for action in menu.actions() if action.data() == "follow")
    follow.trigger()
    await wait_until(lambda: len(received) == 1)
    assert received[0].type == "follow" and received[0].data.test is True
    vmsc.request_close()
    await vmsc.closed
    vmsc.window.deleteLater()

    files = sorted((tmp_path / "sessions").glob("*.jsonl"))
    assert len(files) == 1
    assert files[0].read_bytes() == json_lines(received)
    assert json.loads(files[0].read_bytes())["id"] == received[0].id
