"""Every way a user starts and stops the app, run as the user runs it: the installed `vmsc`
program in a process of its own, against a fake Kick API and a real Pusher server (soketi) on
127.0.0.1. Keyboard input goes through a virtual X screen (Xvfb + xdotool); the rest runs
offscreen.

These exist because a suite that only called the app's functions from inside its own event loop
once hid a crash on every relaunch (auto-connect before the loop ran).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop import (
    AppProcess,
    VirtualScreen,
    app_process,
    program,
    user_env,
    wait_for,
    xvfb_missing,
)
from tests.e2e_fixtures import soketi_fixture  # noqa: F401
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHAT_CHANNEL, CHATROOM_ID
from tests.soketi import SoketiServer

SLUG = "nightowlgg"


@pytest.fixture
def kick_api() -> Iterator[FakeKickApi]:
    api = FakeKickApi()
    api.add_channel(SLUG, CHANNEL_ID, CHATROOM_ID)
    with api.running():
        yield api


@pytest.fixture(scope="module")
def screen() -> Iterator[VirtualScreen]:
    problem = xvfb_missing()
    if problem:
        pytest.skip(problem)
    virtual = VirtualScreen()
    yield virtual
    virtual.close()


def base_env(config_dir: Path, kick_api: FakeKickApi, soketi: SoketiServer) -> dict[str, str]:
    return user_env(
        VMSC_CONFIG_DIR=str(config_dir),
        VMSC_KICK_API_URL=kick_api.url,
        VMSC_KICK_REALTIME_URL="",  # no key discovery: Kick is not reachable here
        VMSC_KICK_PUSHER_URL=soketi.ws_url(),
        QT_QPA_PLATFORM="offscreen",
        VMSC_RELAY_PORT="0",  # the event server on a free port: tests may run side by side
    )


def subscribed(soketi: SoketiServer) -> bool:
    """True once some client holds the channel's chat subscription on the server."""
    channels = soketi.pusher.channels_info()["channels"]
    return CHAT_CHANNEL in channels


def log_text(config_dir: Path) -> str:
    path = config_dir / "logs" / "vmsc.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def save_settings(config_dir: Path, **values: object) -> dict[str, object]:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "settings.json").write_text(json.dumps(values), encoding="utf-8")
    return values


