"""Emote pictures for the feed's delegate: their widths for laying a row out, their pixmaps for
painting it, and which rows were measured with a chip in a picture's place.

The pictures come from an `ImageService`, which never waits: a picture not decoded yet is None
(the row gets the emote's `:NAME:` chip) and starts loading. Each such row is noted under the
emote, so when the picture is ready only those rows are measured again (`rows_to_measure`), not
every row the feed holds. The notes are bounded; past the bound the next ready picture has
every row looked at once, and the notes start afresh.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QPixmap

from app.ui.feed_text import EmoteSpan

if TYPE_CHECKING:
    from app.services.images import ImageService

__all__ = ["RowPictures"]


class RowPictures:
    """`images`: None for no pictures (every emote is its chip). Rows are named by a key (the
    delegate's: `id(event)`)."""

    def __init__(self, images: ImageService | None = None, max_notes: int = 11_000) -> None:
        self.images = images
        self.pixel_ratio = 1.0  # of the device painted on: pictures are made for it
        self.max_notes = max_notes
        self._chips: dict[str, set[int]] = {}  # emote id -> rows measured with its chip
        self._notes = 0
        self._overflowed = False

    def widths(self, spans: Sequence[EmoteSpan], height: int, key: int) -> list[float | None]:
        """The width of each emote's picture `height` tall, None for one not at hand (row `key`
        shows its chip meanwhile); empty without an image service."""
        images = self.images
        if images is None or not spans:
            return []
        widths: list[float | None] = []
        for _, _, emote_id in spans:
            pixmap = images.emote(emote_id, height, self.pixel_ratio)
            if pixmap is None:
                self._note_chip(emote_id, key)
                widths.append(None)
            else:
                widths.append(pixmap.deviceIndependentSize().width())
        return widths

    def pixmaps(self, pictures: Sequence[tuple[int, str]], height: int) -> list[QPixmap | None]:
        """The pictures of a laid-out row (`ChatRow.pictures`), for painting."""
        images = self.images
        if images is None or not pictures:
            return []
        ratio = self.pixel_ratio
        return [images.emote(emote_id, height, ratio) for _, emote_id in pictures]

    def rows_to_measure(self, emote_ids: Collection[str]) -> set[int] | None:
        """The rows measured with a chip for one of these emotes (their pictures are ready);
        None when that is not known (too many were noted): look at every row."""
        if self._overflowed:
            self.forget()
            return None
        rows: set[int] = set()
        for emote_id in emote_ids:
            found = self._chips.pop(emote_id, None)
            if found:
                self._notes -= len(found)
                rows |= found
        return rows

    def forget(self) -> None:
        """Every row is measured afresh anyway (a new font, a new image service)."""
        self._chips.clear()
        self._notes = 0
        self._overflowed = False

    def _note_chip(self, emote_id: str, key: int) -> None:
        if self._overflowed:
            return
        rows = self._chips.setdefault(emote_id, set())
        if key in rows:
            return
        if self._notes >= self.max_notes:
            self._chips.clear()
            self._notes = 0
            self._overflowed = True
            return
        rows.add(key)
        self._notes += 1
