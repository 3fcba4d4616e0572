"""Kick payload -> StreamEvent (design.md §2): one pure mapping per Kick event name.

`Normalizer.normalize` is what the transport calls for every channel event: it maps the event
and drops duplicates (see `dedupe.py`). `Pipeline.feed` does the same from raw frame text and is
what the CLI uses. Both raise `FrameError` / `PayloadError` (both ValueError) for bad input and
return None for anything that is not a user event.

Kick is parsed leniently (ids as numbers or strings, optional fields missing, names with or without
the `App\\Events\\` prefix) but strictly where a wrong type means we would show wrong data.
The chat handler is the hot path (almost every frame is chat): it avoids helper calls where an
inline check does.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

from app.core.events import JSON_ERRORS, EventType, StreamEvent
from app.core.payloads import (
    Badge,
    BanData,
    ChatData,
    FollowData,
    GiftSubData,
    HostData,
    KicksData,
    LiveEndData,
    LiveStartData,
    MessageDeletedData,
    Payload,
    ReplyTo,
    RewardData,
    SenderIdentity,
    SubscribeData,
    UnbanData,
    parse_emotes,
)
from app.kick.dedupe import Deduper
from app.kick.pusher_codec import ChannelEvent, decode_frame

log = logging.getLogger(__name__)

EVENT_PREFIX = "App\\Events\\"

Clock = Callable[[], datetime]
Json = dict[str, Any]  # a decoded JSON object from Kick, not yet checked


class PayloadError(ValueError):
    """A user event whose payload is malformed; the text names the event and what is wrong."""


# Known Kick events that are not user actions (or whose action another event already carries):
# dropped without decoding their data. ChannelSubscriptionEvent and ChatMessageSentEvent are the
# two echoes of a sub that SubscriptionEvent reports; StreamHostedEvent is the legacy-channel echo
# of StreamHostEvent; LuckyUsersWhoGotGiftSubscriptionsEvent echoes GiftedSubscriptionsEvent.
NOT_USER_EVENTS = frozenset(
    {
        "ChannelSubscriptionEvent",
        "ChatMessageSentEvent",
        "ChatMoveToSupportedChannelEvent",
        "ChatroomClearEvent",
        "ChatroomUpdatedEvent",
        "GiftsLeaderboardUpdated",
        "GoalProgressUpdateEvent",
        "LivestreamUpdated",
        "LuckyUsersWhoGotGiftSubscriptionsEvent",
        "PinnedMessageCreatedEvent",
        "PinnedMessageDeletedEvent",
        "PollDeleteEvent",
        "PollUpdateEvent",
        "PredictionCreated",
        "StreamHostedEvent",
    }
)

_TIMESTAMP = re.compile(
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE
)
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
_UTC_SUFFIX = "+00:00"
_NOTHING = object()


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: object) -> str | None:
    """A payload time (ISO 8601 with or without zone, "2026-03-14 18:00:18", epoch seconds or
    milliseconds) as ISO 8601 UTC; None when it is none of these."""
    if isinstance(value, str):
        if _CANONICAL_UTC.fullmatch(value):  # Kick's chat format: check the calendar, keep as is
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return None
            return value
        match = _TIMESTAMP.fullmatch(value.strip())
        if match is None:
            return None
        date, time, fraction, zone = match.groups()
        zone = _UTC_SUFFIX if zone in (None, "Z", "z") else zone  # naive times are UTC
        # Python takes at most 6 fraction digits; Kick sometimes sends 9.
        text = f"{date}T{time}{(fraction or '')[:7]}{zone}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:  # (a 300-digit int overflows even the division)
            seconds = value / 1000 if value > 100_000_000_000 else value  # ms since the epoch
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    try:
        return moment.astimezone(UTC).isoformat()
    except OverflowError:  # 9999-12-31T23:59-01:00 is in year 10000 in UTC
        return None


def event_digest(name: str, raw: object) -> str:
    """A deterministic id for a payload without one: the same delivery gives the same id."""
    if isinstance(raw, str):
        body = raw.encode()
    elif isinstance(raw, bytes):
        body = raw
    else:  # an object from a lenient server: sorted keys make it deterministic
        try:
            body = msgspec.json.encode(raw, order="sorted")
        except RecursionError:  # decoded near the limit, one level more to encode it
            raise PayloadError(f"{name}: data is nested too deeply") from None
    return hashlib.blake2b(name.encode() + b"\0" + body, digest_size=8).hexdigest()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    return f"a {type(value).__name__}"


def _wrong(name: str, field: str, value: object, expected: str) -> PayloadError:
    if value is None:
        return PayloadError(f"{name}: {field!r} is missing")
    return PayloadError(f"{name}: {field!r} is {_kind(value)}, expected {expected}")


def _object(data: Json, key: str, name: str, field: str | None = None) -> Json:
    value = data.get(key)
    if isinstance(value, dict):
        return value
    raise _wrong(name, field or key, value, "an object")


def _optional_object(data: Json, key: str) -> Json:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _text(data: Json, key: str, name: str, field: str | None = None) -> str:
    """A required string."""
    value = data.get(key)
    if isinstance(value, str):
        return value
    raise _wrong(name, field or key, value, "a string")


def _optional_text(data: Json, key: str, name: str, field: str | None = None) -> str:
    """A string that may be missing or null ("" then); any other type is an error."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise _wrong(name, field or key, value, "a string")


