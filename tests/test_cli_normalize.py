"""`python -m app normalize` as a user runs it: a real subprocess, files and stdin."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import app.__main__ as entry
from app.core.events import StreamEvent
from tests.fixtures import FRAMES_DIR

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def wire(name: str) -> str:
    return json.dumps(json.loads((FRAMES_DIR / name).read_text(encoding="utf-8")))


def events(stdout: bytes) -> list[StreamEvent]:
    return [StreamEvent.from_json(line) for line in stdout.decode().splitlines()]


CHAT = wire("ChatMessageEvent.json")
STREAM = [
    wire("pusher-connection_established.json"),
    wire("pusher_internal-subscription_succeeded.json"),
    CHAT,
    wire("ChatroomUpdatedEvent.json"),  # no user event: prints nothing
    wire("SubscriptionEvent.json"),
    wire("ChannelSubscriptionEvent.json"),
    wire("ChatMessageSentEvent.json"),
    wire("GiftedSubscriptionsEvent.json"),
    wire("GiftedSubscriptionsEvent-chatroom_-unprefixed.json"),
    CHAT,  # delivered twice
    wire("pusher-ping.json"),
    wire("KicksGifted.json"),
]
EXPECTED_TYPES = ["chat", "subscribe", "gift_sub", "kicks"]


def test_file(tmp_path: Path) -> None:
    frames = tmp_path / "frames.jsonl"
    frames.write_text("\n".join(STREAM) + "\n", encoding="utf-8")
    result = run("normalize", str(frames), "--channel", "NightOwlGG")
    assert (result.returncode, result.stderr) == (0, b"")
    out = events(result.stdout)
    assert [e.type.value for e in out] == EXPECTED_TYPES
    assert {e.channel for e in out} == {"nightowlgg"}
    assert out[0].to_dict()["data"]["emotes"] == [
        {"id": "37226", "name": "KEKW"},
        {"id": "39261", "name": "kkHuh"},
    ]


def test_stdin_gives_the_same_output(tmp_path: Path) -> None:
    frames = tmp_path / "frames.jsonl"
    frames.write_text("\n".join(STREAM) + "\n", encoding="utf-8")
    from_file = run("normalize", str(frames), "--channel", "nightowlgg")
    from_stdin = run("normalize", "--channel", "nightowlgg", stdin=frames.read_bytes())
    assert from_stdin.returncode == 0
    # Ids and payload times match; only events timed by the receive clock may differ.
    assert [(e.id, e.type) for e in events(from_stdin.stdout)] == [
        (e.id, e.type) for e in events(from_file.stdout)
    ]


def test_every_sample_frame_on_stdin() -> None:
    names = sorted(p.name for p in FRAMES_DIR.glob("*.json"))
    result = run("normalize", stdin="\n".join(wire(n) for n in names).encode())
    assert result.returncode == 1  # the three HTTP API responses in kick-frames are not frames
    assert len(result.stderr.decode().splitlines()) == 3
    assert len(events(result.stdout)) == 16  # the 17 user-event samples less the duplicate gift


def test_malformed_lines_are_reported_and_skipped() -> None:
    lines = [
        CHAT,
        "",
        "not json",
        "   ",
        '{"event":"App\\\\Events\\\\ChatMessageEvent","data":"{broken"}',
        "[1, 2]",
        '{"event":"App\\\\Events\\\\SubscriptionEvent","data":"{\\"username\\":\\"u\\",\\"months\\":\\"x\\"}"}',
        wire("KicksGifted.json"),
    ]
    result = run("normalize", stdin="\n".join(lines).encode())
    assert result.returncode == 1
    assert [e.type.value for e in events(result.stdout)] == ["chat", "kicks"]
    errors = result.stderr.decode().splitlines()
    assert [line.split(":")[0] for line in errors] == ["line 3", "line 5", "line 6", "line 7"]
    assert errors[0].startswith("line 3: frame is not JSON")
    assert errors[1].startswith("line 5: ChatMessageEvent: data is not JSON")
    assert errors[2] == "line 6: frame is list, expected an object"
    assert errors[3] == "line 7: SubscriptionEvent: 'months' is a string, expected an integer"


def test_crlf_and_no_final_newline() -> None:
    result = run("normalize", stdin=f"{CHAT}\r\n\r\n{wire('KicksGifted.json')}".encode())
    assert result.returncode == 0
    assert [e.type.value for e in events(result.stdout)] == ["chat", "kicks"]


def test_invalid_utf8_line_is_malformed() -> None:
    result = run("normalize", stdin=b'{"event":"\xff"}\n' + CHAT.encode())
    assert result.returncode == 1
    assert result.stderr.decode().startswith("line 1: frame is not JSON")
    assert len(events(result.stdout)) == 1


def test_empty_input() -> None:
    result = run("normalize", stdin=b"")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = run("normalize", str(missing))
    assert result.returncode == 2
    assert result.stdout == b""
    assert f"cannot read {missing}: No such file or directory" in result.stderr.decode()


def test_bad_option_is_a_usage_error() -> None:
    result = run("normalize", "--bogus")
    assert result.returncode == 2
    assert b"usage:" in result.stderr


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert b"normalize" in result.stdout


# -- dispatch in-process: no subcommand means the desktop app


def fake_application(monkeypatch: pytest.MonkeyPatch, status: Any) -> list[Any]:
    calls: list[Any] = []

    def main(argv: list[str] | None = None) -> Any:
        calls.append(argv)
        return status

    module = types.ModuleType("app.application")
    module.main = main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "app.application", module)
    return calls


@pytest.mark.parametrize("argv", [[], ["-platform", "offscreen"], ["--smoke-test"]])
def test_no_subcommand_starts_the_gui(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    calls = fake_application(monkeypatch, 0)
    assert entry.main(argv) == 0
    assert calls == [argv]


def test_gui_exit_status_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_application(monkeypatch, 3)
    assert entry.main([]) == 3


def test_gui_unavailable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "app.application", None)  # makes the import fail
    assert entry.main([]) == 1
    assert "the desktop app cannot start" in capsys.readouterr().err


def test_subcommand_does_not_start_the_gui(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    calls = fake_application(monkeypatch, 0)
    frames = tmp_path / "frames.jsonl"
    frames.write_text(CHAT + "\n", encoding="utf-8")
    assert entry.main(["normalize", str(frames)]) == 0
    assert calls == []
    assert [e.type.value for e in events(capsysbinary.readouterr().out)] == ["chat"]


def test_the_gui_entry_knows_every_subcommand_without_importing_them() -> None:
    assert entry._command_names(entry.build_parser()) == entry.COMMANDS


def test_usage_names_the_program_as_started(monkeypatch: pytest.MonkeyPatch) -> None:
    assert entry.build_parser().format_usage().startswith("usage: python -m app ")
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # as in the PyInstaller bundle
    monkeypatch.setattr(sys, "executable", "/opt/vmsc/VMSC")
    assert entry.build_parser().format_usage().startswith("usage: VMSC ")
    watch_help = entry.build_parser()._subparsers._group_actions[0].choices["watch"]  # type: ignore[union-attr]
    assert watch_help.format_usage().startswith("usage: VMSC watch ")


# -- what the events hold without --channel, and what reaches the terminal


def test_without_channel_every_event_has_an_empty_channel() -> None:
    """Frames name Pusher channels (`chatrooms.N.v2`), never the slug, so without --channel the
    slug is unknown: the key stays, as "" (the StreamEvent JSON form has every field; "" is how
    it says unknown, as for `username`), and --help says so."""
    result = run("normalize", stdin="\n".join(STREAM).encode())
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [line["type"] for line in lines] == EXPECTED_TYPES
    assert all(list(line)[:4] == ["id", "source", "type", "channel"] for line in lines)
    assert {line["channel"] for line in lines} == {""}
    help_text = " ".join(run("normalize", "--help").stdout.decode().split())
    assert 'without --channel every event has "channel": ""' in help_text


def test_frame_text_in_error_lines_is_escaped() -> None:
    evil = json.dumps({"event": "x\x1b]0;title\x07\rline 9: fake", "channel": 5})
    result = run("normalize", stdin=f"{evil}\n{CHAT}\n".encode())
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "line 1: x\\x1b]0;title\\x07\\rline 9: fake: channel is int, expected a string\n"
    )
    assert [e.type.value for e in events(result.stdout)] == ["chat"]
