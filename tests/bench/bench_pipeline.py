"""Throughput of the frame pipeline, and constant memory of `python -m app normalize`.

    python tests/bench/bench_pipeline.py [--short] [--memory]

Throughput: a 100,000-frame mixed stream built from tests/fixtures/kick-frames (mostly chat, with varied
ids, content and times) goes through `Pipeline.feed` (decode frame, decode data, normalize into
StreamEvents, dedupe) and, in the same run, through a bare `json.loads(frame)` +
`json.loads(data)` loop. Medians of several repetitions; the pipeline must reach 1.5x the bare loop.

--memory: pipes 100,000 and then 1,000,000 lines (--short: 20,000 and 200,000) through
`python -m app normalize` and compares the peak RSS of the two runs (resource.getrusage of
children, measured from a small probe process): at most 5 MiB more for 10x the lines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.core.events import StreamEvent
from app.kick.pipeline import Pipeline

FRAMES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "kick-frames"
TARGET_RATIO = 1.5
# Stream time: actions arrive at random at this mean rate (a busy channel, where throughput
# matters) and chat messages carry it as Kick does: `created_at` in whole seconds, so consecutive
# messages often share one (the share is printed with the results).
STREAM_START = datetime(2026, 3, 14, 19, 42, 7, tzinfo=UTC)
ACTIONS_PER_SECOND = 10.0
# Chat vocabulary: mostly ASCII; emotes, emoji and accents each in about a third of messages
# (the shares are printed with the results).
WORDS = (  # noqa: SIM905 - a sentence reads better than 57 quoted words
    "gg that clutch was insane lol no way bro what a play LUL pog monkaS first time chatter "
    "here hello from Brazil ok nice shot again one more game please let's go W L huge chat "
    "is this real he is cooking wp bruh rip unlucky ez clean actually crazy wait "
    "[emote:37226:KEKW] [emote:39261:kkHuh] [emote:37226:KEKW] 🎉 🔥 Ünïcødé"
).split()


def load(name: str) -> tuple[str, str, dict[str, Any]]:
    frame = json.loads((FRAMES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return frame["event"], frame.get("channel", ""), json.loads(frame["data"])


def frame_text(event: str, channel: str, data: Any) -> str:
    # Compact, UTF-8 as is: the shape of the sample frames (Kick sends emoji unescaped).
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    frame = {"event": event, "data": payload, "channel": channel}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


class StreamBuilder:
    """Frames as Kick would send them, with fresh ids and content each time."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.counter = itertools.count()
        self.elapsed = 0.0  # stream time, seconds after STREAM_START
        self.chat_variants = [
            load(name)
            for name in (
                "ChatMessageEvent",
                "ChatMessageEvent",
                "ChatMessageEvent",
                "ChatMessageEvent-reply",
                "ChatMessageEvent-bot-no-metadata",
                "ChatMessageEvent-celebration",
            )
        ]
        # Sent as they are: events we drop, a ping, and the rare live start/end.
        self.static = [
            json.dumps(json.loads((FRAMES_DIR / f"{name}.json").read_text(encoding="utf-8")))
            for name in (
                "ChatroomUpdatedEvent",
                "PinnedMessageCreatedEvent",
                "PollUpdateEvent",
                "GoalProgressUpdateEvent",
                "GiftsLeaderboardUpdated",
                "pusher-ping",
                "StopStreamBroadcast",
                "StreamerIsLive",
            )
        ]

    def uuid(self) -> str:
        n = next(self.counter)
        return f"{n:08x}-{self.rng.getrandbits(16):04x}-4e8a-9c41-{self.rng.getrandbits(48):012x}"

    def user(self) -> str:
        return f"viewer_{self.rng.randrange(5000)}"

    def chat(self) -> list[str]:
        event, channel, template = self.rng.choice(self.chat_variants)
        data = json.loads(json.dumps(template))
        data["id"] = self.uuid()
        data["content"] = " ".join(self.rng.choices(WORDS, k=self.rng.randrange(1, 16)))
        data["sender"]["username"] = self.user()
        data["created_at"] = (STREAM_START + timedelta(seconds=int(self.elapsed))).isoformat()
        return [frame_text(event, channel, data)]

    def sub(self) -> list[str]:
        user = self.user()
        months = self.rng.randrange(1, 40)
        event, channel, data = load("SubscriptionEvent")
        sent_event, sent_channel, sent = load("ChatMessageSentEvent")
        sent["message"]["id"] = self.uuid()
        sent["user"]["username"] = user
        channel_event, channel_channel, channel_sub = load("ChannelSubscriptionEvent")
        channel_sub["username"] = user
        return [
            frame_text(event, channel, {**data, "username": user, "months": months}),
            frame_text(channel_event, channel_channel, channel_sub),
            frame_text(sent_event, sent_channel, sent),
        ]

    def gift(self) -> list[str]:
        """One gift, delivered on chatrooms.N.v2 and again on chatroom_N."""
        prefixed, v2_channel, data = load("GiftedSubscriptionsEvent")
        bare, legacy_channel, _ = load("GiftedSubscriptionsEvent-chatroom_-unprefixed")
        data["gifter_username"] = self.user()
        data["gifted_usernames"] = [self.user() for _ in range(self.rng.randrange(1, 6))]
        return [frame_text(prefixed, v2_channel, data), frame_text(bare, legacy_channel, data)]

    def simple(self, name: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
        event, channel, data = load(name)
        change(data)
        return [frame_text(event, channel, data)]

    def follow(self) -> list[str]:
        return self.simple(
            "FollowersUpdated",
            lambda d: d.update(username=self.user(), followersCount=48213 + next(self.counter)),
        )

    def kicks(self) -> list[str]:
        return self.simple("KicksGifted", lambda d: d.update(gift_transaction_id=self.uuid()))

    def reward(self) -> list[str]:
        return self.simple("RewardRedeemedEvent", lambda d: d.update(username=self.user()))

    def ban(self) -> list[str]:
        return self.simple("UserBannedEvent-timeout", lambda d: d.update(id=self.uuid()))

    def delete(self) -> list[str]:
        return self.simple("MessageDeletedEvent", lambda d: d.update(id=self.uuid()))

    def host(self) -> list[str]:
        return self.simple("StreamHostEvent", lambda d: d.update(host_username=self.user()))

    def other(self) -> list[str]:
        return [self.rng.choice(self.static)]

    def build(self, count: int) -> list[str]:
        # Per 1000 actions: the rest is chat.
        mix: list[tuple[Callable[[], list[str]], int]] = [
            (self.follow, 10),
            (self.sub, 8),
            (self.gift, 4),
            (self.kicks, 6),
            (self.reward, 6),
            (self.ban, 3),
            (self.delete, 5),
            (self.host, 1),
            (self.other, 25),
        ]
        kinds = [kind for kind, _ in mix] + [self.chat]
        weights = [weight for _, weight in mix] + [1000 - sum(w for _, w in mix)]
        frames: list[str] = []
        while len(frames) < count:
            kind = self.rng.choices(kinds, weights)[0]
            self.elapsed += self.rng.expovariate(ACTIONS_PER_SECOND)
            frames.extend(kind())
            if self.rng.random() < 0.005:  # a frame delivered twice
                frames.append(frames[-1])
        return frames[:count]


def bare_loop(frames: list[str]) -> int:
    loads = json.loads
    decoded = 0
    for frame in frames:
        data = loads(frame).get("data")
        if isinstance(data, str):
            loads(data)
            decoded += 1
    return decoded


def pipeline_loop(frames: list[str]) -> int:
    """Every frame through a fresh pipeline. The events are counted, not kept: a consumer shows
    or writes them and lets them go, and holding 100,000 of them would time the GC instead."""
    feed = Pipeline("nightowlgg").feed
    produced = 0
    for frame in frames:
        try:
            event = feed(frame)
        except ValueError:
            continue
        if event is not None:
            produced += 1
    return produced


def collect_events(frames: list[str]) -> list[StreamEvent]:
    feed = Pipeline("nightowlgg").feed
    events = []
    for frame in frames:
        try:
            event = feed(frame)
        except ValueError:
            continue
        if event is not None:
            events.append(event)
    return events


def timed(run: Callable[[list[str]], object], frames: list[str]) -> float:
    """Frames per second of one pass."""
    start = time.perf_counter()
    run(frames)
    return len(frames) / (time.perf_counter() - start)


def throughput(count: int, repetitions: int) -> bool:
    frames = StreamBuilder().build(count)
    events = collect_events(frames)
    kinds: dict[str, int] = {}
    for event in events:
        kinds[event.type.value] = kinds.get(event.type.value, 0) + 1
    chat_events = [e for e in events if e.type.value == "chat"]
    chats = [e.data.message for e in chat_events]
    new_seconds = sum(a.timestamp != b.timestamp for a, b in itertools.pairwise(chat_events))
    non_ascii = sum(not message.isascii() for message in chats) / max(1, len(chats))
    with_emotes = sum("[emote:" in message for message in chats) / max(1, len(chats))
    print(f"stream: {len(frames):,} frames -> {len(events):,} StreamEvents {kinds}")
    print(
        f"chat: {non_ascii:.0%} with non-ASCII text, {with_emotes:.0%} with emotes, "
        f"{new_seconds / max(1, len(chats) - 1):.0%} with another created_at than the one before"
    )
    bare_rates, pipeline_rates = [], []
    for _ in range(repetitions):  # interleaved, so drift in machine load hits both alike
        bare_rates.append(timed(bare_loop, frames))
        pipeline_rates.append(timed(pipeline_loop, frames))
    bare, pipeline = statistics.median(bare_rates), statistics.median(pipeline_rates)
    ratio = pipeline / bare
    print(f"bare json.loads x2: median {bare:,.0f} frames/s  (runs: {fmt(bare_rates)})")
    print(f"pipeline:           median {pipeline:,.0f} frames/s  (runs: {fmt(pipeline_rates)})")
    print(f"per frame: bare {1e6 / bare:.2f} us, pipeline {1e6 / pipeline:.2f} us")
    ok = ratio >= TARGET_RATIO
    print(f"pipeline: {ratio:.2f}x (target {TARGET_RATIO}) {'ok' if ok else 'MISS'}")
    return ok


def fmt(rates: list[float]) -> str:
    return ", ".join(f"{rate / 1000:.0f}k" for rate in rates)


# Runs in a fresh, small interpreter: Linux carries a process's peak RSS across fork and exec, so
# a child started straight from this (large) benchmark process would report our peak, not its own.
_RSS_PROBE = """
import resource, subprocess, sys, time
frames_path, count = sys.argv[1], int(sys.argv[2])
with open(frames_path, "rb") as source:
    lines = source.read().splitlines(keepends=True)
start = time.perf_counter()
child = subprocess.Popen(
    [sys.executable, "-m", "app", "normalize", "--channel", "nightowlgg"],
    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
for sent in range(0, count, len(lines)):
    child.stdin.write(b"".join(lines[: count - sent]))
child.stdin.close()
child.wait()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_maxrss, time.perf_counter() - start, child.returncode)
"""


def peak_rss_of_normalize(frames_path: Path, count: int) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of `python -m app normalize` reading `count` lines on a pipe."""
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(frames_path), str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    max_rss_kib, seconds, status = probe.stdout.split()
    if int(status) not in (0, 1):
        raise SystemExit(f"normalize exited {status}")
    return int(max_rss_kib) / 1024, float(seconds)  # ru_maxrss is in KiB on Linux


NORMALIZE_GROWTH_TARGET_MIB = 5


def memory(short: bool) -> bool:
    small, large = (20_000, 200_000) if short else (100_000, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        frames_path = Path(tmp) / "frames.jsonl"
        frames_path.write_text("\n".join(StreamBuilder(seed=2).build(10_000)) + "\n")
        idle_rss, _ = peak_rss_of_normalize(frames_path, 0)
        small_rss, small_time = peak_rss_of_normalize(frames_path, small)
        large_rss, large_time = peak_rss_of_normalize(frames_path, large)
    print(f"normalize {0:>9,} lines: peak RSS {idle_rss:6.1f} MiB (start-up)")
    print(f"normalize {small:>9,} lines: peak RSS {small_rss:6.1f} MiB, {small_time:5.1f} s")
    print(f"normalize {large:>9,} lines: peak RSS {large_rss:6.1f} MiB, {large_time:5.1f} s")
    growth = large_rss - small_rss  # constant memory: 10x the input, at most noise more
    ok = growth <= NORMALIZE_GROWTH_TARGET_MIB
    print(
        f"normalize_rss: {growth:+.1f} MiB for 10x the lines "
        f"(target {NORMALIZE_GROWTH_TARGET_MIB}) {'ok' if ok else 'MISS'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="20,000 frames, 3 repetitions")
    parser.add_argument("--memory", action="store_true", help="also check constant memory")
    args = parser.parse_args()
    ok = throughput(20_000, 3) if args.short else throughput(100_000, 7)
    if args.memory:
        ok = memory(args.short) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
