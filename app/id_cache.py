"""The Kick id cache kept in the settings file, so a later launch connects without a lookup."""

from __future__ import annotations

import dataclasses

from app.kick.ids import CachedIds
from app.settings import Settings, SettingsStore


class SettingsIdCache:
    """Implements `app.kick.ids.IdCache` over the settings store; holds the settings in
    memory so the GUI's other changes (geometry, auto-connect) and the ids share one writer."""

    def __init__(self, store: SettingsStore, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings if settings is not None else store.load()

    def update(self, **changes: object) -> None:
        self.settings = dataclasses.replace(self.settings, **changes)  # type: ignore[arg-type]
        self.store.save(self.settings)

    def get(self, slug: str) -> CachedIds | None:
        ids = self.settings.cached_ids_for(slug)
        if ids is None:
            return None
        channel_id, chatroom_id = ids
        return CachedIds(chatroom_id, channel_id, self.settings.kick_display_name)

    def put(self, slug: str, ids: CachedIds) -> None:
        current = self.settings.cached_ids_for(slug)
        if current == (ids.channel_id, ids.chatroom_id) and (
            not ids.display_name or ids.display_name == self.settings.kick_display_name
        ):
            return  # nothing new: no disk write on every reconnect
        self.settings = self.settings.with_cached_ids(
            slug, ids.channel_id, ids.chatroom_id, ids.display_name
        )
        self.store.save(self.settings)
