"""The Settings page: cards like the rest of the app, and a check box that looks on or off.

The contrast figures are measured on what Qt actually renders with the app's theme (a grab of
the page offscreen), not read from the QSS, so a theme change that makes the box hard to see
fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFrame,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
)
from pytestqt.qtbot import QtBot

from app.ui.settings_page import SettingsPage
from tests.ui import themed

# WCAG 2.1 SC 1.4.11, non-text contrast: user interface components against adjacent colours.
MIN_NON_TEXT_CONTRAST = 3.0


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: QColor) -> float:
    """WCAG 2.1 relative luminance."""
    return (
        0.2126 * _linear(color.red())
        + 0.7152 * _linear(color.green())
        + 0.0722 * _linear(color.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast(QColor("#ffffff"), QColor("#000000")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast(QColor("#181b1f"), QColor("#181b1f")) == pytest.approx(1.0)


@pytest.fixture
def page(qapp: QApplication, qtbot: QtBot, tmp_path: Path) -> Iterator[SettingsPage]:
    with themed(qapp):
        widget = SettingsPage(tmp_path / "logs")
        qtbot.addWidget(widget)
        widget.resize(820, 560)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget


class Rendered:
    """The check box's section as rendered, with the indicator's rectangle in its pixels."""

    def __init__(self, box: QCheckBox) -> None:
        section = box.parentWidget()
        assert isinstance(section, QFrame) and section.objectName() == "settingsSection"
        option = QStyleOptionButton()
        box.initStyleOption(option)
        local = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        assert local.width() >= 12 and local.height() >= 12, local  # big enough to hit
        self.image: QImage = section.grab().toImage()
        scale = self.image.devicePixelRatio()
        top_left = box.mapTo(section, local.topLeft())
        self.rect = QRect(
            round(top_left.x() * scale),
            round(top_left.y() * scale),
            round(local.width() * scale),
            round(local.height() * scale),
        )
        self.section_width = round(section.width() * scale)

    def at(self, x: int, y: int) -> QColor:
        return self.image.pixelColor(QPoint(x, y))

    @property
    def background(self) -> QColor:
        """What surrounds the box: the card just left of it, checked to be plain card."""
        y = self.rect.center().y()
        beside = self.at(self.rect.left() - 4, y)
        empty = self.at(self.section_width - 24, y)  # the card's far right, past the text
        assert beside == empty, (beside.name(), empty.name())
        return beside

    @property
    def rim(self) -> QColor:
        """The box's outline, halfway down its left edge."""
        return self.at(self.rect.left() + 1, self.rect.center().y())

    @property
    def fill(self) -> QColor:
        """Inside the box near its top edge, where the check mark never reaches."""
        return self.at(self.rect.center().x(), self.rect.top() + 3)

    def inside(self) -> list[QColor]:
        """Every pixel inside the outline (where a check mark is drawn)."""
        r = self.rect.adjusted(3, 3, -3, -3)
        return [
            self.at(x, y)
            for x in range(r.left(), r.right() + 1)
            for y in range(r.top(), r.bottom() + 1)
        ]


def render(page: SettingsPage, *, checked: bool, focused: bool, qtbot: QtBot) -> Rendered:
    box = page.auto_connect
    page.set_auto_connect(checked)
    assert box.isChecked() is checked
    other = page.findChild(QPushButton, "openLogFolderButton")
    assert other is not None
    (box if focused else other).setFocus()
    qtbot.waitUntil(lambda: box.hasFocus() is focused, timeout=2_000)
    return Rendered(box)


@pytest.mark.parametrize("focused", [False, True], ids=["unfocused", "keyboard-focus"])
def test_check_box_is_visibly_on_or_off(page: SettingsPage, qtbot: QtBot, focused: bool) -> None:
    off = render(page, checked=False, focused=focused, qtbot=qtbot)
    on = render(page, checked=True, focused=focused, qtbot=qtbot)
    assert off.background == on.background

    # Off: the outline stands out from the card.
    off_rim = contrast(off.rim, off.background)
    assert off_rim >= MIN_NON_TEXT_CONTRAST, (off.rim.name(), off.background.name(), off_rim)
    # On: the filled box stands out from the card...
    on_fill = contrast(on.fill, on.background)
    assert on_fill >= MIN_NON_TEXT_CONTRAST, (on.fill.name(), on.background.name(), on_fill)
    # ...and from the box when off, so on and off are not told apart by a thin line alone.
    assert contrast(on.fill, off.fill) >= MIN_NON_TEXT_CONTRAST, (on.fill.name(), off.fill.name())
    # On: a check mark is drawn, in a colour that stands out from the fill.
    mark = max(on.inside(), key=lambda c: contrast(c, on.fill))
    assert contrast(mark, on.fill) >= MIN_NON_TEXT_CONTRAST, (mark.name(), on.fill.name())
    # Off: nothing is drawn inside the box.
    assert max(contrast(c, off.fill) for c in off.inside()) < 1.2


