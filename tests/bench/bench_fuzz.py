"""The decode paths under a long seeded fuzz run (issue #17): nothing may escape.

    python tests/bench/bench_fuzz.py [--cases 1000000] [--seed 17] [--short]

The cases of tests/fuzzing.py (the suite runs 50,000 of them): Pusher frames through the
pipeline, the handshake's decoding, Centrifugo messages (`\\n`-batched frames) through a session
and the normalizer, `normalize` lines, settings files, lookup bodies and StreamEvent JSON.
Target: 0 escaped. The first escapes, if any, are printed before the verdict.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests import fuzzing  # noqa: E402 - after the path is set


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--short", action="store_true", help="200,000 cases")
    args = parser.parse_args()
    if args.short:
        args.cases = min(args.cases, 200_000)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        ran, escapes = fuzzing.run(args.cases, args.seed, Path(work))
    seconds = time.monotonic() - started
    for escape in escapes[:20]:
        print(f"escaped: {escape}")
    print(f"{ran:,} cases in {seconds:.0f} s (seed {args.seed})")
    verdict = "ok" if not escapes else "MISS"
    print(f"fuzz: {ran} cases, {len(escapes)} escaped (target 0) {verdict}")
    return 0 if not escapes else 1


if __name__ == "__main__":
    sys.exit(main())
