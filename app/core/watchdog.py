"""The silent-socket watchdog: "connected, but no messages" (issue 14), as pure logic.

While the channel is Live, chat never stops for long; if no channel event arrives for `limit`
seconds although the connection's keep-alives flow (a dead connection ends on its own), the
subscription has probably gone stale on the server's side. First resubscribe on the same socket
(the dedupe drops anything delivered twice); if that brings nothing within `grace`, reconnect.
No clock of its own: every call takes `now`, so tests drive it with plain numbers.
"""

from __future__ import annotations

import enum

DEFAULT_SILENCE_LIMIT = 600.0  # seconds: ten minutes of a Live channel without one event
RESUBSCRIBE_GRACE = 120.0  # seconds after resubscribing before giving up on the socket


class SilenceAction(enum.Enum):
    NONE = "none"
    RESUBSCRIBE = "resubscribe"
    RECONNECT = "reconnect"


class SilenceWatchdog:
    def __init__(self, limit: float, now: float, grace: float = RESUBSCRIBE_GRACE) -> None:
        self.limit = limit
        self.grace = min(grace, limit)
        self._quiet_since = now  # last event, or the last time the channel was not live
        self._resubscribed_at: float | None = None
        # checked this often, so that a channel going live starts the clock within a step
        self._step = max(0.05, min(limit / 4, 30.0))

    def event(self, now: float) -> None:
        self._quiet_since = now
        self._resubscribed_at = None

    def check(self, now: float, live: bool) -> SilenceAction:
        if self.limit <= 0:
            return SilenceAction.NONE
        if not live:
            self.event(now)
            return SilenceAction.NONE
        if self._resubscribed_at is not None:
            if now - self._resubscribed_at >= self.grace:
                return SilenceAction.RECONNECT
            return SilenceAction.NONE
        if now - self._quiet_since >= self.limit:
            self._resubscribed_at = now
            return SilenceAction.RESUBSCRIBE
        return SilenceAction.NONE

    def next_check(self, now: float) -> float:
        if self._resubscribed_at is not None:
            return max(now, self._resubscribed_at + self.grace)
        return max(now, min(self._quiet_since + self.limit, now + self._step))


SILENT_REASON = "Kick stopped sending this channel's events — reconnecting"


def silent_detail(limit: float) -> str:
    return f"no channel event for {limit:g} s while live, not even after resubscribing"
