"""Qt runs offscreen in tests unless the caller chose a platform (e.g. xcb under Xvfb).

Proxy settings from the environment are dropped: tests reach 127.0.0.1 directly, and the
WebSocket driver and httpx would otherwise send them through a proxy (tests that test the proxy
set their own).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.image_files import ImageFiles

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app's event server on any free port: apps started by tests never fight over 7582 (or with
# a VMSC the developer is running).
os.environ.setdefault("VMSC_RELAY_PORT", "0")
for _name in list(os.environ):
    if _name.lower() in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "socks_proxy",
        "ws_proxy",
        "wss_proxy",
    ):
        del os.environ[_name]


# A file server of pictures on 127.0.0.1 and an HTTP client: the picture tests' peers.
@pytest.fixture
def files() -> Iterator[ImageFiles]:
    with ImageFiles() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        yield http
