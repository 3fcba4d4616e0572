"""Launch to Connected: how long a user waits, from double-click to a confirmed subscription.

    python tests/bench/bench_launch.py [--short] [--rounds N]

The installed `vmsc` program with a saved channel (auto-connect on; ids cached, as on every
launch after the first) against a fake Kick API and a real soketi on 127.0.0.1, offscreen. The
baseline, in alternating rounds of the same run: the headless `vmsc watch SLUG` connecting to the
same server (the same network stack, without Qt and the window). Each round is a new process.

The app's time is read from its log line `-> connected` (millisecond stamps, the same wall clock
as ours); watch's from its `state: connected` line as it arrives on the pipe.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `tests` importable

from tests.desktop import POLL_S, program, user_env  # noqa: E402
from tests.fake_kick_api import FakeKickApi  # noqa: E402
from tests.kick_payloads import CHANNEL_ID, CHATROOM_ID  # noqa: E402
from tests.soketi import SoketiServer  # noqa: E402

SLUG = "nightowlgg"
TARGET_MS = 1500.0  # a user sees the card turn green within a second and a half


def _settings(config: Path) -> None:
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(
        json.dumps(
            {
                "kick_slug": SLUG,
                "kick_cached_slug": SLUG,
                "kick_channel_id": CHANNEL_ID,
                "kick_chatroom_id": CHATROOM_ID,
            }
        ),
        encoding="utf-8",
    )


def _env(config: Path, api: FakeKickApi, soketi: SoketiServer) -> dict[str, str]:
    return user_env(
        VMSC_CONFIG_DIR=str(config),
        VMSC_KICK_API_URL=api.url,
        VMSC_KICK_REALTIME_URL="",
        VMSC_KICK_PUSHER_URL=soketi.ws_url(),
        QT_QPA_PLATFORM="offscreen",
        VMSC_RELAY_PORT="0",
    )


def _log_stamp(line: str) -> float:
    stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    return stamp.timestamp()


def app_round(api: FakeKickApi, soketi: SoketiServer) -> float:
    """Seconds from process start to the app's Connected."""
    config = Path(tempfile.mkdtemp(prefix="vmsc-launch-"))
    _settings(config)
    log = config / "logs" / "vmsc.log"
    started = time.time()
    proc = subprocess.Popen(
        [str(program())],
        env=_env(config, api, soketi),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 30
        while time.time() < deadline:
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            for line in text.splitlines():
                if "-> connected" in line:
                    return _log_stamp(line) - started
            time.sleep(POLL_S)  # another process's file: nothing to wake us
        raise RuntimeError(f"the app did not connect; log:\n{log.read_text()}")
    finally:
        proc.terminate()
        proc.wait(20)


def watch_round(api: FakeKickApi, soketi: SoketiServer) -> float:
    """Seconds from process start to watch's `state: connected` line."""
    config = Path(tempfile.mkdtemp(prefix="vmsc-launch-"))
    _settings(config)
    started = time.time()
    proc = subprocess.Popen(
        [str(program()), "watch", SLUG],
        env=_env(config, api, soketi),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("state: connected"):
                return time.time() - started
        raise RuntimeError("watch exited before it connected")
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--rounds", type=int, default=0)
    args = parser.parse_args()
    rounds = args.rounds or (4 if args.short else 12)
    api = FakeKickApi()
    api.add_channel(SLUG, CHANNEL_ID, CHATROOM_ID)
    with api.running(), SoketiServer() as soketi:
        app_round(api, soketi)  # warm-up: bytecode written, files in the page cache
        watch_round(api, soketi)
        app_times: list[float] = []
        watch_times: list[float] = []
        for _ in range(rounds):
            app_times.append(app_round(api, soketi))
            watch_times.append(watch_round(api, soketi))
    app_ms = statistics.median(app_times) * 1000
    watch_ms = statistics.median(watch_times) * 1000
    print(
        f"app, launch to Connected: median {app_ms:.0f} ms, "
        f"range {min(app_times) * 1000:.0f}-{max(app_times) * 1000:.0f} ms ({rounds} rounds)"
    )
    print(
        f"watch, launch to connected: median {watch_ms:.0f} ms, "
        f"range {min(watch_times) * 1000:.0f}-{max(watch_times) * 1000:.0f} ms"
    )
    verdict = "ok" if app_ms <= TARGET_MS else "MISS"
    print(
        f"startup_connected: {app_ms:.0f} ms, {app_ms / watch_ms:.2f}x headless watch's "
        f"{watch_ms:.0f} ms (target {TARGET_MS:.0f}) {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
