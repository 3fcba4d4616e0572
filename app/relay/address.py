"""Where the event server listens: `[HOST:]PORT` as typed, `VMSC_RELAY_PORT`, and the address
another computer on the network reaches this one at."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7582  # no bot or overlay tool we know of uses it (Streamer.bot 8080, Firebot 7472)
ENV_RELAY_PORT = "VMSC_RELAY_PORT"


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def lan_address() -> str | None:
    """This computer's address on its network, as its host name resolves (no packet is sent),
    or None when that names only loopback."""
    import socket

    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for *_, sockaddr in infos:
        address = str(sockaddr[0])
        if not address.startswith("127."):
            return address
    return None


def parse_listen_address(text: str, default_host: str = DEFAULT_HOST) -> ListenAddress:
    """`PORT` or `HOST:PORT` (`--serve 7582`, `--serve 0.0.0.0:7582`); raises ValueError."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host = default_host
    host = host.strip("[]") or default_host
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{text!r}: the port must be 0-65535")
    return ListenAddress(host, port)


def default_port(environ: Mapping[str, str] = os.environ, fallback: int = DEFAULT_PORT) -> int:
    """`VMSC_RELAY_PORT` if set (a number 0-65535, 0 for any free port; else ValueError),
    otherwise `fallback`."""
    text = environ.get(ENV_RELAY_PORT, "").strip()
    if not text:
        return fallback
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise ValueError(f"{ENV_RELAY_PORT}={text!r} is not a port number (0-65535)")
    return int(text)
