"""Kick's file server for picture tests, on 127.0.0.1: each path answers as told (a picture, a
404, garbage, a redirect, an answer that stalls until released), and what was asked is counted.
Also tiny PNG and GIF encoders, so the tests need no image library."""

from __future__ import annotations

import struct
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


def png_bytes(width: int, height: int, rgba: tuple[int, int, int, int]) -> bytes:
    """A PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack("!I", zlib.crc32(kind + data))
        return struct.pack("!I", len(data)) + kind + data + checksum

    row = b"\x00" + bytes(rgba) * width  # filter type 0, then the pixels
    header = struct.pack("!IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def gif_bytes(width: int, height: int, frames: list[tuple[int, int, int]]) -> bytes:
    """An animated GIF, one colour per frame. The pixels are LZW-coded with a clear code before
    each one, so the code width stays 3 bits: valid, if not small."""
    palette = b"".join(bytes(colour) for colour in frames) + b"\x00\x00\x00" * (4 - len(frames))
    assert len(frames) <= 4
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF1, 0, 0) + palette)
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for index in range(len(frames)):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms a frame
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        codes = [4, index] * (width * height) + [5]  # clear, pixel, ..., end
        bits = sum(code << (3 * n) for n, code in enumerate(codes))
        data = bits.to_bytes((3 * len(codes) + 7) // 8, "little")
        out += b"\x02"  # minimum code size
        for start in range(0, len(data), 255):
            block = data[start : start + 255]
            out += bytes([len(block)]) + block
        out += b"\x00"
    return bytes(out + b"\x3b")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "image/png"
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # the headers and a first byte, the rest once `release` is set
    declare_length: bool = True  # False: no Content-Length, the body ends when the socket does


class ImageFiles:
    """The file server: `routes` maps a path to its Reply (anything else is a 404); `counts` is
    how often each path was asked for; `in_flight` / `max_in_flight` count answers under way."""

    def __init__(self) -> None:
        files = self
        self.routes: dict[str, Reply] = {}
        self.counts: Counter[str] = Counter()
        self.release = threading.Event()
        self.arrived = threading.Condition()
        self.in_flight = 0
        self.max_in_flight = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                reply = files.routes.get(self.path, Reply(404, b"not found", "text/plain"))
                with files.arrived:
                    files.counts[self.path] += 1
                    files.in_flight += 1
                    files.max_in_flight = max(files.max_in_flight, files.in_flight)
                    files.arrived.notify_all()
                try:
                    self._answer(reply)
                finally:
                    with files.arrived:
                        files.in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.declare_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                body = reply.body
                if reply.stall:
                    self.wfile.write(body[:1])
                    self.wfile.flush()
                    files.release.wait(30)
                    body = body[1:]
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(  # polled often: shutdown waits for a poll
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    def emote(self, emote_id: str, reply: Reply) -> str:
        path = f"/emotes/{emote_id}/fullsize"
        self.routes[path] = reply
        return path

    def wait_for_requests(self, total: int, timeout: float = 10.0) -> bool:
        """Block until `total` requests arrived (run it in a thread from async code)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.counts.total() >= total, timeout)

    def __enter__(self) -> ImageFiles:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
