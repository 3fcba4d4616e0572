"""One row of the event feed, laid out and drawn: plain text only (no QTextDocument, no HTML).

The delegate (`app.ui.feed_delegate`) measures rows and keeps them; this holds what a laid-out
row is (`ChatRow`, `NoticeRow`), the font measures they are laid out with (`Metrics`), the
wrapping of a chat message (`layout_message`) and the painters. Text reaches the painter as the
characters it is: `QPainter.drawText` and a `QTextLayout` of plain strings (design rule 8).

An emote whose picture is at hand takes one character in the layout, U+FFFC, given the
picture's width as letter spacing and drawn transparent: the layout wraps around the picture as
around a word of that width, and the painter draws the picture where that character is. An
emote without its picture (still loading, or failed) is its bold `:NAME:` chip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPen,
    QPixmap,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyle

from app.ui.feed_style import EMOTE_BG, EMOTE_FG, FAINT, MUTED, TEXT
from app.ui.feed_text import EmoteSpan

__all__ = [
    "CHIP_PAD",
    "GAP",
    "MIN_FIRST_LINE",
    "NOTICE_MARGIN_Y",
    "PAD_X",
    "PAD_Y",
    "PICTURE_CHAR",
    "ChatRow",
    "Chip",
    "Message",
    "Metrics",
    "NoticeRow",
    "Row",
    "layout_message",
    "metrics_for",
    "paint_chat_row",
    "paint_notice_row",
]

PAD_X = 12.0
PAD_Y = 5.0
NOTICE_MARGIN_Y = 3.0
NOTICE_MARGIN_X = 4.0
CHIP_PAD = 6.0
GAP = 6.0
MIN_FIRST_LINE = 72.0  # narrower than this after the name, the message starts on the next line
PICTURE_CHAR = "\ufffc"  # stands for an emote's picture in a message's layout
_CLEAR = QColor(0, 0, 0, 0)


@dataclass(slots=True)
class Metrics:
    font: QFont
    bold: QFont
    small: QFont
    fm: QFontMetricsF
    bold_fm: QFontMetricsF
    small_fm: QFontMetricsF
    line: float  # height of one text line
    small_line: float
    time_w: float  # width of the time column
    chip_h: float
    picture_h: int  # emote pictures are drawn this tall: the text's line height
    picture_char_w: float  # the advance of PICTURE_CHAR without letter spacing


def metrics_for(font: QFont) -> Metrics:
    """The fonts and measures rows are drawn with, from the list's font."""
    font = QFont(font)  # our own copy: an option's font dies with the option
    bold = QFont(font)
    bold.setBold(True)
    small = QFont(font)
    size = font.pointSizeF()
    if size > 0:
        small.setPointSizeF(max(6.5, size * 0.8))
    else:
        small.setPixelSize(max(9, int(font.pixelSize() * 0.8)))
    small.setBold(True)
    fm = QFontMetricsF(font)
    small_fm = QFontMetricsF(small)
    return Metrics(
        font=font,
        bold=bold,
        small=small,
        fm=fm,
        bold_fm=QFontMetricsF(bold),
        small_fm=small_fm,
        line=fm.lineSpacing(),
        small_line=small_fm.lineSpacing(),
        time_w=fm.horizontalAdvance("00:00") + 12,
        chip_h=min(fm.height(), small_fm.height() + 4),
        picture_h=max(1, round(fm.lineSpacing())),
        picture_char_w=fm.horizontalAdvance(PICTURE_CHAR),
    )


@dataclass(slots=True)
class Chip:
    text: str
    color: QColor
    width: float


@dataclass(slots=True)
class ChatRow:
    height: int
    time: str
    reply: str
    chips: list[Chip]
    name: str
    name_color: QColor
    prefix_w: float
    message_y: float  # top of the first message line, below the reply line if any
    layout: QTextLayout | None
    # (position in the layout's text, emote id) of every emote drawn as a picture
    pictures: tuple[tuple[int, str], ...] = ()


@dataclass(slots=True)
class NoticeRow:
    height: int
    time: str
    chip: Chip
    summary: str
    detail: str


