"""The event feed's drawing cost: paint and layout time per row of the real view and delegate.

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_feed_paint.py [--rows 3000] [--rounds 7]
    python tests/bench/bench_feed_paint.py --repo /work/other-checkout    # that checkout's code
    python tests/bench/bench_feed_paint.py --against /work/other-checkout # A/B, alternating

An `EventFeedView` (theme loaded, 720x900, shown offscreen) holds `rows` events of a realistic
mix: chat (plain, emotes such as `[emote:37226:KEKW]`, badges, sender colours, replies, long
messages that wrap, a few deleted) and notices (follow, sub, gift, kicks, live, ban, timeout).
Each round empties the delegate's caches and then measures:

- layout: `sizeHint` of every row, cold (what the list asks for when rows arrive or the width
  changes), in µs per row;
- paint: the viewport rendered into a QImage at one scroll position after another, a viewport
  height apart, top to bottom (each row is laid out once and painted), in µs per painted row;
- paint_warm: the same positions again, each rendered once untimed and then timed (rows come
  from the delegate's row cache), in µs per painted row.

`--pictures ready` gives the feed an `ImageService` with every emote's picture decoded before
timing (so emotes are drawn as pictures, as once a chat has been watched a while); `failed`
one whose every picture failed (chips, after the service was asked); the default, `none`, no
service at all (chips, as before pictures existed).

Times are the process's CPU time (not wall-clock), so other work on a shared machine moves
them less. Medians over the rounds are printed. `--against PATH` runs this script on its own
repo and on PATH alternately (`--alternations` times each, fresh processes) and prints both:
the median of the runs' medians and the lowest round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OWN_REPO = HERE.parents[1]

# Budgets per row: a 60 fps frame (16 ms) paints about 40 rows; a full feed (5,000 rows)
# measured from scratch (a font change) in about 300 ms.
PAINT_TARGET_US = 400.0
PAINT_WARM_TARGET_US = 200.0
LAYOUT_TARGET_US = 60.0

_WORDS = (
    "gg", "lol", "nice", "that", "was", "insane", "play", "chat", "is", "this", "real", "no",
    "way", "clip", "it", "bro", "what", "a", "shot", "let's", "go", "W", "L", "true", "fr",
)  # fmt: skip
_EMOTES = ("[emote:37226:KEKW]", "[emote:39261:PogU]", "[emote:37227:LULW]", "[emote:1:EZ]")
_COLORS = ("#75FD46", "#FF6FCF", "#000080", "#4AA8FF", "#F5C518", "#123456", "", "#B57BFF")
_BADGE_SETS: tuple[list[dict[str, Any]], ...] = (
    [],
    [],
    [{"type": "subscriber", "text": "Subscriber", "count": 12}],
    [{"type": "moderator", "text": "Moderator"}, {"type": "subscriber", "text": "Sub", "count": 3}],
    [{"type": "vip", "text": "VIP"}],
    [{"type": "og", "text": "OG"}, {"type": "sub_gifter", "text": "Gifter", "count": 50}],
    [{"type": "broadcaster", "text": "Broadcaster"}, {"type": "verified", "text": "Verified"}],
    [{"type": "founder", "text": "Founder"}, {"type": "weird", "text": "Custom"}],
)


def realistic_events(count: int, seed: int = 16) -> list[Any]:
    """`count` StreamEvents, oldest first, about 85 % chat and 15 % notices."""
    from app.core import events as core_events
    from app.core.events import EventType as T
    from app.core.events import StreamEvent

    # Where StreamEvent.data is typed (one msgspec struct per event type), the JSON form below
    # is converted to it, as `StreamEvent.from_json` would; older code takes the mapping as is.
    payload_types = getattr(core_events, "PAYLOAD_TYPES", None)
    rng = random.Random(seed)
    events: list[StreamEvent] = []
    chat_ids: list[str] = []

    def words(n: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(n))

    def event(kind: T, username: str, data: dict[str, Any]) -> StreamEvent:
        n = len(events)
        if payload_types is not None:
            import msgspec

            data = msgspec.convert(data, payload_types[kind])
        return StreamEvent(
            id=f"ev-{n}",
            type=kind,
            channel="nightowlgg",
            username=username,
            timestamp=f"2026-03-14T19:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
            data=data,
        )

    for n in range(count):
        user = f"viewer_{rng.randrange(400)}"
        roll = rng.random()
        if roll < 0.85:
            shape = rng.random()
            if shape < 0.45:
                message = words(rng.randint(1, 8))
            elif shape < 0.65:
                message = " ".join(
                    rng.choice(_EMOTES) if rng.random() < 0.4 else rng.choice(_WORDS)
                    for _ in range(rng.randint(1, 6))
                )
            elif shape < 0.80:
                message = words(rng.randint(30, 80))  # wraps over several lines
            else:
                message = words(rng.randint(3, 12)) + " " + rng.choice(_EMOTES)
            reply = None
            if rng.random() < 0.12 and chat_ids:
                reply = {
                    "chatId": rng.choice(chat_ids),
                    "username": f"viewer_{rng.randrange(400)}",
                    "message": words(rng.randint(2, 20)),
                }
            chat_id = f"chat-{n}"
            chat_ids.append(chat_id)
            data: dict[str, Any] = {
                "message": message,
                "emotes": [],
                "chatId": chat_id,
                "senderIdentity": {
                    "color": rng.choice(_COLORS),
                    "badges": rng.choice(_BADGE_SETS),
                },
                "replyTo": reply,
            }
            events.append(event(T.CHAT, user, data))
            continue
        kind = rng.choice(
            (
                T.FOLLOW, T.FOLLOW, T.SUBSCRIBE, T.GIFT_SUB, T.KICKS, T.BAN, T.BAN,
                T.MESSAGE_DELETED, T.LIVE_START, T.LIVE_END,
            )
        )  # fmt: skip
        if kind is T.FOLLOW:
            events.append(event(kind, user, {"followersCount": rng.randrange(100_000)}))
        elif kind is T.SUBSCRIBE:
            data = {"months": rng.randint(1, 30), "message": words(rng.randint(0, 10))}
            events.append(event(kind, user, data))
        elif kind is T.GIFT_SUB:
            recipients = [f"lucky_{i}" for i in range(rng.choice((1, 5, 20)))]
            data = {
                "gifterUsername": user,
                "giftedCount": len(recipients),
                "recipients": recipients,
            }
            events.append(event(kind, user, data))
        elif kind is T.KICKS:
            data = {"amount": rng.choice((100, 500, 5000)), "giftName": "Hype", "message": "gg"}
            events.append(event(kind, user, data))
        elif kind is T.BAN:
            minutes = rng.choice((None, 10, 60, 1440))
            data = {"target": user, "moderator": "mod_on_duty", "durationMinutes": minutes,
                    "permanent": minutes is None}  # fmt: skip
            events.append(event(kind, user, data))
        elif kind is T.MESSAGE_DELETED:
            events.append(event(kind, "", {"chatId": rng.choice(chat_ids) if chat_ids else "x"}))
        elif kind is T.LIVE_START:
            events.append(event(kind, "nightowlgg", {"title": "Ranked grind " + words(5)}))
        else:
            events.append(event(kind, "nightowlgg", {}))
    return events


_EMOTE_IDS = ("37226", "39261", "37227", "1")


def picture_service(pictures: str) -> Any:
    """An ImageService whose emotes are all decoded (`ready`: the fetcher's answers are made up
    here) or all failed (`failed`: their server refuses connections). Runs a qasync loop until
    it has settled."""
    import asyncio

    import qasync  # type: ignore[import-untyped]
    from PySide6.QtWidgets import QApplication

    from app.kick.images import ImageFetcher, ImageKind
    from app.services.images import ImageService
    from tests.image_files import png_bytes

    colours = ((250, 200, 40, 255), (90, 200, 255, 255), (255, 120, 160, 255), (140, 230, 90, 255))
    answers = {
        emote_id: png_bytes(56 if n % 2 else 28, 28, colours[n])
        for n, emote_id in enumerate(_EMOTE_IDS)
    }

    class MadeUpFetcher(ImageFetcher):
        async def get(self, kind: ImageKind, image_id: str) -> bytes | None:
            return answers.get(image_id)

    fetcher = ImageFetcher if pictures == "failed" else MadeUpFetcher
    images = ImageService(fetcher(base_url="http://127.0.0.1:9"))

    async def load() -> None:
        for emote_id in _EMOTE_IDS:
            images.emote(emote_id, 20)
        await images.settled()
        if pictures == "failed":
            await images.fetcher.aclose()

    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.set_event_loop(loop)
    with loop:  # closed after: its worker threads (the decoding) end before timing begins
        loop.run_until_complete(load())
    asyncio.set_event_loop(None)
    return images


def measure(rows: int, rounds: int, pictures: str = "none") -> dict[str, list[float]]:
    """Per round: layout, paint and paint_warm in µs per row."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QApplication, QListView, QStyleOptionViewItem

    from app.ui.feed_view import EventFeedView
    from app.ui.theme import load_theme

    qapp = QApplication.instance() or QApplication([])
    assert isinstance(qapp, QApplication)
    load_theme(qapp)
    view = EventFeedView()
    if pictures != "none":
        if hasattr(view, "set_images"):
            view.set_images(picture_service(pictures))
        else:  # a checkout from before pictures: its chips are what it draws
            print("no emote pictures in this checkout: chips", file=sys.stderr)
    view.resize(720, 900)
    view.show()
    qapp.processEvents()
    view.add_events(realistic_events(rows))
    list_view = view.list_view
    # the whole list laid out at once, so every scroll position exists before timing
    list_view.setLayoutMode(QListView.LayoutMode.SinglePass)
    list_view.doItemsLayout()
    qapp.processEvents()
    model = list_view.model()
    assert model.rowCount() == rows, model.rowCount()
    delegate = view.delegate
    viewport = list_view.viewport()
    bar = list_view.verticalScrollBar()
    height = viewport.height()
    positions = list(range(0, bar.maximum() + 1, height))

    def painted_rows(position: int) -> int:
        bar.setValue(position)
        first = list_view.indexAt(QPoint(5, 0)).row()
        last_index = list_view.indexAt(QPoint(5, height - 1))
        last = last_index.row() if last_index.isValid() else model.rowCount() - 1
        return last - first + 1

    counts = [painted_rows(p) for p in positions]
    total_painted = sum(counts)
    image = QImage(viewport.size(), QImage.Format.Format_ARGB32_Premultiplied)
    option = QStyleOptionViewItem()
    option.font = list_view.font()
    option.rect = QRect(0, 0, viewport.width(), 24)
    indexes = [model.index(row, 0) for row in range(rows)]
    background = QColor("#121417")

    figures: dict[str, list[float]] = {"layout": [], "paint": [], "paint_warm": []}
    for _ in range(rounds):
        delegate.invalidate(fonts=True)
        started = time.process_time_ns()
        for index in indexes:
            delegate.sizeHint(option, index)
        figures["layout"].append((time.process_time_ns() - started) / 1_000 / rows)

        delegate.invalidate(fonts=True)
        elapsed = 0
        for position in positions:
            bar.setValue(position)
            image.fill(background)
            started = time.process_time_ns()
            viewport.render(image)
            elapsed += time.process_time_ns() - started
        figures["paint"].append(elapsed / 1_000 / total_painted)

        elapsed = 0
        for position in positions:
            bar.setValue(position)
            viewport.render(image)  # fills the row cache for this position
            image.fill(background)
            started = time.process_time_ns()
            viewport.render(image)
            elapsed += time.process_time_ns() - started
        figures["paint_warm"].append(elapsed / 1_000 / total_painted)
    view.close()
    view.deleteLater()
    qapp.processEvents()
    return figures