def _id(value: object) -> str | None:
    """Kick ids arrive as strings or numbers; None when there is no usable id."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _required_id(data: Json, key: str, name: str, field: str | None = None) -> str:
    value = data.get(key)
    ident = _id(value)
    if ident is None:
        raise _wrong(name, field or key, None if value == "" else value, "a string or integer id")
    return ident


def _as_count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _count(data: Json, key: str, name: str, field: str | None = None) -> int:
    """A required count; numbers may arrive as strings ("7")."""
    value = data.get(key)
    count = _as_count(value)
    if count is None:
        raise _wrong(name, field or key, value, "an integer")
    return count


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _badges(value: object) -> tuple[Badge, ...]:
    """Kick's badge objects ({type, text, count?, active?}) that have a type, counts coerced to int.
    For the lenient path only: the usual shape decodes straight into Badges."""
    if type(value) is not list:
        return ()
    badges = []
    for badge in value:
        if isinstance(badge, dict) and isinstance(badge.get("type"), str):
            text, active = badge.get("text"), badge.get("active")
            badges.append(
                Badge(
                    badge["type"],
                    text if isinstance(text, str) else "",
                    _as_count(badge.get("count")),
                    active if isinstance(active, bool) else None,
                )
            )
    return tuple(badges)


class _Sender(msgspec.Struct, gc=False):
    username: str
    identity: SenderIdentity | None = None


class _ChatJson(msgspec.Struct, gc=False):
    """The usual shape of a ChatMessageEvent payload, for the hot path: msgspec checks every type
    while it decodes and skips the keys we do not use instead of building them. Any other shape (a
    numeric id, null content, no sender, ...) fails with ValidationError and goes through the
    lenient `Normalizer._chat`, which fills in defaults or says what is wrong."""

    id: Annotated[str, msgspec.Meta(min_length=1)]
    sender: _Sender
    content: str = ""
    created_at: Any = None
    metadata: Json | None = None


_decode_chat = msgspec.json.Decoder(_ChatJson).decode
_NO_IDENTITY = SenderIdentity()
_CHAT_EVENT_NAMES = frozenset({"ChatMessageEvent", EVENT_PREFIX + "ChatMessageEvent"})


class _Frame(msgspec.Struct, gc=False):
    """A Pusher frame as the hot path needs it: `Pipeline.feed` reads it in one typed pass; any
    frame this does not fit goes through `decode_frame`, which explains what is wrong with it."""

    event: str
    channel: str | None = None
    data: Any = None  # usually a JSON string, see `decode_frame`


_decode_frame_head = msgspec.json.Decoder(_Frame).decode

Handler = Callable[[str, Json, object], StreamEvent | None]


class Normalizer:
    """Maps the channel events of one Kick channel to StreamEvents and drops duplicates."""

    def __init__(
        self, channel: str, clock: Clock = utc_now, deduper: Deduper | None = None
    ) -> None:
        self.channel = channel.lower()
        self._clock = clock
        self._is_duplicate = (Deduper() if deduper is None else deduper).is_duplicate
        self._chat_created: object = _NOTHING  # equal to no value, not even None
        self._chat_timestamp = ""
        handlers: dict[str, Handler] = {
            "ChatMessageEvent": self._chat,
            "FollowEvent": self._follow,
            "FollowersUpdated": self._follow,
            "SubscriptionEvent": self._subscribe,
            "GiftedSubscriptionsEvent": self._gift_sub,
            "StreamerIsLive": self._live_start,
            "StopStreamBroadcast": self._live_end,
            "MessageDeletedEvent": self._message_deleted,
            "UserBannedEvent": self._ban,
            "UserUnbannedEvent": self._unban,
            "StreamHostEvent": self._host,
            "KicksGifted": self._kicks,
            "RewardRedeemedEvent": self._reward,
        }
        # Event name as sent (with or without the prefix) -> (name without prefix, handler)
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in handlers.items():
            self._handlers[name] = self._handlers[EVENT_PREFIX + name] = (name, handler)

    def normalize(self, msg: ChannelEvent) -> StreamEvent | None:
        """The StreamEvent for `msg`; None for a non-user event, an unknown one or a duplicate.
        Raises PayloadError for a malformed payload."""
        return self.normalize_event(msg.event, msg.channel, msg.data)

    def to_stream_event(self, msg: ChannelEvent) -> StreamEvent | None:
        """The mapping alone, without de-duplication."""
        return self.normalize_event(msg.event, msg.channel, msg.data, dedupe=False)

    def normalize_event(
        self, event_name: str, channel: str | None, raw: object, dedupe: bool = True
    ) -> StreamEvent | None:
        """`normalize` for a channel event given by its parts. Raises PayloadError only."""
        try:
            if event_name in _CHAT_EVENT_NAMES and (type(raw) is str or type(raw) is bytes):
                try:  # the hot path: nearly every frame is chat
                    chat = _decode_chat(raw)
                except JSON_ERRORS:
                    pass  # not the usual shape, or not JSON: `_chat` below handles or rejects it
                else:
                    chat_event = self._chat_event(chat)
                    return None if dedupe and self._is_duplicate(chat_event) else chat_event
            entry = self._handlers.get(event_name)  # keyed by both spellings: no prefix stripping
            if entry is None:
                if event_name.removeprefix(EVENT_PREFIX) not in NOT_USER_EVENTS:
                    log.debug("dropped unknown Kick event %r on %s", event_name, channel)
                return None
            name, handler = entry
            if type(raw) is str or isinstance(raw, bytes):
                try:
                    data = msgspec.json.decode(raw)
                except JSON_ERRORS as exc:
                    raise PayloadError(f"{name}: data is not JSON ({exc})") from None
            elif raw is None:
                raise PayloadError(f"{name}: no data")
            else:
                data = raw
            if type(data) is not dict:
                raise PayloadError(f"{name}: data is {_kind(data)}, expected a JSON object")
            event = handler(name, data, raw)
            if event is None or (dedupe and self._is_duplicate(event)):
                return None
            return event
        except PayloadError:
            raise
        except (ArithmeticError, RecursionError, ValueError) as exc:  # a value out of any range
            # The rule for every decode path: malformed input raises its own error type, here
            # PayloadError, which callers report and skip; nothing else escapes to them.
            name = event_name.removeprefix(EVENT_PREFIX)
            raise PayloadError(f"{name}: {type(exc).__name__}: {exc}") from None

    @property
    def user_event_names(self) -> Collection[str]:
        """The event names (with and without prefix) that can map to a StreamEvent."""
        return self._handlers.keys()

    # -- helpers shared by the handlers

    def _timestamp(self, value: object = None) -> str:
        """The payload's time as ISO 8601 UTC, else the receive time."""
        if value is not None:
            stamp = iso_utc(value)
            if stamp is not None:
                return stamp
        now = self._clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return now.astimezone(UTC).isoformat()

    def _event(
        self, kind: EventType, ident: str, username: str, timestamp: str, data: Payload
    ) -> StreamEvent:
        return StreamEvent(
            id=ident,
            type=kind,
            channel=self.channel,
            username=username,
            timestamp=timestamp,
            data=data,
        )

    # -- one handler per Kick event: (name without prefix, decoded data, raw data) -> event

    def _chat(self, name: str, data: Json, raw: object) -> StreamEvent:
        """A chat payload in any shape (see `_ChatJson` for the usual one)."""
        ident = _required_id(data, "id", name)
        content = _optional_text(data, "content", name)
        sender = _object(data, "sender", name)
        username = _text(sender, "username", name, "sender.username")
        identity = _optional_object(sender, "identity")
        color = identity.get("color")
        metadata = data.get("metadata")
        return self._chat_event(
            _ChatJson(
                ident,
                _Sender(
                    username,
                    SenderIdentity(
                        color if type(color) is str else "", _badges(identity.get("badges"))
                    ),
                ),
                content,
                data.get("created_at"),
                metadata if type(metadata) is dict else None,
            )
        )

    def _chat_event(self, chat: _ChatJson) -> StreamEvent:
        ident = chat.id
        content = chat.content
        sender = chat.sender
        metadata = chat.metadata
        reply_to = None
        if metadata is not None and "original_message" in metadata:
            reply_to = self._reply_to("ChatMessageEvent", metadata)
        created = chat.created_at
        if created == self._chat_created:
            timestamp = self._chat_timestamp
        else:
            timestamp = self._chat_time(created)
        return StreamEvent(
            id=ident,
            type=EventType.CHAT,
            channel=self.channel,
            username=sender.username,
            timestamp=timestamp,
            data=ChatData(
                content,
                parse_emotes(content) if "[emote:" in content else (),
                ident,
                _NO_IDENTITY if sender.identity is None else sender.identity,
                reply_to,
            ),
        )

    def _chat_time(self, created: object) -> str:
        stamp = iso_utc(created) if isinstance(created, str) else None
        if stamp is None:
            return self._timestamp(created)  # epoch number, or the receive time
        # Messages sent in the same second share `created_at`: convert each value only once.
        self._chat_created, self._chat_timestamp = created, stamp
        return stamp

    @staticmethod
    def _reply_to(name: str, metadata: Json) -> ReplyTo | None:
        original = metadata.get("original_message")
        if not isinstance(original, dict):
            return None
        sender = _optional_object(metadata, "original_sender")
        return ReplyTo(
            _id(original.get("id")) or "",
            _optional_text(sender, "username", name, "original_sender.username"),
            _optional_text(original, "content", name, "original_message.content"),
        )

    def _follow(self, name: str, data: Json, raw: object) -> StreamEvent | None:
        # FollowersUpdated without `followed` is a bare count change; FollowEvent is a follow.
        default = name == "FollowEvent"
        if not _flag(data.get("followed", default)):
            return None  # an unfollow, or no follow at all
        legacy = "followers_count" in data and "followersCount" not in data
        count = _count(data, "followers_count" if legacy else "followersCount", name)
        username = _optional_text(data, "username", name)
        if not username:
            username = _optional_text(_optional_object(data, "user"), "username", name)
        return self._event(
            EventType.FOLLOW,
            event_digest(name, raw),
            username,
            self._timestamp(data.get("created_at")),
            FollowData(count),
        )

    def _subscribe(self, name: str, data: Json, raw: object) -> StreamEvent:
        return self._event(
            EventType.SUBSCRIBE,
            event_digest(name, raw),
            _optional_text(data, "username", name),
            self._timestamp(data.get("created_at")),
            SubscribeData(_count(data, "months", name), _optional_text(data, "message", name)),
        )

    def _gift_sub(self, name: str, data: Json, raw: object) -> StreamEvent:
        recipients = data.get("gifted_usernames")
        if not isinstance(recipients, list):
            raise _wrong(name, "gifted_usernames", recipients, "a list")
        names = [str(r) for r in recipients if isinstance(r, str | int) and not isinstance(r, bool)]
        gifter = _optional_text(data, "gifter_username", name)
        return self._event(
            EventType.GIFT_SUB,
            event_digest(name, raw),
            gifter,
            self._timestamp(data.get("created_at")),
            # gifter_total is the gifter's lifetime total, not this gift's size
            GiftSubData(len(names), gifter, tuple(names)),
        )

    def _live_start(self, name: str, data: Json, raw: object) -> StreamEvent:
        livestream = _object(data, "livestream", name)
        title = _optional_text(livestream, "session_title", name, "livestream.session_title")
        # The livestream id names the stream, not this event (live_end carries it too): digest.
        return self._event(
            EventType.LIVE_START,
            event_digest(name, raw),
            "",
            self._timestamp(livestream.get("created_at")),
            LiveStartData(title),
        )

    def _live_end(self, name: str, data: Json, raw: object) -> StreamEvent:
        return self._event(
            EventType.LIVE_END, event_digest(name, raw), "", self._timestamp(), LiveEndData()
        )

    def _message_deleted(self, name: str, data: Json, raw: object) -> StreamEvent:
        message = _object(data, "message", name)
        return self._event(
            EventType.MESSAGE_DELETED,
            _id(data.get("id")) or event_digest(name, raw),
            "",
            self._timestamp(data.get("created_at")),
            MessageDeletedData(_required_id(message, "id", name, "message.id")),
        )

    def _ban(self, name: str, data: Json, raw: object) -> StreamEvent:
        target = _text(_object(data, "user", name), "username", name, "user.username")
        moderator = _optional_text(
            _optional_object(data, "banned_by"), "username", name, "banned_by.username"
        )
        duration = data.get("duration")
        permanent = _flag(data["permanent"]) if "permanent" in data else duration is None
        minutes = None
        if not permanent and duration is not None:
            minutes = _count(data, "duration", name)
        return self._event(
            EventType.BAN,
            _id(data.get("id")) or event_digest(name, raw),
            moderator,
            self._timestamp(data.get("created_at")),
            BanData(target, moderator, permanent, minutes),
        )

    def _unban(self, name: str, data: Json, raw: object) -> StreamEvent:
        target = _text(_object(data, "user", name), "username", name, "user.username")
        moderator = _optional_text(
            _optional_object(data, "unbanned_by"), "username", name, "unbanned_by.username"
        )
        return self._event(
            EventType.UNBAN,
            _id(data.get("id")) or event_digest(name, raw),
            moderator,
            self._timestamp(data.get("created_at")),
            UnbanData(target, moderator, _flag(data.get("permanent")), None),
        )

    def _host(self, name: str, data: Json, raw: object) -> StreamEvent:
        host = _text(data, "host_username", name)
        return self._event(
            EventType.HOST,
            event_digest(name, raw),
            host,
            self._timestamp(data.get("created_at")),
            HostData(
                host,
                _count(data, "number_viewers", name),
                _optional_text(data, "optional_message", name),
            ),
        )

    def _kicks(self, name: str, data: Json, raw: object) -> StreamEvent:
        gift = _object(data, "gift", name)
        sender = _optional_object(data, "sender")
        return self._event(
            EventType.KICKS,
            _id(data.get("gift_transaction_id")) or event_digest(name, raw),
            _optional_text(sender, "username", name, "sender.username"),
            self._timestamp(data.get("created_at")),
            KicksData(
                _count(gift, "amount", name, "gift.amount"),
                _optional_text(gift, "name", name, "gift.name"),
                _optional_text(data, "message", name),
            ),
        )

    def _reward(self, name: str, data: Json, raw: object) -> StreamEvent:
        return self._event(
            EventType.REWARD,
            _id(data.get("id")) or event_digest(name, raw),
            _optional_text(data, "username", name),
            self._timestamp(data.get("created_at")),
            RewardData(_text(data, "reward_title", name), _optional_text(data, "user_input", name)),
        )


class Pipeline:
    """Raw frame text -> StreamEvent | None: decode the frame, map its event, drop duplicates.

    Raises FrameError (not a Pusher frame) or PayloadError (a user event with a malformed
    payload); control frames (ping, subscription_succeeded, ...) give None. Its only state is the
    dedupe memory.
    """

    def __init__(
        self, channel: str, clock: Clock = utc_now, deduper: Deduper | None = None
    ) -> None:
        self.normalizer = Normalizer(channel, clock, deduper)
        self._normalize_event = self.normalizer.normalize_event
        self._user_events = self.normalizer.user_event_names

    def feed(self, frame: str | bytes) -> StreamEvent | None:
        # The hot path (nearly every frame is a user event): the checks `decode_frame` makes for a
        # channel event, without building the intermediate ChannelEvent. Everything else (control
        # frames, events we drop, malformed frames) goes through `decode_frame` for its message or
        # its FrameError.
        try:
            head = _decode_frame_head(frame)
        except JSON_ERRORS:
            pass
        else:
            if head.event in self._user_events:
                return self._normalize_event(head.event, head.channel, head.data)
        message = decode_frame(frame)
        if type(message) is not ChannelEvent:
            return None
        return self.normalizer.normalize(message)
