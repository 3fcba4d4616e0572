"""The sans-I/O Centrifugo session with literal frames and plain-number clocks; the watchdog."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from app.core.supervisor import EndingKind
from app.core.watchdog import SilenceAction, SilenceWatchdog
from app.kick import centrifugo_endings, centrifugo_session
from app.kick.centrifugo_session import CentrifugoSession, SessionTimeouts
from app.kick.normalize import Normalizer
from app.kick.pusher_codec import ChannelEvent, public_channels
from app.kick.realtime_negotiation import TokenFailed, parse_negotiation, parse_token
from tests.fixtures import FRAMES_DIR
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHAT_EVENT, CHATROOM_ID, chat_data

CHANNELS = public_channels(CHATROOM_ID, CHANNEL_ID)


def sent(session: CentrifugoSession) -> list[dict[str, Any]]:
    return [json.loads(text) for text in session.take_outgoing()]


def frames(*objects: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(o) for o in objects).encode()


def pub(n: int, channel: str = CHAT_CHANNEL) -> dict[str, Any]:
    data = {"event": CHAT_EVENT, "data": chat_data(n)}
    return {"push": {"channel": channel, "pub": {"data": data}}}


def connected(
    *, ping: float = 25, pong: bool = True, ttl: float | None = None, now: float = 0.0
) -> CentrifugoSession:
    """A session past connect and with every subscription confirmed, outgoing drained."""
    session = CentrifugoSession("T1", CHANNELS, CHAT_CHANNEL, SessionTimeouts(pong_window=10))
    session.start(now)
    [connect] = sent(session)
    body: dict[str, Any] = {"client": "c1", "ping": ping, "pong": pong}
    if ttl is not None:
        body.update(expires=True, ttl=ttl)
    session.receive(frames({"id": connect["id"], "connect": body}), now)
    subscribes = sent(session)
    session.receive(frames(*({"id": s["id"], "subscribe": {}} for s in subscribes)), now)
    return session


def test_connect_then_one_subscribe_per_public_channel_and_connected_on_the_chat_one() -> None:
    session = CentrifugoSession("T1", CHANNELS, CHAT_CHANNEL)
    session.start(0.0)
    assert sent(session) == [{"id": 1, "connect": {"token": "T1", "name": "js"}}]
    session.receive(frames({"id": 1, "connect": {"client": "c1", "ping": 25, "pong": True}}), 0.1)
    subscribes = sent(session)
    assert [s["subscribe"]["channel"] for s in subscribes] == list(CHANNELS)
    assert len({s["id"] for s in subscribes}) == 5
    assert not session.subscribed
    # the others first: only the chat channel's confirmation means Connected
    others = [{"id": s["id"], "subscribe": {}} for s in subscribes[1:]]
    session.receive(frames(*others), 0.2)
    assert not session.subscribed
    session.receive(frames({"id": subscribes[0]["id"], "subscribe": {}}), 0.3)
    assert session.subscribed and session.client_id == "c1"


def test_batched_publications_come_out_in_order_as_the_normalizers_channel_events() -> None:
    session = connected()
    events = session.receive(frames(pub(1), pub(2), pub(3, "chatroom_5079311")), 1.0)
    assert events == [
        ChannelEvent(CHAT_EVENT, CHAT_CHANNEL, chat_data(1)),
        ChannelEvent(CHAT_EVENT, CHAT_CHANNEL, chat_data(2)),
        ChannelEvent(CHAT_EVENT, "chatroom_5079311", chat_data(3)),
    ]
    normalized = Normalizer("nightowlgg").normalize(events[0])
    assert normalized is not None and normalized.id == "msg-1"


def test_publication_data_sent_as_a_json_string_is_accepted() -> None:
    session = connected()
    inner = json.dumps({"event": CHAT_EVENT, "data": chat_data(5)})
    push = {"push": {"channel": CHAT_CHANNEL, "pub": {"data": inner}}}
    expected = [ChannelEvent(CHAT_EVENT, CHAT_CHANNEL, chat_data(5))]
    assert session.receive(frames(push), 1.0) == expected


def test_garbage_frames_are_skipped_and_the_rest_of_the_message_is_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = connected()
    no_event = {"push": {"channel": CHAT_CHANNEL, "pub": {"data": {"no": "event"}}}}
    message = b"\n".join(
        [
            json.dumps(pub(1)).encode(),
            b"not json {",
            b"[1, 2]",
            json.dumps(no_event).encode(),
            json.dumps(pub(2)).encode(),
        ]
    )
    events = session.receive(message, 1.0)
    assert [e.data for e in events] == [chat_data(1), chat_data(2)]
    assert session.ending is None
    assert sum("malformed Centrifugo frame" in r.message for r in caplog.records) == 3


def test_an_empty_frame_is_a_ping_answered_with_an_empty_frame_when_the_server_wants_it() -> None:
    session = connected(pong=True)
    session.receive(b"{}", 5.0)
    assert session.take_outgoing() == ["{}"]
    quiet = connected(pong=False)
    quiet.receive(b"{}", 5.0)
    assert quiet.take_outgoing() == []


def test_a_frozen_server_is_detected_within_ping_plus_the_pong_window() -> None:
    session = connected(ping=25)
    session.receive(b"{}", 100.0)
    assert session.next_deadline() == 135.0  # 25 s ping + 10 s window
    session.tick(134.9)
    assert session.ending is None
    session.tick(135.0)
    assert session.ending is not None
    assert session.ending.kind is EndingKind.BACKOFF
    assert session.ending.reason == centrifugo_endings.WENT_SILENT
    assert "35 s" in session.ending.detail


def test_any_frame_keeps_the_connection_alive_not_only_pings() -> None:
    session = connected(ping=25)
    session.receive(frames(pub(1)), 130.0)
    session.tick(140.0)
    assert session.ending is None


def test_no_connect_reply_ends_the_session() -> None:
    session = CentrifugoSession("T1", CHANNELS, CHAT_CHANNEL, SessionTimeouts(connect=10))
    session.start(0.0)
    session.tick(9.9)
    assert session.ending is None
    session.tick(10.0)
    assert session.ending is not None and session.ending.reason == centrifugo_endings.NO_ANSWER


def test_the_token_is_refreshed_before_the_ttl_runs_out() -> None:
    session = connected(ttl=600, ping=0, now=0.0)  # no pings: the refresh alone is timed
    assert session.next_deadline() == 540.0  # 10% of the ttl early, at most 60 s
    session.tick(539.0)
    assert not session.refresh_wanted
    session.tick(540.0)
    assert session.refresh_wanted
    session.refresh("T2", 541.0)
    [command] = sent(session)
    assert command["refresh"] == {"token": "T2"}
    reply = {"id": command["id"], "refresh": {"expires": True, "ttl": 600}}
    session.receive(frames(reply), 542.0)
    assert session.next_deadline() == 542.0 + 540.0


def test_a_server_answering_every_refresh_with_ttl_0_gets_one_refresh_per_retry_gap() -> None:
    session = connected(ttl=0, ping=0, now=0.0)  # hostile or broken: expires at once
    session.tick(0.0)
    assert session.refresh_wanted  # the first refresh goes at once
    refreshes_at: list[float] = []
    now = 0.0
    while now < 60.0:
        session.tick(now)
        if session.refresh_wanted:
            session.refresh(f"T{len(refreshes_at)}", now)
            [command] = sent(session)
            refreshes_at.append(now)
            session.receive(
                frames({"id": command["id"], "refresh": {"expires": True, "ttl": 0}}), now
            )
        now += 0.1
    gaps = [b - a for a, b in itertools.pairwise(refreshes_at)]
    assert len(refreshes_at) <= 13 and min(gaps) >= centrifugo_session.REFRESH_RETRY - 1e-9


def test_a_failed_token_fetch_asks_again_later() -> None:
    session = connected(ttl=30, ping=0, now=0.0)
    session.tick(25.0)
    assert session.refresh_wanted
    session.refresh(None, 25.0)
    assert not session.refresh_wanted and sent(session) == []
    session.tick(30.0)
    assert session.refresh_wanted


def test_error_109_on_connect_asks_for_a_fresh_token_at_once() -> None:
    session = CentrifugoSession("old", CHANNELS, CHAT_CHANNEL)
    session.start(0.0)
    session.receive(frames({"id": 1, "error": {"code": 109, "message": "token expired"}}), 0.1)
    assert session.ending is not None
    assert session.ending.kind is EndingKind.STALE_ENDPOINT
    assert session.ending.reason == centrifugo_endings.TOKEN_EXPIRED
    assert "109" in session.ending.detail


def test_error_109_on_refresh_keeps_the_connection_and_retries_the_refresh() -> None:
    session = connected(ttl=30, ping=0, now=0.0)
    session.tick(25.0)
    session.refresh("T2", 25.0)
    [command] = sent(session)
    error = {"id": command["id"], "error": {"code": 109, "message": "expired"}}
    session.receive(frames(error), 25.1)
    assert session.ending is None
    session.tick(30.1)
    assert session.refresh_wanted


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (3000, EndingKind.RECONNECT_NOW),
        (3001, EndingKind.RECONNECT_NOW),
        (3499, EndingKind.RECONNECT_NOW),
        (3500, EndingKind.STALE_ENDPOINT),
        (3999, EndingKind.STALE_ENDPOINT),
        (4000, EndingKind.BACKOFF),
        (4500, EndingKind.STALE_ENDPOINT),
    ],
)
def test_disconnect_pushes_by_code_range(code: int, kind: EndingKind) -> None:
    session = connected()
    push = {"push": {"disconnect": {"code": code, "reason": "because"}}}
    events = session.receive(frames(push, pub(9)), 1.0)
    assert events == []  # nothing after the disconnect counts
    assert session.ending is not None
    assert session.ending.kind is kind
    assert session.ending.close_code == code
    assert f"server closed {code}" in session.ending.detail
    # the close that follows does not change the verdict
    assert session.closed(1000, "") is session.ending


def test_a_close_code_alone_is_classified_too() -> None:
    ending = connected().closed(3001, "shutdown")
    assert ending.kind is EndingKind.RECONNECT_NOW
    assert ending.detail == "server closed 3001 (shutdown)"
    assert connected().closed(3501, "").kind is EndingKind.STALE_ENDPOINT


def test_a_refused_chat_subscription_ends_the_session_others_are_only_logged() -> None:
    session = CentrifugoSession("T", CHANNELS, CHAT_CHANNEL)
    session.start(0.0)
    sent(session)  # the connect command
    session.receive(frames({"id": 1, "connect": {"client": "c", "ping": 25}}), 0.0)
    subscribes = sent(session)
    denied = {"code": 103, "message": "denied"}
    session.receive(frames({"id": subscribes[1]["id"], "error": denied}), 0.1)
    assert session.ending is None
    session.receive(frames({"id": subscribes[0]["id"], "error": denied}), 0.2)
    assert session.ending is not None
    assert session.ending.reason == centrifugo_endings.SUBSCRIPTION_REFUSED


def test_resubscribe_sends_unsubscribe_and_subscribe_for_every_channel() -> None:
    session = connected()
    session.resubscribe()
    commands = sent(session)
    assert [next(iter(set(c) - {"id"})) for c in commands] == ["unsubscribe", "subscribe"] * 5
    assert [c["subscribe"]["channel"] for c in commands[1::2]] == list(CHANNELS)


# -- the silence watchdog, with plain numbers for time ------------------------------------------


def test_watchdog_resubscribes_after_the_limit_while_live_then_reconnects() -> None:
    dog = SilenceWatchdog(600, now=0.0, grace=120)
    assert dog.check(599.0, live=True) is SilenceAction.NONE
    assert dog.check(600.0, live=True) is SilenceAction.RESUBSCRIBE
    assert dog.next_check(600.0) == 720.0
    assert dog.check(719.0, live=True) is SilenceAction.NONE
    assert dog.check(720.0, live=True) is SilenceAction.RECONNECT


def test_watchdog_an_event_after_resubscribing_clears_it() -> None:
    dog = SilenceWatchdog(600, now=0.0, grace=120)
    assert dog.check(600.0, live=True) is SilenceAction.RESUBSCRIBE
    dog.event(650.0)
    assert dog.check(720.0, live=True) is SilenceAction.NONE
    assert dog.check(1250.0, live=True) is SilenceAction.RESUBSCRIBE


def test_watchdog_counts_only_while_live() -> None:
    dog = SilenceWatchdog(600, now=0.0)
    assert dog.check(5000.0, live=False) is SilenceAction.NONE  # offline: silence is normal
    assert dog.next_check(5000.0) == 5030.0  # checked often enough to see the channel go live
    assert dog.check(5599.0, live=True) is SilenceAction.NONE
    assert dog.check(5600.0, live=True) is SilenceAction.RESUBSCRIBE


# -- Kick's negotiation answer -------------------------------------------------------------------


def test_kicks_sample_negotiation_answer_offers_both_providers() -> None:
    sample = (FRAMES_DIR / "realtime-chat-connection-response.json").read_bytes()
    offer = parse_negotiation(200, {"content-type": "application/json"}, sample)
    assert offer.failure == ""
    assert offer.centrifugo_url == "wss://realtime.us-east-1.platform.kick.com/connection/websocket"
    assert offer.pusher is not None
    assert (offer.pusher.key, offer.pusher.cluster) == ("32cbd69e4b950bf97679", "us2")


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        (b'{"data": {"connections": []}}', "no known provider offered"),
        (b'{"data": {"connections": [{"provider": "ably"}]}}', "no known provider offered"),
        (b'{"data": {}}', "no data.connections list"),
        (
            b'{"data": {"connections": [{"provider": "centrifugo", "credentials": '
            b'{"url": "https://x/"}}]}}',
            "bad centrifugo url 'https://x/'",
        ),
    ],
)
def test_an_answer_without_a_usable_provider_is_a_failure_that_says_why(
    body: bytes, failure: str
) -> None:
    assert parse_negotiation(200, {}, body).failure == failure


def test_negotiation_is_lenient_about_case_and_where_credentials_sit() -> None:
    body = (
        b'{"data": {"connections": [{"provider": "Centrifugo", '
        b'"url": "wss://realtime.example/connection/websocket"}]}}'
    )
    offer = parse_negotiation(200, {}, body)
    assert offer.centrifugo_url == "wss://realtime.example/connection/websocket"


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"token": "eyJ.a.b"}}',
        b'{"token": "eyJ.a.b"}',
        b'{"data": {"jwt": "eyJ.a.b"}}',
        b'"eyJ.a.b"',
        b"eyJ.a.b",
    ],
)
def test_the_token_is_found_wherever_the_answer_puts_it(body: bytes) -> None:
    assert parse_token(200, {}, body) == "eyJ.a.b"


def test_a_blocked_or_failed_token_request_says_so_plainly() -> None:
    page = b"<html><title>Just a moment...</title></html>"
    with pytest.raises(TokenFailed, match="Cloudflare") as blocked:
        parse_token(403, {"content-type": "text/html"}, page)
    assert blocked.value.detail == "blocked by Cloudflare (HTTP 403)"
    with pytest.raises(TokenFailed, match="having problems"):
        parse_token(502, {}, b"")
    with pytest.raises(TokenFailed, match="unexpected answer") as odd:
        parse_token(200, {}, b'{"data": {}}')
    assert odd.value.detail == "no token in the answer"