def run_child(repo: Path, rows: int, rounds: int, pictures: str) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--repo", str(repo), "--json",
               "--rows", str(rows), "--rounds", str(rounds), "--pictures", pictures]  # fmt: skip
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(other: Path, rows: int, rounds: int, alternations: int, pictures: str) -> int:
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    for i in range(alternations):
        order = (("this", OWN_REPO), ("other", other))
        for label, repo in order if i % 2 == 0 else reversed(order):
            result = run_child(repo, rows, rounds, pictures)
            runs[label].append(result)
            print(
                f"  {label:<5} {repo}: layout {result['layout']:.1f}, paint "
                f"{result['paint']:.1f}, paint_warm {result['paint_warm']:.1f} µs/row",
                flush=True,
            )
    # the median of the runs' medians, and the lowest round of all (the least disturbed by
    # other work on the machine)
    print(f"{alternations} runs each, µs per row (this = {OWN_REPO}, other = {other}):")
    for key in ("layout", "paint", "paint_warm"):
        mine = statistics.median(r[key] for r in runs["this"])
        theirs = statistics.median(r[key] for r in runs["other"])
        low = min(r[f"{key}_min"] for r in runs["this"])
        low_other = min(r[f"{key}_min"] for r in runs["other"])
        print(
            f"  {key:<11} median: this {mine:6.1f} other {theirs:6.1f} ({mine / theirs - 1:+.1%})"
            f"   lowest: this {low:6.1f} other {low_other:6.1f} ({low / low_other - 1:+.1%})"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=OWN_REPO, help="the checkout to measure")
    parser.add_argument("--against", type=Path, help="A/B: also measure this checkout")
    parser.add_argument("--alternations", type=int, default=3)
    parser.add_argument("--rows", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--short", action="store_true", help="fewer rows and rounds")
    parser.add_argument("--json", action="store_true", help="one line of medians, for --against")
    parser.add_argument(
        "--pictures",
        choices=("none", "ready", "failed"),
        default="none",
        help="emotes: no image service (chips), every picture decoded, or every one failed",
    )
    args = parser.parse_args()
    if args.short:
        args.rows, args.rounds = min(args.rows, 1_500), min(args.rounds, 3)
    if args.against is not None:
        against = args.against.resolve()
        return compare(against, args.rows, args.rounds, args.alternations, args.pictures)

    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import app

    assert Path(app.__file__).resolve().is_relative_to(repo), app.__file__
    figures = measure(args.rows, args.rounds, args.pictures)
    medians = {key: statistics.median(values) for key, values in figures.items()}
    if args.json:
        lows = {f"{key}_min": min(values) for key, values in figures.items()}
        print(json.dumps(medians | lows))
        return 0
    print(
        f"{repo}: {args.rows:,} rows, {args.rounds} rounds, pictures {args.pictures}; µs per row,"
        " median (min-max)"
    )
    for key, values in figures.items():
        print(f"  {key:<11} {medians[key]:8.1f}  ({min(values):.1f}-{max(values):.1f})")
    verdicts = (
        ("feed_layout", medians["layout"], LAYOUT_TARGET_US),
        ("feed_paint", medians["paint"], PAINT_TARGET_US),
        ("feed_paint_warm", medians["paint_warm"], PAINT_WARM_TARGET_US),
    )
    for name, figure, target in verdicts:
        ok = figure <= target
        print(f"{name}: {figure:.1f} µs per row (target {target:g}) {'ok' if ok else 'MISS'}")
    return 0 if all(figure <= target for _, figure, target in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
