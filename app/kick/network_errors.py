"""What the user reads when the connection to Kick fails: one plain sentence per kind of failure,
and the technical detail behind it (an exception's text, a status, a close code), which goes
with it as the `Ending`'s `detail` or a `LookupFailed`'s. Both the socket (`websocket_connect`,
`session_driver`) and the HTTP side (`api`) describe their failures here."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable

from websockets.exceptions import InvalidHandshake

from app.kick.pusher_endings import ODD_ANSWER

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
