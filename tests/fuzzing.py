"""A seeded, structure-aware fuzzer for every decode path (issue #17): nothing may escape.

Each decode path has its own error type for malformed input; a case *escapes* when anything else
is raised (OverflowError, RecursionError, a bare ValueError, TypeError, ...). The cases are the
sample frames of tests/fixtures/kick-frames with hostile values put in random places (huge and
out-of-range numbers, dates at the calendar's edges, numeric strings past Python's digit limit,
deep nesting, lone surrogates, wrong types), then sometimes byte-level damage on top.

Paths: Pusher frames through the pipeline (and each event encoded as `watch` writes it), the
socket's handshake decoding, Centrifugo messages (one to five `\n`-batched frames: replies, pings,
publications carrying the same samples, disconnects) through a `CentrifugoSession` and on to the
normalizer, `normalize` lines, settings files, channel lookup bodies, and StreamEvent JSON.
`run(cases, seed)` spreads the cases over them and returns the escapes.
"""

from __future__ import annotations

import io
import json
import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.cli import normalize_stream
from app.core.events import EventFormatError, StreamEvent, json_lines
from app.kick.centrifugo_session import CentrifugoSession
from app.kick.channel_lookup import LookupFailed, parse_lookup
from app.kick.normalize import Normalizer
from app.kick.payload_fields import PayloadError
from app.kick.pipeline import Pipeline
from app.kick.pusher_codec import FrameError, decode_frame
from app.settings import SettingsStore
from tests.fixtures import FRAMES_DIR

_DEEP = (40, 200, 900, 985, 990, 1000, 3000)


def _nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


# Hostile JSON values, as JSON text (so that they can be what Python's json cannot produce).
HOSTILE: tuple[str, ...] = (
    "1" + "0" * 311,  # ~1e311: an int no float can hold
    "-" + "9" * 400,
    "1" * 4300,  # the longest int Python's int() still parses
    "18446744073709551616",  # 2**64
    "-9223372036854775809",
    "1e308",
    "-1.7976931348623157e308",
    "1e-320",
    "0",
    "-1",
    "0.5",
    "true",
    "false",
    "null",
    '""',
    '"0"',
    '" 7 "',
    '"' + "9" * 5000 + '"',  # a numeric string past int()'s 4300 digits
    '"' + "1" * 4301 + '"',
    '"9999-12-31T23:59:59-01:00"',  # year 10000 once moved to UTC
    '"0001-01-01T00:00:00+01:00"',  # year 0 once moved to UTC
    '"9999-12-31 23:59:59.999999999 -23:59"',
    '"2026-02-30T00:00:00Z"',
    '"2026-03-14T19:42:07+00:00"',
    '"\\ud800"',  # a lone surrogate
    '"\\u0000\\u001b]0;title\\u0007"',
    '"<img width=3000 height=2000 src=x>"',
    '"[emote:1:a][emote:99999999999999999999999:b]"',
    "[]",
    "{}",
    '[{"count":"' + "9" * 5000 + '"}]',
    '{"username":' + "1" * 300 + "}",
    '{"id":null,"username":[]}',
    *(_nested(depth, kind) for depth in _DEEP for kind in ("list", "dict")),
)


def _sample_frames() -> list[dict[str, Any]]:
    frames = []
    for path in sorted(FRAMES_DIR.glob("*.json")):
        frame = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(frame, dict):
            frames.append(frame)
    return frames


