"""Typed settings and their store: JSON in the config dir, atomic writes, bad file -> .bak.

The file is one JSON object. Unknown keys are ignored and missing keys take their defaults, but a
known key holding the wrong type makes the whole file corrupt: it is moved aside as
``settings.json.bak`` and defaults are used, so a half-valid file is never silently mixed with
defaults. A file written by a newer schema version is kept aside the same way.

Qt-free: the window geometry is stored as the base64 text of ``QWidget.saveGeometry()``; encoding
and decoding it is the UI's job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.kick.slug import canonical_slug

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CONFIG_DIR_ENV = "VMSC_CONFIG_DIR"
FILE_NAME = "settings.json"
BACKUP_SUFFIX = ".bak"
MAX_FILE_BYTES = 1024 * 1024  # a settings file is under 2 KB; a larger one is not read
MAX_BACKUPS = 10  # settings.json.bak and .bak.1 to .bak.9


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    kick_slug: str = ""
    kick_channel_id: int | None = None
    kick_chatroom_id: int | None = None
    kick_display_name: str = ""
    kick_cached_slug: str = ""  # the slug the cached ids and display name belong to
    auto_connect: bool = True
    window_geometry: str | None = None  # base64 of QWidget.saveGeometry()
    relay_enabled: bool = True  # the local event server (overlays, /events)
    relay_port: int | None = None  # None: $VMSC_RELAY_PORT, else 7582
    relay_token: str = ""  # made on first launch; needed for POST, and for all on the LAN
    relay_lan: bool = False  # listen on every address (OBS on another PC), token required
    # Kick's realtime provider: "auto" (what Kick's negotiation offers), "pusher" or "centrifugo";
    # an unknown value counts as "auto"
    realtime_provider: str = "auto"
    silence_minutes: int = 10  # Live with no event this long: resubscribe, then reconnect; 0 off
    schema_version: int = SCHEMA_VERSION

    def cached_ids_for(self, slug: str) -> tuple[int, int] | None:
        """(channel_id, chatroom_id) cached for ``slug`` (case-insensitive), else None."""
        if (
            self.kick_channel_id is None
            or self.kick_chatroom_id is None
            or not self.kick_cached_slug
            or canonical_slug(self.kick_cached_slug) != canonical_slug(slug)
        ):
            return None
        return self.kick_channel_id, self.kick_chatroom_id

    def with_cached_ids(
        self, slug: str, channel_id: int, chatroom_id: int, display_name: str = ""
    ) -> Settings:
        """A copy caching the ids (and display name) for ``slug``."""
        return dataclasses.replace(
            self,
            kick_cached_slug=canonical_slug(slug),
            kick_channel_id=channel_id,
            kick_chatroom_id=chatroom_id,
            kick_display_name=display_name,
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# Allowed JSON types per field. bool is checked separately: it is an int subclass in Python.
_TYPES: dict[str, tuple[type, ...]] = {
    "kick_slug": (str,),
    "kick_channel_id": (int, type(None)),
    "kick_chatroom_id": (int, type(None)),
    "kick_display_name": (str,),
    "kick_cached_slug": (str,),
    "auto_connect": (bool,),
    "window_geometry": (str, type(None)),
    "relay_enabled": (bool,),
    "relay_port": (int, type(None)),
    "relay_token": (str,),
    "relay_lan": (bool,),
    "realtime_provider": (str,),
    "silence_minutes": (int,),
    "schema_version": (int,),
}


_JSON_NAMES = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
    list: "array",
    dict: "object",
}


def _json_type(t: type) -> str:
    return _JSON_NAMES.get(t, t.__name__)


class _CorruptSettings(ValueError):
    pass


class _Unreadable(OSError):
    """The settings path is there but is not a file to read (its text says why)."""


def _read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes. A FIFO, a device
    (a symlink to /dev/zero) or a folder raise _Unreadable without being read: opened
    non-blocking, so that opening a FIFO does not wait for a writer."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _Unreadable("is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise _Unreadable("is not a regular file (a pipe, a device or a socket)")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise _Unreadable(f"is larger than {limit:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


class _NewerSchema(ValueError):
    pass


def _from_json(raw: object) -> Settings:
    if not isinstance(raw, dict):
        raise _CorruptSettings(f"top level is a JSON {_json_type(type(raw))}, not an object")
    values: dict[str, Any] = {}
    for name, types in _TYPES.items():
        if name not in raw:
            continue
        value = raw[name]
        is_bool = isinstance(value, bool)
        if not isinstance(value, types) or (is_bool and bool not in types):
            raise _CorruptSettings(
                f"field {name!r} is {_json_type(type(value))}, expected "
                + " or ".join(_json_type(t) for t in types)
            )
        values[name] = value
    version = values.get("schema_version", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise _NewerSchema(f"schema version {version} is newer than supported {SCHEMA_VERSION}")
    if version < 1:
        raise _CorruptSettings(f"invalid schema version {version}")
    values["schema_version"] = SCHEMA_VERSION
    return Settings(**values)


def default_config_dir() -> Path:
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs  # here, not at the top: ~15 ms of start-up, needed only without env

    return Path(platformdirs.user_config_dir("VMSC", appauthor=False))


ProblemListener = Callable[[str], None]


class SettingsStore:
    """Reads and writes the settings file. What goes wrong is said once, in words for the user:
    `load_problem` after a bad file was set aside, and `problem_listeners` on the first failed
    save of a run of failures (not on every save while the folder stays unwritable)."""

    def __init__(self, config_dir: Path | None = None) -> None:
        self.dir = config_dir if config_dir is not None else default_config_dir()
        self.path = self.dir / FILE_NAME
        self.backup_path = self.dir / (FILE_NAME + BACKUP_SUFFIX)
        self.load_problem: str | None = None
        self.save_problem: str | None = None  # set while saving fails
        self.problem_listeners: list[ProblemListener] = []

    def load(self) -> Settings:
        """The stored settings; defaults if the file is missing or bad (a bad file goes to .bak)."""
        try:
            data = _read_regular_file(self.path, MAX_FILE_BYTES)
        except (FileNotFoundError, NotADirectoryError):  # nothing saved yet
            return Settings()
        except _Unreadable as exc:
            self._move_aside(str(exc))
            return Settings()
        except OSError as exc:
            self._move_aside(f"cannot be read ({exc.strerror or exc})")
            return Settings()
        try:
            text = data.decode("utf-8-sig")  # a BOM (some Windows editors write one) is fine
        except UnicodeDecodeError as exc:
            self._move_aside(f"cannot be read ({exc})")
            return Settings()
        try:
            return _from_json(json.loads(text))
        except RecursionError:
            self._move_aside("is not valid JSON (nested too deeply)")
        except ValueError as exc:  # JSONDecodeError; also a number past int()'s 4,300 digits
            if isinstance(exc, _CorruptSettings | _NewerSchema):
                self._move_aside(f"is unusable: {exc}")
            else:
                self._move_aside(f"is not valid JSON ({exc})")
        return Settings()

    def save(self, settings: Settings) -> bool:
        """Write atomically (temp file in the same dir, fsync, rename); False on failure."""
        data = json.dumps(settings.to_json(), indent=2, sort_keys=True) + "\n"
        tmp: str | None = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{FILE_NAME}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.replace(tmp, self.path)
            except IsADirectoryError:  # a folder in the file's place: set it aside, then save
                self._move_aside("is a folder, not a file")
                os.replace(tmp, self.path)
            tmp = None
            if self.save_problem is not None:
                log.info("Settings saved to %s again", self.path)
                self.save_problem = None
            return True
        except OSError as exc:
            if self.save_problem is None:  # once per run of failures, not on every save
                log.error("Cannot save settings to %s: %s", self.path, exc)
                self.save_problem = (
                    f"Settings cannot be saved to {self.path} ({exc.strerror or exc}). "
                    "Changes last until you quit."
                )
                self._tell(self.save_problem)
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _move_aside(self, problem: str) -> None:
        try:
            self._free_backup_path()
            os.replace(self.path, self.backup_path)
        except OSError as exc:
            log.warning(
                "Settings file %s %s; using defaults (could not move it aside: %s)",
                self.path,
                problem,
                exc,
            )
            kept = f"it could not be moved aside ({exc.strerror or exc})"
        else:
            log.warning(
                "Settings file %s %s; using defaults, old file kept as %s",
                self.path,
                problem,
                self.backup_path,
            )
            kept = f"the old file is kept as {self.backup_path}"
        self.load_problem = (
            f"Your settings file {problem}, so the app started with default settings; {kept}."
        )

    def _free_backup_path(self) -> None:
        """Moves an earlier backup out of the way: settings.json.bak is always the newest, the
        ones before it are kept as .bak.1 to .bak.9 (the first free name). With all of those
        taken, a file at .bak is replaced; a folder there (settings.json once was one) cannot
        be, and the move aside fails."""
        if not os.path.lexists(self.backup_path):
            return
        for number in range(1, MAX_BACKUPS):
            older = self.backup_path.with_name(f"{self.backup_path.name}.{number}")
            if not os.path.lexists(older):
                os.rename(self.backup_path, older)
                return

    def _tell(self, problem: str) -> None:
        for listener in self.problem_listeners:
            try:
                listener(problem)
            except Exception:
                log.exception("settings problem listener failed")


class SettingsHolder:
    """The settings in memory, written to the store on every change: the one writer for the
    app's state, the window geometry and the id cache (`app.id_cache`), so no change overwrites
    another."""

    def __init__(self, store: SettingsStore, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings if settings is not None else store.load()

    def update(self, **changes: object) -> None:
        self.replace(dataclasses.replace(self.settings, **changes))  # type: ignore[arg-type]

    def replace(self, settings: Settings) -> None:
        self.settings = settings
        self.store.save(settings)
