"""Emote and badge pictures for painting: look-ups that never wait, and a signal when one is ready.

`ImageService.emote(id, height)` is called from a paint: it returns the picture at that height if
it is decoded already, else None (draw the `:NAME:` chip) and starts loading it in the background,
once. When it is ready `emote_ready(id)` fires and the view repaints; when it cannot be had
(404, garbage, too big, too slow) nothing fires, and the chip stays.

The bytes come from `app.kick.images.ImageFetcher` (disk cache, then Kick); they are decoded in a
worker thread (QImage is safe off the GUI thread, QPixmap is not), only the first frame (an
animated emote stands still), at most `MAX_SOURCE_HEIGHT` tall. The QPixmap for a height is made
on the GUI thread on first use, which for a picture this small is a fraction of a millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

from app.kick.images import ImageFetcher, ImageKind, sniff_image, valid_image_id

log = logging.getLogger(__name__)

MAX_SOURCE_HEIGHT = 128  # decoded pictures are kept at most this tall (a feed line is ~20 px)
MAX_SOURCE_PIXELS = 4096 * 4096  # a picture claiming more is not decoded (a decompression bomb)
MAX_IMAGES = 500  # decoded pictures kept in memory, least recently used dropped first
MAX_PIXMAPS = 1_000  # pictures at a drawn height


def decode_first_frame(data: bytes, max_height: int = MAX_SOURCE_HEIGHT) -> QImage | None:
    """The first frame of a PNG, GIF, JPEG or WebP, scaled down to `max_height` if taller; None
    for anything else, a broken file, or one too large. Safe in a worker thread."""
    image_format = sniff_image(data)
    if image_format is None:
        return None
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, image_format.encode())
    reader.setAutoDetectImageFormat(False)  # only the sniffed format's plugin reads it
    size = reader.size()
    if not size.isValid() or size.isEmpty() or size.width() * size.height() > MAX_SOURCE_PIXELS:
        return None
    if size.height() > max_height:
        width = max(1, round(size.width() * max_height / size.height()))
        reader.setScaledSize(QSize(width, max_height))
    image = reader.read()
    if image.isNull():
        return None
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


class ImageService(QObject):
    emote_ready = Signal(str)  # emote id: its picture can be drawn now
    badge_ready = Signal(str)  # subscriber badge id

    def __init__(self, fetcher: ImageFetcher, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fetcher = fetcher
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pixmaps: OrderedDict[tuple[str, int, float], QPixmap] = OrderedDict()
        self._loading: dict[str, asyncio.Task[None]] = {}
        self._no_loop_logged = False
        self._closed = False

    def emote(self, emote_id: str, height: int, device_pixel_ratio: float = 1.0) -> QPixmap | None:
        """The emote `height` logical pixels tall if ready, else None (and it starts loading)."""
        return self._picture("emote", emote_id, height, device_pixel_ratio)

    def badge(self, badge_id: str, height: int, device_pixel_ratio: float = 1.0) -> QPixmap | None:
        """A channel subscriber badge (its id from the channel's `subscriber_badges`), likewise."""
        return self._picture("badge", badge_id, height, device_pixel_ratio)

    @property
    def loading(self) -> int:
        """Pictures on their way."""
        return len(self._loading)

    async def settled(self) -> None:
        """Return once no picture is loading (each ready, or failed)."""
        while self._loading:
            await asyncio.gather(*self._loading.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop what is loading; nothing is loaded from now on (a late paint gets None)."""
        self._closed = True
        for task in list(self._loading.values()):
            task.cancel()
        await self.settled()
        await self.fetcher.aclose()

    # -- inside ----------------------------------------------------------------------------------

    def _picture(self, kind: ImageKind, image_id: str, height: int, ratio: float) -> QPixmap | None:
        if height <= 0 or valid_image_id(image_id) is None:
            return None
        key = f"{kind}-{image_id}"
        ratio = ratio if ratio > 0 else 1.0
        pixels = max(1, round(height * ratio))
        sized = (key, pixels, ratio)
        pixmap = self._pixmaps.get(sized)
        if pixmap is not None:
            self._pixmaps.move_to_end(sized)
            return pixmap
        image = self._images.get(key)
        if image is None:
            self._start(kind, image_id, key)
            return None
        self._images.move_to_end(key)
        if image.height() != pixels:
            mode = Qt.TransformationMode.SmoothTransformation
            image = image.scaledToHeight(pixels, mode)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(ratio)
        self._pixmaps[sized] = pixmap
        if len(self._pixmaps) > MAX_PIXMAPS:
            self._pixmaps.popitem(last=False)
        return pixmap

    def _start(self, kind: ImageKind, image_id: str, key: str) -> None:
        if self._closed or key in self._loading or self.fetcher.recently_failed(kind, image_id):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # painted before the loop runs: the chip, and no picture yet
            if not self._no_loop_logged:
                self._no_loop_logged = True
                log.debug("pictures asked for before the event loop runs: not loaded")
            return
        task = loop.create_task(self._load(kind, image_id, key))
        self._loading[key] = task
        task.add_done_callback(lambda _: self._loading.pop(key, None))

    async def _load(self, kind: ImageKind, image_id: str, key: str) -> None:
        try:
            data = await self.fetcher.get(kind, image_id)
            if data is None:
                return
            image = await asyncio.to_thread(decode_first_frame, data)
        except asyncio.CancelledError:
            raise
        except Exception:  # a picture must never take the app down: the chip stays
            log.exception("picture %s not loaded", key)
            return
        if image is None:
            await self.fetcher.failed(kind, image_id, "not a picture Qt can decode")
            return
        self._images[key] = image
        if len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)
        ready = self.emote_ready if kind == "emote" else self.badge_ready
        with contextlib.suppress(RuntimeError):  # the service was deleted meanwhile
            ready.emit(image_id)
