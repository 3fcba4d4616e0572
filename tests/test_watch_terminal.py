"""Network text (a display name, a close reason) reaches `watch`'s terminal only escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import terminal_safe
from tests.fake_kick_api import FakeKickApi
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID
from tests.pusher_server import PusherConn, ScriptedPusherServer
from tests.watch_process import WatchProcess, app_env

# sets the terminal's title, goes back to the start of the line and writes a fake state line
EVIL = "Owl\x1b]0;title\x07\rstate: error (banned by Kick)\nstate: live"
EVIL_SHOWN = r"Owl\x1b]0;title\x07\rstate: error (banned by Kick)\nstate: live"
# what a terminal acts on: C0 and C1 controls but the line ends
CONTROLS = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (EVIL, EVIL_SHOWN),
        ("tab\there", r"tab\there"),
        ("del\x7f csi\x9b2J nul\x00", r"del\x7f csi\x9b2J nul\x00"),
        (
            "bidi \u202eevil\u202c \u2066x\u2069 \u200f",
            r"bidi \u202eevil\u202c \u2066x\u2069 \u200f",
        ),
        ("line\u2028sep\u2029", r"line\u2028sep\u2029"),
        ("héllo 👋 Ω \\x1b", "héllo 👋 Ω \\x1b"),  # printable text and backslashes stay
    ],
)
def test_terminal_safe(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


@pytest.fixture
def evil_api() -> FakeKickApi:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    api.channels["nightowlgg"]["user"]["username"] = EVIL
    return api


async def test_a_display_name_cannot_drive_the_terminal(
    tmp_path: Path, evil_api: FakeKickApi
) -> None:
    with evil_api.running():
        async with ScriptedPusherServer() as server:
            proc = await WatchProcess.start(
                app_env(tmp_path, evil_api.url, server.url()), "nightowlgg"
            )
            try:
                line = await proc.state_line("state: connected")
                assert await proc.interrupt() == 0
            finally:
                proc.kill()
                await proc.proc.wait()
    assert EVIL_SHOWN in line
    assert not CONTROLS.search(proc.stderr_raw), proc.stderr_raw
    states = [line.split(" (")[0] for line in proc.stderr_lines]
    assert states == ["state: connecting", "state: connected", "state: disconnected"]


async def close_with_evil_reason(conn: PusherConn) -> None:
    await conn.handshake()
    await conn.close(4009, EVIL[:60])  # 4000-4099: fatal, watch gives up and logs why


async def test_a_close_reason_cannot_drive_the_terminal_in_state_or_log_lines(
    tmp_path: Path,
) -> None:
    api = FakeKickApi()
    api.add_channel("nightowlgg", CHANNEL_ID, CHATROOM_ID)
    with api.running():
        async with ScriptedPusherServer(close_with_evil_reason) as server:
            proc = await WatchProcess.start(app_env(tmp_path, api.url, server.url()), "nightowlgg")
            try:
                assert await proc.wait() == 2
            finally:
                proc.kill()
                await proc.proc.wait()
    assert not CONTROLS.search(proc.stderr_raw), proc.stderr_raw
    shown = terminal_safe(EVIL[:60])
    assert "\\x1b" in shown and "\\r" in shown
    # the reason's wording and where its technical detail goes are not this test's business:
    # only that the server's text arrives, escaped, and forges no line
    errors = [line for line in proc.stderr_lines if line.startswith("state: error")]
    warnings = [line for line in proc.stderr_lines if line.startswith("WARNING ")]
    assert len(errors) == 1
    assert len(warnings) == 1 and "4009" in warnings[0] and shown in warnings[0]
    assert not [line for line in proc.stderr_lines if line.startswith("state: live")]
