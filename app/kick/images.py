"""Kick's emote and badge pictures (Qt-free, async, httpx): URLs, the fetch, the disk cache.

`ImageFetcher.get(kind, id)` is the picture's bytes, or None when there is none to show (yet):

- ids are digits only (`valid_image_id`): they go into a URL path, nothing else is allowed;
- the disk cache (`app.core.disk_cache`, in the platform's cache folder) is asked first, in a
  worker thread, and the loop never waits on the disk;
- a fetch follows redirects only on the same host, port and scheme, reads at most
  `IMAGE_MAX_BYTES`, and has `IMAGE_DEADLINE` seconds as a whole; at most `IMAGE_CONCURRENCY` run
  at once, and callers asking for a picture already on its way share that one fetch;
- an answer that is not a PNG, GIF, JPEG or WebP (by its first bytes) is a failure, and so is
  anything else that goes wrong; a failure is remembered for `IMAGE_RETRY_AFTER` seconds, so a
  broken emote is not asked for again on every paint. Failures are logged at debug level: a
  chat full of emotes while offline would otherwise flood the log.

Decoding is the caller's (`app.services.images`); bytes it cannot decode are reported back with
`failed`, which drops them from the disk cache too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, Literal

import httpx

from app.core.disk_cache import DiskCache
from app.kick import constants as C
from app.kick.network_errors import error_text

log = logging.getLogger(__name__)

ImageKind = Literal["emote", "badge"]
_PATHS: Final[Mapping[ImageKind, str]] = {
    "emote": "/emotes/{id}/fullsize",
    "badge": "/channel_subscriber_badges/{id}/original",  # the channel's subscriber_badges
}
_MAX_ID_DIGITS = 20
_MAX_REDIRECTS = 3
_MAX_REMEMBERED_FAILURES = 2_000
_HEADERS: Final = {
    "User-Agent": C.USER_AGENT,
    "Accept": "image/png,image/gif,image/webp,image/jpeg;q=0.9,*/*;q=0.5",
}
CACHE_FOLDER = "images"


def valid_image_id(value: object) -> str | None:
    """`value` as an image id (ASCII digits, at most 20 of them), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_DIGITS:
        return None
    return value if value.isascii() and value.isdigit() else None


def image_url(base_url: str, kind: ImageKind, image_id: str) -> str:
    """The picture's URL under `base_url`; ValueError for an id that is not all digits."""
    checked = valid_image_id(image_id)
    if checked is None:
        raise ValueError(f"not an image id: {image_id!r}")
    return base_url.rstrip("/") + _PATHS[kind].format(id=checked)


