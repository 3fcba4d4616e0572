"""Channel lookup and Pusher key discovery against a fake Kick API (httpx.MockTransport),
plus one real loopback server that never answers, to prove the timeouts are real."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import re
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from app.kick import constants as C
from app.kick.api import KickApi
from app.kick.channel_lookup import (
    BadResponse,
    ChannelInfo,
    ChannelNotFound,
    CloudflareBlocked,
    KickServerError,
    LookupFailed,
    NetworkError,
)
from app.kick.network_errors import CERTIFICATE, REFUSED, TIMED_OUT, error_text
from app.kick.realtime_negotiation import PusherEndpoint
from app.kick.slug import InvalidSlugError, validate_slug
from tests.fixtures import FRAMES_DIR

Handler = Callable[[httpx.Request], httpx.Response]
Reply = httpx.Response | Exception
MakeApi = Callable[..., tuple[KickApi, list[httpx.Request]]]

CF_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body>Checking your browser before accessing kick.com.</body></html>"
)
KNOWN_URL = "wss://ws-us2.pusher.com/app/32cbd69e4b950bf97679?protocol=7&client=js&version=8.4.0&flash=false"
DISCOVERY_PATH = "/api/v1/realtime/channels/5120934/chat/connection"


def kick_frames_dir() -> Path:
    """The sample payloads the tests carry: tests/fixtures/kick-frames."""
    return FRAMES_DIR


def frame(name: str) -> Any:
    return json.loads((kick_frames_dir() / name).read_text(encoding="utf-8"))


def channel_json(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = frame("channel-api-v2.json")
    body.update(changes)
    return body


def html(status: int, text: str = CF_PAGE, **headers: str) -> httpx.Response:
    return httpx.Response(status, text=text, headers={"content-type": "text/html", **headers})


def not_found() -> httpx.Response:
    return httpx.Response(404, json=frame("channel-api-v2-404.json"))


def by_path(replies: Mapping[str, Reply]) -> Handler:
    """A fake Kick: one reply (or raised exception) per path; anything else is a 418."""

    def handle(request: httpx.Request) -> httpx.Response:
        reply = replies.get(request.url.path)
        if isinstance(reply, Exception):
            raise reply
        return reply if reply is not None else httpx.Response(418, text="unexpected request")

    return handle


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (C.ENV_KICK_API_URL, C.ENV_KICK_REALTIME_URL, C.ENV_KICK_PUSHER_URL):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def make_api() -> AsyncIterator[MakeApi]:
    """KickApi on a MockTransport; returns it and the list of requests it sent."""
    clients: list[httpx.AsyncClient] = []

    def make(handler: Handler, **kwargs: Any) -> tuple[KickApi, list[httpx.Request]]:
        requests: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return handler(request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(record))
        clients.append(client)
        return KickApi(client, **kwargs), requests

    yield make
    for client in clients:
        await client.aclose()


def paths(requests: list[httpx.Request]) -> list[str]:
    return [request.url.path for request in requests]


async def lookup_error(make_api: MakeApi, reply: Reply, slug: str = "nightowlgg") -> LookupFailed:
    api, _ = make_api(by_path({f"/api/v2/channels/{slug}": reply}))
    with pytest.raises(LookupFailed) as info:
        await api.lookup_channel(slug)
    return info.value


# -- slugs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("  NightOwlGG ", "nightowlgg"),
        ("a", "a"),
        ("night_owl-99", "night_owl-99"),
        ("x" * 25, "x" * 25),
    ],
)
def test_valid_slugs(text: str, slug: str) -> None:
    assert validate_slug(text) == slug


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a Kick username"),
        ("   ", "Enter a Kick username"),
        ("x" * 26, "at most 25 characters; this one has 26"),
        ("night owl", "A space is not allowed"),
        ("nightowl@gg", "'@' is not allowed"),
        ("kick.com/nightowl", "'.' is not allowed"),
        ("héllo", "'é' (LATIN SMALL LETTER E WITH ACUTE) is not allowed"),
        ("tab\there", "The character '\\t' is not allowed"),
    ],
)
def test_invalid_slugs(text: str, message: str) -> None:
    with pytest.raises(InvalidSlugError, match=re.escape(message)) as info:
        validate_slug(text)
    assert isinstance(info.value, ValueError)


async def test_lookup_validates_before_any_request(make_api: MakeApi) -> None:
    api, requests = make_api(by_path({}))
    with pytest.raises(InvalidSlugError):
        await api.lookup_channel("no spaces please")
    assert requests == []


# -- lookup: success ----------------------------------------------------------------------------


async def test_lookup_live_channel(make_api: MakeApi) -> None:
    api, requests = make_api(
        by_path({"/api/v2/channels/nightowlgg": httpx.Response(200, json=channel_json())})
    )
    info = await api.lookup_channel("  NightOwlGG ")
    assert info == ChannelInfo(
        slug="nightowlgg",
        channel_id=5120934,
        chatroom_id=5079311,
        user_id=5188402,
        display_name="NightOwlGG",
        is_live=True,
        viewer_count=1371,
        session_title="Ranked grind to Immortal | !socials",
        followers_count=48213,
    )
    [request] = requests
    assert request.method == "GET"
    assert str(request.url) == "https://kick.com/api/v2/channels/nightowlgg"
    assert request.headers["user-agent"] == C.USER_AGENT
    assert request.headers["user-agent"].startswith("Mozilla/5.0")
    assert "application/json" in request.headers["accept"]


async def test_lookup_offline_channel(make_api: MakeApi) -> None:
    body = channel_json(livestream=None)
    api, _ = make_api(by_path({"/api/v2/channels/nightowlgg": httpx.Response(200, json=body)}))
    info = await api.lookup_channel("nightowlgg")
    assert (info.is_live, info.viewer_count, info.session_title) == (False, None, None)
    assert (info.channel_id, info.chatroom_id) == (5120934, 5079311)


async def test_lookup_ids_as_strings(make_api: MakeApi) -> None:
    body = channel_json(id="5120934", user_id="5188402", followers_count="48213")
    body["chatroom"]["id"] = "5079311"
    body["livestream"]["viewer_count"] = "1371"
    api, _ = make_api(by_path({"/api/v2/channels/nightowlgg": httpx.Response(200, json=body)}))
    info = await api.lookup_channel("nightowlgg")
    assert (info.channel_id, info.chatroom_id, info.user_id) == (5120934, 5079311, 5188402)
    assert (info.followers_count, info.viewer_count) == (48213, 1371)


async def test_lookup_minimal_body(make_api: MakeApi) -> None:
    body = {"id": 1, "chatroom": {"id": 2}}
    api, _ = make_api(by_path({"/api/v2/channels/tiny": httpx.Response(200, json=body)}))
    info = await api.lookup_channel("tiny")
    assert info == ChannelInfo("tiny", 1, 2, None, "tiny", False, None, None, None)


# -- lookup: 404 and the swapped slug -----------------------------------------------------------


async def test_404_then_swapped_slug_succeeds(make_api: MakeApi) -> None:
    body = channel_json(slug="night-owl")
    api, requests = make_api(
        by_path(
            {
                "/api/v2/channels/night_owl": not_found(),
                "/api/v2/channels/night-owl": httpx.Response(200, json=body),
            }
        )
    )
    info = await api.lookup_channel("Night_Owl")
    assert info.slug == "night-owl"
    assert info.chatroom_id == 5079311
    assert paths(requests) == ["/api/v2/channels/night_owl", "/api/v2/channels/night-owl"]


async def test_404_twice_is_channel_not_found(make_api: MakeApi) -> None:
    api, requests = make_api(
        by_path(
            {
                "/api/v2/channels/night-owl_gg": not_found(),
                "/api/v2/channels/night_owl-gg": not_found(),
            }
        )
    )
    with pytest.raises(ChannelNotFound) as info:
        await api.lookup_channel("night-owl_gg")
    assert paths(requests) == ["/api/v2/channels/night-owl_gg", "/api/v2/channels/night_owl-gg"]
    assert info.value.retryable is False
    assert "Kick has no channel named 'night-owl_gg'" in str(info.value)


async def test_404_without_separator_asks_once(make_api: MakeApi) -> None:
    api, requests = make_api(by_path({"/api/v2/channels/nobody": not_found()}))
    with pytest.raises(ChannelNotFound, match="Kick has no channel named 'nobody'"):
        await api.lookup_channel("nobody")
    assert paths(requests) == ["/api/v2/channels/nobody"]


# -- lookup: blocked, server errors, network, bad answers ---------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        html(403),
        html(503),
        httpx.Response(503, text="Just a moment..."),
        httpx.Response(429, json={"message": "Too Many Attempts."}),
        html(200),
        httpx.Response(200, text="<html><body>hi</body></html>"),  # HTML without a content-type
        httpx.Response(200, json={}, headers={"cf-mitigated": "challenge"}),
        html(404, **{"cf-mitigated": "challenge"}),
    ],
    ids=[
        "403-html",
        "503-html",
        "503-text",
        "429",
        "200-html",
        "200-untyped-html",
        "cf-header",
        "404-challenge",
    ],
)
async def test_cloudflare_blocked(make_api: MakeApi, reply: httpx.Response) -> None:
    error = await lookup_error(make_api, reply)
    assert isinstance(error, CloudflareBlocked)
    assert error.retryable is True
    assert error.status == reply.status_code
    message = str(error)
    assert "blocked" in message
    assert "retry later" in message
    assert "chatroom id and channel id by hand under Advanced" in message


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(500, json={"message": "Server Error"}),
        httpx.Response(502, text="Bad gateway", headers={"content-type": "text/html"}),
        httpx.Response(504, text=""),
    ],
    ids=["500-json", "502-html", "504-empty"],
)
async def test_server_error(make_api: MakeApi, reply: httpx.Response) -> None:
    error = await lookup_error(make_api, reply)
    assert isinstance(error, KickServerError)
    assert error.retryable is True
    assert error.status == reply.status_code
    assert str(error) == "Kick's website is having problems — it usually passes"
    assert error.detail == f"HTTP {reply.status_code} from the channel lookup"


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out")],
    ids=["read", "connect"],
)
async def test_timeout_is_network_error(make_api: MakeApi, exc: Exception) -> None:
    error = await lookup_error(make_api, exc)
    assert isinstance(error, NetworkError)
    assert error.timeout is True
    assert error.retryable is True
    assert str(error) == TIMED_OUT
    assert error.detail == str(exc)
    assert isinstance(error.__cause__, httpx.TimeoutException)


async def test_connect_error_is_network_error(make_api: MakeApi) -> None:
    error = await lookup_error(make_api, httpx.ConnectError("Name or service not known"))
    assert isinstance(error, NetworkError)
    assert (error.timeout, error.retryable) == (False, True)
    # nothing under it says more: the plainest sentence that still fits, and its text as detail
    assert str(error) == "Can't connect to Kick — check your internet connection"
    assert error.detail == "Name or service not known"


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (httpx.Response(200, text='{"id": 5120934, "chatroom": '), "not JSON"),
        (httpx.Response(200, content=b"\xff\xfe garbage"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "expected a JSON object, got list"),
        (httpx.Response(200, json={"id": 5120934, "slug": "nightowlgg"}), "no chatroom id"),
        (httpx.Response(200, json={"id": 5120934, "chatroom": None}), "no chatroom id"),
        (httpx.Response(200, json={"chatroom": {"id": 5079311}}), "no channel id"),
        (httpx.Response(200, json={"id": "abc", "chatroom": {"id": 1}}), "no channel id"),
        (httpx.Response(200, json={"id": True, "chatroom": {"id": 1}}), "no channel id"),
        (httpx.Response(200, json={"id": "²", "chatroom": {"id": 1}}), "no channel id"),
        (httpx.Response(401, json={"message": "Unauthenticated."}), "HTTP 401"),
    ],
)
async def test_bad_response(make_api: MakeApi, reply: httpx.Response, detail: str) -> None:
    error = await lookup_error(make_api, reply)
    assert isinstance(error, BadResponse)
    assert error.retryable is True
    assert str(error) == "Kick sent an unexpected answer to the channel lookup"
    assert error.detail == detail


# -- URLs, client ownership ---------------------------------------------------------------------


async def test_urls_from_env(make_api: MakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(C.ENV_KICK_API_URL, "http://127.0.0.1:8080/kick/")
    monkeypatch.setenv(C.ENV_KICK_REALTIME_URL, "http://127.0.0.1:8081")
    api, requests = make_api(lambda request: httpx.Response(200, json=channel_json()))
    await api.lookup_channel("nightowlgg")
    await api.discover_pusher(5120934)
    assert [str(request.url) for request in requests] == [
        "http://127.0.0.1:8080/kick/api/v2/channels/nightowlgg",
        f"http://127.0.0.1:8081{DISCOVERY_PATH}",
    ]


async def test_arguments_beat_env(make_api: MakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(C.ENV_KICK_API_URL, "http://env.invalid")
    api, requests = make_api(
        lambda request: httpx.Response(200, json=channel_json()), api_url="http://arg.invalid"
    )
    await api.lookup_channel("nightowlgg")
    assert requests[0].url.host == "arg.invalid"


async def test_own_client_verifies_tls_and_is_closed() -> None:
    async with KickApi() as api:
        client = api.client  # made on first use
        assert client.timeout == httpx.Timeout(C.REQUEST_TIMEOUT)
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert client.is_closed


async def test_injected_client_is_left_open() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(by_path({}))) as client:
        async with KickApi(client):
            pass
        assert not client.is_closed


# -- Pusher key discovery -----------------------------------------------------------------------


async def test_discovery_success(make_api: MakeApi) -> None:
    reply = httpx.Response(200, json=frame("realtime-chat-connection-response.json"))
    api, requests = make_api(by_path({DISCOVERY_PATH: reply}))
    endpoint = await api.discover_pusher(5120934)
    assert endpoint == PusherEndpoint(KNOWN_URL, "32cbd69e4b950bf97679", "us2", discovered=True)
    [request] = requests
    assert request.method == "POST"
    assert str(request.url) == f"https://web.kick.com{DISCOVERY_PATH}"
    body = json.loads(request.content)
    client_id = uuid.UUID(body["client"]["id"])
    assert client_id.version == 4
    assert str(client_id) == body["client"]["id"]
    assert body == {
        "client": {"id": body["client"]["id"], "type": "web"},
        "capabilities": {"accepted_providers": [{"provider": "pusher"}]},
    }


async def test_discovery_uses_a_new_key(make_api: MakeApi) -> None:
    response = frame("realtime-chat-connection-response.json")
    connections = response["data"]["connections"]
    connections.reverse()  # centrifugo first: the first *pusher* connection counts
    connections[1]["credentials"] = {"app_key": "a1b2c3d4e5f6", "cluster": "eu"}
    api, _ = make_api(by_path({DISCOVERY_PATH: httpx.Response(200, json=response)}))
    endpoint = await api.discover_pusher(5120934)
    assert endpoint.url == C.PUSHER_WS_URL_TEMPLATE.format(cluster="eu", key="a1b2c3d4e5f6")
    assert (endpoint.key, endpoint.cluster, endpoint.discovered) == ("a1b2c3d4e5f6", "eu", True)


def discovery_body(credentials: Any) -> dict[str, Any]:
    return {"data": {"connections": [{"provider": "pusher", "credentials": credentials}]}}


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (httpx.Response(500, json={}), "HTTP 500"),
        (html(403), "HTTP 403"),
        (httpx.ConnectError("connection refused"), "ConnectError"),
        (httpx.ReadTimeout("timed out"), "ReadTimeout"),
        (httpx.Response(200, text="<html>"), "JSONDecodeError"),
        (httpx.Response(200, json={"message": "success"}), "no data.connections list"),
        (httpx.Response(200, json=[]), "no data.connections list"),
        (
            httpx.Response(200, json={"data": {"connections": [{"provider": "centrifugo"}]}}),
            "no pusher connection offered",
        ),
        (httpx.Response(200, json=discovery_body(None)), "bad pusher app_key None"),
        (
            httpx.Response(200, json=discovery_body({"app_key": "x/../y", "cluster": "us2"})),
            "bad pusher app_key",
        ),
        (httpx.Response(200, json=discovery_body({"app_key": "abc"})), "bad pusher cluster"),
    ],
)
async def test_discovery_failure_falls_back(
    make_api: MakeApi, caplog: pytest.LogCaptureFixture, reply: Reply, reason: str
) -> None:
    caplog.set_level(logging.INFO, logger="app.kick.api")
    api, requests = make_api(by_path({DISCOVERY_PATH: reply}))
    endpoint = await api.discover_pusher(5120934)
    assert endpoint == PusherEndpoint(KNOWN_URL, C.KNOWN_PUSHER_KEY, "us2", discovered=False)
    assert len(requests) == 1
    [record] = [r for r in caplog.records if "discovery failed" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert reason in record.getMessage()


async def test_discovery_disabled_by_empty_env(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.kick.api")
    monkeypatch.setenv(C.ENV_KICK_REALTIME_URL, "")
    api, requests = make_api(by_path({}))
    endpoint = await api.discover_pusher(5120934)
    assert (endpoint.url, endpoint.discovered) == (KNOWN_URL, False)
    assert requests == []
    assert f"disabled by empty {C.ENV_KICK_REALTIME_URL}" in caplog.text


async def test_pusher_url_override(make_api: MakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "ws://127.0.0.1:6001/app/local-key?protocol=7&client=js&version=8.4.0&flash=false"
    monkeypatch.setenv(C.ENV_KICK_PUSHER_URL, url)
    api, requests = make_api(by_path({}))
    endpoint = await api.discover_pusher(5120934)
    assert endpoint == PusherEndpoint(url, "local-key", "", discovered=False)
    assert requests == []


async def test_pusher_url_override_on_pusher_host(make_api: MakeApi) -> None:
    api, _ = make_api(by_path({}), pusher_url=KNOWN_URL)
    endpoint = await api.discover_pusher(1)
    assert (endpoint.url, endpoint.key, endpoint.cluster) == (KNOWN_URL, C.KNOWN_PUSHER_KEY, "us2")


# -- a real socket that never answers ------------------------------------------------------------


async def test_real_timeout_against_a_silent_loopback_server() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()  # never answers; returns once the client gives up and hangs up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    loop = asyncio.get_running_loop()
    try:
        async with KickApi(api_url=base, realtime_url=base, timeout=0.3) as api:
            started = loop.time()
            with pytest.raises(NetworkError) as info:
                await asyncio.wait_for(api.lookup_channel("nightowlgg"), 5)
            elapsed = loop.time() - started
            assert info.value.timeout is True
            assert str(info.value) == TIMED_OUT
            assert 0.25 <= elapsed < 3
            endpoint = await asyncio.wait_for(api.discover_pusher(5120934), 5)
            assert (endpoint.url, endpoint.discovered) == (KNOWN_URL, False)
        assert len(writers) == 2  # both requests really reached the server
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


# -- real failures to connect, in plain words ----------------------------------------------------


async def test_a_name_that_does_not_resolve_says_check_your_internet() -> None:
    host = "vmsc-test.nonexistent.invalid"  # reserved: never resolves (RFC 6761)
    with pytest.raises(socket.gaierror) as dns:
        await asyncio.get_running_loop().getaddrinfo(host, 80)
    async with KickApi(api_url=f"http://{host}", realtime_url="", timeout=5) as api:
        with pytest.raises(NetworkError) as info:
            await api.lookup_channel("nightowlgg")
    assert str(info.value) == "Can't reach Kick — check your internet connection"
    assert info.value.detail == error_text(dns.value)
    assert (info.value.timeout, info.value.retryable) == (False, True)


async def test_a_closed_port_is_a_refused_connection() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with KickApi(api_url=f"http://127.0.0.1:{port}", realtime_url="", timeout=5) as api:
        with pytest.raises(NetworkError) as info:
            await api.lookup_channel("nightowlgg")
    assert str(info.value) == REFUSED
    assert info.value.detail.startswith(f"[Errno {errno.ECONNREFUSED}]")


async def test_an_untrusted_certificate_is_said_plainly() -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(server_tls)  # a CA nobody trusts

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await reader.read()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    try:
        async with KickApi(api_url=f"https://127.0.0.1:{port}", realtime_url="") as api:
            with pytest.raises(NetworkError) as info:
                await asyncio.wait_for(api.lookup_channel("nightowlgg"), 10)
    finally:
        server.close()
        await server.wait_closed()
    assert str(info.value) == CERTIFICATE
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.detail
