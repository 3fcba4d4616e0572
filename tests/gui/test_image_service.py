"""Emote pictures as the feed's painting gets them, on the app's qasync loop: None at once (the
chip) while loading, a signal, then a picture at the asked height; failures keep the chip."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import pytest
from PySide6.QtGui import QColor, QPixmap

from app.core.disk_cache import DiskCache
from app.kick.images import ImageFetcher, ImageKind
from app.services.images import MAX_SOURCE_HEIGHT, ImageService, decode_first_frame
from tests.gui.waiting import until
from tests.image_files import ImageFiles, Reply, gif_bytes, png_bytes

RED = (255, 0, 0)
PNG = png_bytes(4, 4, (*RED, 255))
GIF = gif_bytes(4, 4, [RED, (0, 0, 255)])  # red, then blue


def service_for(
    base_url: str,
    client: httpx.AsyncClient,
    cache: DiskCache | None = None,
    deadline: float = 10.0,
) -> ImageService:
    return ImageService(ImageFetcher(client, cache, base_url, deadline=deadline))


def colour(pixmap: QPixmap) -> tuple[int, int, int]:
    pixel = QColor(pixmap.toImage().pixel(1, 1))
    return pixel.red(), pixel.green(), pixel.blue()


async def ready(images: ImageService, emote_id: str) -> QPixmap:
    """The emote once its signal said so."""
    seen: list[str] = []
    images.emote_ready.connect(seen.append)
    await until(lambda: emote_id in seen, images.emote_ready)
    pixmap = images.emote(emote_id, 20)
    assert pixmap is not None
    return pixmap


async def test_an_emote_is_none_while_loading_then_drawn_at_the_asked_height(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.emote("1", Reply(body=PNG))
    images = service_for(files.url, client)
    assert images.emote("1", 20) is None  # at once: the chip
    assert images.loading == 1
    pixmap = await ready(images, "1")
    assert (pixmap.width(), pixmap.height()) == (20, 20)
    assert colour(pixmap) == RED
    sharp = images.emote("1", 20, device_pixel_ratio=2.0)
    assert sharp is not None and sharp.height() == 40 and sharp.devicePixelRatio() == 2.0
    assert images.emote("1", 20) is pixmap  # made once per height
    assert files.counts.total() == 1


async def test_an_animated_gif_stands_still_on_its_first_frame(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.emote("2", Reply(body=GIF, content_type="image/gif"))
    images = service_for(files.url, client)
    assert images.emote("2", 16) is None
    assert colour(await ready(images, "2")) == RED


async def test_fifty_paints_of_a_new_emote_make_one_request(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    path = files.emote("3", Reply(body=PNG))
    fetcher = CountingFetcher(client, None, files.url)
    images = ImageService(fetcher)
    assert [images.emote("3", 20) for _ in range(50)] == [None] * 50
    assert images.loading == 1
    await ready(images, "3")
    assert fetcher.asked == 1 and files.counts[path] == 1


class CountingFetcher(ImageFetcher):
    asked = 0

    async def get(self, kind: ImageKind, image_id: str) -> bytes | None:
        self.asked += 1
        return await super().get(kind, image_id)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(404, b"not found", "text/plain"),
        Reply(body=b"garbage, not a picture"),
        Reply(body=PNG[:40]),  # a PNG's start: passes the sniff, fails the decoder
    ],
    ids=["404", "garbage", "truncated-png"],
)
async def test_an_emote_that_cannot_be_had_stays_a_chip_and_is_not_asked_again(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path, reply: Reply
) -> None:
    path = files.emote("4", reply)
    cache = DiskCache(tmp_path / "images", 1 << 20)
    images = service_for(files.url, client, cache)
    signalled: list[str] = []
    images.emote_ready.connect(signalled.append)
    assert images.emote("4", 20) is None
    await images.settled()
    for _ in range(20):  # every later paint
        assert images.emote("4", 20) is None
    assert images.loading == 0 and files.counts[path] == 1
    assert signalled == []
    assert cache.keys() == []  # bytes that do not decode are not kept either


async def test_a_slow_server_hits_the_deadline_and_the_chip_stays(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.emote("5", Reply(body=PNG, stall=True))
    images = service_for(files.url, client, deadline=0.3)
    assert images.emote("5", 20) is None
    await images.settled()
    assert images.emote("5", 20) is None and images.loading == 0


async def test_a_second_run_draws_from_the_disk_without_the_server(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    files.emote("6", Reply(body=PNG))
    first = service_for(files.url, client, DiskCache(folder, 1 << 20))
    assert first.emote("6", 20) is None
    await ready(first, "6")
    second = service_for("http://127.0.0.1:9", client, DiskCache(folder, 1 << 20))
    assert second.emote("6", 20) is None
    assert colour(await ready(second, "6")) == RED
    assert files.counts.total() == 1


async def test_closing_cancels_what_is_loading(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.emote("7", Reply(body=PNG, stall=True))
    images = service_for(files.url, client)
    assert images.emote("7", 20) is None
    await images.aclose()
    assert images.loading == 0


def test_without_a_running_loop_a_paint_gets_the_chip_and_nothing_starts(qapp: object) -> None:
    images = ImageService(ImageFetcher(base_url="http://127.0.0.1:9"))
    assert images.emote("1", 20) is None
    assert images.loading == 0


def test_ids_that_are_not_digits_and_empty_heights_ask_nothing(qapp: object) -> None:
    images = ImageService(ImageFetcher(base_url="http://127.0.0.1:9"))
    assert images.emote("../1", 20) is None
    assert images.emote("1", 0) is None
    assert images.loading == 0


def test_the_decoder_scales_tall_pictures_down_and_refuses_huge_claims(qapp: object) -> None:
    tall = decode_first_frame(png_bytes(300, 600, (0, 0, 255, 255)))
    assert tall is not None and (tall.width(), tall.height()) == (64, MAX_SOURCE_HEIGHT)

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack("!I", zlib.crc32(kind + data))
        return struct.pack("!I", len(data)) + kind + data + checksum

    # a header claiming 60000 x 60000 pixels (a decompression bomb): not decoded at all
    header = struct.pack("!IIBBBBB", 60_000, 60_000, 8, 6, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
    assert decode_first_frame(bomb) is None
    assert decode_first_frame(b"GIF89a garbage") is None
    assert decode_first_frame(b"<svg/>") is None
