"""The socket driver: one WebSocket session of either protocol, no policy.

It opens the socket and moves messages and timer ticks between it and a socket-free session
(`pusher.PusherSession`, or `realtime`'s wrapping of `centrifugo.CentrifugoSession`: handshake,
subscriptions, keep-alive, the silence watchdog and the verdict live there; see `Session`), and
hands every user event to the supervisor's sink. How a session ended is classified in one
place per protocol (`pusher.classify_ending`, `centrifugo.classify_disconnect`), and the socket's
own failures by `describe_network_error`; what happens next is the supervisor's business. Every
ending says why twice: a plain sentence for the user (`Ending.reason`, one per kind of failure,
chosen from the exception's type by `describe_network_error`, or from the close code) and the
technical detail behind it (`Ending.detail`: the exception's text, the close code).

The WebSocket protocol itself is websockets' sans-I/O `ClientProtocol`, driven by an asyncio
`BufferedProtocol`: each read lands in one reused buffer and every complete message is handled in
the same loop iteration it arrived in. websockets' asyncio client queues each message for a reader
task instead, and asyncio's plain protocols allocate a fresh 256 KiB buffer per read; on a busy
chat those two cost more CPU than decoding and normalizing the events (see the README's
Performance section). One frame shape, a whole unmasked text message with no extension bits (nearly
every frame Pusher sends), is cut out of the buffer here (`_frame_extent`); websockets parses every
other frame, the upgrade response, and everything after the close handshake has begun.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol, cast

from websockets.client import ClientProtocol
from websockets.exceptions import (
    InvalidHandshake,
    InvalidProxy,
    InvalidProxyStatus,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.proxy import Proxy, get_proxy, parse_proxy
from websockets.typing import BytesLike, Origin
from websockets.uri import WebSocketURI, parse_uri

from app.core.events import StreamEvent
from app.core.supervisor import ChannelTarget, Ending, EndingKind, SessionSink
from app.core.watchdog import SilenceWatchdog
from app.kick import pusher
from app.kick.pusher import CLOSED_BY_SERVER as CLOSED_BY_SERVER
from app.kick.pusher import LOST as LOST
from app.kick.pusher import MAX_ACTIVITY_TIMEOUT, ODD_ANSWER, PONG_TIMEOUT, classify_ending
from app.kick.pusher import NO_ANSWER as NO_ANSWER
from app.kick.pusher import SERVER_ERROR as SERVER_ERROR
from app.kick.pusher import SUBSCRIPTION_REFUSED as SUBSCRIPTION_REFUSED
from app.kick.pusher import WENT_SILENT as WENT_SILENT
from app.kick.pusher import server_closed as server_closed

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 8 * 1024 * 1024  # Kick frames are small; a 1 MB one must still pass
READ_BUFFER_BYTES = 64 * 1024  # one buffer per connection, reused for every read
READ_COALESCE = 0.01  # seconds; see Timeouts.coalesce
CLOSE_TIMEOUT = 2.0  # after our close frame, wait this long for the server to hang up
KICK_ORIGIN = "https://kick.com"  # Kick's sockets want the Origin its web client sends

_PLAIN_TEXT = 0x81  # first header byte of a whole text message: FIN, no RSV bits, opcode 1
_HEAD_END = b"\r\n\r\n"  # end of the upgrade response's head

EndpointProvider = Callable[[ChannelTarget, bool], Awaitable[str]]
"""(target, fresh) -> WebSocket URL; fresh=True asks for the app key to be discovered again."""

EventNormalizer = Callable[[pusher.ChannelEvent], StreamEvent | None]
"""Channel event -> StreamEvent, None when the event is not a user event or a duplicate; raises
ValueError for a malformed payload."""

NormalizerFactory = Callable[[ChannelTarget], EventNormalizer]


# What the user reads about an ending: one plain sentence each. The technical reason (the
# exception's text, the close code) goes with it as the Ending's `detail`.
CANT_REACH = "Can't reach Kick — check your internet connection"
CANT_CONNECT = "Can't connect to Kick — check your internet connection"
REFUSED = "Kick's server refused the connection — it may be down, or a firewall is blocking it"
DROPPED = "The connection to Kick dropped"
TIMED_OUT = "Kick took too long to answer — the connection may be slow or blocked"
CERTIFICATE = (
    "Kick's security certificate could not be verified — check the computer's date and time, "
    "or whether a program or network filters secure connections"
)
TLS_FAILED = "A secure connection to Kick could not be set up"
PROXY_FAILED = "Can't connect through the proxy — check the proxy settings"
PROXY_REFUSED = "The proxy refused the connection — check the proxy settings"
PROXY_UNUSABLE = "The proxy setting can't be used — correct it, then connect again"
SERVER_TROUBLE = "Kick's chat server is having problems — it usually passes"
SERVER_REFUSED = "Kick's chat server refused the connection"
FRAME_TOO_LARGE = "Kick's chat server sent a message too large to accept"
BAD_URL = (
    "The chat server address is not valid — check VMSC_KICK_PUSHER_URL or VMSC_KICK_CENTRIFUGO_URL"
)
_UNREACHABLE = frozenset(
    code
    for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL")
    if (code := getattr(errno, name, None)) is not None
)


def describe_network_error(exc: BaseException) -> tuple[str, str]:
    """(plain sentence, technical detail) for a failure to connect or a lost connection, from
    the exception's type and those it was raised from (httpx wraps the socket's, for one).
    The detail is the text of the exception that decided the sentence."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    checks: tuple[tuple[str, Callable[[BaseException], bool]], ...] = (
        (CERTIFICATE, lambda e: isinstance(e, ssl.SSLCertVerificationError)),
        (TLS_FAILED, lambda e: isinstance(e, ssl.SSLError)),
        (CANT_REACH, lambda e: isinstance(e, socket.gaierror)),
        (CANT_REACH, lambda e: isinstance(e, OSError) and e.errno in _UNREACHABLE),
        (REFUSED, lambda e: isinstance(e, ConnectionRefusedError)),
        (TIMED_OUT, lambda e: isinstance(e, TimeoutError)),
        (DROPPED, lambda e: isinstance(e, ConnectionError | EOFError)),
        (ODD_ANSWER, lambda e: isinstance(e, InvalidHandshake)),
        (CANT_CONNECT, lambda e: isinstance(e, OSError)),
    )
    for summary, matches in checks:
        for error in chain:
            if matches(error):
                return summary, error_text(error)
    return CANT_CONNECT, error_text(exc)