def stored(config_dir: Path) -> dict[str, object]:
    data = json.loads((config_dir / "settings.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def wait_subscribed(
    app: AppProcess, soketi: SoketiServer, config: Path, screen: VirtualScreen | None = None
) -> None:
    def ready() -> bool:
        if not app.running():
            raise AssertionError(f"vmsc exited with {app.proc.returncode}:\n{app.stderr}")
        return subscribed(soketi)

    try:
        wait_for(ready, f"the app to subscribe to {CHAT_CHANNEL}")
    except AssertionError as exc:
        shot = ""
        if screen is not None and shutil.which("import"):  # what the user saw (imagemagick)
            screen.screenshot(app.stdout_path.with_name("screen.png"))
            shot = f"\nscreen: {app.stdout_path.with_name('screen.png')}"
        log = log_text(config)
        raise AssertionError(f"{exc}{shot}\nlog:\n{log}\nstderr:\n{app.stderr}") from None


# --- first launch -----------------------------------------------------------------------------


def test_first_launch_types_into_the_focused_username_and_ctrl_q_quits(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer, screen: VirtualScreen
) -> None:
    config = tmp_path / "config"  # does not exist yet: a first launch
    env = {**base_env(config, kick_api, soketi), **screen.env()}
    with app_process([str(program())], env, tmp_path / "run") as app:
        window = screen.find_window(app.proc.pid)
        screen.focus(window)
        # No click first: the app opens on Sources with the username field focused.
        screen.type_text("NightOwlGG")
        screen.key("Return")
        wait_subscribed(app, soketi, config, screen)
        assert stored(config)["kick_slug"] == SLUG  # case-insensitive, saved as typed + lowered
        screen.key("ctrl+q")
        assert app.wait() == 0, app.stderr
    assert not subscribed(soketi), "quitting disconnects first"
    assert "connected -> disconnected" in log_text(config)
    saved = stored(config)
    assert saved["kick_slug"] == SLUG and saved["window_geometry"]
    assert saved["kick_chatroom_id"] == CHATROOM_ID  # the ids are cached for the relaunch


# --- relaunch with a saved channel ------------------------------------------------------------


def test_relaunch_with_a_saved_channel_connects_with_no_input_and_sigterm_exits_0(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    save_settings(config, kick_slug=SLUG, auto_connect=True)
    with app_process([str(program())], base_env(config, kick_api, soketi), tmp_path / "run") as app:
        wait_subscribed(app, soketi, config)
        wait_for(lambda: "-> connected" in log_text(config), "Connected in the log")
        assert app.running()
        assert kick_api.requests == [f"/api/v2/channels/{SLUG}"]
        app.terminate()
        assert app.wait() == 0, app.stderr
    assert "Traceback" not in app.stderr
    saved = stored(config)
    assert saved["kick_slug"] == SLUG and saved["auto_connect"] is True
    assert saved["kick_channel_id"] == CHANNEL_ID and saved["window_geometry"]
    assert not (config / "settings.json.bak").exists()


def test_relaunch_with_cached_ids_needs_no_lookup(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    save_settings(
        config,
        kick_slug=SLUG,
        kick_cached_slug=SLUG,
        kick_channel_id=CHANNEL_ID,
        kick_chatroom_id=CHATROOM_ID,
    )
    kick_api.blocked = True  # Cloudflare says no: the cached ids must be enough
    with app_process([str(program())], base_env(config, kick_api, soketi), tmp_path / "run") as app:
        wait_subscribed(app, soketi, config)
        app.terminate()
        assert app.wait() == 0, app.stderr


def test_closing_the_window_disconnects_and_exits_0(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer, screen: VirtualScreen
) -> None:
    config = tmp_path / "config"
    save_settings(config, kick_slug=SLUG)
    env = {**base_env(config, kick_api, soketi), **screen.env()}
    with app_process([str(program())], env, tmp_path / "run") as app:
        window = screen.find_window(app.proc.pid)
        wait_subscribed(app, soketi, config)
        screen.close_window(window)  # the title bar's close button
        assert app.wait() == 0, app.stderr
    assert not subscribed(soketi)
    assert stored(config)["kick_slug"] == SLUG


def test_auto_connect_off_stays_disconnected(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    save_settings(config, kick_slug=SLUG, auto_connect=False)
    with app_process([str(program())], base_env(config, kick_api, soketi), tmp_path / "run") as app:
        wait_for(lambda: "starting; log file" in log_text(config), "the app to start")
        app.terminate()
        assert app.wait() == 0, app.stderr
    assert kick_api.requests == []
    assert "connecting" not in log_text(config)
    assert stored(config)["auto_connect"] is False


# --- bad settings -----------------------------------------------------------------------------


def test_a_corrupt_settings_file_is_kept_as_bak_said_once_and_replaced(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    garbage = b'{"kick_slug": "nightowlgg", oops'
    (config / "settings.json").write_bytes(garbage)
    with app_process([str(program())], base_env(config, kick_api, soketi), tmp_path / "run") as app:
        wait_for(lambda: "starting; log file" in log_text(config), "the app to start")
        assert app.running()
        app.terminate()
        assert app.wait() == 0, app.stderr
    assert (config / "settings.json.bak").read_bytes() == garbage
    assert app.stderr.count("is not valid JSON") == 1, app.stderr
    assert stored(config)["kick_slug"] == ""  # defaults, written back on quit


def test_a_config_folder_that_cannot_be_written_still_connects_and_says_so_once(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer, screen: VirtualScreen
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder's parent should be\n")
    config = blocker / "VMSC"  # can be neither created nor written, even by root
    env = {**base_env(config, kick_api, soketi), **screen.env()}
    with app_process([str(program())], env, tmp_path / "run") as app:
        window = screen.find_window(app.proc.pid)
        screen.focus(window)
        screen.type_text(SLUG)
        screen.key("Return")  # saving the username fails: said here...
        wait_subscribed(app, soketi, config, screen)  # ...and the app works on
        screen.key("ctrl+q")  # saving the geometry fails again: not said again
        assert app.wait() == 0, app.stderr
    assert app.stderr.count("Cannot save settings") == 1, app.stderr


# --- the smoke test the bundle check runs ----------------------------------------------------


def test_smoke_test_waits_for_the_saved_channel_to_connect(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    save_settings(config, kick_slug=SLUG)
    with app_process(
        [str(program()), "--smoke-test"], base_env(config, kick_api, soketi), tmp_path / "run"
    ) as app:
        assert app.wait(60) == 0, app.stderr
    assert "smoke test ok" in app.stdout and "state connected" in app.stdout, app.stdout
    assert "-> connected" in log_text(config)


def test_smoke_test_fails_with_the_reason_when_the_channel_does_not_exist(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    config = tmp_path / "config"
    save_settings(config, kick_slug="nobody_here")
    with app_process(
        [str(program()), "--smoke-test"], base_env(config, kick_api, soketi), tmp_path / "run"
    ) as app:
        assert app.wait(60) == 1
    assert "smoke test FAILED: connecting to nobody_here failed" in app.stderr, app.stderr
    assert "no channel named" in app.stderr


# --- no display -------------------------------------------------------------------------------


def test_without_a_display_the_app_says_so_in_one_line_and_exits_2(
    tmp_path: Path, kick_api: FakeKickApi, soketi: SoketiServer
) -> None:
    env = base_env(tmp_path / "config", kick_api, soketi)
    del env["QT_QPA_PLATFORM"]  # Qt's default on Linux: a display server is needed
    with app_process([str(program())], env, tmp_path / "run") as app:
        assert app.wait() == 2
    assert app.stderr.strip().splitlines() == [
        f"no display found — set DISPLAY, or use `{program().name} watch SLUG` for headless use"
    ]


@pytest.mark.parametrize(
    ("qt_args", "environ", "needs_display"),
    [
        ([], {}, True),
        ([], {"DISPLAY": ":0"}, False),
        ([], {"WAYLAND_DISPLAY": "wayland-0"}, False),
        ([], {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
        ([], {"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, False),
        ([], {"QT_QPA_PLATFORM": "offscreen"}, False),
        (["-platform", "offscreen"], {}, False),
        (["-platform", "xcb"], {"QT_QPA_PLATFORM": "offscreen"}, True),
    ],
)
def test_display_problem(qt_args: list[str], environ: dict[str, str], needs_display: bool) -> None:
    from app.application import display_problem

    assert (display_problem(qt_args, environ) is not None) is needs_display
