"""Headless subcommands of `python -m app` (the GUI is the default, see `app.__main__`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import textwrap
from collections.abc import Iterable
from typing import BinaryIO, TextIO

from app.core.events import json_lines
from app.kick.pipeline import Pipeline

# C0 and C1 control characters (ESC, CR, LF, BEL, DEL, CSI, ...), line and paragraph separators,
# and the bidirectional overrides and isolates that reorder the text shown after them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_safe(text: str) -> str:
    """`text` with every character that could drive a terminal or fake a line written as a
    visible escape, as Python writes it (`\\x1b`, `\\r`, `\\u202e`): for anything headless
    commands print to the terminal that came from the network or from input files. Backslashes
    are left as they are."""
    return _UNSAFE.sub(_escape, text)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps each line of a description or epilog on its own, so tables keep their rows; a row
    `TERM  text` (two or more spaces after TERM) that wraps continues under its text."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = []
        for line in text.splitlines():
            body = line.lstrip(" ")
            lead = indent + line[: len(line) - len(body)]
            term = _TERM.match(body)
            hang = lead + " " * (term.end() if term else 0)
            lines.append(textwrap.fill(body, width, initial_indent=lead, subsequent_indent=hang))
        return "\n".join(lines)


_TERM = re.compile(r"\S+ {2,}")


def exit_status_help(*rows: tuple[int, str]) -> str:
    """The "exit status:" table of an --help epilog."""
    return "exit status:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in rows)


def add_normalize_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="raw Pusher frames (JSONL) -> StreamEvents (JSONL)",
        formatter_class=HelpFormatter,
        description="Read raw Kick Pusher frames, one JSON object per line, and write one "
        "StreamEvent JSON object per line for each user event. Frames without a user event print "
        "nothing; a malformed line is reported on stderr as 'line N: ...' and skipped.",
        epilog=exit_status_help(
            (0, "every line was read (blank lines and frames without a user event included)"),
            (
                1,
                "a line was malformed (reported and skipped), or the reader closed the output "
                "before the end (`| head`)",
            ),
            (2, "FILE cannot be read, or a bad command line (with a usage message)"),
        ),
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="frames to read (default: stdin)")
    parser.add_argument(
        "--channel",
        default="",
        metavar="SLUG",
        help='the channel slug to put in every event\'s "channel" (lower-cased); frames do not '
        'carry it, so without --channel every event has "channel": ""',
    )
    parser.set_defaults(run=_run_normalize)


def _run_normalize(args: argparse.Namespace) -> int:
    if args.file is None:
        return normalize_stream(sys.stdin.buffer, sys.stdout.buffer, sys.stderr, args.channel)
    try:
        source = open(args.file, "rb")  # noqa: SIM115 - closed below, after the stream is done
    except OSError as exc:
        reason = terminal_safe(f"{args.file}: {exc.strerror or exc}")
        print(f"normalize: cannot read {reason}", file=sys.stderr)
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
                print(f"line {number}: {terminal_safe(str(exc))}", file=err)
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
