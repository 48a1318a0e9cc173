"""The `bookings` command (shared/CLI.md): main here; each subject's commands in its module.

Next to the running app: a command that finds the store held asks the app to run it
(`main`, through bookings/cli/channel.py), and the app runs it with `answer`: the same
parser, the same handlers, on the app's own connection.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bookings import config
from bookings.cli import bookings, channel, exports, settings, uploads, users
from bookings.cli.common import (
    EXIT_BUSY,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    Command,
    stderr_of,
    stdout_of,
    store_for,
)
from bookings.errors import MissingRight, Refused
from bookings.store import Connection, StoreBusy, StoreError, location

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
log = logging.getLogger(__name__)
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell says it


class _Parser(argparse.ArgumentParser):
    """argparse, printing its usage, help and errors to the streams of this run."""

    stdout: TextIO | None = None
    stderr: TextIO | None = None

    def _print_message(self, message, file=None):
        if file is None or file is sys.stderr:
            file = self.stderr or file
        elif file is sys.stdout:
            file = self.stdout or file
        super()._print_message(message, file)


def build_parser(stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> argparse.ArgumentParser:
    """The command line's parser; its help and usage errors go to STDOUT and STDERR
    (default: the process's own, as they are when printed)."""
    kind = type("Parser", (_Parser,), {"stdout": stdout, "stderr": stderr})
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print exactly one JSON document")
    parser = kind(
        prog="bookings", parents=[common],
        description="Bookings Overview: the bookings of a salon, from the command line.",
    )
    parser.add_argument("--db", type=location, default=None,
                        help="the store file, or a postgresql:// URL (default: $BOOKINGS_DB, "
                             "else data/bookings.duckdb)")
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


@dataclass(frozen=True)
class InApp:
    """A command the running app runs for a `bookings` process: the app's connection
    (CONNECT returns it) instead of opening the file, that process's input, output and
    folder."""

    connect: Callable[[], Connection]
    db: Path
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    cwd: Path


def main(argv: list[str] | None = None, *, in_app: InApp | None = None) -> int:
    """Run a command line. A store held by another process: the running app is asked
    to run it (the same output, the same exit code), and exit 3 only when none answers.
    IN_APP: this is the app, running it for such a process."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(*((in_app.stdout, in_app.stderr) if in_app else ()))
    args, unknown = parser.parse_known_args(argv)
    command: Command = args.chosen
    if unknown and not command.takes_unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown = unknown
    args.json = getattr(args, "json", False)
    if in_app is not None:
        if args.db is not None:
            parser.error("--db: the app runs commands on the store it serves, no other")
        args.db = in_app.db
        args.stdin, args.stdout, args.stderr = in_app.stdin, in_app.stdout, in_app.stderr
        args.cwd = in_app.cwd
    args.db = args.db or config.default_db_path()
    args.in_app = in_app is not None
    opened = False
    try:
        if in_app is not None and not command.through_app:
            raise NotThroughApp(args.db, " ".join(command.path))
        given = in_app.connect() if in_app is not None else None
        with store_for(command, args.db, args, given=given) as con:
            opened = True
            return command.handler(args, con) or EXIT_OK
    except StoreBusy as busy:
        if opened or in_app is not None:
            return _fail(args, busy)
        return _through_app(args, argv, busy)
    except ANSWERED as exc:
        return _fail(args, exc)


class NotThroughApp(StoreBusy):
    """A command the app does not run for others (`init`, `demo`, `serve`): it needs the
    file to itself."""

    def __init__(self, path: Path, name: str):
        StoreError.__init__(
            self, f"The store {path} is held by the running app, and `bookings {name}` is "
                  "not run through it: stop the app first.")
        self.path, self.holder = path, "the running app"


def _fail(args, exc: Exception) -> int:
    """Say why, on stderr or as the one JSON document; the exit code that says what kind."""
    message, extra = str(exc), {}
    if isinstance(exc, MissingRight):
        # Words first; the right's name after, for whoever grants it with `users grant`.
        message, extra = f"{message} (right: {exc.right.value})", {"right": exc.right.value}
    if args.json:
        print(json.dumps({"error": message, **extra}, ensure_ascii=False), file=stdout_of(args))
    else:
        print(f"bookings: {message}", file=stderr_of(args))
    return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))


# --- next to the running app --------------------------------------------------------


def _through_app(args, argv: list[str], busy: StoreBusy) -> int:
    """The store is held: have the app holding it run the command, print what it
    printed, exit as it exited. Exit 3 as before when no app answers."""
    where = channel.socket_path(args.db)
    # What the command will read from standard input, read here (one line: the password).
    given = sys.stdin.readline() if getattr(args, "password_stdin", False) else ""
    request = {"argv": without_db(argv), "stdin": given, "cwd": os.getcwd()}
    try:
        answer = channel.ask(where, request)
    except channel.NoApp as unanswered:
        return _fail(args, StoreBusy(busy.path, busy.holder, unanswered=str(unanswered)))
    except KeyboardInterrupt:
        # Ctrl-C ends this process only: the app finishes what it began.
        print("bookings: interrupted (the running app finishes the command)", file=sys.stderr)
        return EXIT_INTERRUPTED
    sys.stdout.write(answer["stdout"])
    sys.stderr.write(answer["stderr"])
    return answer["code"]


def without_db(argv: list[str]) -> list[str]:
    """ARGV without its --db PATH (the options before the command: --db is the main
    parser's, so it stands only there, however abbreviated)."""
    kept, words = [], iter(argv)
    for word in words:
        if not word.startswith("-") or word == "--":
            kept.append(word)
            kept += list(words)
            break
        name = word.split("=", 1)[0]
        if len(name) >= 3 and "--db".startswith(name):
            if "=" not in word:
                next(words, None)
            continue
        kept.append(word)
    return kept


def answer(request: dict, connect: Callable[[], Connection], db: Path) -> dict:
    """The app's answer to a request of the channel (bookings/cli/channel.py): the
    command line run as `bookings` runs it, on the app's connection to DB (CONNECT
    returns it; a cursor of it per command), its output captured in streams of its own.

    Every command writes to the streams it is given (never sys.stdout), so commands
    run at once on the app's threads, a long import beside a password reset, without
    mixing their output or anyone else's.
    """
    argv, given, cwd = request.get("argv"), request.get("stdin", ""), request.get("cwd")
    if (not isinstance(argv, list) or not all(isinstance(word, str) for word in argv)
            or not isinstance(given, str) or not isinstance(cwd, str)
            or not os.path.isabs(cwd)):
        return {"code": EXIT_USAGE, "stdout": "",
                "stderr": 'bookings: a request is {"argv": [...], "stdin": "...", '
                          '"cwd": "/absolute/folder"}\n'}
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(argv, in_app=InApp(connect, Path(db), io.StringIO(given), out, err,
                                       Path(cwd)))
    except SystemExit as usage:  # argparse: --help (0), wrong usage (2)
        code = usage.code if isinstance(usage.code, int) else EXIT_USAGE
    except Exception:  # noqa: BLE001 - a bug: its traceback, as the command would show it
        log.exception("`bookings %s` through the channel", " ".join(argv))
        traceback.print_exc(file=err)
        code = EXIT_REFUSED
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
