"""The feed's event categories and the filter that offers them. Qt-free.

Apart from `app.ui.feed_text` (which maps an event to its category) because the feed's widget
loads this before the page is first painted, and the words need `app.core.events` (msgspec),
which start-up leaves for later.
"""

from __future__ import annotations

import enum

__all__ = ["FILTERS", "FeedCategory"]


class FeedCategory(enum.StrEnum):
    ALL = "all"
    CHAT = "chat"
    FOLLOWS = "follows"
    SUBS = "subs"
    LIVE = "live"
    MODERATION = "moderation"
    OTHER = "other"


# (combo text, category), in the order the filter offers them.
FILTERS: tuple[tuple[str, FeedCategory], ...] = (
    ("All", FeedCategory.ALL),
    ("Chat", FeedCategory.CHAT),
    ("Follows", FeedCategory.FOLLOWS),
    ("Subs & gifts", FeedCategory.SUBS),
    ("Live", FeedCategory.LIVE),
    ("Moderation", FeedCategory.MODERATION),
    ("Other", FeedCategory.OTHER),
)
