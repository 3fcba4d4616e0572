"""`python -m app watch`'s command line: its options, their checks and help, and the logging it
sets up before running `watch.watch`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from typing import Any

from app.cli import HelpFormatter, exit_status_help, terminal_safe
from app.kick import constants
from app.kick.realtime import AUTO, PROVIDERS
from app.kick.slug import canonical_slug
from app.relay.address import ListenAddress
from app.watch import watch


def serve_address(text: str) -> ListenAddress:
    """argparse type of `--serve [HOST:]PORT`; an empty value is 127.0.0.1 on the default port
    ($VMSC_RELAY_PORT, else 7582)."""
    from app.relay.address import DEFAULT_HOST, default_port, parse_listen_address

    try:
        if not text:
            return ListenAddress(DEFAULT_HOST, default_port())
        return parse_listen_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive id")
    return value


_WATCH_EXIT_STATUS = exit_status_help(
    (0, "stopped: Ctrl-C, SIGTERM, or the reader closed the output (`| head`)"),
    (1, "an unexpected error (a Python traceback on stderr)"),
    (
        2,
        'an error retrying cannot fix, named on the last "state: error (...)" line: no channel '
        "of that name, an invalid username, the lookup blocked with no ids to go on (give "
        "--chatroom-id and --channel-id), a fatal Pusher close (4000-4099; 4001 only once "
        "rediscovering the key did not help), a Centrifugo disconnect 3500-3999 that a fresh "
        "negotiation and token did not cure, a bad WebSocket URL or proxy setting; or a bad "
        "command line (with a usage message)",
    ),
)


def add_watch_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "watch",
        help="connect to a Kick channel and print its events as JSON lines",
        formatter_class=HelpFormatter,
        description="Connect to SLUG's public chat and channel events and print one StreamEvent "
        "JSON per line on stdout; state changes go to stderr. Losing the network, timeouts and "
        "server restarts are retried forever, with backoff.",
        epilog=_WATCH_EXIT_STATUS,
    )
    parser.add_argument("slug", metavar="SLUG", help="the Kick username / channel slug")
    parser.add_argument(
        "--chatroom-id", type=_positive_int, help="skip the lookup (with --channel-id)"
    )
    parser.add_argument(
        "--channel-id", type=_positive_int, help="skip the lookup (with --chatroom-id)"
    )
    parser.add_argument(
        "--provider",
        choices=PROVIDERS,
        default=AUTO,
        help="Kick's realtime service: auto (what Kick's negotiation offers: Centrifugo, else "
        "Pusher), pusher or centrifugo (default: auto)",
    )
    add_serve_option(parser)
    parser.add_argument(
        "--session-log",
        action="store_true",
        help="also append every event to a session log, one JSON-lines file per connection, in "
        "the folder the desktop app uses ($VMSC_CONFIG_DIR/sessions, else the user data folder; "
        "`replay` plays them back). Off by default: stdout has every event already",
    )
    parser.set_defaults(run=_run_watch, usage_error=parser.error)


def add_serve_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serve",
        nargs="?",
        const="",
        type=serve_address,
        metavar="[HOST:]PORT",
        help="also run the local event server (overlays for OBS, the /events WebSocket) on "
        "127.0.0.1:PORT, or HOST:PORT (another address than 127.0.0.1 needs the token for "
        "everything); without a value $VMSC_RELAY_PORT or 7582",
    )


def missing_id_message(slug: str, chatroom_id: int | None, channel_id: int | None) -> str | None:
    """What the command line lacks when it gives only one of the two ids, else None. A lone id
    saves nothing: the lookup that could find the other one gives both, and where it is blocked
    (the reason to type ids) the other one cannot be had either."""
    if (chatroom_id is None) == (channel_id is None):
        return None
    lookup = (
        f"{os.environ.get(constants.ENV_KICK_API_URL) or constants.DEFAULT_API_URL}"
        f"/api/v2/channels/{canonical_slug(slug)}"
    )
    if channel_id is None:
        return (
            "--chatroom-id needs --channel-id too (live start/end, follows and Kicks arrive on "
            "channel.N and channel_N, and the channel id finds Kick's Pusher key). Kick's lookup "
            f'{lookup} has it as "id"; or give neither option and watch looks both up.'
        )
    return (
        "--channel-id needs --chatroom-id too (chat, subs, gifts, bans, hosts and rewards arrive "
        f'on chatrooms.N.v2 and chatroom_N). Kick\'s lookup {lookup} has it as "chatroom.id"; '
        "or give neither option and watch looks both up."
    )


class _TerminalSafeFormatter(logging.Formatter):
    """Log lines carry network text too (reasons): escaped like the state lines, each line of a
    traceback on its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return "\n".join(map(terminal_safe, super().formatException(ei).split("\n")))

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(map(terminal_safe, super().formatStack(stack_info).split("\n")))


def _run_watch(args: argparse.Namespace) -> int:
    problem = missing_id_message(args.slug, args.chatroom_id, args.channel_id)
    if problem is not None:
        args.usage_error(terminal_safe(problem))  # exits 2, after the usage line
    handler = logging.StreamHandler()
    handler.setFormatter(_TerminalSafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    return asyncio.run(
        watch(
            args.slug,
            args.chatroom_id,
            args.channel_id,
            serve=args.serve,
            provider=args.provider,
            session_log=args.session_log,
        )
    )
