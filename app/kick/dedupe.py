"""One action, one StreamEvent: the only place duplicates are dropped.

Kick delivers some actions more than once:
- the same frame twice (overlapping subscriptions, server retries): same event, same id;
- a gift as `App\\Events\\GiftedSubscriptionsEvent` on `chatrooms.N.v2` *and* as bare
  `GiftedSubscriptionsEvent` on `chatroom_N`: keyed by the action (gifter + sorted recipients),
  so it matches even if the two payloads are serialised differently;
- a sub as SubscriptionEvent + ChannelSubscriptionEvent + ChatMessageSentEvent: the normalizer maps
  only SubscriptionEvent, the other two are dropped there and never reach this module.

Keys are Kick's ids where the payload has one (unique, so they never merge two actions). Payloads
without an id get a digest of event name + data (`kick_events.event_digest`), and some of those
carry nothing unique: the same user redeeming the same reward with the same input twice produces two
identical payloads, indistinguishable from a duplicate delivery. Trade-off: a key counts as a
duplicate only if it was first seen less than `window_seconds` ago (duplicates arrive within
milliseconds of each other; Pusher never replays later) *and* is still remembered (bounded memory:
the last 2,048 to 4,096 keys). So two identical-looking actions further apart than the window are
both kept; two within it are merged. A batch replay (the CLI) runs faster than real time, so there
only the memory bound separates them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable

from app.core.events import EventType, StreamEvent
from app.core.payloads import GiftSubData

DEFAULT_MAX_KEYS = 4096
DEFAULT_WINDOW_SECONDS = 10.0
_GIFT_SUB = EventType.GIFT_SUB


# Memory is bounded by bytes, not only by count. Every key is a str of at most MAX_KEY_CHARS
# characters: a longer id, and every gift's key, is replaced by its 128-bit BLAKE2b digest (32
# hex characters and a short prefix). Such a str takes at most 76 + 4 x 64 = 332 bytes (4 bytes
# a character only for astral text; a Kick UUID takes 85), about 380 with its dict slot and
# float: with DEFAULT_MAX_KEYS = 4,096 keys the de-duplicator holds under 2 MiB whatever the
# ids (1.56 MB measured at its fullest with astral ids; tests/test_dedupe_bound.py checks it).
MAX_KEY_CHARS = 64


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _bounded(key: str) -> str:
    return key if len(key) <= MAX_KEY_CHARS else "#" + _digest(key)


def dedupe_key(event: StreamEvent) -> str:
    """What makes two StreamEvents the same action (a str of at most MAX_KEY_CHARS)."""
    data = event.data
    if isinstance(data, GiftSubData):
        recipients = sorted(name.casefold() for name in data.recipients)
        action = "\0".join([data.gifter_username.casefold(), *recipients])
        return "gift:" + _digest(action)
    # Kick ids are unique UUIDs and digests include the event name: no cross-type clashes.
    return _bounded(event.id)


class Deduper:
    """Remembers the keys of recent events: at most `max_keys`, always at least the last half.

    Two generations of plain dicts instead of an LRU: when the current one holds `max_keys / 2`
    keys it becomes the previous one and the old previous one is dropped. Cheaper per event than
    evicting one key at a time, and memory stays bounded.
    """

    def __init__(
        self,
        max_keys: int = DEFAULT_MAX_KEYS,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_keys < 2:
            raise ValueError("max_keys must be at least 2")
        self._generation_size = max_keys // 2
        self._window = window_seconds
        self._clock = clock
        self._current: dict[Hashable, float] = {}  # key -> when first seen
        self._previous: dict[Hashable, float] = {}

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)

    def is_duplicate(self, event: StreamEvent) -> bool:
        """True if the same action went through recently; otherwise remember it, return False."""
        key = event.id  # dedupe_key, inlined for the usual case (a short id)
        if len(key) > MAX_KEY_CHARS or event.type is _GIFT_SUB:
            key = dedupe_key(event)
        now = self._clock()
        current = self._current
        seen_at = current.get(key)
        if seen_at is None:
            seen_at = self._previous.get(key)
        if seen_at is not None and now - seen_at <= self._window:
            return True
        # New, or an old look-alike: a new action, remembered from now on.
        current[key] = now
        if len(current) >= self._generation_size:
            self._previous = current
            self._current = {}
        return False
