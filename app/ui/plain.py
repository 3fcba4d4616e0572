"""The one rule for text that came from the network (display names, reasons, chat): it is shown
as plain text, everywhere. Qt guesses rich text from the text itself for labels (AutoText) and
always for tooltips, so a display name holding `<img width=3000 height=2000>` would render.

- `plain_label`: a QLabel whose text format is PlainText, whatever it is given later.
- `details_label`: the smaller plain line with a reason's technical detail.
- `plain_tooltip`: tooltip text that Qt shows literally (escaped into an explicit rich-text
  paragraph, since a tooltip has no text format of its own).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def plain_label(name: str, text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def plain_tooltip(text: str) -> str:
    """`text` as a tooltip that shows it as it is, line breaks kept; "" stays "" (no tooltip)."""
    if not text:
        return ""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def details_label(name: str, parent: QWidget) -> QLabel:
    """The smaller line under a plain reason with its technical detail (`Problem.details`):
    plain text, wrapped, selectable so it can be copied into a bug report."""
    label = plain_label(name, "", parent)
    label.setAccessibleName("Technical details")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    # Smaller and quieter than the sentence above it (the muted grey of the card's hint). Set
    # here for now; a `#statusReasonDetail, #kickSourceReasonDetail` rule in theme.qss can take
    # it over (the widget's own sheet would then go).
    label.setStyleSheet("font-size: 9pt; color: #9aa0a9;")
    label.hide()
    return label
