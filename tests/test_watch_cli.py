"""`watch`'s command line: one id without the other, and --help's exit status table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.watch import EXIT_ERROR, EXIT_OK
from app.watch_cli import missing_id_message
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID
from tests.watch_process import app_env

REPO = Path(__file__).resolve().parents[1]


def run_watch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "watch", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


CHATROOM_ONLY = (
    "--chatroom-id needs --channel-id too (live start/end, follows and Kicks arrive on "
    "channel.N and channel_N, and the channel id finds Kick's Pusher key). Kick's lookup "
    '{api}/api/v2/channels/nightowlgg has it as "id"; or give neither option and watch looks '
    "both up."
)
CHANNEL_ONLY = (
    "--channel-id needs --chatroom-id too (chat, subs, gifts, bans, hosts and rewards arrive on "
    "chatrooms.N.v2 and chatroom_N). Kick's lookup {api}/api/v2/channels/nightowlgg has it as "
    '"chatroom.id"; or give neither option and watch looks both up.'
)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--chatroom-id", CHATROOM_ID, CHATROOM_ONLY),
        ("--channel-id", CHANNEL_ID, CHANNEL_ONLY),
    ],
)
def test_one_id_alone_says_exactly_what_else_it_needs_and_connects_nowhere(
    tmp_path: Path, option: str, value: int, expected: str
) -> None:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        # the Pusher URL is a closed port: a connection attempt would show as a reconnect line
        done = run_watch(
            app_env(tmp_path, api.url, "ws://127.0.0.1:9/app/k"), "NightOwlGG", option, str(value)
        )
    assert done.returncode == 2  # argparse's status for a bad command line
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith("usage: python -m app watch ")
    assert lines[-1] == "python -m app watch: error: " + expected.format(api=api.url)
    assert not [line for line in lines if line.startswith("state:")]
    assert api.requests == []  # no lookup was made either


def test_missing_id_message_only_for_one_id_alone() -> None:
    assert missing_id_message("x", None, None) is None
    assert missing_id_message("x", 5, 6) is None
    assert missing_id_message("x", 5, None) is not None
    assert missing_id_message("x", None, 6) is not None


def help_text(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args, "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def exit_status_rows(text: str) -> dict[int, str]:
    """The "exit status:" table of a --help text: status -> its meaning, joined into one line."""
    table = text.split("\nexit status:\n", 1)[1].split("\n\n", 1)[0]
    rows: dict[int, str] = {}
    for line in table.splitlines():
        code, _, meaning = line.strip().partition("  ")
        if code.isdigit():
            rows[int(code)] = meaning.strip()
        else:  # a wrapped row goes on
            rows[max(rows)] += " " + line.strip()
    return rows


def test_watch_help_documents_every_exit_status() -> None:
    rows = exit_status_rows(help_text("watch"))
    assert sorted(rows) == [0, 1, 2]
    assert EXIT_OK == 0 and EXIT_ERROR == 2
    assert "Ctrl-C, SIGTERM" in rows[0] and "closed the output" in rows[0]
    assert "traceback" in rows[1]
    assert '"state: error (...)"' in rows[2] and "no channel of that name" in rows[2]
    assert "4000-4099" in rows[2] and "bad command line" in rows[2]


def test_normalize_help_documents_every_exit_status_and_the_channel_key() -> None:
    text = help_text("normalize")
    rows = exit_status_rows(text)
    assert sorted(rows) == [0, 1, 2]
    assert "malformed" in rows[1] and "closed the output" in rows[1]
    assert "FILE cannot be read" in rows[2] and "bad command line" in rows[2]
    assert 'without --channel every event has "channel": ""' in " ".join(text.split())
