"""Raw frame text -> StreamEvent: what the CLI and the benchmarks feed, one frame at a time."""

from __future__ import annotations

from typing import Any

import msgspec

from app.core.events import JSON_ERRORS, StreamEvent
from app.kick.dedupe import Deduper
from app.kick.normalize import Clock, Normalizer
from app.kick.pusher_codec import ChannelEvent, decode_frame
from app.kick.timestamps import utc_now


class _Frame(msgspec.Struct, gc=False):
    """A Pusher frame as the hot path needs it: `Pipeline.feed` reads it in one typed pass; any
    frame this does not fit goes through `decode_frame`, which explains what is wrong with it."""

    event: str
    channel: str | None = None
    data: Any = None  # usually a JSON string, see `decode_frame`


_decode_frame_head = msgspec.json.Decoder(_Frame).decode


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
