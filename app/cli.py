"""Headless subcommands of `python -m app` (the GUI is the default, see `app.__main__`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from app.core.events import json_lines
from app.kick.normalize import Pipeline


def add_normalize_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="raw Pusher frames (JSONL) -> StreamEvents (JSONL)",
        description="Read raw Kick Pusher frames, one JSON object per line, and write one "
        "StreamEvent JSON object per line for each user event. Frames without a user event print "
        "nothing; a malformed line is reported on stderr as 'line N: ...' and skipped "
        "(exit status 1).",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="frames to read (default: stdin)")
    parser.add_argument(
        "--channel", default="", metavar="SLUG", help="the channel slug to put in every event"
    )
    parser.set_defaults(run=_run_normalize)


def _run_normalize(args: argparse.Namespace) -> int:
    if args.file is None:
        return normalize_stream(sys.stdin.buffer, sys.stdout.buffer, sys.stderr, args.channel)
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after the stream is done
    except OSError as exc:
        print(f"normalize: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with source:
        return normalize_stream(source, sys.stdout.buffer, sys.stderr, args.channel)


def normalize_stream(lines: Iterable[bytes], out: BinaryIO, err: TextIO, channel: str) -> int:
    """Frames in, StreamEvent JSON lines out, line by line (constant memory). Returns the exit
    status: 1 if any line was malformed, else 0."""
    pipeline = Pipeline(channel)
    feed = pipeline.feed
    write = out.write
    status = 0
    try:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                event = feed(line)
            except ValueError as exc:  # FrameError, PayloadError
                print(f"line {number}: {exc}", file=err)
                status = 1
                continue
            if event is not None:
                write(json_lines([event]))
        out.flush()
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other filters
        discard_output(out)
        return 1
    return status


def discard_output(out: BinaryIO) -> None:
    """After the reader has gone away: send what is left to /dev/null, so that the final flush
    at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: no file descriptor
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
