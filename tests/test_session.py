"""Kick's side of the supervisor: the resolver's cache rules and error mapping, the endpoint."""

from __future__ import annotations

import httpx
import pytest

from app.core.supervisor import ConnectRequest, ResolveError
from app.id_cache import SettingsIdCache
from app.kick.api import KickApi
from app.kick.session import CachedIds, KickEndpoint, KickResolver, MemoryIdCache
from app.settings import SettingsHolder, SettingsStore
from tests.fake_kick_api import channel_json


def api_with(handler: httpx.MockTransport) -> KickApi:
    return KickApi(
        httpx.AsyncClient(transport=handler), api_url="https://kick.test", realtime_url=""
    )


def serving(status: int, body: object, calls: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": "text/html"})
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


async def test_lookup_result_is_cached_and_reused_without_a_request() -> None:
    calls: list[str] = []
    cache = MemoryIdCache()
    resolver = KickResolver(
        api_with(serving(200, channel_json("nightowlgg", 7, 9, live=True), calls)), cache
    )
    first = await resolver.resolve(ConnectRequest("NightOwlGG"))
    assert (first.chatroom_id, first.channel_id, first.is_live) == (9, 7, True)
    assert cache.get("nightowlgg") == CachedIds(9, 7, "Nightowlgg")
    again = await resolver.resolve(ConnectRequest("nightowlgg"))
    assert (again.chatroom_id, again.channel_id) == (9, 7)
    assert again.is_live is None  # unknown: the supervisor refreshes it in the background
    assert calls == ["/api/v2/channels/nightowlgg"]


async def test_hand_typed_ids_skip_the_lookup() -> None:
    calls: list[str] = []
    resolver = KickResolver(api_with(serving(403, "<html>Just a moment...</html>", calls)))
    target = await resolver.resolve(ConnectRequest("someone", chatroom_id=11, channel_id=22))
    assert (target.chatroom_id, target.channel_id) == (11, 22)
    assert calls == []


async def test_not_found_and_invalid_slug_are_not_retryable() -> None:
    calls: list[str] = []
    resolver = KickResolver(api_with(serving(404, {"message": "Not Found"}, calls)))
    with pytest.raises(ResolveError, match="no channel named") as info:
        await resolver.resolve(ConnectRequest("no_body"))
    assert not info.value.retryable
    assert calls == ["/api/v2/channels/no_body", "/api/v2/channels/no-body"]
    with pytest.raises(ResolveError, match="space") as info:
        await resolver.resolve(ConnectRequest("two words"))
    assert not info.value.retryable


async def test_cloudflare_block_without_cache_is_an_error_that_says_what_to_do() -> None:
    resolver = KickResolver(api_with(serving(403, "<html>Just a moment...</html>", [])))
    with pytest.raises(ResolveError) as info:
        await resolver.resolve(ConnectRequest("nightowlgg"))
    assert not info.value.retryable
    assert "Advanced" in str(info.value) and "retry later" in str(info.value)
    # the background live-status refresh treats the same block as passing
    with pytest.raises(ResolveError) as info:
        await resolver.lookup("nightowlgg")
    assert info.value.retryable


async def test_server_error_is_retryable() -> None:
    resolver = KickResolver(api_with(serving(500, {"error": "boom"}, [])))
    with pytest.raises(ResolveError) as info:
        await resolver.resolve(ConnectRequest("nightowlgg"))
    assert info.value.retryable


async def test_settings_backed_cache_survives_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    store = SettingsStore(tmp_path)
    resolver = KickResolver(
        api_with(serving(200, channel_json("nightowlgg", 7, 9), calls)),
        SettingsIdCache(SettingsHolder(store)),
    )
    await resolver.resolve(ConnectRequest("nightowlgg"))
    relaunched = KickResolver(
        api_with(serving(500, {}, calls)), SettingsIdCache(SettingsHolder(SettingsStore(tmp_path)))
    )
    target = await relaunched.resolve(ConnectRequest("NIGHTOWLGG"))
    assert (target.chatroom_id, target.channel_id) == (9, 7)
    assert calls == ["/api/v2/channels/nightowlgg"]


async def test_endpoint_is_discovered_once_and_again_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    posts: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        posts.append(request.url.path)
        key = f"key{len(posts)}"
        return httpx.Response(
            200,
            json={
                "data": {
                    "connections": [
                        {"provider": "pusher", "credentials": {"app_key": key, "cluster": "us2"}}
                    ]
                }
            },
        )

    monkeypatch.delenv("VMSC_KICK_PUSHER_URL", raising=False)
    api = KickApi(
        httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        realtime_url="https://web.kick.test",
    )
    endpoint = KickEndpoint(api)
    target = await KickResolver(api).resolve(ConnectRequest("x", chatroom_id=1, channel_id=2))
    first = await endpoint(target, False)
    assert "/app/key1?" in first and first.startswith("wss://ws-us2.pusher.com")
    assert await endpoint(target, False) == first
    assert "/app/key2?" in await endpoint(target, True)
    assert len(posts) == 2
