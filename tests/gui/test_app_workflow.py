"""The documented workflow, driven through the real window, services and sockets:
Sources -> Kick source card -> username -> Enter -> the dashboard card shows the state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.application import VmscApp
from app.settings import SettingsStore
from tests.e2e_fixtures import soketi_fixture  # noqa: F401
from tests.fake_kick_api import FakeKickApi
from tests.gui.apps import running_app
from tests.gui.waiting import until
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID, chat_data
from tests.soketi import SoketiServer

CHATROOM, CHANNEL = CHATROOM_ID, CHANNEL_ID
chat = chat_data
CHAT = f"chatrooms.{CHATROOM}.v2"


@pytest.fixture
def kick_api() -> Iterator[FakeKickApi]:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL, CHATROOM)
    with api.running():
        yield api


@pytest.fixture
def env(
    tmp_path: Path, soketi: SoketiServer, kick_api: FakeKickApi, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("VMSC_KICK_API_URL", kick_api.url)
    monkeypatch.setenv("VMSC_KICK_REALTIME_URL", "")
    monkeypatch.setenv("VMSC_KICK_PUSHER_URL", soketi.ws_url())
    return tmp_path


@pytest.fixture
async def vmsc(env: Path, qtbot: QtBot) -> AsyncIterator[VmscApp]:
    async with running_app() as app:
        yield app


W = TypeVar("W", bound=QWidget)


def child(window: QWidget, kind: type[W], name: str) -> W:
    widget = window.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name}"
    return widget


def card_state(app: VmscApp) -> str:
    return str(app.window.status_card.property("state"))


async def connect_through_sources(app: VmscApp, qtbot: QtBot, username: str) -> None:
    window = app.window
    qtbot.mouseClick(window.nav.button(1), Qt.MouseButton.LeftButton)
    assert window.page_name() == "Sources"
    card = window.sources.kick_card
    if not card.is_expanded():  # it opens expanded while no username is saved
        qtbot.mouseClick(child(window, QWidget, "kickSourceHeader"), Qt.MouseButton.LeftButton)
    field = child(window, QLineEdit, "kickUsernameInput")
    await until(field.isVisible, card.expandedChanged)
    qtbot.keyClicks(field, username)
    qtbot.keyClick(field, Qt.Key.Key_Return)


async def test_documented_workflow_end_to_end(
    vmsc: VmscApp, qtbot: QtBot, soketi: SoketiServer, kick_api: FakeKickApi
) -> None:
    vmsc.start()
    window, service = vmsc.window, vmsc.service
    assert card_state(vmsc) == "disconnected"
    seen: list[str] = []
    service.statusChanged.connect(lambda s: seen.append(str(s.state)))

    await connect_through_sources(vmsc, qtbot, "NightOwlGG")
    await until(lambda: card_state(vmsc) == "connected", service.statusChanged)
    assert seen[0] == "connecting"
    assert child(window, QLabel, "channelName").text() == "Nightowlgg"
    assert child(window, QPushButton, "kickConnectButton").text() == "Disconnect"

    # the Dashboard (Ctrl+1) shows the card
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.page_name() == "Dashboard" and window.status_card.isVisible()

    # events reach the card's count and the feed
    for n in range(5):
        soketi.publish(CHAT, "App\\Events\\ChatMessageEvent", chat(n))
    count = child(window, QLabel, "eventCount")
    await until(lambda: count.text() == "5", service.countChanged)
    await until(lambda: window.feed.model.rowCount() == 5, service.eventsReceived)
    assert window.feed.model.event_at(0).id == "msg-4"  # newest first

    # live start / end flip the card and the live dot
    soketi.publish(
        f"channel.{CHANNEL}",
        "App\\Events\\StreamerIsLive",
        '{"livestream":{"id":1,"session_title":"Ranked"}}',
    )
    await until(lambda: card_state(vmsc) == "live", service.statusChanged)
    assert window.status_card.findChild(QWidget, "liveDot").property("pulsing") is True
    soketi.publish(
        f"channel.{CHANNEL}", "App\\Events\\StopStreamBroadcast", '{"livestream":{"id":1}}'
    )
    await until(lambda: card_state(vmsc) == "connected", service.statusChanged)
    assert window.status_card.findChild(QWidget, "liveDot").property("pulsing") is False
    await until(lambda: count.text() == "7", service.countChanged)

    # the server dies: reconnecting with a countdown; back: connected with the count reset
    soketi.kill()
    await until(lambda: card_state(vmsc) == "reconnecting", service.statusChanged)
    detail = child(window, QLabel, "statusDetail")
    assert "retrying in" in detail.text().lower() or "retry" in detail.text().lower()
    assert child(window, QPushButton, "retryNowButton").isVisible()
    soketi.start()
    await until(lambda: card_state(vmsc) == "connected", service.statusChanged)
    assert count.text() == "0"
    soketi.publish(CHAT, "App\\Events\\ChatMessageEvent", chat(99))
    await until(lambda: count.text() == "1", service.countChanged)
    assert kick_api.requests == ["/api/v2/channels/nightowlgg"]  # reconnects use the cached ids

    # Disconnect from the Sources card
    qtbot.mouseClick(child(window, QPushButton, "kickConnectButton"), Qt.MouseButton.LeftButton)
    await until(lambda: card_state(vmsc) == "disconnected", service.statusChanged)


async def test_unknown_channel_shows_error_with_its_message(vmsc: VmscApp, qtbot: QtBot) -> None:
    vmsc.start()
    await connect_through_sources(vmsc, qtbot, "nobody_here")
    await until(lambda: card_state(vmsc) == "error", vmsc.service.statusChanged)
    assert "no channel named" in child(vmsc.window, QLabel, "statusDetail").text()


async def test_relaunch_with_saved_settings_auto_connects(
    env: Path, qtbot: QtBot, kick_api: FakeKickApi
) -> None:
    first = VmscApp()
    first.start()
    first.service.connect_channel("nightowlgg")
    await until(lambda: card_state(first) == "connected", first.service.statusChanged)
    first.request_close()
    await first.closed
    saved = SettingsStore(env).load()
    assert saved.kick_slug == "nightowlgg" and saved.window_geometry
    assert saved.cached_ids_for("nightowlgg") == (CHANNEL, CHATROOM)

    kick_api.blocked = True  # the relaunch must not need the lookup
    second = VmscApp()
    second.start()
    await until(lambda: card_state(second) == "connected", second.service.statusChanged)
    assert not second.window.is_page_built(1)  # Sources is built when first opened...
    qtbot.keyClick(second.window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert second.window.page_name() == "Sources"
    # ...and then shows the current state, not the state it would start in
    assert child(second.window, QLineEdit, "kickUsernameInput").text() == "nightowlgg"
    assert child(second.window, QWidget, "kickSourceCard").property("state") == "connected"
    subtitle = child(second.window, QLabel, "kickSourceSubtitle").text()
    assert subtitle == "kick.com/nightowlgg · via Pusher"  # the provider in use, too
    assert child(second.window, QPushButton, "kickConnectButton").text() == "Disconnect"
    second.request_close()
    await second.closed


async def test_auto_connect_switch_and_about(env: Path, qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QCheckBox

    from app import __version__
    from app.settings import SettingsHolder

    store = SettingsStore(env)
    SettingsHolder(store).update(kick_slug="nightowlgg")
    first = VmscApp()
    first.start()
    await until(lambda: card_state(first) == "connected", first.service.statusChanged)
    qtbot.keyClick(first.window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert first.window.page_name() == "Settings"
    about = child(first.window, QLabel, "aboutVersion").text()
    assert __version__ in about and "Qt " in about and "Python " in about
    switch = child(first.window, QCheckBox, "autoConnectSwitch")
    assert switch.isChecked()
    switch.setFocus()
    qtbot.keyClick(switch, Qt.Key.Key_Space)  # keyboard: every action works without a mouse
    assert not switch.isChecked()
    assert store.load().auto_connect is False
    first.request_close()
    await first.closed

    second = VmscApp()
    second.start()
    assert card_state(second) == "disconnected"
    assert second.window.page_name() == "Dashboard"
    # not "No channel yet": the saved channel, with a Connect for it
    assert child(second.window, QLabel, "channelSlug").text() == "kick.com/nightowlgg"
    assert child(second.window, QPushButton, "cardConnectButton").isVisible()
    second.window.show_page(1)
    assert child(second.window, QLineEdit, "kickUsernameInput").text() == "nightowlgg"
    second.request_close()
    await second.closed


async def test_saved_channel_not_auto_connected_is_shown_and_connects_from_the_card(
    env: Path, qtbot: QtBot, kick_api: FakeKickApi
) -> None:
    from app.id_cache import SettingsIdCache
    from app.kick.ids import CachedIds
    from app.settings import SettingsHolder

    saved = SettingsHolder(SettingsStore(env))
    saved.update(kick_slug="nightowlgg")  # auto-connect on, but started as --no-auto-connect
    SettingsIdCache(saved).put("nightowlgg", CachedIds(CHATROOM, CHANNEL, "NightOwlGG"))
    # Connecting needs no lookup (cached ids); blocked, the live-status lookup cannot rename
    # the channel under the test either.
    kick_api.blocked = True
    app = VmscApp()
    app.start(auto_connect=False)
    window = app.window
    assert card_state(app) == "disconnected"
    assert child(window, QLabel, "stateLabel").text() == "Disconnected"
    assert child(window, QLabel, "channelName").text() == "NightOwlGG"  # the cached name
    assert child(window, QLabel, "channelSlug").text() == "kick.com/nightowlgg"
    assert not child(window, QLabel, "cardHint").isVisible()
    connect = child(window, QPushButton, "cardConnectButton")
    assert connect.isVisible()

    qtbot.mouseClick(connect, Qt.MouseButton.LeftButton)
    await until(lambda: card_state(app) == "connected", app.service.statusChanged)
    assert not connect.isVisible()
    assert child(window, QLabel, "channelName").text() == "NightOwlGG"

    # the user's Disconnect (on Sources) leaves the channel on the card, with Connect again
    window.show_page(1)
    qtbot.mouseClick(child(window, QPushButton, "kickConnectButton"), Qt.MouseButton.LeftButton)
    await until(lambda: card_state(app) == "disconnected", app.service.statusChanged)
    window.show_page(0)
    assert child(window, QLabel, "channelName").text() == "NightOwlGG"
    assert connect.isVisible()
    app.request_close()
    await app.closed
    app.window.deleteLater()


async def test_settings_problems_are_shown_in_the_window_once(env: Path, qtbot: QtBot) -> None:
    (env / "settings.json").write_text('{"kick_slug": oops', encoding="utf-8")
    app = VmscApp()
    app.start(auto_connect=False)
    assert "not valid JSON" in app.window.notice_text()
    assert "settings.json.bak" in app.window.notice_text()
    app.request_close()
    await app.closed
    app.window.deleteLater()
