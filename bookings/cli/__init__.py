"""The `bookings` command (shared/CLI.md): main here; each subject's commands in its module."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bookings import config
from bookings.cli import bookings, exports, settings, uploads, users
from bookings.cli.common import EXIT_BUSY, EXIT_OK, EXIT_REFUSED, Command, store_for
from bookings.errors import MissingRight, Refused
from bookings.store import StoreBusy, StoreError

# The subjects, in the order `bookings --help` lists their commands.
SUBJECTS = (bookings, settings, uploads, exports, users)

# Exit codes of what a command may raise, the first match wins: 1 refused or bad input,
# 3 the store held by another process (2, wrong usage, is argparse's own).
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (StoreBusy, EXIT_BUSY),
    (StoreError, EXIT_REFUSED),
    (Refused, EXIT_REFUSED),
)
ANSWERED = tuple(kind for kind, _ in EXIT_CODES)  # anything else is a bug: its traceback


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print exactly one JSON document")
    parser = argparse.ArgumentParser(
        prog="bookings", parents=[common],
        description="Bookings Overview: the bookings of a salon, from the command line.",
    )
    parser.add_argument("--db", type=Path, default=None,
                        help="the store file (default: $BOOKINGS_DB, else data/bookings.duckdb)")
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    group_help = {name: text for subject in SUBJECTS
                  for name, text in subject.commands.groups.items()}
    groups: dict[str, argparse._SubParsersAction] = {}

    def actions_of(name: str) -> argparse._SubParsersAction:
        if name not in groups:
            group = top.add_parser(name, parents=[common], help=group_help[name])
            groups[name] = group.add_subparsers(required=True, metavar="ACTION")
        return groups[name]

    for subject in SUBJECTS:
        for command in subject.commands.commands:
            *group, name = command.path
            where = actions_of(*group) if group else top
            sub = where.add_parser(name, parents=[common], help=command.help,
                                   description=command.help)
            for add in command.arguments:
                add(sub)
            sub.set_defaults(chosen=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    command: Command = args.chosen
    if unknown and not command.takes_unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown = unknown
    args.json = getattr(args, "json", False)
    args.db = args.db or config.default_db_path()
    try:
        with store_for(command, args.db, args) as con:
            return command.handler(args, con) or EXIT_OK
    except ANSWERED as exc:
        return _fail(args, exc)


def _fail(args, exc: Exception) -> int:
    """Say why, on stderr or as the one JSON document; the exit code that says what kind."""
    message, extra = str(exc), {}
    if isinstance(exc, MissingRight):
        # Words first; the right's name after, for whoever grants it with `users grant`.
        message, extra = f"{message} (right: {exc.right.value})", {"right": exc.right.value}
    if args.json:
        print(json.dumps({"error": message, **extra}, ensure_ascii=False))
    else:
        print(f"bookings: {message}", file=sys.stderr)
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
