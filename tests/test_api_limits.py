"""The channel lookup under a hostile server (issue #17): a size cap, one deadline for the whole
lookup, no redirect off the host or down to http, and nothing but LookupFailed raised."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from app.kick import constants as C
from app.kick.api import KickApi
from app.kick.channel_lookup import BadResponse, LookupFailed, NetworkError, parse_lookup
from tests.test_api import channel_json

Handler = Callable[[httpx.Request], httpx.Response]
URL = "https://kick.com/api/v2/channels/nightowlgg"


@pytest.fixture(autouse=True)
def kick_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (C.ENV_KICK_API_URL, C.ENV_KICK_REALTIME_URL, C.ENV_KICK_PUSHER_URL):
        monkeypatch.delenv(name, raising=False)


async def lookup(handler: Handler) -> tuple[Any, list[httpx.Request]]:
    """The lookup's result or LookupFailed, and the requests it sent."""
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        try:
            return await KickApi(client).lookup_channel("nightowlgg"), requests
        except LookupFailed as exc:
            return exc, requests


async def test_an_endless_body_is_read_only_up_to_the_cap() -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 65536
            yield b"[" + b" " * 65535

    failure, _ = await lookup(lambda request: httpx.Response(200, content=endless()))
    assert isinstance(failure, BadResponse)
    assert f"over the {C.LOOKUP_MAX_BYTES:,}-byte limit" in failure.detail
    assert C.LOOKUP_MAX_BYTES < sent <= C.LOOKUP_MAX_BYTES + 65536


async def test_a_declared_length_over_the_cap_is_not_read() -> None:
    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(10**9)}, content=b"{}")

    failure, _ = await lookup(big)
    assert isinstance(failure, BadResponse)
    assert "1000000000 bytes, over the 1,048,576-byte limit" in failure.detail


async def test_a_body_under_the_cap_is_a_channel() -> None:
    info, _ = await lookup(lambda request: httpx.Response(200, json=channel_json()))
    assert not isinstance(info, LookupFailed)
    assert info.channel_id == channel_json()["id"]


async def test_a_dripping_server_meets_the_whole_lookup_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(C, "LOOKUP_DEADLINE", 0.2)
    never = asyncio.Event()

    async def drip() -> AsyncIterator[bytes]:
        yield b"{"
        await never.wait()  # the next byte never comes; no per-read timeout in a MockTransport
        yield b"}"

    failure, _ = await lookup(lambda request: httpx.Response(200, content=drip()))
    assert isinstance(failure, NetworkError)
    assert failure.timeout
    assert failure.detail == "the channel lookup took longer than 0.2 s"


@pytest.mark.parametrize(
    "location",
    [
        "http://kick.com/api/v2/channels/nightowlgg",  # https -> http downgrade
        "https://evil.example/api/v2/channels/nightowlgg",  # another host
        "https://kick.com:8443/api/v2/channels/nightowlgg",  # another port
    ],
)
async def test_redirects_off_the_host_or_scheme_are_not_followed(location: str) -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        if request.url.host != "kick.com" or request.url.scheme != "https":
            return httpx.Response(200, json=channel_json())
        return httpx.Response(302, headers={"location": location})

    failure, requests = await lookup(redirect)
    assert isinstance(failure, BadResponse)
    assert f"redirect to {location} not followed" in failure.detail
    assert "same host, port and scheme" in failure.detail
    assert [str(r.url) for r in requests] == [URL]


async def test_a_same_host_https_redirect_is_followed() -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/nightowlgg"):
            return httpx.Response(301, headers={"location": "/api/v2/channels/night-owl"})
        return httpx.Response(200, json=channel_json())

    info, requests = await lookup(redirect)
    assert not isinstance(info, LookupFailed)
    assert [r.url.path for r in requests] == [
        "/api/v2/channels/nightowlgg",
        "/api/v2/channels/night-owl",
    ]


async def test_a_redirect_loop_ends() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": str(request.url)})

    failure, requests = await lookup(loop)
    assert isinstance(failure, BadResponse)
    assert failure.detail == "more than 3 redirects"
    assert len(requests) == 4


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "' + b"9" * 5000 + b'", "chatroom": {"id": 1}}',  # past int()'s 4,300 digits
        b'{"id": ' + b"9" * 400 + b', "chatroom": {"id": 1}}',
        b'{"id": 1, "chatroom": {"id": ' + b"[" * 5000 + b"}}",
    ],
)
def test_hostile_bodies_are_bad_responses(body: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_lookup("nightowlgg", 200, {"content-type": "application/json"}, body)
