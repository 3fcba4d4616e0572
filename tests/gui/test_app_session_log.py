"""The desktop app logs every event of the session: a test event from the Dashboard card's menu
reaches the feed and the session log file, whole once the app has closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.events import StreamEvent, json_lines
from tests.gui.apps import running_app
from tests.gui.waiting import until


async def test_a_test_event_from_the_card_reaches_the_feed_and_the_session_log(
    tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", "")
    async with running_app() as vmsc:
        received: list[StreamEvent] = []
        vmsc.service.eventsReceived.connect(received.extend)
        vmsc.start(auto_connect=False)
        menu = vmsc.window.status_card.test_event_button.menu()
        assert menu is not None
        follow = next(action for action in menu.actions() if action.data() == "follow")
        follow.trigger()
        await until(lambda: len(received) == 1, vmsc.service.eventsReceived)
        assert received[0].type == "follow" and received[0].data.test is True

    files = sorted((tmp_path / "sessions").glob("*.jsonl"))
    assert len(files) == 1
    assert files[0].read_bytes() == json_lines(received)
    assert json.loads(files[0].read_bytes())["id"] == received[0].id
