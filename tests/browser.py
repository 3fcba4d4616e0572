"""Debian's chromium driven by Playwright, for the overlay tests: nothing downloads a browser."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not CHROMIUM.is_file() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.async_api")


@contextlib.asynccontextmanager
async def chromium_page(width: int = 1280, height: int = 720) -> AsyncIterator[object]:
    """A fresh page in a headless Debian chromium (typed loosely: playwright is a test extra)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            # Playwright's waits evaluate strings, which the overlays' CSP (script-src 'self')
            # forbids: bypassed here, so the DOM tests show the overlays' own escaping holds.
            page = await browser.new_page(
                viewport={"width": width, "height": height}, bypass_csp=True
            )
            yield page
        finally:
            await browser.close()


EMOTE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<circle cx="16" cy="16" r="15" fill="#ffcc33" stroke="#7a5200" stroke-width="2"/>'
    b'<circle cx="11" cy="12" r="2.5" fill="#3b2a00"/><circle cx="21" cy="12" r="2.5" '
    b'fill="#3b2a00"/><path d="M8 19 Q16 28 24 19 Z" fill="#3b2a00"/></svg>'
)


class FakeKickFiles:
    """Kick's emote image server on 127.0.0.1 (`VMSC_KICK_FILES_URL`): any
    /emotes/ID/fullsize is a small SVG face; the paths asked for are kept in `requests`."""

    def __init__(self) -> None:
        import re
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        files = self
        self.requests: list[str] = []
        emote_path = re.compile(r"^/emotes/\d+/fullsize$")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                files.requests.append(self.path)
                found = emote_path.match(self.path) is not None
                body = EMOTE_SVG if found else b"not found"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "image/svg+xml" if found else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeKickFiles:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
