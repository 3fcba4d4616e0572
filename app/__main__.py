"""`python -m app`: the desktop app by default, or a headless subcommand."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from app import __version__

# The subcommands' names, known without importing them: the GUI starts without loading the
# headless commands' modules (the whole network stack; start-up time). A test keeps this in step
# with `build_parser`.
COMMANDS = frozenset({"normalize", "replay", "watch"})

# The desktop app's own options (parsed by `app.application`, which loads Qt: not imported for
# --help). A test keeps this in step with the app's parser, help texts included.
GUI_OPTIONS = {
    "--smoke-test": "build the real window and services, check resources, print one line and exit",
    "--no-auto-connect": "do not connect on launch",
}


def program_name() -> str:
    """How the user started us, for usage lines: the bundle's executable, or `python -m app`."""
    if getattr(sys, "frozen", False):  # PyInstaller
        return Path(sys.executable).name
    return "python -m app"


def build_parser() -> argparse.ArgumentParser:
    from app.cli import HelpFormatter, add_normalize_command, exit_status_help
    from app.replay import add_replay_command
    from app.watch_cli import add_watch_command

    width = max(map(len, GUI_OPTIONS)) + 2
    gui_options = "\n".join(f"  {name:<{width}}{text}" for name, text in GUI_OPTIONS.items())
    parser = argparse.ArgumentParser(
        prog=program_name(),
        usage=f"%(prog)s [{'] ['.join(GUI_OPTIONS)}] [Qt options]\n"
        "       %(prog)s COMMAND ...\n"
        "       %(prog)s -h | --version",
        formatter_class=HelpFormatter,
        description="VMSC for Kick. Without a command, starts the desktop app.",
        epilog=f"desktop app options (without a command):\n{gui_options}\n"
        "  Other options (-platform offscreen, ...) go to Qt.\n\n"
        + exit_status_help(
            (0, "the desktop app's window was closed (or Ctrl-C, SIGTERM), or --smoke-test passed"),
            (
                1,
                "the desktop app cannot start (Qt is missing; the commands still work), "
                "--smoke-test found a problem, or an unexpected error (a Python traceback)",
            ),
            (2, "a bad command line (with a usage message)"),
        )
        + "\n\nEach command's own options and exit status: COMMAND --help.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # prog: the commands' usage lines start with this, not with the whole custom usage above
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog=program_name())
    add_normalize_command(commands)
    add_watch_command(commands)
    add_replay_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Anything that is not a subcommand belongs to the GUI (Qt takes options like -platform).
    if args and (args[0] in COMMANDS or args[0] in ("-h", "--help", "--version")):
        namespace = build_parser().parse_args(args)
        status: int = namespace.run(namespace)
        return status
    return _run_gui(argv)


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def _run_gui(argv: list[str] | None) -> int:
    try:  # imported lazily: the headless commands must not need Qt
        application = importlib.import_module("app.application")
    except ImportError as exc:
        print(
            f"python -m app: the desktop app cannot start ({exc}). "
            "Headless commands still work: python -m app --help",
            file=sys.stderr,
        )
        return 1
    return int(application.main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