def error_text(exc: BaseException) -> str:
    """The exception's text on one line, or its type's name when it has none."""
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class Timeouts:
    max_activity: float = MAX_ACTIVITY_TIMEOUT
    pong: float = PONG_TIMEOUT
    open: float = 10.0  # TCP + TLS + WebSocket upgrade, and again for connection_established
    close: float = CLOSE_TIMEOUT
    # Reads less than this apart are spaced this far apart: at a thousand messages a second a
    # wake-up per message costs several times the work of the message itself. Adds at most
    # this much latency, and only while messages are arriving faster than this.
    coalesce: float = READ_COALESCE


DEFAULT_TIMEOUTS = Timeouts()


@cache
def _default_tls() -> ssl.SSLContext:
    # Built on first use: loading the system CA store costs milliseconds at start-up.
    return ssl.create_default_context()


class PusherConnector:
    """Implements the supervisor's `Connector` over a WebSocket."""

    def __init__(
        self,
        endpoint: EndpointProvider,
        normalizer_factory: NormalizerFactory,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        tls: ssl.SSLContext | None = None,
        *,
        silence_limit: float = 0.0,  # the silence watchdog's, in seconds; 0: off
    ) -> None:
        self._endpoint = endpoint
        self._normalizer_factory = normalizer_factory
        self._timeouts = timeouts
        self._tls = tls
        self._silence_limit = silence_limit

    async def run_session(
        self, target: ChannelTarget, sink: SessionSink, *, fresh_endpoint: bool
    ) -> Ending:
        url = await self._endpoint(target, fresh_endpoint)
        timeouts = self._timeouts
        session = pusher.PusherSession(
            pusher.public_channels(target.chatroom_id, target.channel_id),
            pusher.chat_channel(target.chatroom_id),
            pusher.SessionTimeouts(
                timeouts.open, timeouts.max_activity, timeouts.pong, timeouts.close
            ),
            silence_watchdog(self._silence_limit, sink),
        )
        return await drive_session(
            url, session, sink, self._normalizer_factory(target), timeouts, self._tls
        )


