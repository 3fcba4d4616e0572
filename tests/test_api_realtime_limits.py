"""Provider negotiation and the Centrifugo token request against hostile HTTP servers on
127.0.0.1 (issues #14, #17): the lookup's protections — a body cap, one deadline for the whole
request, no redirect off the host, port or scheme. A failed negotiation still falls back (the
long-known Pusher key) with the reason logged; a failed token request is a TokenFailed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
import trustme

from app.kick import constants as C
from app.kick.api import KickApi
from app.kick.network_errors import TIMED_OUT
from app.kick.normalize import Normalizer
from app.kick.realtime import PUSHER, RealtimeConnector
from app.kick.realtime_negotiation import TokenFailed
from tests.fake_kick_api import negotiation_json
from tests.test_transport import TARGET

NEGOTIATION_PATH = f"/api/v1/realtime/channels/{TARGET.channel_id}/chat/connection"
TOKEN_PATH = "/api/v1/realtime/auth/connection"
KNOWN_PUSHER_URL = (
    "wss://ws-us2.pusher.com/app/32cbd69e4b950bf97679"
    "?protocol=7&client=js&version=8.4.0&flash=false"
)
ENDLESS_LIMIT = 64 * 1024 * 1024  # the endless server gives up here (the old code read it all)
CHUNK = 64 * 1024

Answer = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture(autouse=True)
def kick_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (C.ENV_KICK_PUSHER_URL, C.ENV_KICK_CENTRIFUGO_URL):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Request:
    method: str
    path: str
    body: bytes


@dataclass
class Loopback:
    """An HTTP/1.1 server on 127.0.0.1 (https with `tls`): one request a connection, each
    answered by `answer`, which writes the whole response."""

    answer: Answer
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    sent: int = 0  # body bytes written by the endless and dripping answers
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    async def __aenter__(self) -> Loopback:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            request = Request(method, path, await reader.readexactly(length))
            self.requests.append(request)
            await self.answer(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client hung up: what the tests want of it
        finally:
            writer.close()


def respond(writer: asyncio.StreamWriter, status: int, body: bytes, **headers: str) -> None:
    lines = [f"HTTP/1.1 {status} X", "Connection: close", f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def valid_answer(request: Request) -> bytes:
    """What Kick answers when all is well: a Centrifugo offer, or a token."""
    if request.path.endswith(TOKEN_PATH):
        return json.dumps({"data": {"token": "eyJ.valid.token"}}).encode()
    return json.dumps(negotiation_json(centrifugo_url="wss://chat.example/ws")).encode()


async def well(request: Request, writer: asyncio.StreamWriter) -> None:
    respond(writer, 200, valid_answer(request), content_type="application/json")
    await writer.drain()


def endless(server: list[Loopback]) -> Answer:
    """200 with a body that never ends (no length: read until the server hangs up)."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        )
        while server[0].sent < ENDLESS_LIMIT:
            writer.write(b"[" * CHUNK)
            await writer.drain()
            server[0].sent += CHUNK

    return answer


def dripping(server: list[Loopback]) -> Answer:
    """200 with a 1,000-byte body sent a byte a second: each read well within httpx's timeout."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        writer.write(head.encode())
        for _ in range(1000):
            writer.write(b" ")
            await writer.drain()
            server[0].sent += 1
            await asyncio.sleep(1)

    return answer


def redirecting(location: Callable[[Request], str]) -> Answer:
    """307 (the method and body kept) to `location`; the redirect's target path answers well."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.path.startswith("/moved"):
            await well(request, writer)
            return
        respond(writer, 307, b"", location=location(request))
        await writer.drain()

    return answer


@contextlib.asynccontextmanager
async def api_on(server: Loopback, ca: trustme.CA | None = None) -> AsyncIterator[KickApi]:
    """A KickApi on `server` with a client made as KickApi makes its own (redirects on), only
    trusting `ca` for the https cases."""
    verify: ssl.SSLContext | bool = True
    if ca is not None:
        verify = ssl.create_default_context()
        ca.configure_trust(verify)
    async with httpx.AsyncClient(verify=verify, follow_redirects=True) as client:
        yield KickApi(client, api_url=server.url, realtime_url=server.url, timeout=5)


async def choose(api: KickApi) -> tuple[str, str]:
    connector = RealtimeConnector(api, lambda target: Normalizer(target.slug).normalize)
    return await asyncio.wait_for(connector._choose(TARGET), 10)


async def token_failure(api: KickApi) -> TokenFailed:
    with pytest.raises(TokenFailed) as info:
        await asyncio.wait_for(api.fetch_token("client-1"), 10)
    return info.value


def negotiation_failure(caplog: pytest.LogCaptureFixture) -> str:
    prefix = "realtime negotiation failed: "
    [message] = [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
    return message.removeprefix(prefix)


# -- an endless body ------------------------------------------------------------------------------


async def test_an_endless_negotiation_answer_is_cut_at_the_cap_and_pusher_is_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "app.kick.realtime")
    holder: list[Loopback] = []
    async with Loopback(endless(holder)) as server:
        holder.append(server)
        async with api_on(server) as api:
            assert await choose(api) == (PUSHER, KNOWN_PUSHER_URL)
    cap = C.REALTIME_MAX_BYTES
    assert negotiation_failure(caplog) == f"the answer is over the {cap:,}-byte limit: not read on"
    assert server.sent < ENDLESS_LIMIT  # the client hung up long before the server gave up
    assert [r.path for r in server.requests] == [NEGOTIATION_PATH]