Row = ChatRow | NoticeRow


@dataclass(slots=True)
class Message:
    """A chat message laid out: `pictures` as in ChatRow."""

    layout: QTextLayout | None
    height: float
    pictures: tuple[tuple[int, str], ...] = ()


def layout_message(
    text: str,
    spans: Sequence[EmoteSpan],
    prefix_w: float,
    avail: float,
    m: Metrics,
    widths: Sequence[float | None] = (),
) -> Message:
    """The message wrapped to `avail`: the first line starts after the name (`prefix_w`), the
    others under the name's start. `widths` (one per span, or none): the width of each emote's
    picture, None for the chip."""
    if not text:
        return Message(None, m.line)
    pictures: list[tuple[int, str]] = []
    formats: list[QTextLayout.FormatRange] = []
    if spans:
        text, formats, pictures = _emote_formats(text, spans, widths, m)
    layout = QTextLayout(text, m.font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    if formats:
        layout.setFormats(formats)
    layout.setCacheEnabled(True)
    layout.beginLayout()
    y = 0.0
    first = True
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        if first and avail - prefix_w >= MIN_FIRST_LINE:
            line.setLineWidth(avail - prefix_w)
            line.setPosition(QPointF(prefix_w, y))
        else:
            if first:  # a very long name: the message starts on the next line
                y += m.line
            line.setLineWidth(avail)
            line.setPosition(QPointF(0, y))
        first = False
        y += m.line
    layout.endLayout()
    return Message(layout, max(m.line, y), tuple(pictures))


def _emote_formats(
    text: str, spans: Sequence[EmoteSpan], widths: Sequence[float | None], m: Metrics
) -> tuple[str, list[QTextLayout.FormatRange], list[tuple[int, str]]]:
    """The layout's text, with PICTURE_CHAR for each emote that has a width; the formats of the
    chips and pictures; where each picture is."""
    chip = QTextCharFormat()
    chip.setFontWeight(QFont.Weight.Bold)
    chip.setForeground(EMOTE_FG)
    chip.setBackground(EMOTE_BG)
    parts: list[str] = []
    formats: list[QTextLayout.FormatRange] = []
    pictures: list[tuple[int, str]] = []
    shift = 0  # how much shorter the text is so far
    last = 0
    for n, (start, length, emote_id) in enumerate(spans):
        width = widths[n] if n < len(widths) else None
        fr = QTextLayout.FormatRange()
        fr.start = start - shift
        if width is None:
            fr.length = length
            fr.format = chip
        else:
            parts.append(text[last:start])
            parts.append(PICTURE_CHAR)
            last = start + length
            picture = QTextCharFormat()
            picture.setFontLetterSpacingType(QFont.SpacingType.AbsoluteSpacing)
            picture.setFontLetterSpacing(width - m.picture_char_w)
            picture.setForeground(_CLEAR)
            fr.length = 1
            fr.format = picture
            pictures.append((fr.start, emote_id))
            shift += length - 1
        formats.append(fr)
    if pictures:
        parts.append(text[last:])
        text = "".join(parts)
    return text, formats, pictures


# =============================================================================== painting


def _paint_time(painter: QPainter, x: float, baseline: float, row: Row, m: Metrics) -> None:
    painter.setFont(m.font)
    painter.setPen(FAINT)
    painter.drawText(QPointF(x, baseline), row.time)


def _paint_chip(painter: QPainter, x: float, center_y: float, chip: Chip, m: Metrics) -> None:
    box = QRectF(x, center_y - m.chip_h / 2, chip.width, m.chip_h)
    background = QColor(chip.color)
    background.setAlpha(40)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(background)
    painter.drawRoundedRect(box, 4, 4)
    painter.setFont(m.small)
    painter.setPen(chip.color.lighter(115))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, chip.text)


