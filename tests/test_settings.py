"""Settings and SettingsStore: round trip, defaults, bad files moved aside, atomic writes."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from app.settings import MAX_BACKUPS, MAX_FILE_BYTES, SCHEMA_VERSION, Settings, SettingsStore


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "cfg")


def write(store: SettingsStore, text: str) -> None:
    store.dir.mkdir(parents=True, exist_ok=True)
    store.path.write_text(text, encoding="utf-8")


def test_missing_file_gives_defaults(store: SettingsStore) -> None:
    s = store.load()
    assert s == Settings()
    assert (s.kick_slug, s.auto_connect, s.window_geometry) == ("", True, None)
    assert s.schema_version == SCHEMA_VERSION == 1


def test_round_trip_creates_missing_dir(store: SettingsStore) -> None:
    s = dataclasses.replace(
        Settings().with_cached_ids("NightOwlGG", 123, 456, "NightOwlGG"),
        kick_slug="nightowlgg",
        auto_connect=False,
        window_geometry="AdnQywADAAA=",
    )
    assert not store.dir.exists()
    assert store.save(s) is True
    assert SettingsStore(store.dir).load() == s
    assert json.loads(store.path.read_text())["kick_chatroom_id"] == 456


def test_save_leaves_no_temp_files(store: SettingsStore) -> None:
    assert store.save(Settings())
    assert store.save(Settings(kick_slug="a"))
    assert [p.name for p in store.dir.iterdir()] == ["settings.json"]


def test_unknown_keys_ignored_missing_keys_defaulted(store: SettingsStore) -> None:
    write(store, json.dumps({"kick_slug": "abc", "future_thing": [1, 2]}))
    assert store.load() == Settings(kick_slug="abc")
    assert not store.backup_path.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2, 3]", "top level is a JSON array, not an object"),
        ('"hello"', "top level is a JSON string, not an object"),
        ('{"kick_channel_id": "1"}', "field 'kick_channel_id' is string, expected int or null"),
        ('{"auto_connect": 1}', "field 'auto_connect' is int, expected bool"),
        ('{"kick_chatroom_id": true}', "field 'kick_chatroom_id' is bool, expected int"),
        ('{"kick_slug": null}', "field 'kick_slug' is null, expected string"),
        ('{"schema_version": 0}', "invalid schema version 0"),
    ],
)
def test_bad_file_moved_aside_with_defaults(
    store: SettingsStore, caplog: pytest.LogCaptureFixture, text: str, message: str
) -> None:
    write(store, "old backup")
    store.backup_path.write_text("older backup")
    write(store, text)
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        assert store.load() == Settings()
    assert not store.path.exists()
    assert store.backup_path.read_text() == text  # the newest is .bak; the one before, .bak.1
    assert (store.dir / "settings.json.bak.1").read_text() == "older backup"
    assert message in caplog.text
    assert "settings.json.bak" in caplog.text
    assert caplog.records[0].levelno == logging.WARNING


def test_undecodable_bytes_moved_aside(
    store: SettingsStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.dir.mkdir()
    store.path.write_bytes(b"\xff\xfe\x00garbage")
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        assert store.load() == Settings()
    assert store.backup_path.exists()
    assert "cannot be read" in caplog.text


def test_newer_schema_kept_aside(store: SettingsStore, caplog: pytest.LogCaptureFixture) -> None:
    write(store, json.dumps({"schema_version": 2, "kick_slug": "abc"}))
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        assert store.load() == Settings()
    assert json.loads(store.backup_path.read_text())["schema_version"] == 2
    assert "schema version 2 is newer than supported 1" in caplog.text


def test_env_var_sets_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path / "env"))
    store = SettingsStore()
    assert store.path == tmp_path / "env" / "settings.json"
    assert store.save(Settings(kick_slug="x"))
    assert SettingsStore().load().kick_slug == "x"


def test_explicit_dir_beats_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VMSC_CONFIG_DIR", str(tmp_path / "env"))
    assert SettingsStore(tmp_path / "own").dir == tmp_path / "own"


def test_unwritable_dir_returns_false_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Tests run as root, which ignores chmod: make the config dir's parent a regular file instead.
    (tmp_path / "blocker").write_text("")
    store = SettingsStore(tmp_path / "blocker" / "cfg")
    with caplog.at_level(logging.ERROR, logger="app.settings"):
        assert store.save(Settings()) is False
    assert "Cannot save settings" in caplog.text
    assert caplog.records[0].levelno == logging.ERROR


def test_config_path_is_a_directory(store: SettingsStore, caplog: pytest.LogCaptureFixture) -> None:
    store.path.mkdir(parents=True)
    (store.path / "x").write_text("")  # non-empty dir: os.replace onto it fails
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        assert store.save(Settings()) is True  # the folder set aside first
    assert "is a folder" in caplog.text
    assert sorted(p.name for p in store.dir.iterdir()) == ["settings.json", "settings.json.bak"]


def test_cached_ids_only_for_matching_slug() -> None:
    s = Settings().with_cached_ids("NightOwlGG", 123, 456)
    assert s.kick_cached_slug == "nightowlgg"
    assert s.cached_ids_for("nightowlgg") == (123, 456)
    assert s.cached_ids_for("NIGHTOWLGG") == (123, 456)
    assert s.cached_ids_for("someone_else") is None
    assert Settings().cached_ids_for("") is None
    no_owner = Settings(kick_channel_id=1, kick_chatroom_id=2)
    assert no_owner.cached_ids_for("") is None
    assert no_owner.cached_ids_for("x") is None
    half = dataclasses.replace(s, kick_chatroom_id=None)
    assert half.cached_ids_for("nightowlgg") is None


def test_settings_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().kick_slug = "x"  # type: ignore[misc]


# -- hostile files (issue #17): read only regular files, with a size cap; never raise


def load_in_thread(store: SettingsStore) -> Settings:
    """`store.load()`, failing the test (not hanging it) if it blocks."""
    result: list[Settings] = []
    thread = threading.Thread(target=lambda: result.append(store.load()), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "load() blocked"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_not_read_and_moved_aside(store: SettingsStore) -> None:
    store.dir.mkdir(parents=True)
    os.mkfifo(store.path)
    assert load_in_thread(store) == Settings()
    assert store.load_problem is not None and "not a regular file" in store.load_problem
    assert stat.S_ISFIFO(os.lstat(store.backup_path).st_mode)
    assert store.save(Settings(kick_slug="after")) and store.load().kick_slug == "after"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_symlink_to_dev_zero_is_not_read(store: SettingsStore) -> None:
    store.dir.mkdir(parents=True)
    store.path.symlink_to("/dev/zero")
    assert load_in_thread(store) == Settings()
    assert store.load_problem is not None and "not a regular file" in store.load_problem
    assert store.backup_path.is_symlink()  # the link moved aside, /dev/zero untouched


def test_file_over_the_size_cap_is_not_read(store: SettingsStore) -> None:
    write(store, json.dumps({"kick_slug": "x", "pad": "y" * MAX_FILE_BYTES}))
    assert store.load() == Settings()
    assert store.load_problem is not None and "larger than 1,048,576 bytes" in store.load_problem


def test_utf8_bom_is_accepted(store: SettingsStore) -> None:
    store.dir.mkdir(parents=True)
    store.path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"kick_slug": "bom"}).encode())
    assert store.load() == Settings(kick_slug="bom")
    assert store.load_problem is None
    assert not store.backup_path.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "nested too deeply"),
        ('{"a":' * 5_000 + "1" + "}" * 5_000, "nested too deeply"),
        ('{"kick_channel_id": ' + "1" * 5_000 + "}", "is not valid JSON"),  # past int()'s digits
    ],
)
def test_hostile_json_is_moved_aside(store: SettingsStore, text: str, message: str) -> None:
    write(store, text)
    assert store.load() == Settings()
    assert store.load_problem is not None and message in store.load_problem
    assert store.backup_path.read_text() == text


def test_folder_with_a_bak_already_there_still_saves(store: SettingsStore) -> None:
    store.path.mkdir(parents=True)
    (store.path / "x").write_text("")
    store.backup_path.write_text("an earlier bad file")
    assert store.load() == Settings()  # the folder goes aside, the earlier .bak is kept
    assert store.load_problem is not None and "is a folder" in store.load_problem
    assert store.save(Settings(kick_slug="kept")) is True
    assert SettingsStore(store.dir).load().kick_slug == "kept"
    assert (store.backup_path / "x").exists()
    assert (store.dir / "settings.json.bak.1").read_text() == "an earlier bad file"


def test_save_over_a_folder_sets_it_aside(store: SettingsStore) -> None:
    store.path.mkdir(parents=True)  # appeared after load(): save moves it aside itself
    store.backup_path.mkdir()
    assert store.save(Settings(kick_slug="saved")) is True
    assert SettingsStore(store.dir).load().kick_slug == "saved"
    assert (store.dir / "settings.json.bak.1").is_dir()


def test_backups_are_bounded(store: SettingsStore) -> None:
    for n in range(MAX_BACKUPS + 3):
        write(store, f"bad {n}")
        store.load()
    names = sorted(p.name for p in store.dir.iterdir())
    assert len(names) == MAX_BACKUPS
    assert store.backup_path.read_text() == f"bad {MAX_BACKUPS + 2}"  # the newest


def test_a_save_problem_is_said_once_per_run_of_failures(tmp_path: Path) -> None:
    blocker = tmp_path / "parent"
    blocker.write_text("a file where the config folder's parent should be")
    store = SettingsStore(blocker / "VMSC")
    told: list[str] = []
    store.problem_listeners.append(told.append)
    for _ in range(3):
        assert not store.save(Settings(kick_slug="a"))
    assert len(told) == 1 and "cannot be saved" in told[0]
    blocker.unlink()  # the folder becomes writable again...
    assert store.save(Settings())
    assert store.save_problem is None
    shutil.rmtree(blocker)  # ...and fails once more: said again
    blocker.write_text("x")
    assert not store.save(Settings())
    assert len(told) == 2
