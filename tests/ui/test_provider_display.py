"""The realtime provider and the last event's age on the Dashboard card and the Sources page,
and the provider choice in Settings (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QComboBox, QLabel
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.state import Status
from app.settings import Settings, SettingsStore
from app.ui.settings_page import SettingsPage
from app.ui.sources_panel import SourcesPanel
from app.ui.status_card import KickStatusCard
from tests.ui import FakeClock, themed


def via_text(card: KickStatusCard) -> QLabel:
    label = card.findChild(QLabel, "connectionVia")
    assert isinstance(label, QLabel)
    return label


def connected(clock: FakeClock, provider: str) -> Status:
    return Status(S.CONNECTED, slug="nightowlgg", provider=provider, connected_at=clock.now)


@pytest.mark.parametrize(("provider", "name"), [("centrifugo", "Centrifugo"), ("pusher", "Pusher")])
def test_card_says_which_provider_while_connected(
    card: KickStatusCard, clock: FakeClock, provider: str, name: str
) -> None:
    card.set_status(connected(clock, provider))
    label = via_text(card)
    assert label.text() == f"via {name}" and label.isVisible()
    card.set_status(Status(slug="nightowlgg", provider=provider))
    assert not label.isVisible()


def test_card_shows_the_last_events_age_once_older_than_a_minute(
    card: KickStatusCard, clock: FakeClock
) -> None:
    card.set_status(connected(clock, "centrifugo"))
    card.set_event_count(3)  # a batch arrives now
    clock.now += 59
    card.tick()
    assert via_text(card).text() == "via Centrifugo"
    clock.now += 13  # 72 s since the last event
    card.tick()
    assert via_text(card).text() == "via Centrifugo · last event 72 s ago"
    card.set_event_count(4)  # another batch: the age starts over
    card.tick()
    assert via_text(card).text() == "via Centrifugo"
    clock.now += 12 * 60
    card.tick()
    assert via_text(card).text() == "via Centrifugo · last event 12 min ago"


def test_card_says_when_nothing_came_since_connecting(
    card: KickStatusCard, clock: FakeClock
) -> None:
    card.set_status(connected(clock, "pusher"))
    clock.now += 90
    card.tick()
    assert via_text(card).text() == "via Pusher · no event in 90 s"


def test_sources_page_subtitle_names_the_provider_and_the_quiet(
    qapp: QApplication, qtbot: QtBot, clock: FakeClock
) -> None:
    with themed(qapp):
        panel = SourcesPanel(clock=clock)
        qtbot.addWidget(panel)
        panel.show()
        card = panel.kick_card
        subtitle = next(
            label
            for label in card.findChildren(QLabel)
            if label.text().startswith(("Not connected", "kick.com"))
        )
        panel.set_status(connected(clock, "centrifugo"))
        panel.set_event_count(5)
        assert subtitle.text() == "kick.com/nightowlgg · via Centrifugo"
        clock.now += 75
        card.timer.timeout.emit()
        assert subtitle.text() == "kick.com/nightowlgg · via Centrifugo · last event 75 s ago"


def test_settings_offers_the_realtime_provider_and_says_the_choice(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    page = SettingsPage(tmp_path)
    qtbot.addWidget(page)
    combo = page.findChild(QComboBox, "realtimeProvider")
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Automatic",
        "Pusher",
        "Centrifugo",
    ]
    chosen: list[str] = []
    page.providerChanged.connect(chosen.append)
    page.set_provider("centrifugo")  # what the settings say: shown, not announced
    assert combo.currentText() == "Centrifugo" and chosen == []
    combo.setCurrentIndex(1)
    assert chosen == ["pusher"]
    page.set_provider("something newer")
    assert combo.currentText() == "Automatic"


def test_the_provider_setting_is_saved_and_old_files_load_with_defaults(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    (tmp_path / "settings.json").write_text('{"kick_slug": "nightowlgg", "schema_version": 1}')
    old = store.load()
    assert old.kick_slug == "nightowlgg"
    assert old.realtime_provider == "auto" and old.silence_minutes == 10
    assert store.load_problem is None
    store.save(Settings(kick_slug="x", realtime_provider="centrifugo", silence_minutes=5))
    again = store.load()
    assert again.realtime_provider == "centrifugo" and again.silence_minutes == 5
