"""The Dashboard's Kick card: state property, colours from the QSS, live dot, clock-driven text."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.state import Status
from app.kick.network_errors import describe_network_error, error_text
from app.kick.pusher_endings import server_closed
from app.ui import theme
from app.ui.pulse_dot import PulseDot
from app.ui.status_card import KickStatusCard
from app.ui.status_text import format_count, format_duration
from tests.ui import FakeClock, center_color

# What the design says each state looks like (design.md §1, resources/theme.qss).
STATE_COLORS = {
    S.DISCONNECTED: "#8a8f98",
    S.CONNECTING: "#f5c518",
    S.CONNECTED: "#53fc18",
    S.LIVE: "#53fc18",
    S.RECONNECTING: "#ff9f1a",
    S.ERROR: "#ff4d4f",
}
STATE_TEXT = {
    S.DISCONNECTED: "Disconnected",
    S.CONNECTING: "Connecting",
    S.CONNECTED: "Connected",
    S.LIVE: "Live",
    S.RECONNECTING: "Reconnecting",
    S.ERROR: "Error",
}


def child(card: QWidget, name: str) -> QWidget:
    widget = card.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def label(card: QWidget, name: str) -> str:
    widget = child(card, name)
    assert isinstance(widget, QLabel)
    return widget.text()


def status_for(state: S, clock: FakeClock) -> Status:
    return Status(
        state,
        slug="nightowlgg",
        display_name="NightOwlGG" if state is not S.CONNECTING else "",
        reason="Kick's chat server asked us to reconnect"
        if state in (S.RECONNECTING, S.ERROR)
        else "",
        detail="server closed 4200 (server restarting)"
        if state in (S.RECONNECTING, S.ERROR)
        else "",
        attempt=3 if state is S.RECONNECTING else 0,
        retry_at=clock.now + 4 if state is S.RECONNECTING else None,
        connected_at=clock.now if state.is_connected else None,
        is_live=state is S.LIVE,
    )


# -- state, words and colours -----------------------------------------------------------------


@pytest.mark.parametrize("state", list(S))
def test_each_state_sets_property_text_and_rendered_colour(
    card: KickStatusCard, clock: FakeClock, state: S
) -> None:
    card.set_status(status_for(state, clock))

    assert card.property("state") == state.value
    assert label(card, "stateLabel") == STATE_TEXT[state]
    indicator = child(card, "stateIndicator")
    # The colour the QSS picked for this state, as Qt rendered it: proves the QSS applies.
    assert center_color(indicator).name() == STATE_COLORS[state]
    assert indicator.property("color") == QColor(STATE_COLORS[state])


def test_state_colours_follow_changes_back_and_forth(
    card: KickStatusCard, clock: FakeClock
) -> None:
    indicator = child(card, "stateIndicator")
    for state in (S.CONNECTING, S.LIVE, S.RECONNECTING, S.CONNECTED, S.ERROR, S.DISCONNECTED):
        card.set_status(status_for(state, clock))
        assert center_color(indicator).name() == STATE_COLORS[state], state


def test_state_colours_live_in_the_qss_not_in_python() -> None:
    qss = (theme.resources_dir() / "theme.qss").read_text(encoding="utf-8")
    for state, color in STATE_COLORS.items():
        rule = rf'#kickStatusCard\[state="{state.value}"\] #stateIndicator[^{{]*\{{[^}}]*{color}'
        assert re.search(rule, qss), state
    root = Path(__file__).resolve().parents[2] / "app" / "ui"
    for name in ("status_card.py", "sources_panel.py"):
        source = (root / name).read_text(encoding="utf-8").lower()
        for color in set(STATE_COLORS.values()):
            assert color not in source, (name, color)


def test_channel_name_and_hint(card: KickStatusCard, clock: FakeClock) -> None:
    assert label(card, "channelName") == "No channel yet"
    assert child(card, "cardHint").isVisible()
    card.set_status(status_for(S.CONNECTED, clock))
    assert label(card, "channelName") == "NightOwlGG"
    assert label(card, "channelSlug") == "kick.com/nightowlgg"
    assert not child(card, "cardHint").isVisible()
    card.set_status(Status(S.CONNECTING, slug="nightowlgg"))
    assert label(card, "channelName") == "nightowlgg"  # no display name yet: the slug


def test_channel_name_is_plain_text(card: KickStatusCard) -> None:
    card.set_status(Status(S.CONNECTING, slug="x", display_name="<b>boss</b>"))
    name = child(card, "channelName")
    assert isinstance(name, QLabel)
    assert name.textFormat() is Qt.TextFormat.PlainText
    assert name.text() == "<b>boss</b>"


def test_a_known_channel_while_disconnected_is_shown_with_connect(
    qtbot: QtBot, card: KickStatusCard, clock: FakeClock
) -> None:
    connect = child(card, "cardConnectButton")
    assert isinstance(connect, QPushButton)
    assert not connect.isVisible()  # no channel: the hint says where one goes instead
    # the saved channel at launch with auto-connect off, or the channel after a Disconnect
    card.set_status(Status(S.DISCONNECTED, slug="nightowlgg", display_name="NightOwlGG"))
    assert label(card, "channelName") == "NightOwlGG"
    assert child(card, "channelName").property("placeholder") is False
    assert label(card, "channelSlug") == "kick.com/nightowlgg"
    assert label(card, "stateLabel") == "Disconnected"
    assert card.property("state") == "disconnected"
    assert not child(card, "cardHint").isVisible()
    assert connect.isVisible() and connect.text() == "Connect"
    assert connect.accessibleName() == "Connect to NightOwlGG"
    with qtbot.waitSignal(card.connectRequested, timeout=1_000) as clicked:
        qtbot.mouseClick(connect, Qt.MouseButton.LeftButton)
    assert clicked.args == ["nightowlgg"]
    # the card only asks: what it shows changes when the service says so
    assert card.property("state") == "disconnected"

    for state in S:
        card.set_status(status_for(state, clock))
        assert connect.isVisible() is (state in (S.DISCONNECTED, S.ERROR)), state
    # After an error (a blocked lookup, a fatal close) the user can try again from here.
    card.set_status(Status(S.ERROR, slug="nightowlgg", reason="Kick blocked the lookup"))
    with qtbot.waitSignal(card.connectRequested, timeout=1_000) as clicked:
        qtbot.mouseClick(connect, Qt.MouseButton.LeftButton)
    assert clicked.args == ["nightowlgg"]
    card.set_status(Status())
    assert not connect.isVisible()
    assert label(card, "channelName") == "No channel yet"


# -- pulsing ----------------------------------------------------------------------------------


def test_live_dot_pulses_only_while_live(card: KickStatusCard, clock: FakeClock) -> None:
    dot = child(card, "liveDot")
    assert isinstance(dot, PulseDot)
    for state in S:
        card.set_status(status_for(state, clock))
        assert dot.property("pulsing") is (state is S.LIVE), state
        assert dot.animating is (state is S.LIVE), state
    assert not dot.animating  # ended disconnected: the animation stopped


def test_live_dot_is_lime_when_live(card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(status_for(S.LIVE, clock))
    assert center_color(child(card, "liveDot")).name() == "#53fc18"
    card.set_status(status_for(S.CONNECTED, clock))
    assert label(card, "liveText") == "Offline"
    assert child(card, "liveText").isVisible()


def shown_words(card: QWidget) -> list[str]:
    return [
        w.text().strip().lower() for w in card.findChildren(QLabel) if w.isVisible() and w.text()
    ]


def test_live_is_said_once_with_the_pulsing_dot_in_the_state_pill(
    card: KickStatusCard, clock: FakeClock
) -> None:
    card.set_status(status_for(S.LIVE, clock))
    assert shown_words(card).count("live") == 1  # the state pill's text, no second badge
    assert label(card, "stateLabel") == "Live"
    pill = child(card, "statePill")
    dot = child(card, "liveDot")
    assert dot.isVisible() and dot.property("pulsing") is True
    assert dot.parentWidget() is pill  # the pulsing dot sits beside the word
    assert not child(card, "stateIndicator").isVisible()  # one dot in the pill, not two
    assert not child(card, "liveBadge").isVisible()
    # connected but not broadcasting: the state dot again, and "Offline" beside the channel
    card.set_status(status_for(S.CONNECTED, clock))
    assert child(card, "stateIndicator").isVisible() and not dot.isVisible()
    assert "offline" in shown_words(card)


def test_connecting_and_reconnecting_indicators_pulse(
    card: KickStatusCard, clock: FakeClock
) -> None:
    indicator = child(card, "stateIndicator")
    assert isinstance(indicator, PulseDot)
    for state in S:
        card.set_status(status_for(state, clock))
        pulsing = state in (S.CONNECTING, S.RECONNECTING)
        assert indicator.is_pulsing() is pulsing, state
        assert indicator.animating is pulsing, state


def test_pulse_stops_when_hidden(qtbot: QtBot, card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(status_for(S.LIVE, clock))
    dot = child(card, "liveDot")
    assert isinstance(dot, PulseDot)
    assert dot.animating
    card.hide()
    assert not dot.animating
    card.show()
    qtbot.waitExposed(card)
    assert dot.animating


def test_pulse_animation_repaints(qtbot: QtBot, card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(status_for(S.CONNECTING, clock))
    indicator = child(card, "stateIndicator")
    assert isinstance(indicator, PulseDot)
    phases: list[object] = []
    indicator._animation.valueChanged.connect(phases.append)
    qtbot.waitUntil(lambda: len(phases) >= 2, timeout=3_000)


# -- the clock --------------------------------------------------------------------------------


def test_uptime_ticks_with_the_injected_clock(card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(Status(S.CONNECTED, slug="a", connected_at=clock.now))
    assert label(card, "uptime") == "0:00:00"
    assert card.timer.isActive()
    assert card.timer.interval() == 1_000

    clock.now += 5
    card.timer.timeout.emit()
    assert label(card, "uptime") == "0:00:05"

    clock.now += 3_718
    card.tick()
    assert label(card, "uptime") == "1:02:03"

    card.set_status(Status(S.DISCONNECTED, slug="a"))
    assert label(card, "uptime") == "—"
    assert not card.timer.isActive()


def test_uptime_is_a_dash_unless_connected(card: KickStatusCard, clock: FakeClock) -> None:
    for state in S:
        card.set_status(status_for(state, clock))
        clock.now += 7
        card.tick()
        expected = "0:00:07" if state.is_connected else "—"
        assert label(card, "uptime") == expected, state
        clock.now -= 7


def test_reconnect_countdown_and_retry_now(
    qtbot: QtBot, card: KickStatusCard, clock: FakeClock
) -> None:
    card.set_status(status_for(S.RECONNECTING, clock))
    detail = label(card, "statusDetail")
    assert detail.splitlines()[0] == "Attempt 3 · retrying in 4 s"
    assert detail.splitlines()[1] == "Kick's chat server asked us to reconnect"
    assert label(card, "statusReasonDetail") == "Details: server closed 4200 (server restarting)"
    assert child(card, "statusReasonDetail").isVisible()
    retry = child(card, "retryNowButton")
    assert isinstance(retry, QPushButton)
    assert retry.isVisible()
    assert retry.text() == "Retry now"
    assert card.timer.isActive()

    clock.now += 1.5
    card.timer.timeout.emit()
    assert label(card, "statusDetail").startswith("Attempt 3 · retrying in 3 s")

    with qtbot.waitSignal(card.retryRequested, timeout=1_000):
        qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)

    clock.now += 3  # the wait is over: the attempt is under way
    card.tick()
    assert label(card, "statusDetail").startswith("Attempt 3 · connecting")
    assert not retry.isVisible()


def test_retry_now_hidden_outside_reconnecting(card: KickStatusCard, clock: FakeClock) -> None:
    for state in S:
        card.set_status(status_for(state, clock))
        assert child(card, "retryNowButton").isVisible() is (state is S.RECONNECTING), state


def test_error_shows_the_reason_in_words(card: KickStatusCard) -> None:
    card.set_status(Status(S.ERROR, slug="x", reason="Kick has no channel named 'x'."))
    assert label(card, "statusDetail") == "Kick has no channel named 'x'."
    assert child(card, "statusDetail").isVisible()
    assert not child(card, "statusReasonDetail").isVisible()  # no detail: no details line
    # a fatal close code, as the socket driver words it: the sentence, and the code below it
    ending = server_closed(4001, "server closed 4001 (unknown app key)")
    card.set_status(Status(S.ERROR, slug="x", reason=ending.reason, detail=ending.detail))
    assert label(card, "statusDetail") == (
        "Kick's chat server refused the connection — retrying will not help; "
        "check for a VMSC update"
    )
    assert label(card, "statusReasonDetail") == "Details: server closed 4001 (unknown app key)"
    assert child(card, "statusReasonDetail").isVisible()


async def test_no_internet_is_said_plainly_with_the_error_in_a_smaller_line(
    card: KickStatusCard, clock: FakeClock
) -> None:
    """A real DNS failure (the name cannot exist: RFC 6761), as a user offline gets it."""
    with pytest.raises(socket.gaierror) as info:
        await asyncio.get_running_loop().getaddrinfo("vmsc-test.nonexistent.invalid", 443)
    summary, detail = describe_network_error(info.value)
    card.set_status(
        Status(S.RECONNECTING, slug="x", reason=summary, detail=detail, attempt=1,
               retry_at=clock.now + 2)
    )  # fmt: skip
    assert label(card, "statusDetail").splitlines() == [
        "Attempt 1 · retrying in 2 s",
        "Can't reach Kick — check your internet connection",
    ]
    details = child(card, "statusReasonDetail")
    assert isinstance(details, QLabel)
    assert details.text() == f"Details: {error_text(info.value)}"
    assert info.value.strerror and info.value.strerror in details.text()  # the OS's own words
    assert details.isVisible()
    assert details.textFormat() is Qt.TextFormat.PlainText
    sentence = child(card, "statusDetail")
    assert details.font().pointSizeF() < sentence.font().pointSizeF()


def test_details_are_plain_text_on_one_line(card: KickStatusCard) -> None:
    card.set_status(
        Status(S.ERROR, slug="x", reason="Kick's chat server closed the connection",
               detail="server closed 4009: <b>bold</b>\n<img src=x>")
    )  # fmt: skip
    details = child(card, "statusReasonDetail")
    assert isinstance(details, QLabel)
    assert details.text() == "Details: server closed 4009: <b>bold</b> <img src=x>"
    assert details.textFormat() is Qt.TextFormat.PlainText


def test_detail_hidden_and_empty_when_fine(card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(status_for(S.RECONNECTING, clock))
    for state in (S.CONNECTED, S.LIVE, S.CONNECTING, S.DISCONNECTED):
        card.set_status(status_for(state, clock))
        assert label(card, "statusDetail") == ""
        assert not child(card, "statusDetail").isVisible()


# -- numbers ----------------------------------------------------------------------------------


def test_event_count_has_thousands_separators(card: KickStatusCard, clock: FakeClock) -> None:
    card.set_status(Status(S.CONNECTED, slug="a", connected_at=clock.now, event_count=12))
    assert label(card, "eventCount") == "12"
    card.set_event_count(1_234_567)
    assert label(card, "eventCount") == "1,234,567"
    card.set_event_count(0)
    assert label(card, "eventCount") == "0"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00:00"), (5, "0:00:05"), (59.9, "0:00:59"), (3_723, "1:02:03"), (360_000, "100:00:00"),
     (-3, "0:00:00")],
)  # fmt: skip
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_count() -> None:
    assert format_count(1000) == "1,000"
    assert format_count(-1) == "0"


# -- theme loading ----------------------------------------------------------------------------


def test_resources_are_found_next_to_the_package() -> None:
    assert (theme.resources_dir() / "theme.qss").is_file()
    assert theme.icon_path("kick.svg").is_file()
    assert "@ICONS@" not in theme.theme_stylesheet()


def test_resources_are_found_in_a_pyinstaller_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "theme.qss").write_text("QWidget { color: red; }")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert theme.resources_dir() == tmp_path / "resources"
    assert theme.theme_stylesheet() == "QWidget { color: red; }"
