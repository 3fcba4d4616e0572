"""Seeded fuzzing of every decode path (issue #17): malformed input raises the path's own error
type or nothing; no other exception escapes. 50,000 cases here (a few seconds); the larger run
is tests/bench/bench_fuzz.py."""

from __future__ import annotations

from pathlib import Path

from tests import fuzzing

CASES = 50_000
SEED = 17


def test_no_exception_escapes_any_decode_path(tmp_path: Path) -> None:
    ran, escapes = fuzzing.run(CASES, SEED, tmp_path)
    assert ran >= CASES
    assert not escapes, "\n".join(map(str, escapes[:10]))


def test_the_fuzzer_reaches_every_path_and_its_hostile_values(tmp_path: Path) -> None:
    # The fuzzer must be able to fail: the cases it makes reach each path and include the
    # values that used to escape (a 300-digit activity_timeout, a year-10000 created_at, deep
    # nesting, a Centrifugo id past int()'s 4,300 digits).
    mutator = fuzzing.Mutator(fuzzing.random.Random(SEED))
    frames = [mutator.frame() for _ in range(3000)]
    handshakes = [mutator.handshake() for _ in range(300)]
    messages = [mutator.centrifugo() for _ in range(3000)]
    assert sum(b"\n" in m for m in messages) > 500  # batched frames
    assert any(b'"pub":{"data":{"event":"App\\\\Events\\\\ChatMessageEvent"' in m for m in messages)
    assert any(b'"id":"' + b"9" * 5000 in m for m in messages)
    assert any(b'"ping":1' + b"0" * 311 in m for m in messages)
    assert any(b'"9999-12-31T23:59:59-01:00' in f for f in frames)
    assert any(b"[" * 985 in f for f in frames)
    assert any(b'"activity_timeout":1' + b"0" * 311 in h for h in handshakes)
    assert len(fuzzing.HOSTILE) > 40