def files_url(environ: Mapping[str, str] = os.environ) -> str:
    """`VMSC_KICK_FILES_URL`, else Kick's file server."""
    return (environ.get(C.ENV_KICK_FILES_URL) or C.DEFAULT_FILES_URL).rstrip("/")


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where pictures are kept: `VMSC_CACHE_DIR`, else `cache` beside the settings when
    `VMSC_CONFIG_DIR` is set (tests and smoke tests never touch the user's cache), else the
    OS's user cache folder for VMSC (Linux `~/.cache/VMSC`); the pictures in `images` in it."""
    override = environ.get(C.ENV_CACHE_DIR)
    if override:
        return Path(override) / CACHE_FOLDER
    config = environ.get(C.ENV_CONFIG_DIR)
    if config:
        return Path(config) / "cache" / CACHE_FOLDER
    import platformdirs  # ~15 ms; only without the overrides

    return Path(platformdirs.user_cache_dir("VMSC", appauthor=False)) / CACHE_FOLDER


def sniff_image(data: bytes) -> str | None:
    """The picture format by its first bytes ("png", "gif", "jpeg", "webp"), else None. The
    decoder is then told this format: no other image plugin ever sees a server's bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class ImageFailed(Exception):
    """Why a picture could not be fetched (for the debug log)."""


class ImageFetcher:
    """Pictures from Kick's file server, through a disk cache.

    `client`: an httpx client used as is and left open (the app's, so pictures share its pool),
    or a function giving it (called at the first fetch, so start-up does not build one), or None
    for one made here and closed by `aclose`. `cache`: None for no disk cache. `clock` says when
    a remembered failure has expired (seconds, monotonic)."""

    def __init__(
        self,
        client: httpx.AsyncClient | Callable[[], httpx.AsyncClient] | None = None,
        cache: DiskCache | None = None,
        base_url: str | None = None,
        *,
        max_bytes: int = C.IMAGE_MAX_BYTES,
        deadline: float = C.IMAGE_DEADLINE,
        concurrency: int = C.IMAGE_CONCURRENCY,
        retry_after: float = C.IMAGE_RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_source = client
        self._own_client: httpx.AsyncClient | None = None
        self.cache = cache
        self.base_url = (base_url or files_url()).rstrip("/")
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._slots = asyncio.Semaphore(concurrency)
        self._retry_after = retry_after
        self._clock = clock
        self._failed_at: dict[str, float] = {}
        self._loading: dict[str, asyncio.Task[bytes | None]] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        source = self._client_source
        if isinstance(source, httpx.AsyncClient):
            return source
        if source is not None:
            return source()
        if self._own_client is None:
            self._own_client = httpx.AsyncClient(timeout=C.REQUEST_TIMEOUT)
        return self._own_client

    async def aclose(self) -> None:
        for task in list(self._loading.values()):
            task.cancel()
        for task in list(self._loading.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._own_client is not None:
            await self._own_client.aclose()

    def recently_failed(self, kind: ImageKind, image_id: str) -> bool:
        """True while a failure of this picture is remembered: asking again gives None at once."""
        key = _key(kind, image_id)
        failed_at = self._failed_at.get(key)
        if failed_at is None:
            return False
        if self._clock() - failed_at < self._retry_after:
            return True
        del self._failed_at[key]
        return False

    async def failed(self, kind: ImageKind, image_id: str, reason: str) -> None:
        """The caller could not use the bytes (they do not decode): remember the failure, and
        drop the disk copy."""
        key = _key(kind, image_id)
        self._remember_failure(key, reason)
        if self.cache is not None:
            await asyncio.to_thread(self.cache.discard, key)

    async def get(self, kind: ImageKind, image_id: str) -> bytes | None:
        """The picture's bytes; None for an invalid id, a failure, or a remembered failure."""
        if valid_image_id(image_id) is None:
            return None
        key = _key(kind, image_id)
        if self.recently_failed(kind, image_id):
            return None
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(kind, image_id, key))
            self._loading[key] = task
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        # shielded: a caller that gives up does not cancel the fetch the others wait on
        return await asyncio.shield(task)

    async def _load(self, kind: ImageKind, image_id: str, key: str) -> bytes | None:
        if self.cache is not None:
            cached = await asyncio.to_thread(self.cache.get, key)
            if cached is not None and sniff_image(cached):
                return cached
        url = image_url(self.base_url, kind, image_id)
        try:
            async with self._slots:
                async with asyncio.timeout(self._deadline):
                    data = await self._fetch(httpx.URL(url))
        except TimeoutError:
            self._remember_failure(key, f"took longer than {self._deadline:g} s")
            return None
        except ImageFailed as exc:
            self._remember_failure(key, str(exc))
            return None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            self._remember_failure(key, f"{type(exc).__name__}: {error_text(exc)}")
            return None
        if self.cache is not None:
            await asyncio.to_thread(self.cache.put, key, data)
        return data

    async def _fetch(self, url: httpx.URL) -> bytes:
        """The body of a 200 answer that looks like a picture; raises ImageFailed (or httpx's
        errors) otherwise."""
        for _ in range(_MAX_REDIRECTS + 1):
            request = self.client.stream("GET", url, headers=_HEADERS, follow_redirects=False)
            async with request as response:
                if response.is_redirect:
                    location = url.join(response.headers["location"])
                    if _origin(location) != _origin(url):
                        raise ImageFailed(f"redirect to another host not followed: {location}")
                    url = location
                    continue
                if response.status_code != 200:
                    raise ImageFailed(f"HTTP {response.status_code}")
                data = await self._capped_body(response)
            if sniff_image(data) is None:
                raise ImageFailed(f"not a picture ({len(data)} bytes, starting {data[:8]!r})")
            return data
        raise ImageFailed(f"more than {_MAX_REDIRECTS} redirects")

    async def _capped_body(self, response: httpx.Response) -> bytes:
        cap = self._max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared[:19]) > cap:
            raise ImageFailed(f"{declared} bytes, over the {cap:,}-byte limit")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise ImageFailed(f"over the {cap:,}-byte limit: not read on")
        return bytes(body)

    def _remember_failure(self, key: str, reason: str) -> None:
        log.debug("picture %s not loaded: %s", key, reason)
        if len(self._failed_at) >= _MAX_REMEMBERED_FAILURES:  # the oldest half goes
            for old in list(self._failed_at)[: _MAX_REMEMBERED_FAILURES // 2]:
                del self._failed_at[old]
        self._failed_at.pop(key, None)  # to the end: the oldest are dropped first
        self._failed_at[key] = self._clock()


def _key(kind: ImageKind, image_id: str) -> str:
    return f"{kind}-{image_id}"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
