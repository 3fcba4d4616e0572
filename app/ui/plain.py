"""The one rule for text that came from the network (display names, reasons, chat): it is shown
as plain text, everywhere. Qt guesses rich text from the text itself for labels (AutoText) and
always for tooltips, so a display name holding `<img width=3000 height=2000>` would render.

- `plain_label`: a QLabel whose text format is PlainText, whatever it is given later.
- `plain_tooltip`: tooltip text that Qt shows literally (escaped into an explicit rich-text
  paragraph, since a tooltip has no text format of its own).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


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
