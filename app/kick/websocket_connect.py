"""Opening a WebSocket to Kick: TCP (+ TLS), through the environment's proxy if it names one,
and the upgrade, within a deadline; or the `Ending` that says how opening it failed."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from websockets.client import ClientProtocol
from websockets.exceptions import (
    InvalidHandshake,
    InvalidProxy,
    InvalidProxyStatus,
    InvalidStatus,
    InvalidURI,
    ProxyError,
)
from websockets.proxy import Proxy, get_proxy, parse_proxy
from websockets.typing import BytesLike, Origin
from websockets.uri import WebSocketURI, parse_uri

from app.core.supervisor import Ending, EndingKind
from app.kick.network_errors import (
    BAD_URL,
    PROXY_FAILED,
    PROXY_REFUSED,
    PROXY_UNUSABLE,
    SERVER_REFUSED,
    SERVER_TROUBLE,
    describe_network_error,
    error_text,
)
from app.kick.pusher_endings import classify_ending
from app.kick.pusher_session import MAX_ACTIVITY_TIMEOUT, PONG_TIMEOUT
from app.kick.websocket_link import MAX_FRAME_BYTES, WebSocketLink

READ_COALESCE = 0.01  # seconds; see Timeouts.coalesce
CLOSE_TIMEOUT = 2.0  # after our close frame, wait this long for the server to hang up
KICK_ORIGIN = "https://kick.com"  # Kick's sockets want the Origin its web client sends


@dataclass(frozen=True, slots=True)
class Timeouts:
    """One connection's timeouts: the socket's (open, close, coalesce) and Pusher's keep-alive."""

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


async def connect_link(
    url: str,
    on_message: Callable[[BytesLike], None],
    timeouts: Timeouts,
    tls: ssl.SSLContext | None,
    origin: str = KICK_ORIGIN,
) -> WebSocketLink | Ending:
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
) -> WebSocketLink:
    """TCP (+ TLS) connect, through the environment's HTTP(S) proxy if it names one, and the
    WebSocket upgrade, all within `timeouts.open`."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    ws = ClientProtocol(uri, origin=Origin(origin) if origin else None, max_size=MAX_FRAME_BYTES)
    link = WebSocketLink(ws, on_message, timeouts.close, timeouts.coalesce)
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
    link: WebSocketLink,
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
