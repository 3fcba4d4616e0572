"""The sans-I/O Pusher session with literal frames and plain-number clocks: handshake,
subscriptions, keep-alive, pusher:error, the silence watchdog and the verdict on the ending."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.supervisor import EndingKind
from app.core.watchdog import SILENT_REASON, SilenceWatchdog
from app.kick import pusher_endings
from app.kick.pusher_codec import ChannelEvent, public_channels
from app.kick.pusher_session import PusherSession, SessionTimeouts
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHAT_EVENT, CHATROOM_ID, chat_data

CHANNELS = public_channels(CHATROOM_ID, CHANNEL_ID)
TIMEOUTS = SessionTimeouts(handshake=10, max_activity=120, pong=30, error_close=2)


def frame(event: str, data: Any = None, channel: str | None = None) -> bytes:
    body: dict[str, Any] = {"event": event}
    if data is not None:
        body["data"] = data if isinstance(data, str) else json.dumps(data)
    if channel is not None:
        body["channel"] = channel
    return json.dumps(body).encode()


def established(activity_timeout: float | None = 30) -> bytes:
    data: dict[str, Any] = {"socket_id": "1.2"}
    if activity_timeout is not None:
        data["activity_timeout"] = activity_timeout
    return frame("pusher:connection_established", data)


def succeeded(channel: str = CHAT_CHANNEL) -> bytes:
    return frame("pusher_internal:subscription_succeeded", "{}", channel)


def sent(session: PusherSession) -> list[dict[str, Any]]:
    return [json.loads(text) for text in session.take_outgoing()]


def connected(
    *,
    activity_timeout: float | None = 30,
    now: float = 0.0,
    watchdog: SilenceWatchdog | None = None,
) -> PusherSession:
    """A session past the handshake with the chat channel confirmed, outgoing drained."""
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS, watchdog)
    session.start(now)
    session.receive(established(activity_timeout), now)
    session.receive(succeeded(), now)
    session.take_outgoing()
    session.changed = False
    return session


def test_handshake_then_one_subscribe_per_public_channel_and_subscribed_on_the_chat_one() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(0.0)
    assert session.outgoing == [] and session.next_deadline() == 10.0
    assert session.receive(established(), 0.1) == ()
    assert session.changed and session.socket_id == "1.2"
    subscribes = sent(session)
    assert [s["event"] for s in subscribes] == ["pusher:subscribe"] * 5
    assert [s["data"]["channel"] for s in subscribes] == list(CHANNELS)
    for channel in CHANNELS[1:]:  # only the chat channel's confirmation means Connected
        session.receive(succeeded(channel), 0.2)
    assert not session.subscribed
    session.receive(succeeded(), 0.3)
    assert session.subscribed and session.ending is None


def test_connection_established_may_come_before_start_with_the_upgrade() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.receive(established(), 5.0)
    session.start(5.0)
    assert len(sent(session)) == 5
    assert session.next_deadline() == 35.0  # the keep-alive, no handshake deadline


def test_channel_events_come_out_as_the_normalizers_channel_events() -> None:
    session = connected()
    events = session.receive(frame(CHAT_EVENT, chat_data(1), CHAT_CHANNEL), 1.0)
    assert events == (ChannelEvent(CHAT_EVENT, CHAT_CHANNEL, chat_data(1)),)
    assert not session.changed  # the hot path wakes nobody


def test_no_connection_established_within_the_handshake_timeout_ends_the_session() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(100.0)
    session.tick(109.9)
    assert session.ending is None
    session.tick(110.0)
    assert session.ending is not None
    assert session.ending.kind is EndingKind.BACKOFF
    assert session.ending.reason == pusher_endings.NO_ANSWER
    assert session.ending.detail == "no connection_established within 10 s"
    assert session.next_deadline() is None


@pytest.mark.parametrize(
    ("first", "detail"),
    [
        (b"not json", "bad handshake: frame is not JSON"),
        (frame(CHAT_EVENT, chat_data(1), CHAT_CHANNEL), "expected connection_established, got"),
        (frame("pusher:ping"), "got Ping"),
    ],
)
def test_anything_but_connection_established_first_is_an_odd_answer(
    first: bytes, detail: str
) -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(0.0)
    assert session.receive(first, 0.1) == ()
    assert session.ending is not None and session.changed
    assert session.ending.reason == pusher_endings.ODD_ANSWER
    assert detail in session.ending.detail
    assert session.outgoing == []


def test_a_pusher_error_in_the_handshake_waits_for_its_close_and_names_its_code() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(0.0)
    session.receive(
        frame("pusher:error", {"code": 4001, "message": "App key x not in this cluster"}), 0.5
    )
    assert session.ending is None and session.next_deadline() == 2.5
    ending = session.closed(4001, "")
    assert ending.kind is EndingKind.STALE_ENDPOINT and ending.close_code == 4001
    assert ending.detail == "server closed 4001 (unknown app key): App key x not in this cluster"


def test_a_pusher_error_in_the_handshake_without_its_close_ends_with_its_code() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(0.0)
    session.receive(frame("pusher:error", {"code": 4004, "message": "Over quota"}), 0.5)
    session.tick(2.5)
    assert session.ending is not None
    assert session.ending.kind is EndingKind.FATAL
    assert session.ending.reason == pusher_endings.CLOSED_BY_SERVER[EndingKind.FATAL]
    assert session.ending.detail == "server closed 4004 (over connection quota): Over quota"


def test_the_servers_ping_is_answered_with_a_pong() -> None:
    session = connected()
    session.receive(frame("pusher:ping", {}), 3.0)
    assert session.changed
    assert sent(session) == [{"event": "pusher:pong", "data": {}}]


def test_keep_alive_pings_after_the_activity_timeout_and_any_frame_answers() -> None:
    session = connected(activity_timeout=30)
    session.receive(frame(CHAT_EVENT, chat_data(1), CHAT_CHANNEL), 10.0)
    assert session.next_deadline() == 40.0
    session.tick(39.9)
    assert session.outgoing == []
    session.tick(40.0)
    assert sent(session) == [{"event": "pusher:ping", "data": {}}]
    assert session.next_deadline() == 70.0  # the answer's deadline
    session.receive(frame(CHAT_EVENT, chat_data(2), CHAT_CHANNEL), 41.0)  # not only a pong
    session.tick(70.0)
    assert session.ending is None and session.outgoing == []
    assert session.next_deadline() == 71.0  # 30 s after the last frame


def test_the_activity_timeout_is_capped_at_120_s_and_defaults_to_it() -> None:
    assert connected(activity_timeout=600).next_deadline() == 120.0
    assert connected(activity_timeout=None).next_deadline() == 120.0
    assert connected(activity_timeout=5).next_deadline() == 5.0


def test_no_frame_within_30_s_of_our_ping_means_the_connection_is_dead() -> None:
    session = connected(activity_timeout=120)
    session.tick(120.0)
    assert sent(session) == [{"event": "pusher:ping", "data": {}}]
    session.tick(149.9)
    assert session.ending is None
    session.tick(150.0)
    assert session.ending is not None and session.frozen
    assert session.ending.kind is EndingKind.BACKOFF
    assert session.ending.reason == pusher_endings.WENT_SILENT
    assert session.ending.detail == "no answer to ping in 30 s: connection dead"
    assert session.closed(1006, "") is session.ending  # the socket's end does not change it


def test_a_refused_chat_subscription_ends_the_session_another_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = connected()
    error = {"type": "AuthError", "error": "nope", "status": 403}
    session.receive(frame("pusher:subscription_error", error, "channel_1"), 1.0)
    assert session.ending is None
    assert "subscription to channel_1 refused: nope" in caplog.text
    session.receive(frame("pusher:subscription_error", error, CHAT_CHANNEL), 1.0)
    assert session.ending is not None
    assert session.ending.reason == pusher_endings.SUBSCRIPTION_REFUSED
    assert session.ending.detail == f"subscription to {CHAT_CHANNEL} refused: nope"
    assert not session.frozen


def test_malformed_frames_after_the_handshake_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session = connected()
    assert session.receive(b"[1, 2]", 1.0) == ()
    assert session.receive(b'{"event": 5}', 1.0) == ()
    assert session.ending is None
    assert sum("skipped a malformed frame" in r.message for r in caplog.records) == 2


def test_frames_after_the_ending_are_ignored() -> None:
    session = connected()
    session.receive(frame("pusher:subscription_error", "no", CHAT_CHANNEL), 1.0)
    assert session.receive(frame(CHAT_EVENT, chat_data(1), CHAT_CHANNEL), 2.0) == ()


# -- the verdict ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (4001, EndingKind.STALE_ENDPOINT),
        (4009, EndingKind.FATAL),
        (4100, EndingKind.BACKOFF),
        (4200, EndingKind.RECONNECT_NOW),
        (1000, EndingKind.BACKOFF),
        (1005, EndingKind.BACKOFF),
    ],
)
def test_a_close_code_is_classified_with_its_plain_sentence(code: int, kind: EndingKind) -> None:
    ending = connected().closed(code, "bye")
    assert ending.kind is kind and ending.close_code == code
    assert ending.reason == pusher_endings.CLOSED_BY_SERVER[kind]
    assert ending.detail.startswith(f"server closed {code}") and ending.detail.endswith(": bye")


def test_a_pusher_error_then_a_close_without_a_code_takes_the_errors_code() -> None:
    session = connected()
    session.receive(frame("pusher:error", {"code": 4200, "message": "Server is closing"}), 1.0)
    assert session.ending is None
    ending = session.closed(1006, "")
    assert ending.kind is EndingKind.RECONNECT_NOW and ending.close_code == 4200
    assert ending.detail == "server closed 4200 (server restarting): Server is closing"


def test_a_pusher_error_without_a_code_keeps_the_connection() -> None:
    session = connected()
    session.receive(frame("pusher:error", {"message": "hiccup"}), 1.0)
    assert session.ending is None
    assert session.closed(None, "").reason == pusher_endings.LOST


def test_a_pusher_error_without_a_code_in_the_handshake_is_the_verdict_on_the_loss() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS)
    session.start(0.0)
    session.receive(frame("pusher:error", {"message": "hiccup"}), 0.1)
    ending = session.closed(None, "")
    assert ending.kind is EndingKind.BACKOFF
    assert ending.reason == pusher_endings.SERVER_ERROR and ending.detail == "hiccup"


def test_a_loss_without_a_close_frame_is_the_sockets_cause_or_lost() -> None:
    cause = pusher_endings.classify_ending(None, "The connection to Kick dropped", "reset by peer")
    assert connected().closed(None, "", cause) is cause
    ending = connected().closed(1006, "")
    assert ending.reason == pusher_endings.LOST and ending.detail == "closed without a close frame"


# -- the silence watchdog -----------------------------------------------------------------------


def test_the_watchdog_resubscribes_then_reconnects_while_live_and_keep_alives_flow() -> None:
    session = connected(activity_timeout=30, watchdog=SilenceWatchdog(600, 0.0, grace=120))
    now = 0.0
    while now < 600.0:  # pings answered: the connection itself is fine
        now += 20.0
        session.receive(frame("pusher:pong", {}), now)
        session.tick(now, live=True)
        assert session.ending is None
    sent_now = sent(session)
    resubscribed = [s for s in sent_now if s["event"] != "pusher:ping"]
    assert [s["event"] for s in resubscribed] == ["pusher:unsubscribe", "pusher:subscribe"] * 5
    session.receive(frame("pusher:pong", {}), 700.0)
    session.tick(719.9, live=True)
    assert session.ending is None
    session.tick(720.0, live=True)
    assert session.ending is not None
    assert session.ending.kind is EndingKind.RECONNECT_NOW
    assert session.ending.reason == SILENT_REASON
    assert not session.frozen


def test_the_watchdog_sleeps_while_not_live_and_an_event_feeds_it() -> None:
    session = connected(watchdog=SilenceWatchdog(600, 0.0, grace=120))
    for now in range(20, 1300, 20):
        session.receive(frame("pusher:pong", {}), float(now))
        session.tick(float(now), live=False)
    assert session.ending is None and session.take_outgoing().count("pusher:unsubscribe") == 0
    assert session.watchdog is not None
    session.watchdog.event(1300.0)  # what the driver does for a user event
    session.tick(1899.0, live=True)
    assert session.ending is None
    assert session.next_deadline() is not None
    assert session.next_deadline() <= 1899.0 + 30.0  # type: ignore[operator]


def test_the_watchdog_waits_for_the_chat_channels_confirmation() -> None:
    session = PusherSession(CHANNELS, CHAT_CHANNEL, TIMEOUTS, SilenceWatchdog(10, 0.0, grace=5))
    session.start(0.0)
    session.receive(established(activity_timeout=120), 0.0)
    session.take_outgoing()
    session.tick(100.0, live=True)
    assert session.ending is None and session.outgoing == []
