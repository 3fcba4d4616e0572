"""The Sources panel: expanding the Kick card, validating as typed, connect / disconnect intents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.state import ConnectionState as S
from app.core.state import Status
from app.ui.kick_source_card import KickSourceCard, slug_error
from app.ui.manual_ids import parse_manual_ids
from app.ui.sources_panel import SourcesPanel
from app.ui.status_card import KickStatusCard
from tests.ui import FakeClock, center_color, themed


@pytest.fixture
def panel(qapp: QApplication, qtbot: QtBot) -> Iterator[SourcesPanel]:
    with themed(qapp):
        widget = SourcesPanel()
        qtbot.addWidget(widget)
        widget.resize(640, 560)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget


def find(panel: QWidget, cls: type, name: str) -> QWidget:
    widget = panel.findChild(cls, name)
    assert widget is not None, name
    return widget


def card_of(panel: SourcesPanel) -> KickSourceCard:
    card = find(panel, KickSourceCard, "kickSourceCard")
    assert isinstance(card, KickSourceCard)
    return card


def username(panel: SourcesPanel) -> QLineEdit:
    field = find(panel, QLineEdit, "kickUsernameInput")
    assert isinstance(field, QLineEdit)
    return field


def button(panel: SourcesPanel) -> QPushButton:
    widget = find(panel, QPushButton, "kickConnectButton")
    assert isinstance(widget, QPushButton)
    return widget


def error_label(panel: SourcesPanel) -> QLabel:
    widget = find(panel, QLabel, "kickUsernameError")
    assert isinstance(widget, QLabel)
    return widget


def expanded(panel: SourcesPanel) -> SourcesPanel:
    card_of(panel).set_expanded(True)
    return panel


# -- expanding --------------------------------------------------------------------------------


def test_starts_collapsed_and_expands_on_click(qtbot: QtBot, panel: SourcesPanel) -> None:
    card = card_of(panel)
    assert not card.is_expanded()
    assert not username(panel).isVisible()
    header = find(panel, QWidget, "kickSourceHeader")
    with qtbot.waitSignal(card.expandedChanged, timeout=1_000) as blocker:
        qtbot.mouseClick(header, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert card.is_expanded()
    assert username(panel).isVisible()
    assert button(panel).isVisible()
    qtbot.mouseClick(header, Qt.MouseButton.LeftButton)
    assert not card.is_expanded()
    assert not username(panel).isVisible()


@pytest.mark.parametrize("key", [Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_expands_from_the_keyboard(qtbot: QtBot, panel: SourcesPanel, key: Qt.Key) -> None:
    card = card_of(panel)
    assert card.focusPolicy() & Qt.FocusPolicy.TabFocus
    card.setFocus()
    qtbot.keyClick(card, key)
    assert card.is_expanded()
    assert username(panel).hasFocus()  # straight on to the first field
    card.setFocus()
    qtbot.keyClick(card, key)
    assert not card.is_expanded()


def test_panel_focus_goes_to_the_card(panel: SourcesPanel) -> None:
    panel.setFocus()
    assert card_of(panel).hasFocus()


def test_return_in_the_field_does_not_toggle_the_card(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    field = username(panel)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Return)  # empty: nothing to connect to
    assert card_of(panel).is_expanded()


# -- validation -------------------------------------------------------------------------------


def test_empty_username_disables_connect_without_an_error(panel: SourcesPanel) -> None:
    expanded(panel)
    assert button(panel).text() == "Connect"
    assert not button(panel).isEnabled()
    assert not error_label(panel).isVisible()


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("night owl", "space"),
        ("nightowl!", "'!'"),
        ("a" * 26, "25"),
        ("ünïcode", "'ü'"),
    ],
)
def test_invalid_username_disables_connect_and_says_why(
    qtbot: QtBot, panel: SourcesPanel, typed: str, why: str
) -> None:
    expanded(panel)
    if typed.isascii():
        qtbot.keyClicks(username(panel), typed)
    else:  # QTest types ASCII only
        username(panel).insert(typed)
    assert not button(panel).isEnabled()
    assert error_label(panel).isVisible()
    assert why in error_label(panel).text()
    assert username(panel).property("invalid") is True


@pytest.mark.parametrize("typed", ["NightOwlGG", "pixel_mage", "a-b", "x", "a" * 25, "  padded "])
def test_valid_username_enables_connect(qtbot: QtBot, panel: SourcesPanel, typed: str) -> None:
    expanded(panel)
    qtbot.keyClicks(username(panel), typed)
    assert button(panel).isEnabled()
    assert not error_label(panel).isVisible()
    assert error_label(panel).text() == ""


def test_fixing_the_username_clears_the_error(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    field = username(panel)
    qtbot.keyClicks(field, "bad!")
    assert error_label(panel).isVisible()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert not error_label(panel).isVisible()
    assert button(panel).isEnabled()


def test_slug_rule_helpers() -> None:
    assert slug_error("NightOwl") is None
    assert slug_error("") == "Enter a Kick username."
    assert parse_manual_ids("", "") == (None, None, None)
    assert parse_manual_ids("668", "1234") == (668, 1234, None)
    assert parse_manual_ids("668", "")[2] is not None
    assert parse_manual_ids("6x", "1")[2] is not None


# -- connecting -------------------------------------------------------------------------------


def test_enter_connects_with_the_lower_case_slug(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    field = username(panel)
    qtbot.keyClicks(field, "NightOwlGG")
    with qtbot.waitSignal(panel.connectRequested, timeout=1_000) as blocker:
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert blocker.args == ["nightowlgg", None, None]


def test_click_connects(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    panel.set_username("Pixel_Mage")
    with qtbot.waitSignal(panel.connectRequested, timeout=1_000) as blocker:
        qtbot.mouseClick(button(panel), Qt.MouseButton.LeftButton)
    assert blocker.args == ["pixel_mage", None, None]


def test_enter_with_an_invalid_username_does_nothing(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    qtbot.keyClicks(username(panel), "no way")
    with qtbot.assertNotEmitted(panel.connectRequested):
        qtbot.keyClick(username(panel), Qt.Key.Key_Return)


def test_advanced_ids_are_passed(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    toggle = find(panel, QAbstractButton, "kickAdvancedToggle")
    chatroom = find(panel, QLineEdit, "kickChatroomIdInput")
    channel = find(panel, QLineEdit, "kickChannelIdInput")
    assert isinstance(chatroom, QLineEdit) and isinstance(channel, QLineEdit)
    assert not chatroom.isVisible()
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert chatroom.isVisible() and channel.isVisible()

    panel.set_username("nightowlgg")
    qtbot.keyClicks(chatroom, "66a8")  # digits only: the letter is refused
    assert chatroom.text() == "668"
    assert not button(panel).isEnabled()  # both or neither
    ids_error = find(panel, QLabel, "kickIdsError")
    assert isinstance(ids_error, QLabel)
    assert ids_error.isVisible() and "channel id" in ids_error.text()

    qtbot.keyClicks(channel, "1234")
    assert button(panel).isEnabled()
    assert not ids_error.isVisible()
    with qtbot.waitSignal(panel.connectRequested, timeout=1_000) as blocker:
        qtbot.keyClick(channel, Qt.Key.Key_Return)
    assert blocker.args == ["nightowlgg", 668, 1234]


def test_set_manual_ids_fills_and_opens_advanced(panel: SourcesPanel) -> None:
    expanded(panel)
    panel.set_manual_ids(668, 1234)
    chatroom = find(panel, QLineEdit, "kickChatroomIdInput")
    assert isinstance(chatroom, QLineEdit)
    assert chatroom.text() == "668"
    assert chatroom.isVisible()
    assert card_of(panel).manual_ids() == (668, 1234)
    panel.set_manual_ids(None, None)
    assert card_of(panel).manual_ids() == (None, None)


def test_notes_explain_advanced_and_anonymous_mode(panel: SourcesPanel) -> None:
    expanded(panel)
    texts = " ".join(label.text() for label in panel.findChildren(QLabel))
    assert "blocked" in texts
    assert "follows may not appear without a Kick login" in texts


# -- following the connection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (S.DISCONNECTED, "Connect"),
        (S.CONNECTING, "Disconnect"),
        (S.CONNECTED, "Disconnect"),
        (S.LIVE, "Disconnect"),
        (S.RECONNECTING, "Disconnect"),
        (S.ERROR, "Connect"),
    ],
)
def test_button_follows_the_state(panel: SourcesPanel, state: S, text: str) -> None:
    expanded(panel)
    panel.set_username("nightowlgg")
    panel.set_status(Status(state, slug="nightowlgg", reason="why"))
    assert button(panel).text() == text
    assert button(panel).isEnabled()
    assert card_of(panel).property("state") == state.value
    state_label = find(panel, QLabel, "stateLabel")
    assert isinstance(state_label, QLabel)
    assert state_label.text() == state.label


def test_disconnect_is_asked_for_when_connected(qtbot: QtBot, panel: SourcesPanel) -> None:
    expanded(panel)
    panel.set_username("nightowlgg")
    panel.set_status(Status(S.CONNECTED, slug="nightowlgg", connected_at=1.0))
    assert button(panel).text() == "Disconnect"
    with (
        qtbot.waitSignal(panel.disconnectRequested, timeout=1_000),
        qtbot.assertNotEmitted(panel.connectRequested),
    ):
        qtbot.mouseClick(button(panel), Qt.MouseButton.LeftButton)
    panel.set_status(Status(S.DISCONNECTED, slug="nightowlgg"))
    assert button(panel).text() == "Connect"


def test_enter_while_connected_switches_only_to_another_channel(
    qtbot: QtBot, panel: SourcesPanel
) -> None:
    expanded(panel)
    panel.set_username("NightOwlGG")
    panel.set_status(Status(S.LIVE, slug="nightowlgg", connected_at=1.0, is_live=True))
    with qtbot.assertNotEmitted(panel.connectRequested):
        qtbot.keyClick(username(panel), Qt.Key.Key_Return)
    panel.set_username("pixel_mage")
    with qtbot.waitSignal(panel.connectRequested, timeout=1_000) as blocker:
        qtbot.keyClick(username(panel), Qt.Key.Key_Return)
    assert blocker.args == ["pixel_mage", None, None]


def test_small_state_indicator_uses_the_qss_colours(panel: SourcesPanel) -> None:
    indicator = find(card_of(panel), QWidget, "stateIndicator")
    for state, color in (
        (S.DISCONNECTED, "#8a8f98"),
        (S.CONNECTING, "#f5c518"),
        (S.CONNECTED, "#53fc18"),
        (S.RECONNECTING, "#ff9f1a"),
        (S.ERROR, "#ff4d4f"),
    ):
        panel.set_status(Status(state, slug="nightowlgg"))
        assert center_color(indicator).name() == color, state


def test_reason_is_shown_on_error(panel: SourcesPanel) -> None:
    expanded(panel)
    panel.set_status(Status(S.ERROR, slug="x", reason="Kick has no channel named 'x'."))
    detail = find(panel, QLabel, "kickSourceDetail")
    assert isinstance(detail, QLabel)
    assert detail.isVisible()
    assert detail.text() == "Kick has no channel named 'x'."
    panel.set_status(Status(S.CONNECTING, slug="x"))
    assert not detail.isVisible()


@pytest.fixture
def clocked_panel(qapp: QApplication, qtbot: QtBot, clock: FakeClock) -> Iterator[SourcesPanel]:
    with themed(qapp):
        widget = SourcesPanel(clock=clock)
        qtbot.addWidget(widget)
        widget.resize(640, 560)
        widget.show()
        qtbot.waitExposed(widget)
        yield expanded(widget)


def reconnecting(clock: FakeClock, attempt: int = 2, wait: float = 4.0) -> Status:
    return Status(
        S.RECONNECTING,
        slug="nightowlgg",
        reason="Can't reach Kick — check your internet connection",
        detail="[Errno -2] Name or service not known",
        attempt=attempt,
        retry_at=clock.now + wait,
    )


def test_reconnecting_shows_attempt_reason_countdown_and_details(
    clocked_panel: SourcesPanel, clock: FakeClock
) -> None:
    card = card_of(clocked_panel)
    clocked_panel.set_status(reconnecting(clock))
    detail = find(clocked_panel, QLabel, "kickSourceDetail")
    details = find(clocked_panel, QLabel, "kickSourceReasonDetail")
    assert isinstance(detail, QLabel) and isinstance(details, QLabel)
    assert detail.text().splitlines() == [
        "Attempt 2 · retrying in 4 s",
        "Can't reach Kick — check your internet connection",
    ]
    assert details.text() == "Details: [Errno -2] Name or service not known"
    assert detail.isVisible() and details.isVisible()
    assert details.textFormat() is Qt.TextFormat.PlainText
    assert details.font().pointSizeF() < detail.font().pointSizeF()

    # the countdown runs off the card's 1 s timer
    assert card.timer.isActive()
    clock.now += 1.5
    card.timer.timeout.emit()
    assert detail.text().splitlines()[0] == "Attempt 2 · retrying in 3 s"
    clock.now += 3  # the attempt is due: under way
    card.timer.timeout.emit()
    assert detail.text().splitlines()[0] == "Attempt 2 · connecting…"

    # the next attempt, scheduled: its number and a fresh countdown
    clocked_panel.set_status(reconnecting(clock, attempt=3, wait=8))
    assert detail.text().splitlines()[0] == "Attempt 3 · retrying in 8 s"

    clocked_panel.set_status(Status(S.CONNECTED, slug="nightowlgg", connected_at=clock.now))
    assert card.timer.isActive()  # connected: it redraws the last event's age
    assert not detail.isVisible() and not details.isVisible()
    assert detail.text() == "" and details.text() == ""
    clocked_panel.set_status(Status(slug="nightowlgg"))
    assert not card.timer.isActive()


def test_error_shows_the_plain_reason_and_its_details(clocked_panel: SourcesPanel) -> None:
    clocked_panel.set_status(
        Status(S.ERROR, slug="x", reason="The proxy setting can't be used — correct it, then "
               "connect again", detail="socks5://127.0.0.1:9 isn't a valid proxy")
    )  # fmt: skip
    detail = find(clocked_panel, QLabel, "kickSourceDetail")
    details = find(clocked_panel, QLabel, "kickSourceReasonDetail")
    assert isinstance(detail, QLabel) and isinstance(details, QLabel)
    assert detail.text() == "The proxy setting can't be used — correct it, then connect again"
    assert details.text() == "Details: socks5://127.0.0.1:9 isn't a valid proxy"
    assert details.isVisible()
    assert not card_of(clocked_panel).timer.isActive()  # nothing counts down on Error


def test_sources_page_says_what_the_dashboard_card_says(
    qtbot: QtBot, clocked_panel: SourcesPanel, clock: FakeClock
) -> None:
    dashboard = KickStatusCard(clock=clock)
    qtbot.addWidget(dashboard)
    for status in (
        reconnecting(clock),
        reconnecting(clock, attempt=5, wait=0.2),
        Status(S.RECONNECTING, slug="x", reason="Kick's chat server asked us to reconnect",
               attempt=1, retry_at=None),
        Status(S.ERROR, slug="x", reason="Kick has no channel named 'x'. Check the spelling."),
    ):  # fmt: skip
        clocked_panel.set_status(status)
        dashboard.set_status(status)
        for ours, theirs in (
            ("kickSourceDetail", "statusDetail"),
            ("kickSourceReasonDetail", "statusReasonDetail"),
        ):
            mine = find(clocked_panel, QLabel, ours)
            card = find(dashboard, QLabel, theirs)
            assert isinstance(mine, QLabel) and isinstance(card, QLabel)
            assert mine.text() == card.text(), status
        assert find(clocked_panel, QLabel, "kickSourceDetail").text()  # not both empty


# -- accessibility ----------------------------------------------------------------------------


def test_every_control_has_an_accessible_name(panel: SourcesPanel) -> None:
    expanded(panel)
    controls = [
        w
        for w in panel.findChildren(QWidget)
        if isinstance(w, QLineEdit | QAbstractButton) or w.focusPolicy() & Qt.FocusPolicy.TabFocus
    ]
    assert len(controls) >= 5
    for widget in controls:
        assert widget.accessibleName(), widget.objectName()


def test_tab_order(panel: SourcesPanel) -> None:
    expanded(panel)
    card = card_of(panel)
    card.findChild(QAbstractButton, "kickAdvancedToggle").setChecked(True)  # type: ignore[union-attr]
    order = []
    widget: QWidget = card
    for _ in range(40):
        widget = widget.nextInFocusChain()
        if widget is card:
            break
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.objectName():
            order.append(widget.objectName())
    expected = [
        "kickUsernameInput",
        "kickConnectButton",
        "kickAdvancedToggle",
        "kickChatroomIdInput",
        "kickChannelIdInput",
    ]
    assert [name for name in order if name in expected] == expected
