"""The Kick id cache kept in the settings file, so a later launch connects without a lookup."""

from __future__ import annotations

from app.kick.ids import CachedIds
from app.settings import SettingsHolder


class SettingsIdCache:
    """Implements `app.kick.ids.IdCache` over the settings holder (which writes the file)."""

    def __init__(self, holder: SettingsHolder) -> None:
        self._holder = holder

    def get(self, slug: str) -> CachedIds | None:
        settings = self._holder.settings
        ids = settings.cached_ids_for(slug)
        if ids is None:
            return None
        channel_id, chatroom_id = ids
        return CachedIds(chatroom_id, channel_id, settings.kick_display_name)

    def put(self, slug: str, ids: CachedIds) -> None:
        settings = self._holder.settings
        current = settings.cached_ids_for(slug)
        if current == (ids.channel_id, ids.chatroom_id) and (
            not ids.display_name or ids.display_name == settings.kick_display_name
        ):
            return  # nothing new: no disk write on every reconnect
        self._holder.replace(
            settings.with_cached_ids(slug, ids.channel_id, ids.chatroom_id, ids.display_name)
        )