def silence_watchdog(limit: float, sink: SessionSink) -> SilenceWatchdog | None:
    """The silence watchdog for a session, when it is on and the sink says whether the channel
    is live (a bare sink, in tests, does not)."""
    if limit > 0 and hasattr(sink, "live"):
        return SilenceWatchdog(limit, asyncio.get_running_loop().time())
    return None


async def connect_link(
    url: str,
    on_message: Callable[[BytesLike], None],
    timeouts: Timeouts,
    tls: ssl.SSLContext | None,
    origin: str = KICK_ORIGIN,
) -> _Link | Ending:
    """An open WebSocket to `url` (sending `Origin: origin`), or how opening it failed."""
    try:
        return await _open_link(url, on_message, timeouts, tls, origin)
    except InvalidStatus as exc:
        code = exc.response.status_code
        summary = SERVER_TROUBLE if code >= 500 else SERVER_REFUSED
        return classify_ending(None, summary, f"HTTP {code} instead of a WebSocket upgrade")
    except InvalidURI as exc:
        return Ending(EndingKind.FATAL, BAD_URL, f"bad WebSocket URL: {exc}")
    except InvalidProxy as exc:  # a proxy setting retrying cannot fix
        # the reason is shown and logged: never with the password a proxy URL may hold
        where = _without_credentials(exc.proxy)
        return Ending(EndingKind.FATAL, PROXY_UNUSABLE, f"{where} isn't a valid proxy: {exc.msg}")
    except InvalidProxyStatus as exc:
        code = exc.response.status_code
        return classify_ending(None, PROXY_REFUSED, f"HTTP {code} from the proxy")
    except ProxyError as exc:
        return classify_ending(None, PROXY_FAILED, error_text(exc))
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        summary, detail = describe_network_error(exc)
        if isinstance(exc, TimeoutError) and not str(exc):  # ours: `timeouts.open` ran out
            detail = f"no answer within {timeouts.open:g} s"
        return classify_ending(None, summary, detail)


def _without_credentials(url: str) -> str:
    """`url` with any `user:password@` replaced by `***@`, even when it is not a valid URL
    (no scheme, say, which makes the user name look like one)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    authority = rest.split("/", 1)[0]
    if "@" in authority:
        rest = "***" + rest[authority.rindex("@") :]
    return scheme + separator + rest


async def _open_link(
    url: str,
    on_message: Callable[[BytesLike], None],
    timeouts: Timeouts,
    tls: ssl.SSLContext | None,
    origin: str = "",
) -> _Link:
    """TCP (+ TLS) connect, through the environment's HTTP(S) proxy if it names one, and the
    WebSocket upgrade, all within `timeouts.open`."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    ws = ClientProtocol(uri, origin=Origin(origin) if origin else None, max_size=MAX_FRAME_BYTES)
    link = _Link(ws, on_message, timeouts.close, timeouts.coalesce)
    server_tls = (tls or _default_tls()) if uri.secure else None
    # As websockets' own client: wss_proxy / ws_proxy, socks_proxy, https_proxy, http_proxy (for
    # ws:// only), no_proxy; the system's settings on Windows and macOS.
    proxy_url = get_proxy(uri)
    try:
        async with asyncio.timeout(timeouts.open):
            if proxy_url is None:
                await loop.create_connection(
                    lambda: link,
                    uri.host,
                    uri.port,
                    ssl=server_tls,
                    server_hostname=uri.host if uri.secure else None,
                )
            else:
                try:
                    proxy = parse_proxy(proxy_url)
                except ValueError as exc:  # urllib's, for a URL it cannot split
                    raise InvalidProxy(proxy_url, str(exc)) from exc
                await _connect_through_proxy(link, uri, proxy, server_tls, tls)
            await link.opened
    except BaseException:
        link.abort()
        raise
    return link


