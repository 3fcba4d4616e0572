"""Emote pictures, Qt-free: ids and URLs, the fetch against a real file server on 127.0.0.1 (404,
stalls, garbage, oversized, redirects, many callers at once), failures remembered, and the disk
cache (a second run, the size cap, a folder that cannot be written)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import httpx
import pytest

from app.core.disk_cache import DiskCache
from app.kick.images import (
    ImageFetcher,
    cache_dir,
    files_url,
    image_url,
    sniff_image,
    valid_image_id,
)
from tests.image_files import ImageFiles, Reply, gif_bytes, png_bytes

PNG = png_bytes(4, 4, (255, 0, 0, 255))
GIF = gif_bytes(4, 4, [(255, 0, 0), (0, 0, 255)])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fetcher_for(
    files: ImageFiles, client: httpx.AsyncClient, cache: DiskCache | None = None, **limits: float
) -> ImageFetcher:
    return ImageFetcher(client, cache, files.url, **limits)  # type: ignore[arg-type]


# -- ids, URLs, folders ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["37226", "0", 37226, "1" * 20])
def test_digit_ids_are_ids(value: object) -> None:
    assert valid_image_id(value) == str(value)


@pytest.mark.parametrize(
    "value",
    [
        *("", "1" * 21, "../1", "1/../../x", "12a", " 12", "-1", -1, True, None, 1.5),
        *("\uff11\uff12", "\u0661\u0662"),  # fullwidth and Arabic-Indic digits
    ],
)
def test_anything_else_is_not_an_id(value: object) -> None:
    assert valid_image_id(value) is None


def test_urls_put_the_id_in_the_path_and_refuse_non_ids() -> None:
    assert image_url("https://files.kick.com/", "emote", "37226") == (
        "https://files.kick.com/emotes/37226/fullsize"
    )
    assert image_url("http://127.0.0.1:5", "badge", "204411") == (
        "http://127.0.0.1:5/channel_subscriber_badges/204411/original"
    )
    with pytest.raises(ValueError):
        image_url("https://files.kick.com", "emote", "../../api/v2/channels/x")


def test_the_files_url_and_the_cache_folder_follow_the_environment(tmp_path: Path) -> None:
    assert files_url({}) == "https://files.kick.com"
    assert files_url({"VMSC_KICK_FILES_URL": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"
    cache, config = tmp_path / "c", tmp_path / "s"
    both = {"VMSC_CACHE_DIR": str(cache), "VMSC_CONFIG_DIR": str(config)}
    assert cache_dir(both) == cache / "images"
    assert cache_dir({"VMSC_CONFIG_DIR": str(config)}) == config / "cache" / "images"
    assert cache_dir({}).name == "images" and "VMSC" in cache_dir({}).parts


def test_pictures_are_told_apart_from_garbage_by_their_first_bytes() -> None:
    assert sniff_image(PNG) == "png"
    assert sniff_image(GIF) == "gif"
    assert sniff_image(b"\xff\xd8\xff\xe0rest") == "jpeg"
    assert sniff_image(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "webp"
    for garbage in (b"", b"<html>nope</html>", b"<svg xmlns=...>", b"\x89PN", os.urandom(64)[:1]):
        assert sniff_image(garbage) is None


# -- the fetch ------------------------------------------------------------------------------------


async def test_a_png_and_a_gif_are_fetched_as_they_are(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    png = files.emote("1", Reply(body=PNG))
    gif = files.emote("2", Reply(body=GIF, content_type="image/gif"))
    fetcher = fetcher_for(files, client)
    assert await fetcher.get("emote", "1") == PNG
    assert await fetcher.get("emote", "2") == GIF
    assert files.counts == {png: 1, gif: 1}


async def test_a_404_is_none_and_is_not_asked_again_until_the_retry_time(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    fetcher = fetcher_for(files, client, retry_after=300.0, clock=clock)  # type: ignore[arg-type]
    assert await fetcher.get("emote", "404") is None
    for _ in range(20):  # every paint asks again
        assert fetcher.recently_failed("emote", "404")
        assert await fetcher.get("emote", "404") is None
    assert files.counts["/emotes/404/fullsize"] == 1
    clock.now += 301
    assert not fetcher.recently_failed("emote", "404")
    files.emote("404", Reply(body=PNG))  # uploaded meanwhile
    assert await fetcher.get("emote", "404") == PNG
    assert files.counts["/emotes/404/fullsize"] == 2


async def test_a_server_that_stalls_hits_the_deadline(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.emote("7", Reply(body=PNG, stall=True))
    fetcher = fetcher_for(files, client, deadline=0.3)
    async with asyncio.timeout(5):  # the fetch's own deadline ends it, not httpx's 10 s reads
        assert await fetcher.get("emote", "7") is None
    assert fetcher.recently_failed("emote", "7")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"<html><body>Just a moment...</body></html>", content_type="text/html"),
        Reply(body=bytes(range(256)) * 4),
        Reply(status=500, body=PNG),
        Reply(status=204),
    ],
    ids=["html", "random-bytes", "500", "204"],
)
async def test_an_answer_that_is_not_a_picture_is_none(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path, reply: Reply
) -> None:
    files.emote("9", reply)
    cache = DiskCache(tmp_path / "images", 1 << 20)
    fetcher = fetcher_for(files, client, cache)
    assert await fetcher.get("emote", "9") is None
    assert fetcher.recently_failed("emote", "9")
    assert cache.keys() == []  # nothing kept on disk


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "undeclared"])
async def test_an_oversized_answer_is_not_read_on(
    files: ImageFiles, client: httpx.AsyncClient, declare_length: bool
) -> None:
    files.emote("8", Reply(body=PNG + b"\x00" * 5000, declare_length=declare_length))
    fetcher = fetcher_for(files, client, max_bytes=4096)
    assert await fetcher.get("emote", "8") is None
    assert fetcher.recently_failed("emote", "8")


async def test_redirects_are_followed_on_the_same_host_only(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    files.routes["/elsewhere.png"] = Reply(body=PNG)
    files.emote("1", Reply(302, headers={"Location": "/elsewhere.png"}))
    other_host = f"http://localhost:{files.port}/elsewhere.png"  # same server, another host
    files.emote("2", Reply(302, headers={"Location": other_host}))
    files.emote("3", Reply(301, headers={"Location": "/emotes/3/fullsize"}))  # a loop
    fetcher = fetcher_for(files, client)
    assert await fetcher.get("emote", "1") == PNG
    assert await fetcher.get("emote", "2") is None
    assert await fetcher.get("emote", "3") is None
    assert files.counts["/elsewhere.png"] == 1  # only through the same-host redirect
    assert files.counts["/emotes/3/fullsize"] == 4  # the first ask and three redirects


async def test_fifty_callers_for_one_emote_make_one_request(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    path = files.emote("5", Reply(body=PNG, stall=True))
    fetcher = fetcher_for(files, client)
    callers = [asyncio.ensure_future(fetcher.get("emote", "5")) for _ in range(50)]
    assert await asyncio.to_thread(files.wait_for_requests, 1)
    callers[0].cancel()  # one caller giving up does not cancel the others' fetch
    files.release.set()
    results = await asyncio.gather(*callers[1:])
    assert results == [PNG] * 49
    assert files.counts[path] == 1


async def test_at_most_the_concurrency_limit_is_fetched_at_once(
    files: ImageFiles, client: httpx.AsyncClient
) -> None:
    for n in range(6):
        files.emote(str(n), Reply(body=PNG, stall=True))
    sent = CountingTransport()
    async with httpx.AsyncClient(transport=sent) as counted:
        fetcher = fetcher_for(files, counted, concurrency=2)
        callers = [asyncio.ensure_future(fetcher.get("emote", str(n))) for n in range(6)]
        # Two requests reached the server: an unlimited fetcher would have sent all six by then
        # (they all start in the loop's first turns, long before a round trip is done).
        assert await asyncio.to_thread(files.wait_for_requests, 2)
        assert sent.started == 2
        files.release.set()
        assert await asyncio.gather(*callers) == [PNG] * 6
    assert sent.started == 6 and files.max_in_flight == 2


class CountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.started = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.started += 1
        return await super().handle_async_request(request)


async def test_an_invalid_id_asks_nothing(files: ImageFiles, client: httpx.AsyncClient) -> None:
    fetcher = fetcher_for(files, client)
    assert await fetcher.get("emote", "../../etc/passwd") is None
    assert files.counts.total() == 0


async def test_a_fetcher_can_make_its_own_client_and_close_it(files: ImageFiles) -> None:
    files.emote("1", Reply(body=PNG))
    fetcher = ImageFetcher(base_url=files.url)
    assert await fetcher.get("emote", "1") == PNG
    await fetcher.aclose()
    assert fetcher.client.is_closed


# -- the disk cache -------------------------------------------------------------------------------


async def test_a_second_run_is_served_from_disk_without_the_server(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    files.emote("1", Reply(body=PNG))
    first = fetcher_for(files, client, DiskCache(folder, 1 << 20))
    assert await first.get("emote", "1") == PNG
    assert (folder / "emote-1").read_bytes() == PNG
    dead = ImageFetcher(client, DiskCache(folder, 1 << 20), "http://127.0.0.1:9")
    assert await dead.get("emote", "1") == PNG
    assert files.counts.total() == 1


async def test_a_cached_file_that_is_not_a_picture_is_fetched_again(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "emote-1").write_bytes(b"truncated")
    files.emote("1", Reply(body=PNG))
    fetcher = fetcher_for(files, client, DiskCache(folder, 1 << 20))
    assert await fetcher.get("emote", "1") == PNG
    assert (folder / "emote-1").read_bytes() == PNG


async def test_bytes_the_caller_cannot_decode_leave_the_disk(
    files: ImageFiles, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    broken = PNG[:30]  # a PNG's start, then nothing
    files.emote("1", Reply(body=broken))
    cache = DiskCache(tmp_path / "images", 1 << 20)
    fetcher = fetcher_for(files, client, cache)
    assert await fetcher.get("emote", "1") == broken
    await fetcher.failed("emote", "1", "does not decode")
    assert fetcher.recently_failed("emote", "1")
    assert cache.keys() == []
    assert not (tmp_path / "images" / "emote-1").exists()


def test_the_cap_drops_the_least_recently_used(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 250)
    cache.put("a", b"a" * 100)
    cache.put("b", b"b" * 100)
    assert cache.get("a") == b"a" * 100  # a used after b
    cache.put("c", b"c" * 100)
    assert cache.keys() == ["a", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c"]
    assert cache.total_bytes == 200
    cache.put("huge", b"h" * 251)  # over the cap alone: not kept
    assert cache.keys() == ["a", "c"]


def test_the_use_order_survives_a_restart_and_a_lower_cap_applies(tmp_path: Path) -> None:
    last_used = {"d": 4, "b": 2, "f": 6, "a": 1, "e": 5, "c": 3}  # written in another order
    for name, minute in last_used.items():
        (tmp_path / name).write_bytes(b"x" * 100)
        os.utime(tmp_path / name, (minute * 60, minute * 60))
    (tmp_path / "emote-9.123-0.part").write_bytes(b"half")  # a write cut short
    (tmp_path / "not a key").write_bytes(b"left alone")
    cache = DiskCache(tmp_path, 400)
    assert cache.keys() == ["c", "d", "e", "f"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "d", "e", "f", "not a key"]


def test_keys_are_file_names_never_paths(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "images", 1000)
    for key in ("../escape", "a/b", "", "."):
        cache.put(key, b"x")
        assert cache.get(key) is None
    assert not (tmp_path / "escape").exists()
    assert cache.keys() == []


async def test_an_unwritable_cache_keeps_working_and_says_so_once(
    files: ImageFiles,
    client: httpx.AsyncClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    cache = DiskCache(blocker / "images", 1 << 20)  # its parent is a file: never a folder
    files.emote("1", Reply(body=PNG))
    files.emote("2", Reply(body=PNG))
    fetcher = fetcher_for(files, client, cache)
    with caplog.at_level(logging.WARNING):
        assert await fetcher.get("emote", "1") == PNG
        assert await fetcher.get("emote", "2") == PNG
    warnings = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(warnings) == 1 and not cache.writable
    assert str(blocker) in cache.write_problem
