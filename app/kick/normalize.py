"""Kick payload -> StreamEvent (design.md §2).

`Normalizer.normalize` is what the session driver calls for every channel event: it maps the
event and drops duplicates (see `dedupe.py`). Chat, nearly every frame, is mapped here on a hot
path; every other user event by its pure function in `kick_events.py`. `pipeline.Pipeline` does
the same from raw frame text for the CLI. Bad input raises `PayloadError` (a ValueError); anything
that is not a user event gives None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

import msgspec

from app.core.events import JSON_ERRORS, EventType, StreamEvent
from app.core.payloads import (
    ChatData,
    ReplyTo,
    SenderIdentity,
    parse_emotes,
)
from app.kick import payload_fields as field
from app.kick.dedupe import Deduper
from app.kick.kick_events import EVENT_PREFIX, MAPPINGS, EventMapping
from app.kick.payload_fields import Json, PayloadError
from app.kick.pusher_codec import ChannelEvent
from app.kick.slug import canonical_slug
from app.kick.timestamps import iso_utc, utc_now

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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

_NOTHING = object()


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


Handler = Callable[[str, Json, object], StreamEvent | None]


class Normalizer:
    """Maps the channel events of one Kick channel to StreamEvents and drops duplicates."""

    def __init__(
        self, channel: str, clock: Clock = utc_now, deduper: Deduper | None = None
    ) -> None:
        self.channel = canonical_slug(channel)
        self._clock = clock
        self._is_duplicate = (Deduper() if deduper is None else deduper).is_duplicate
        self._chat_created: object = _NOTHING  # equal to no value, not even None
        self._chat_timestamp = ""
        handlers: dict[str, Handler] = {"ChatMessageEvent": self._chat}
        for kick_name, mapping in MAPPINGS.items():
            handlers[kick_name] = partial(self._mapped, mapping)
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
                raise PayloadError(f"{name}: data is {field.kind_of(data)}, expected a JSON object")
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

    def _mapped(
        self, mapping: EventMapping, name: str, data: Json, raw: object
    ) -> StreamEvent | None:
        mapped = mapping(name, data, raw)
        if mapped is None:
            return None
        return StreamEvent(
            id=mapped.id,
            type=mapped.type,
            channel=self.channel,
            username=mapped.username,
            timestamp=self._timestamp(mapped.created_at),
            data=mapped.data,
        )

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

    # -- chat: the hot path, here rather than in kick_events for the cached timestamp

    def _chat(self, name: str, data: Json, raw: object) -> StreamEvent:
        """A chat payload in any shape (see `_ChatJson` for the usual one)."""
        ident = field.required_id(data, "id", name)
        content = field.optional_text(data, "content", name)
        sender = field.obj(data, "sender", name)
        username = field.text(sender, "username", name, "sender.username")
        identity = field.optional_obj(sender, "identity")
        color = identity.get("color")
        metadata = data.get("metadata")
        return self._chat_event(
            _ChatJson(
                ident,
                _Sender(
                    username,
                    SenderIdentity(
                        color if type(color) is str else "", field.badges(identity.get("badges"))
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
        sender = field.optional_obj(metadata, "original_sender")
        return ReplyTo(
            field.kick_id(original.get("id")) or "",
            field.optional_text(sender, "username", name, "original_sender.username"),
            field.optional_text(original, "content", name, "original_message.content"),
        )