class _Raw:
    """JSON text to splice in as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _dump(value: Any) -> str:
    """JSON text for `value`, with `_Raw` parts spliced in verbatim (json.dumps does the rest: a
    placeholder string per part, replaced afterwards)."""
    parts: list[str] = []

    def placeholder(raw: _Raw) -> str:
        parts.append(raw.text)
        return f"\x00{len(parts) - 1}\x00"

    def walk(item: Any) -> Any:
        if isinstance(item, _Raw):
            return placeholder(item)
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    text = json.dumps(walk(value), separators=(",", ":"))
    for index, part in enumerate(parts):
        text = text.replace(f'"\\u0000{index}\\u0000"', part, 1)
    return text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    if isinstance(value, list):
        return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]
    return value  # the path went into a part an earlier mutation replaced


_KEYS = ("id", "created_at", "sender", "username", "content", "count", "months", "livestream")


@dataclass
class _Sample:
    frame: dict[str, Any]
    frame_paths: list[tuple[Any, ...]]
    payload: Any  # `data` decoded, when it is a JSON string; else None
    payload_paths: list[tuple[Any, ...]]


def _samples() -> list[_Sample]:
    samples = []
    for frame in _sample_frames():
        data = frame.get("data")
        payload = None
        if isinstance(data, str):
            try:
                payload = json.loads(data)
            except ValueError:
                payload = None
        samples.append(_Sample(frame, _paths(frame), payload, _paths(payload)))
    return samples


@dataclass
class Mutator:
    rng: random.Random
    samples: list[_Sample] = field(default_factory=_samples)

    def hostile(self) -> _Raw:
        return _Raw(self.rng.choice(HOSTILE))

    def mutate(self, value: Any, paths: list[tuple[Any, ...]] | None = None) -> Any:
        """`value` with 1-3 hostile values in random places (`paths`: value's, if known)."""
        rng = self.rng
        if paths is None:
            paths = _paths(value)
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.2 and isinstance(value, dict):  # add a known key
                value = {**value, rng.choice(_KEYS): self.hostile()}
            else:
                value = _replace(value, rng.choice(paths), self.hostile())
        return value

    def frame(self) -> bytes:
        """One fuzzed Pusher frame (a text line, no newline)."""
        rng = self.rng
        sample = rng.choice(self.samples)
        frame = sample.frame
        roll = rng.random()
        if sample.payload is not None and roll < 0.75:
            payload = self.mutate(sample.payload, sample.payload_paths)
            frame = dict(frame)
            if rng.random() < 0.7:  # double-encoded, as Kick sends it
                frame["data"] = _dump(payload)
            else:  # an object, as lenient servers send it
                frame["data"] = payload
        elif roll < 0.9:
            frame = self.mutate(frame, sample.frame_paths)
        text = _dump(frame).encode("utf-8", "surrogatepass")
        if rng.random() < 0.15:
            text = self.damage(text)
        return text

    def handshake(self) -> bytes:
        rng = self.rng
        body: dict[str, Any] = {"socket_id": "1.2", "activity_timeout": self.hostile()}
        if rng.random() < 0.3:
            body = self.mutate(body)
        event = rng.choice(
            ("pusher:connection_established", "pusher:error", "pusher:subscription_error")
        )
        if event != "pusher:connection_established":
            body = {"code": self.hostile(), "message": self.hostile()}
        data = _dump(body)
        wrapped = json.dumps(data) if rng.random() < 0.5 else data
        text = f'{{"event":"{event}","channel":"c","data":{wrapped}}}'.encode(
            "utf-8", "surrogatepass"
        )
        return self.damage(text) if rng.random() < 0.1 else text

    def centrifugo(self) -> bytes:
        """One fuzzed Centrifugo WebSocket message: 1-5 frames separated by `\n`."""
        rng = self.rng
        frames = [self.centrifugo_frame() for _ in range(rng.choice((1, 1, 1, 2, 3, 5)))]
        text = b"\n".join(frames)
        return self.damage(text) if rng.random() < 0.1 else text

    def centrifugo_frame(self) -> bytes:
        rng = self.rng
        roll = rng.random()
        frame: dict[str, Any]
        if roll < 0.6:  # a publication carrying one of the Pusher samples' events
            sample = rng.choice(self.samples)
            event = sample.frame.get("event", "App\\Events\\ChatMessageEvent")
            data = sample.frame.get("data")
            if sample.payload is not None and rng.random() < 0.6:
                payload = self.mutate(sample.payload, sample.payload_paths)
                data = _dump(payload) if rng.random() < 0.7 else payload
            inner: Any = {"event": event, "data": data}
            if rng.random() < 0.15:  # the lenient form: the publication's data as a JSON string
                inner = _dump(inner)
            channel = sample.frame.get("channel", "chatrooms.1.v2")
            frame = {"push": {"channel": channel, "pub": {"data": inner}}}
        else:
            frame = rng.choice(_CENTRIFUGO_FRAMES)
        if rng.random() < 0.5:
            frame = self.mutate(frame)
        text = _dump(frame).encode("utf-8", "surrogatepass")
        return self.damage(text) if rng.random() < 0.1 else text

    def damage(self, text: bytes) -> bytes:
        rng = self.rng
        data = bytearray(text)
        for _ in range(rng.randint(1, 4)):
            if not data:
                break
            pos = rng.randrange(len(data))
            op = rng.random()
            if op < 0.4:
                data[pos] = rng.randrange(256)
            elif op < 0.7:
                del data[pos : pos + rng.randint(1, 8)]
            elif op < 0.9:
                data[pos:pos] = rng.choice((b"\xff", b"\x00", b"\\", b'"', b"[", b"\xef\xbb\xbf"))
            else:
                del data[pos:]
        return bytes(data)

    def settings_text(self) -> bytes:
        rng = self.rng
        base: dict[str, Any] = {
            "kick_slug": "nightowlgg",
            "kick_channel_id": 5120934,
            "kick_chatroom_id": 5079311,
            "kick_display_name": "NightOwlGG",
            "kick_cached_slug": "nightowlgg",
            "auto_connect": True,
            "window_geometry": None,
            "schema_version": 1,
        }
        text = _dump(self.mutate(base)).encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:
            text = b"\xef\xbb\xbf" + text
        if rng.random() < 0.3:
            text = self.damage(text)
        return text

    def lookup_body(self) -> bytes:
        base: dict[str, Any] = {
            "id": 5120934,
            "user_id": 1,
            "slug": "nightowlgg",
            "user": {"id": 1, "username": "NightOwlGG"},
            "chatroom": {"id": 5079311},
            "livestream": {"is_live": True, "viewer_count": 5, "session_title": "t"},
            "followers_count": 10,
        }
        text = _dump(self.mutate(base)).encode("utf-8", "surrogatepass")
        return self.damage(text) if self.rng.random() < 0.2 else text


# Replies and pushes of the Centrifugo protocol (ids 1-6: connect, then the five subscribes).
_CENTRIFUGO_FRAMES: tuple[dict[str, Any], ...] = (
    {},  # the server's ping
    {"id": 1, "connect": {"client": "c", "version": "6", "ping": 25, "pong": True}},
    {"id": 1, "connect": {"client": "c", "ping": 25, "pong": True, "expires": True, "ttl": 2700}},
    {"id": 1, "error": {"code": 109, "message": "token expired", "temporary": False}},
    {"id": 1, "error": {"code": 100, "message": "internal", "temporary": True}},
    {"id": 2, "subscribe": {}},
    {"id": 4, "error": {"code": 103, "message": "permission denied"}},
    {"id": 7, "refresh": {"client": "c", "expires": True, "ttl": 2700}},
    {"id": 7, "error": {"code": 109, "message": "token expired"}},
    {"push": {"disconnect": {"code": 3001, "reason": "shutdown"}}},
    {"push": {"disconnect": {"code": 3501, "reason": "bad request"}}},
    {"push": {"channel": "chatrooms.1.v2", "unsubscribe": {"code": 2500}}},
    {"push": {"channel": "chatrooms.1.v2", "join": {"info": {"user": "u"}}}},
    {"push": {"channel": "chatrooms.1.v2", "pub": {"data": {"event": "E", "data": "{}"}}}},
)


@dataclass
class Escape:
    path: str
    case: bytes
    error: BaseException

    def __str__(self) -> str:
        return f"{self.path}: {type(self.error).__name__}: {self.error} <- {self.case[:200]!r}"


class _Escaped(Exception):
    pass


def run(cases: int, seed: int, workdir: Path | None = None) -> tuple[int, list[Escape]]:
    """`cases` fuzz cases over every path; (cases run, escapes)."""
    rng = random.Random(seed)
    mutator = Mutator(rng)
    pipeline = Pipeline("fuzz")
    normalizer = Normalizer("fuzz")
    escapes: list[Escape] = []
    temp = tempfile.TemporaryDirectory() if workdir is None else None
    root = Path(temp.name) if temp is not None else workdir
    assert root is not None
    store = SettingsStore(root / "cfg")
    ran = 0

    def attempt(path: str, case: bytes, body: Callable[[], object], count: int = 1) -> None:
        nonlocal ran
        ran += count
        try:
            body()
        except Exception as exc:  # anything here is an escape
            escapes.append(Escape(path, case, exc))

    logging.disable(logging.CRITICAL)  # bad input is logged by design: millions of lines
    try:
        while ran < cases:
            roll = rng.random()
            if roll < 0.50:
                frame = mutator.frame()
                attempt("pipeline", frame, lambda f=frame: _feed(pipeline, f))
            elif roll < 0.58:
                frame = mutator.handshake()
                attempt("handshake", frame, lambda f=frame: _decode(f))
            elif roll < 0.72:
                message = mutator.centrifugo()
                connected = rng.random() < 0.7
                attempt(
                    "centrifugo",
                    message,
                    lambda m=message, c=connected: _centrifugo(normalizer, m, c),
                    message.count(b"\n") + 1,  # a case a frame
                )
            elif roll < 0.80:
                lines = [mutator.frame() for _ in range(20)]
                blob = b"\n".join(lines)
                attempt("normalize", blob, lambda b=blob: _normalize(b), len(lines))
            elif roll < 0.83:
                text = mutator.settings_text()
                attempt("settings", text, lambda t=text: _settings(store, t))
            elif roll < 0.95:
                body = mutator.lookup_body()
                attempt("lookup", body, lambda b=body: _lookup(b))
            else:
                frame = mutator.frame()
                attempt("stream-event", frame, lambda f=frame: _stream_event(f))
    finally:
        logging.disable(logging.NOTSET)
        if temp is not None:
            temp.cleanup()
    return ran, escapes


def _feed(pipeline: Pipeline, frame: bytes) -> None:
    try:
        event = pipeline.feed(frame)
    except (FrameError, PayloadError):
        return
    if event is not None:
        json_lines([event])  # as `watch` and `normalize` write it


def _decode(frame: bytes) -> None:
    try:
        message = decode_frame(frame)
    except FrameError:
        return
    timeout = getattr(message, "activity_timeout", None)
    if timeout is not None:
        min(120.0, timeout)


_CHANNELS = ("chatrooms.1.v2", "chatroom_1", "channel.2", "channel_2", "predictions-channel-2")
_CONNECTED = b'{"id":1,"connect":{"client":"c","ping":25,"pong":true,"expires":true,"ttl":2700}}'


def _centrifugo(normalizer: Normalizer, message: bytes, connected: bool) -> None:
    """One message through a fresh session (connect sent; the reply already in when
    `connected`, so the subscribes are pending), its timers, and its events through the
    normalizer as the driver hands them on."""
    session = CentrifugoSession("eyJ.t.k", _CHANNELS, _CHANNELS[0])
    session.start(0.0)
    if connected:
        session.receive(_CONNECTED, 0.0)
    for event in session.receive(message, 1.0):
        try:
            stream_event = normalizer.normalize(event)
        except PayloadError:
            continue
        if stream_event is not None:
            json_lines([stream_event])
    for now in (1.0, 1e6):
        session.tick(now)
        deadline = session.next_deadline()
        if deadline is not None:
            session.tick(deadline)
        if session.refresh_wanted:
            session.refresh("eyJ.t.k2", now)
    session.take_outgoing()


def _normalize(blob: bytes) -> None:
    out = io.BytesIO()
    err = io.StringIO()
    status = normalize_stream(io.BytesIO(blob), out, err, "fuzz")  # type: ignore[arg-type]
    if status not in (0, 1):
        raise _Escaped(f"normalize exit status {status}")
    reported = err.getvalue().count("\n")
    written = out.getvalue().count(b"\n")
    lines = len([line for line in blob.split(b"\n") if line.strip()])
    if reported + written > lines or (status == 1) != (reported > 0):
        raise _Escaped(f"{lines} lines, {written} written, {reported} reported, status {status}")


def _settings(store: SettingsStore, text: bytes) -> None:
    store.dir.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(text)
    store.load()
    for leftover in store.dir.iterdir():
        leftover.unlink()


def _lookup(body: bytes) -> None:
    try:
        parse_lookup("nightowlgg", 200, {"content-type": "application/json"}, body)
    except LookupFailed:
        return


def _stream_event(frame: bytes) -> None:
    try:
        StreamEvent.from_json(frame)
    except EventFormatError:
        return
