"""One WebSocket connection as an asyncio `BufferedProtocol`: socket bytes in, complete text
messages out, synchronously; no policy (the session driver, `session_driver`, has it).

The WebSocket protocol itself is websockets' sans-I/O `ClientProtocol`, driven by this protocol:
each read lands in one reused buffer and every complete message is handled in the same loop
iteration it arrived in. websockets' asyncio client queues each message for a reader task
instead, and asyncio's plain protocols allocate a fresh 256 KiB buffer per read; on a busy chat
those two cost more CPU than decoding and normalizing the events (see the README's Performance
section). One frame shape, a whole unmasked text message with no extension bits (nearly every
frame Pusher sends), is cut out of the buffer here (`_frame_extent`); websockets parses every
other frame, the upgrade response, and everything after the close handshake has begun.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import BytesLike

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8 * 1024 * 1024  # Kick frames are small; a 1 MB one must still pass
READ_BUFFER_BYTES = 64 * 1024  # one buffer per connection, reused for every read

_PLAIN_TEXT = 0x81  # first header byte of a whole text message: FIN, no RSV bits, opcode 1
_HEAD_END = b"\r\n\r\n"  # end of the upgrade response's head


class WebSocketLink(asyncio.BufferedProtocol):
    """One WebSocket connection: socket bytes in, complete text messages out to `on_message`,
    synchronously. Pings are answered and the close handshake is done by websockets' protocol."""

    def __init__(
        self,
        ws: ClientProtocol,
        on_message: Callable[[BytesLike], None],
        close_timeout: float,
        coalesce: float = 0.0,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.ws = ws
        self.opened: asyncio.Future[None] = loop.create_future()  # upgrade accepted
        self.lost: asyncio.Future[None] = loop.create_future()  # TCP connection gone
        self.lost_exc: Exception | None = None  # why, when the socket said (a reset, say)
        self.last_read_at = loop.time()
        self._loop = loop
        self._on_message = on_message
        self._close_timeout = close_timeout
        self._coalesce = coalesce
        self._buffer = bytearray(READ_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._kept = 0  # bytes of an incomplete frame at the buffer's start
        self._passthrough = 0  # bytes still to come of a frame websockets is gathering
        self._response_head_read = False  # the upgrade response's head went to websockets
        self._fragments: list[BytesLike] = []
        self._transport: asyncio.Transport | None = None
        self._hang_up: asyncio.TimerHandle | None = None
        self._resume: asyncio.TimerHandle | None = None
        self._paused = False  # the last read paused reading (see buffer_updated)

    # asyncio.BufferedProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.ws.send_request(self.ws.connect())
        self._flush()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view[self._kept :]  # after the start of a frame kept from the last read

    def buffer_updated(self, nbytes: int) -> None:
        now = self._loop.time()
        previous, self.last_read_at = self.last_read_at, now
        end, self._kept = self._kept + nbytes, 0
        handled = self._receive(end)
        if self.ws.close_expected():
            self._hang_up_soon()
        elif self._coalesce and end < len(self._buffer):  # (a full buffer: more is waiting)
            # Frames arriving fast but apart: let them gather in the socket for a moment, so
            # one wake-up handles several. Keep doing so while each read finds several.
            batching = handled > 1 if self._paused else now - previous < self._coalesce
            self._paused = batching
            if batching and self._transport is not None:
                self._transport.pause_reading()
                self._resume = self._loop.call_later(self._coalesce, self._resume_reading)

    def _receive(self, end: int) -> int:
        """Handles buffer[:end]; keeps an incomplete frame that fits at the buffer's start (in
        `_kept`) for the next read. Returns how many messages and protocol events it handled."""
        buffer = self._buffer
        ws = self.ws
        pos = handled = 0
        if self._passthrough:  # the rest of a frame larger than the buffer
            pos = min(self._passthrough, end)
            self._passthrough -= pos
            handled += self._to_websockets(0, pos)
        if ws.state is State.CONNECTING and not self._response_head_read:
            head_end = buffer.find(_HEAD_END, 0, end)
            if head_end < 0 and end < len(buffer):
                self._kept = end  # the response's head is not complete yet
                return handled
            # Only the head goes to websockets, so that it never holds the start of a frame. (A
            # refusal's body, if any, follows below: websockets reads it while still CONNECTING.)
            self._response_head_read = True
            pos = end if head_end < 0 else head_end + len(_HEAD_END)
            handled += self._to_websockets(0, pos)
        max_size = ws.max_message_size or MAX_FRAME_BYTES
        while pos < end and ws.state is State.OPEN:
            extent = _frame_extent(buffer, pos, end)
            if extent is None:
                break  # the header is incomplete
            start, stop = extent
            if stop > end:  # the frame is incomplete
                if stop - pos > len(buffer):  # and would not fit: websockets gathers it
                    self._passthrough = stop - end
                    handled += self._to_websockets(pos, end)
                    pos = end
                break
            if (
                buffer[pos] == _PLAIN_TEXT
                and not buffer[pos + 1] & 0x80  # unmasked
                and stop - start <= max_size
                and ws.current_size is None  # not inside a fragmented message
            ):
                self._deliver(buffer[start:stop])
                handled += 1
            else:  # a control frame, a fragment, a large or malformed one: websockets decides
                handled += self._to_websockets(pos, stop)
            pos = stop
        if pos < end:
            if ws.state is State.OPEN:
                buffer[: end - pos] = buffer[pos:end]
                self._kept = end - pos
            else:  # closing, or the upgrade failed: websockets handles the rest
                handled += self._to_websockets(pos, end)
        return handled

    def _to_websockets(self, start: int, stop: int) -> int:
        """Feeds buffer[start:stop] to websockets and handles what it made of it."""
        self.ws.receive_data(self._buffer[start:stop])
        self._flush()  # pongs and the close reply go out first
        events = self.ws.events_received()
        for event in events:
            if type(event) is Frame:
                self._frame(event)
            elif not self.opened.done():  # the HTTP response to the upgrade
                if self.ws.handshake_exc is not None:
                    self.opened.set_exception(self.ws.handshake_exc)
                else:
                    self.opened.set_result(None)
        return len(events)

    def _resume_reading(self) -> None:
        self._resume = None
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def eof_received(self) -> bool:
        self.ws.receive_eof()
        self._flush()
        return False  # let asyncio close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws.receive_eof()  # idempotent; marks the connection closed
        self.ws.data_to_send()  # nowhere to send it now
        for timer in (self._hang_up, self._resume):
            if timer is not None:
                timer.cancel()
        if not self.opened.done():
            reason = f"connection lost during the WebSocket upgrade ({exc or 'closed'})"
            self.opened.set_exception(ConnectionError(reason))
        if self.lost_exc is None:
            self.lost_exc = exc
        if not self.lost.done():
            self.lost.set_result(None)

    # used by the session

    def send_text(self, text: str) -> None:
        if self.ws.state is not State.OPEN:
            log.debug("not sent, connection %s: %s", self.ws.state.name, text[:80])
            return
        self.ws.send_text(text.encode())
        self._flush()

    def abort(self) -> None:
        """Drop the TCP connection at once (half-open: a close handshake would hang)."""
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        """Close handshake with code 1000, then wait (bounded) for the server to hang up."""
        if self._transport is None or self.lost.done():
            return
        if self.ws.state is State.OPEN:
            self.ws.send_close(1000)
            self._flush()
        self._hang_up_soon()
        await asyncio.shield(self.lost)

    # internals

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(frame.data)
            else:
                self._fragments = [frame.data]
        elif opcode is Opcode.CONT:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._deliver(data)
        # PING: websockets queued the pong already; PONG: nothing to do; CLOSE: in ws.close_rcvd

    def _deliver(self, data: BytesLike) -> None:
        try:
            self._on_message(data)
        except Exception:  # a bug in handling one message must not kill the connection
            log.exception("failed to handle a message; skipped it")

    def _flush(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            self.ws.data_to_send()
            return
        for data in self.ws.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():  # b"": websockets asks to half-close
                transport.write_eof()

    def _hang_up_soon(self) -> None:
        # The server closes TCP after the close handshake; if it does not, we do.
        if self._hang_up is None and not self.lost.done():
            self._hang_up = self._loop.call_later(self._close_timeout, self.abort)


def _frame_extent(buffer: bytearray, pos: int, end: int) -> tuple[int, int] | None:
    """Where the payload of the WebSocket frame at buffer[pos:end] starts, and where the frame
    ends; None if its header is not complete yet (RFC 6455 section 5.2)."""
    if end - pos < 2:
        return None
    second = buffer[pos + 1]
    length = second & 0x7F
    start = pos + 2
    if length == 126:
        start += 2
        if start > end:
            return None
        length = buffer[pos + 2] << 8 | buffer[pos + 3]
    elif length == 127:
        start += 8
        if start > end:
            return None
        length = int.from_bytes(buffer[pos + 2 : start])
    if second & 0x80:  # masked: not allowed from a server, and websockets will say so
        start += 4
    return start, start + length