def paint_chat_row(
    painter: QPainter,
    rect: QRectF,
    row: ChatRow,
    m: Metrics,
    deleted: bool,
    pixmaps: Sequence[QPixmap | None] = (),
) -> None:
    """A chat message: time, reply line, badges, name and the message (struck out and faded
    when a moderator deleted it). `pixmaps`: the pictures of `row.pictures`, in order."""
    x0 = rect.left() + PAD_X + m.time_w
    top = rect.top()
    if row.reply:
        painter.setFont(m.small)
        painter.setPen(FAINT)
        width = rect.right() - PAD_X - x0
        text = m.small_fm.elidedText(row.reply, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QPointF(x0, top + PAD_Y + m.small_fm.ascent()), text)
    line_top = top + row.message_y
    baseline = line_top + m.fm.ascent()
    _paint_time(painter, rect.left() + PAD_X, baseline, row, m)
    if deleted:
        painter.setOpacity(0.45)
    x = x0
    for chip in row.chips:
        _paint_chip(painter, x, line_top + m.line / 2, chip, m)
        x += chip.width + 4
    if row.chips:
        x += 2
    painter.setFont(m.bold)
    painter.setPen(row.name_color)
    painter.drawText(QPointF(x, baseline), row.name)
    painter.setPen(MUTED)
    painter.drawText(QPointF(x + m.bold_fm.horizontalAdvance(row.name), baseline), ":")
    if row.layout is not None:
        painter.setPen(MUTED if deleted else TEXT)
        origin = QPointF(x0, line_top)
        row.layout.draw(painter, origin)
        if pixmaps:
            _paint_pictures(painter, origin, row, pixmaps, m)
        if deleted:
            painter.setPen(QPen(MUTED, 1.2))
            for i in range(row.layout.lineCount()):
                line = row.layout.lineAt(i)
                y = origin.y() + line.y() + line.ascent() * 0.62
                start = origin.x() + line.x()
                painter.drawLine(QPointF(start, y), QPointF(start + line.naturalTextWidth(), y))
    painter.setOpacity(1.0)


def _paint_pictures(
    painter: QPainter, origin: QPointF, row: ChatRow, pixmaps: Sequence[QPixmap | None], m: Metrics
) -> None:
    assert row.layout is not None
    for (position, _), pixmap in zip(row.pictures, pixmaps, strict=False):
        if pixmap is None:  # dropped from memory meanwhile: it is loaded again, then drawn
            continue
        line = row.layout.lineForTextPosition(position)
        x, _ = cast(tuple[float, int], line.cursorToX(position))  # typed `object` in PySide6
        top = line.y() + (m.line - pixmap.deviceIndependentSize().height()) / 2
        painter.drawPixmap(QPointF(origin.x() + x, origin.y() + top), pixmap)


def paint_notice_row(
    painter: QPainter, rect: QRectF, row: NoticeRow, m: Metrics, state: QStyle.StateFlag
) -> None:
    """A notice (follow, sub, ban, ...): a tinted box with an accent bar, tag and summary."""
    box = rect.adjusted(NOTICE_MARGIN_X, NOTICE_MARGIN_Y, -NOTICE_MARGIN_X, -NOTICE_MARGIN_Y)
    accent = row.chip.color
    tint = QColor(accent)
    tint.setAlpha(34 if state & QStyle.StateFlag.State_Selected else 20)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(tint)
    painter.drawRoundedRect(box, 7, 7)
    painter.setBrush(accent)
    painter.drawRoundedRect(QRectF(box.left(), box.top(), 3.5, box.height()), 1.75, 1.75)

    line_top = box.top() + PAD_Y + 1
    baseline = line_top + m.fm.ascent()
    _paint_time(painter, rect.left() + PAD_X, baseline, row, m)
    x = rect.left() + PAD_X + m.time_w
    _paint_chip(painter, x, line_top + m.line / 2, row.chip, m)
    x += row.chip.width + 8
    right = box.right() - PAD_X
    painter.setFont(m.bold)
    painter.setPen(TEXT)
    summary = m.bold_fm.elidedText(row.summary, Qt.TextElideMode.ElideRight, right - x)
    painter.drawText(QPointF(x, baseline), summary)
    if row.detail:
        painter.setFont(m.font)
        painter.setPen(MUTED)
        detail = m.fm.elidedText(row.detail, Qt.TextElideMode.ElideRight, right - x)
        painter.drawText(QPointF(x, baseline + m.line), detail)
