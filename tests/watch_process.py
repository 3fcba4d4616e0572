"""Runs `python -m app watch` as a real subprocess pointed at local servers, and reads it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any


def app_env(config_dir: Path, api_url: str, pusher_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VMSC_CONFIG_DIR=str(config_dir),
        VMSC_KICK_API_URL=api_url,
        VMSC_KICK_REALTIME_URL="",  # no key discovery: Kick is not reachable here
        VMSC_KICK_PUSHER_URL=pusher_url,
        PYTHONUNBUFFERED="1",
    )
    return env


class WatchProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stderr_lines: list[str] = []
        self.stderr_raw = bytearray()  # as written: `stderr_lines` are split and decoded
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> WatchProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "watch",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def state_line(self, prefix: str, timeout: float = 20.0) -> str:
        """Read stderr until a line starting with `prefix` (e.g. "state: connected")."""
        assert self.proc.stderr is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.proc.stderr.readline()
                self.stderr_raw += raw
                if not raw:
                    raise AssertionError(f"watch exited; stderr so far: {self.stderr_lines}")
                line = raw.decode().rstrip("\n")
                self.stderr_lines.append(line)
                if line.startswith(prefix):
                    return line

    async def read_events(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while len(self.events) < count:
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"watch closed stdout after {len(self.events)} events")
                self.events.append(json.loads(raw))
        return self.events

    async def read_events_until_eof(self, timeout: float = 20.0) -> list[dict[str, Any]]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while raw := await self.proc.stdout.readline():
                self.events.append(json.loads(raw))
        return self.events

    async def interrupt(self, sig: int = signal.SIGINT, timeout: float = 20.0) -> int:
        self.proc.send_signal(sig)
        return await self.wait(timeout)

    async def wait(self, timeout: float = 20.0) -> int:
        async with asyncio.timeout(timeout):
            stderr = await self.proc.stderr.read() if self.proc.stderr else b""
            self.stderr_raw += stderr
            self.stderr_lines.extend(stderr.decode().splitlines())
            return await self.proc.wait()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
