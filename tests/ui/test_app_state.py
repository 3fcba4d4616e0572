"""The app's observable state: each field announces a real change once, the user's choices are
saved as they change (and only then), and a page bound late shows the current values."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.state import Status
from app.services.app_state import AppState, RelayInfo
from app.settings import SettingsHolder, SettingsStore
from app.ui.settings_page import SettingsPage
from app.ui.sources_panel import SourcesPanel
from app.ui.status_card import KickStatusCard

LIVE = Status(S.LIVE, slug="nightowlgg", display_name="NightOwlGG", is_live=True, event_count=4)


class CountingStore(SettingsStore):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.saves = 0

    def save(self, settings: object) -> bool:
        self.saves += 1
        return super().save(settings)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path)


@pytest.fixture
def state(store: CountingStore, qapp: QApplication) -> AppState:
    return AppState(SettingsHolder(store))


def recorded(signal: object) -> list[object]:
    seen: list[object] = []
    signal.connect(seen.append)  # type: ignore[attr-defined]
    return seen


# (setter, signal, Settings field it is saved as, a new value, another)
SAVED_FIELDS = [
    ("set_channel", "channelChanged", "kick_slug", "nightowlgg", "pixel_mage"),
    ("set_auto_connect", "autoConnectChanged", "auto_connect", False, True),
    ("set_provider", "providerChanged", "realtime_provider", "centrifugo", "pusher"),
    ("set_relay_lan", "relayLanChanged", "relay_lan", True, False),
]


@pytest.mark.parametrize(("setter", "signal", "field", "value", "other"), SAVED_FIELDS)
def test_a_choice_is_announced_and_saved_once_per_real_change(
    state: AppState,
    store: CountingStore,
    tmp_path: Path,
    setter: str,
    signal: str,
    field: str,
    value: object,
    other: object,
) -> None:
    seen = recorded(getattr(state, signal))
    set_value = getattr(state, setter)
    set_value(value)
    set_value(value)  # the same again: nothing to say, nothing to write
    assert seen == [value] and store.saves == 1
    assert getattr(SettingsStore(tmp_path).load(), field) == value  # on disk, not just held
    set_value(other)
    assert seen == [value, other] and store.saves == 2
    assert getattr(SettingsStore(tmp_path).load(), field) == other


def test_the_start_values_are_the_saved_ones_and_say_nothing(
    tmp_path: Path, qapp: QApplication
) -> None:
    holder = SettingsHolder(SettingsStore(tmp_path))
    holder.update(kick_slug="nightowlgg", auto_connect=False, realtime_provider="pusher")
    state = AppState(holder)
    assert (state.channel, state.auto_connect, state.provider) == ("nightowlgg", False, "pusher")
    # before the service says anything: the saved channel, Disconnected
    assert state.status == Status(slug="nightowlgg")
    assert state.count == 0 and state.relay is None
    seen = recorded(state.autoConnectChanged)
    state.set_auto_connect(False)
    assert seen == []


def test_status_count_and_the_event_server_are_announced_not_saved(
    state: AppState, store: CountingStore
) -> None:
    statuses, counts, relays = (
        recorded(state.statusChanged),
        recorded(state.countChanged),
        recorded(state.relayChanged),
    )
    state.set_status(LIVE)
    state.set_status(LIVE)
    assert statuses == [LIVE]
    assert counts == [4]  # the count a status carries is the newest
    state.set_count(9)
    state.set_count(9)
    assert counts == [4, 9] and state.count == 9
    reconnected = Status(S.CONNECTED, slug="nightowlgg", connected_at=5.0)
    state.set_status(reconnected)  # a new connection counts from 0
    assert counts == [4, 9, 0]
    info = RelayInfo({"chat": "http://127.0.0.1:7582/overlay/chat"}, 7582, "tok", "")
    state.set_relay(info)
    state.set_relay(RelayInfo(dict(info.urls), 7582, "tok", ""))  # equal: not news
    assert relays == [info] and state.relay == info
    assert store.saves == 0


def test_pages_bound_late_show_the_current_values_then_follow(
    state: AppState, qtbot: QtBot, tmp_path: Path
) -> None:
    state.set_channel("nightowlgg")
    state.set_auto_connect(False)
    state.set_provider("centrifugo")
    state.set_status(LIVE)
    state.set_count(12)
    state.set_relay(RelayInfo({}, 7582, "", "Port 7582 is already in use."))

    card = KickStatusCard()
    sources = SourcesPanel()
    settings = SettingsPage(tmp_path / "logs", session_folder=tmp_path / "sessions")
    for page in (card, sources, settings):
        qtbot.addWidget(page)
    card.bind(state)
    sources.bind(state)
    settings.bind(state)

    def text(root: object, name: str) -> str:
        label = root.findChild(QLabel, name)  # type: ignore[attr-defined]
        assert isinstance(label, QLabel), name
        return label.text()

    assert card.property("state") == "live" and text(card, "eventCount") == "12"
    assert text(card, "channelName") == "NightOwlGG"
    field = sources.findChild(QLineEdit, "kickUsernameInput")
    assert isinstance(field, QLineEdit) and field.text() == "nightowlgg"
    assert sources.kick_card.property("state") == "live"
    assert not settings.auto_connect.isChecked()
    assert settings.provider.currentData() == "centrifugo"
    assert settings.relay_state.text() == "Port 7582 is already in use."

    state.set_status(Status(S.RECONNECTING, slug="nightowlgg", attempt=1))
    state.set_auto_connect(True)
    assert card.property("state") == "reconnecting"
    assert sources.kick_card.property("state") == "reconnecting"
    assert settings.auto_connect.isChecked()
    settings.provider.setCurrentIndex(settings.provider.findData("pusher"))  # the user's pick
    assert state.provider == "pusher"


def test_the_sources_form_opens_only_while_no_channel_is_saved(
    state: AppState, qtbot: QtBot
) -> None:
    first_launch = SourcesPanel()
    qtbot.addWidget(first_launch)
    first_launch.bind(state)
    assert first_launch.kick_card.is_expanded()
    state.set_channel("nightowlgg")
    relaunch = SourcesPanel()
    qtbot.addWidget(relaunch)
    relaunch.bind(state)
    assert not relaunch.kick_card.is_expanded()