async def test_an_endless_token_answer_is_cut_at_the_cap() -> None:
    holder: list[Loopback] = []
    async with Loopback(endless(holder)) as server:
        holder.append(server)
        async with api_on(server) as api:
            failure = await token_failure(api)
    assert str(failure) == TokenFailed.ODD
    assert (
        failure.detail == f"the answer is over the {C.REALTIME_MAX_BYTES:,}-byte limit: not read on"
    )
    assert server.sent < ENDLESS_LIMIT


async def test_a_declared_length_over_the_cap_is_not_read() -> None:
    async def huge(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n{")
        await writer.drain()
        await asyncio.sleep(30)  # the rest never comes

    async with Loopback(huge) as server, api_on(server) as api:
        offer = await asyncio.wait_for(api.negotiate(TARGET.channel_id, "client-1"), 10)
        failure = await token_failure(api)
    expected = f"the answer is 1000000000 bytes, over the {C.REALTIME_MAX_BYTES:,}-byte limit"
    assert offer.failure == expected
    assert failure.detail == expected


# -- a server dripping a byte a second -----------------------------------------------------------


async def test_a_dripping_negotiation_meets_its_deadline_and_pusher_is_the_fallback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(C, "REALTIME_DEADLINE", 0.5)
    caplog.set_level(logging.INFO, "app.kick.realtime")
    holder: list[Loopback] = []
    loop = asyncio.get_running_loop()
    async with Loopback(dripping(holder)) as server:
        holder.append(server)
        async with api_on(server) as api:
            started = loop.time()
            assert await choose(api) == (PUSHER, KNOWN_PUSHER_URL)
            elapsed = loop.time() - started
    assert negotiation_failure(caplog) == "the negotiation took longer than 0.5 s"
    assert 0.4 <= elapsed < 3
    assert server.sent >= 1  # it was dripping, not silent


async def test_a_dripping_token_answer_meets_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(C, "REALTIME_DEADLINE", 0.5)
    holder: list[Loopback] = []
    async with Loopback(dripping(holder)) as server:
        holder.append(server)
        async with api_on(server) as api:
            failure = await token_failure(api)
    assert str(failure) == TIMED_OUT
    assert failure.detail == "the token request took longer than 0.5 s"


# -- redirects ------------------------------------------------------------------------------------


@dataclass
class Redirect:
    name: str
    tls: bool  # the first server speaks https
    # (first server, the other server, the request) -> Location
    location: Callable[[Loopback, Loopback, Request], str]


REDIRECTS = [
    Redirect("other-port", False, lambda first, other, r: f"{other.url}/moved{r.path}"),
    Redirect(
        "other-host",
        False,
        lambda first, other, r: first.url.replace("127.0.0.1", "localhost") + f"/moved{r.path}",
    ),
    Redirect("https-to-http", True, lambda first, other, r: f"{other.url}/moved{r.path}"),
]


@contextlib.asynccontextmanager
async def redirect_servers(case: Redirect) -> AsyncIterator[tuple[Loopback, Loopback, KickApi]]:
    """The first server redirects to a place that answers well (itself under another name, or
    the other server); yields both and a KickApi on the first."""
    ca = trustme.CA() if case.tls else None
    tls = None
    if ca is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    servers: list[Loopback] = []
    answer = redirecting(lambda r: case.location(servers[0], servers[1], r))
    async with Loopback(answer, tls) as first, Loopback(redirecting(lambda r: "")) as other:
        servers += [first, other]
        async with api_on(first, ca) as api:
            yield first, other, api


@pytest.mark.parametrize("case", REDIRECTS, ids=lambda case: case.name)
async def test_a_negotiation_redirect_off_the_origin_is_not_followed_and_pusher_is_the_fallback(
    case: Redirect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "app.kick.realtime")
    async with redirect_servers(case) as (first, other, api):
        assert await choose(api) == (PUSHER, KNOWN_PUSHER_URL)
        location = case.location(first, other, Request("POST", NEGOTIATION_PATH, b""))
    assert negotiation_failure(caplog) == (
        f"HTTP 307 redirect to {location} not followed: the negotiation follows redirects only "
        "on the same host, port and scheme"
    )
    assert [r.path for r in first.requests] == [NEGOTIATION_PATH]  # nothing reached /moved
    assert other.requests == []


@pytest.mark.parametrize("case", REDIRECTS, ids=lambda case: case.name)
async def test_a_token_redirect_off_the_origin_is_not_followed(case: Redirect) -> None:
    async with redirect_servers(case) as (first, other, api):
        failure = await token_failure(api)
        location = case.location(first, other, Request("POST", TOKEN_PATH, b""))
    assert str(failure) == TokenFailed.ODD
    assert failure.detail == (
        f"HTTP 307 redirect to {location} not followed: the token request follows redirects "
        "only on the same host, port and scheme"
    )
    assert [r.path for r in first.requests] == [TOKEN_PATH]
    assert other.requests == []


async def test_a_same_origin_redirect_is_followed_with_the_body_kept() -> None:
    async with Loopback(redirecting(lambda r: f"/moved{r.path}")) as server, api_on(server) as api:
        offer = await asyncio.wait_for(api.negotiate(TARGET.channel_id, "client-1"), 10)
        token = await asyncio.wait_for(api.fetch_token("client-1"), 10)
    assert (offer.failure, offer.centrifugo_url) == ("", "wss://chat.example/ws")
    assert token == "eyJ.valid.token"
    negotiation, moved_negotiation, token_request, moved_token = server.requests
    assert moved_negotiation.path == f"/moved{NEGOTIATION_PATH}"
    assert moved_token.path == f"/moved{TOKEN_PATH}"
    assert moved_negotiation.method == moved_token.method == "POST"
    assert moved_negotiation.body == negotiation.body
    assert (
        json.loads(moved_token.body) == json.loads(token_request.body) == {"client_id": "client-1"}
    )