async def _connect_through_proxy(
    link: _Link,
    uri: WebSocketURI,
    proxy: Proxy,
    server_tls: ssl.SSLContext | None,
    tls: ssl.SSLContext | None,
) -> None:
    """An HTTP CONNECT tunnel (websockets' own), then TLS to the server inside it if wss."""
    # Imported here: websockets' asyncio client is not needed without a proxy.
    from websockets.asyncio.client import connect_http_proxy

    if not proxy.scheme.startswith("http"):
        where = f"{proxy.scheme}://{proxy.host}:{proxy.port}"
        raise InvalidProxy(where, "only HTTP and HTTPS proxies are supported")
    proxy_tls = (tls or _default_tls()) if proxy.scheme == "https" else None
    try:
        transport = await connect_http_proxy(proxy, uri, ssl=proxy_tls)
    except OSError as exc:  # the proxy itself is out of reach: say so, not "Kick refused"
        where = f"{proxy.host}:{proxy.port}"
        raise ProxyError(f"can't connect to the proxy {where}: {error_text(exc)}") from exc
    try:
        if server_tls is not None:
            tunnel = await asyncio.get_running_loop().start_tls(
                transport, link, server_tls, server_hostname=uri.host
            )
            if tunnel is None:  # only when the loop closes under it
                raise ConnectionError("TLS through the proxy did not start")
            transport = tunnel
        transport.set_protocol(link)
        link.connection_made(transport)
    except BaseException:
        transport.abort()
        raise


class _Link(asyncio.BufferedProtocol):
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


# -- the session driver ---------------------------------------------------------------------------


class Session(Protocol):
    """A sans-I/O session of either protocol, as the driver sees it."""

    changed: bool  # something other than a channel event happened: flush, plan the timer again
    frozen: bool  # the server stopped answering: drop the socket, no close handshake

    @property
    def ending(self) -> Ending | None:
        """How the session ended, once it has."""

    @property
    def subscribed(self) -> bool:
        """The chat channel's subscription succeeded (Connected)."""

    @property
    def refresh_wanted(self) -> bool:
        """A fresh token is needed (Centrifugo): the driver fetches one and calls `refresh`."""

    @property
    def watchdog(self) -> SilenceWatchdog | None:
        """The silence watchdog the session consults in `tick`; the driver feeds it each user
        event (`SilenceWatchdog.event`), which only the driver sees."""

    def start(self, now: float) -> None: ...
    def receive(
        self, message: bytes | bytearray | memoryview | str, now: float
    ) -> Sequence[pusher.ChannelEvent]: ...
    def tick(self, now: float, live: bool = False) -> None: ...
    def next_deadline(self) -> float | None: ...
    def refresh(self, token: str | None, now: float) -> None: ...
    def closed(self, code: int | None, reason: str, cause: Ending | None = None) -> Ending: ...
    def take_outgoing(self) -> list[str]: ...


TokenSource = Callable[[], Awaitable[str | None]]
"""A fresh token for a session that asks for one (`refresh_wanted`); None when none could be had."""


async def drive_session(
    url: str,
    session: Session,
    sink: SessionSink,
    normalize: EventNormalizer,
    timeouts: Timeouts,
    tls: ssl.SSLContext | None,
    token: TokenSource | None = None,
) -> Ending:
    """Opens the socket and runs `session` over it to its end. Cancellation means the user
    disconnected."""
    drive = _Drive(session, sink, normalize, token)
    link = await connect_link(url, drive.on_message, timeouts, tls)
    if isinstance(link, Ending):
        return link
    try:
        return await drive.run(link)
    finally:
        drive.stop()
        await link.close()  # also when the user disconnected (cancellation)