def test_sections_are_cards(page: SettingsPage) -> None:
    sections = page.findChildren(QFrame, "settingsSection")
    assert len(sections) == 4
    page_image = page.grab().toImage()
    page_bg = page_image.pixelColor(page.width() - 4, page.height() - 4)  # below the cards
    titles = []
    for section in sections:
        image = section.grab().toImage()
        inner = image.pixelColor(image.width() - 20, image.height() // 2)
        edge = image.pixelColor(image.width() // 2, 0)  # the top border
        assert inner != page_bg, "a section's background is the page's: not a card"
        assert edge != inner, "a section has no visible border"
        title = section.findChild(QLabel, "sectionTitle")
        assert title is not None
        titles.append(title.text())
    assert titles == ["Connection", "Overlays", "Logs", "About"]


def test_auto_connect_hint_names_what_off_means(page: SettingsPage) -> None:
    hint = page.findChild(QLabel, "settingHint")
    assert isinstance(hint, QLabel) and hint.isVisible()
    assert "Connect button" in hint.text()


def test_check_box_toggles_and_reports(page: SettingsPage, qtbot: QtBot) -> None:
    page.set_auto_connect(True)
    seen: list[bool] = []
    page.autoConnectChanged.connect(seen.append)
    qtbot.mouseClick(page.auto_connect, Qt.MouseButton.LeftButton)
    assert seen == [False]
    page.set_auto_connect(True)  # the app telling the page: no request echoed back
    assert seen == [False]


def test_overlays_section_shows_urls_port_token_and_copies(
    page: SettingsPage, qtbot: QtBot
) -> None:
    urls = {
        "chat": "http://127.0.0.1:7582/overlay/chat",
        "alerts": "http://127.0.0.1:7582/overlay/alerts",
    }
    page.set_relay_info(urls, 7582, "tok-123", "")
    assert page.overlay_urls["chat"].text() == urls["chat"]
    assert page.overlay_urls["alerts"].isReadOnly()
    assert page.relay_port.value() == 7582 and page.relay_token.text() == "tok-123"
    assert page.relay_state.text() == "Serving overlays at http://127.0.0.1:7582/ (port 7582)."
    copy = page.findChild(QPushButton, "copyOverlayUrl_alerts")
    assert copy is not None
    copy.click()
    assert QGuiApplication.clipboard().text() == urls["alerts"]
    with qtbot.waitSignal(page.relayTokenRenewRequested):
        renew = page.findChild(QPushButton, "renewRelayToken")
        assert renew is not None
        renew.click()
    page.relay_port.setValue(9000)
    with qtbot.waitSignal(page.relayPortChanged) as changed:
        apply = page.findChild(QPushButton, "applyRelayPort")
        assert apply is not None
        apply.click()
    assert changed.args == [9000]
    page.set_relay_info({}, 7582, "", "Port 7582 is already in use on 127.0.0.1 (...).")
    assert page.overlay_urls["chat"].text() == ""
    assert page.relay_state.text().startswith("Port 7582 is already in use")


def test_at_the_smallest_window_nothing_is_squeezed_the_page_scrolls(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QLineEdit, QScrollArea

    with themed(qapp):
        page = SettingsPage(tmp_path / "logs")
        qtbot.addWidget(page)
        page.set_relay_info(
            {"chat": "http://127.0.0.1:7582/overlay/chat", "alerts": "http://x/overlay/alerts"},
            7582,
            "tok",
            "",
        )
        page.resize(760 - 140, 520)  # the window's minimum, less the sidebar
        page.show()
        qtbot.waitExposed(page)
        squeezed = [
            f"{w.objectName() or type(w).__name__}: {w.height()} < {w.minimumSizeHint().height()}"
            for kind in (QLineEdit, QPushButton, QCheckBox)
            for w in page.findChildren(kind)
            if w.isVisible() and w.height() < w.minimumSizeHint().height()
        ]
        assert squeezed == []
        scroll = page.findChild(QScrollArea, "settingsScroll")
        assert scroll is not None and scroll.verticalScrollBar().maximum() > 0