class _Drive:
    """Moves messages, timer ticks and tokens between one `_Link` and one session."""

    def __init__(
        self,
        session: Session,
        sink: SessionSink,
        normalize: EventNormalizer,
        token: TokenSource | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._session = session
        self._sink = sink
        self._normalize = normalize
        self._token = token
        watchdog = session.watchdog
        self._feed = watchdog.event if watchdog is not None else None
        self._wake = asyncio.Event()
        self._confirmed = False
        self._link: _Link | None = None
        self._refreshing: asyncio.Task[None] | None = None

    def on_message(self, raw: BytesLike) -> None:
        link = self._link  # (None for a message that came with the upgrade's answer)
        now = link.last_read_at if link is not None else self._loop.time()  # this read's time
        session = self._session
        for message in session.receive(raw, now):
            try:
                event = self._normalize(message)
            except ValueError as exc:  # PayloadError: logged and skipped
                log.warning("skipped a malformed event: %s", exc)
                continue
            if event is not None:
                if self._feed is not None:
                    self._feed(now)  # the channel is not silent
                self._sink.event(event)
        if session.changed:  # rare: a control frame, an ending
            session.changed = False
            if session.subscribed and not self._confirmed:
                self._confirmed = True  # once: a resubscription is not a new connection
                self._sink.subscribed()
            self._flush()
            self._wake.set()  # the timers may have moved earlier, or the session is over

    async def run(self, link: _Link) -> Ending:
        self._link = link
        session = self._session
        session.start(self._loop.time())
        session.changed = False
        if session.subscribed and not self._confirmed:  # (everything came with the upgrade)
            self._confirmed = True
            self._sink.subscribed()
        self._flush()
        while not link.lost.done() and session.ending is None:
            now = self._loop.time()
            session.tick(now, getattr(self._sink, "live", False) is True)
            if session.refresh_wanted and self._refreshing is None and self._token is not None:
                self._refreshing = self._loop.create_task(self._refresh(self._token))
            self._flush()
            if session.ending is not None:
                break
            await self._sleep(now)
        if session.ending is not None:
            if session.frozen:
                link.abort()  # a close handshake would hang
            return session.ending
        return self._closed(link)

    def stop(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()

    async def _sleep(self, now: float) -> None:
        """Until the next timer, a message that may have moved it earlier, or the link's loss."""
        deadline = self._session.next_deadline()
        timeout = None if deadline is None else max(0.0, deadline - now)
        self._wake.clear()
        self._session.changed = False
        waiter = self._loop.create_task(self._wake.wait())
        assert self._link is not None
        try:
            await asyncio.wait(
                (self._link.lost, waiter), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()

    async def _refresh(self, token: TokenSource) -> None:
        try:
            fresh = await token()
        finally:
            self._refreshing = None
        self._session.refresh(fresh, self._loop.time())
        self._flush()
        self._wake.set()

    def _flush(self) -> None:
        if self._link is not None:
            for text in self._session.take_outgoing():
                self._link.send_text(text)

    def _closed(self, link: _Link) -> Ending:
        """The socket closed before the session decided an ending: the session's verdict, from
        the close frame, or from what the socket knows."""
        sent = link.ws.close_sent
        if sent is not None and sent.code == 1009:  # we refused a frame over MAX_FRAME_BYTES
            detail = f"a frame over the {MAX_FRAME_BYTES:,}-byte limit (close 1009)"
            return self._session.closed(None, "", classify_ending(None, FRAME_TOO_LARGE, detail))
        rcvd = link.ws.close_rcvd
        if link.lost_exc is not None:
            cause = classify_ending(None, *describe_network_error(link.lost_exc))
        else:
            cause = classify_ending(None, LOST, "closed without a close frame")
        if rcvd is None:
            return self._session.closed(None, "", cause)
        return self._session.closed(rcvd.code, rcvd.reason, cause)
