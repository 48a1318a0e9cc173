"""What the commands share: exit codes, how a command is declared, argument types,
output, the acting user, the filter flags, and opening the store.

A command reads and writes through its `args`: `stdout_of(args)`, `stderr_of(args)`,
`stdin_of(args)`, and the files named on its command line through `local_path(args,
name)`. Run by `bookings` itself, these are the process's own streams and folder; run by
the app for a `bookings` process that found the store held (bookings/cli/channel.py),
they are that process's answer and folder, while other commands run beside it on the
app's other threads: nothing process-wide (sys.stdout, the working folder) is changed."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from bookings import auth, listing
from bookings.errors import Refused
from bookings.filters import (
    FILTER_FIELDS,
    NONE,
    BookingFilter,
    FilterError,
    parse_category,
    parse_hour,
    parse_weekday,
)
from bookings.model import SYSTEM, User
from bookings.store import Connection, open_store, reading_only
from bookings.values import plain_amount

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


# --- declaring a command ----------------------------------------------------------

# How a command opens the store. READ_WRITE creates a missing file and migrates an old
# one; READ_ONLY needs a file of this version and never changes it; NO_STORE opens none.
READ_WRITE, READ_ONLY, NO_STORE = "read-write", "read-only", "no store"

ArgumentAdder = Callable[[argparse.ArgumentParser], object]
Handler = Callable[[argparse.Namespace, Connection | None], int | None]


def arg(*names: str, **options) -> ArgumentAdder:
    """An argument of a command, as argparse's add_argument takes it."""
    return lambda parser: parser.add_argument(*names, **options)


def user_flag(help_text: str, *, required: bool = False) -> ArgumentAdder:
    """--user LOGIN: who acts (required by the commands that change data)."""
    return arg("--user", required=required, metavar="LOGIN", help=help_text)


@dataclass(frozen=True)
class Command:
    """One action of `bookings`: where it sits (`staff add` is ("staff", "add")), its
    arguments, its handler, and how it opens the store."""

    path: tuple[str, ...]
    help: str
    arguments: tuple[ArgumentAdder, ...]
    handler: Handler
    store: str
    takes_unknown: bool = False  # `serve`: arguments it does not know go to streamlit
    # A reader that writes when this option is given (`pivot --xlsx` records its file in
    # the Data log): the store is then opened read-write.
    writes_with: str | None = None
    # Run by the running app when it holds the store (`init`, `demo` and `serve` are not:
    # they need the file to themselves, or are the app; nor will a `copy` of a whole store).
    through_app: bool = True

    def store_for_args(self, args) -> str:
        """How the store is opened for these arguments."""
        if self.writes_with is not None and getattr(args, self.writes_with, None):
            return READ_WRITE
        return self.store


class Commands:
    """The commands of one subject, in the order `--help` lists them.

        commands = Commands()

        @commands.add("info", help="one booking with its history", store=READ_ONLY,
                      arguments=(arg("id", type=BOOKING_ID, metavar="ID"),))
        def info(args, con): ...
    """

    def __init__(self):
        self.groups: dict[str, str] = {}  # a group of actions (`users`): its help
        self.commands: list[Command] = []

    def group(self, name: str, help_text: str) -> None:
        self.groups[name] = help_text

    def add(self, *path: str, help: str, arguments: tuple[ArgumentAdder, ...] = (),
            store: str = READ_WRITE, takes_unknown: bool = False,
            writes_with: str | None = None,
            through_app: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(Command(path, help, arguments, handler, store, takes_unknown,
                                         writes_with, through_app))
            return handler

        return register


# --- argument types: out of range is wrong usage (exit 2), said in words -------------

BIGINT_MAX = 2**63 - 1  # booking IDs, offsets (the store's BIGINT)
INTEGER_MAX = 2**31 - 1  # staff, service, category IDs (the store's INTEGER)
MAX_ROWS = 10_000_000  # the most rows a --limit may ask for


def whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from LOW to HIGH, else a usage error saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text) if text.strip().lstrip("+-").isascii() else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{shortened(text)!r} is not {what}: give a whole number from {low:,} to {high:,}")
        return value

    parse.__name__ = what
    return parse


def shortened(text: str) -> str:
    """TEXT as an error message repeats it: a long one cut at 40 characters."""
    return text if len(text) <= 40 else text[:40] + "..."


def a_date(text: str) -> date:
    """An argparse type: a day as YYYY-MM-DD, else a usage error saying so."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{shortened(text)!r} is not a date: give one as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


ROW_LIMIT = whole_number(1, MAX_ROWS, "a number of rows")
ROW_OFFSET = whole_number(0, BIGINT_MAX, "a number of rows to skip")
BOOKING_ID = whole_number(1, BIGINT_MAX, "a booking ID")
ITEM_ID = whole_number(1, INTEGER_MAX, "an ID")
DEMO_BOOKINGS = whole_number(0, 100_000_000, "a number of demo bookings")


# --- where a command reads and writes -----------------------------------------------


def stdout_of(args) -> TextIO:
    """Where the command prints: the process's stdout, or the app's answer."""
    return getattr(args, "stdout", None) or sys.stdout


def stderr_of(args) -> TextIO:
    return getattr(args, "stderr", None) or sys.stderr


def stdin_of(args) -> TextIO:
    return getattr(args, "stdin", None) or sys.stdin


def local_path(args, name: str | Path) -> Path:
    """A file named on the command line, as the caller means it: a relative NAME is
    relative to the caller's folder (the app runs in a folder of its own). Messages
    keep NAME as it was given."""
    folder = getattr(args, "cwd", None)
    return Path(folder, name) if folder else Path(name)


# --- output -----------------------------------------------------------------


def _json_default(value):
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_amount(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def print_json(document: dict, file: TextIO | None = None) -> None:
    print(json.dumps(document, default=_json_default, ensure_ascii=False), file=file)


def emit(args, document: dict, human: str) -> None:
    """Exactly one JSON document with --json, else the text a person reads."""
    if args.json:
        print_json(document, stdout_of(args))
    else:
        print(human, file=stdout_of(args))


def table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- who acts ------------------------------------------------------------------


def acting_user(con: Connection, args) -> User:
    """The --user given (who must exist and be active), or the system without one."""
    login = getattr(args, "user", None)
    return auth.require_user(con, login) if login else SYSTEM


def viewer(con: Connection, args) -> User:
    """The --user the bookings are seen as; one who can see none is told why on
    stderr (stdout keeps its one document)."""
    user = acting_user(con, args)
    notice = listing.scope_notice(user)
    if notice:
        print(f"bookings: {notice}", file=stderr_of(args))
    return user


# --- the filters: one flag for each BookingFilter field (shared/CLI.md) ----------

# A flag reads its text as its field does (FilterField.parse), but for IDs: the CLI
# holds them to the store's range, said in words.
_CATEGORY_ID = whole_number(1, INTEGER_MAX, "a category ID or 'none'")


def _category_or_none(text: str) -> int | None:
    """A category ID in the store's range, or `none`."""
    return None if text.strip().lower() == NONE else _CATEGORY_ID(text)

_FLAG_TYPES: dict[Callable, Callable] = {
    int: ITEM_ID, parse_category: _category_or_none, date.fromisoformat: a_date,
    parse_weekday: whole_number(1, 7, "a weekday (Monday 1 to Sunday 7)"),
    parse_hour: whole_number(0, 23, "an hour of the day"),
}


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """The Bookings page's filters as flags, made from BookingFilter's fields."""
    group = parser.add_argument_group("filters")
    for how in FILTER_FIELDS:
        given = {"action": "append", "default": []} if how.many else {"default": how.default}
        # A flag of choices: argparse checks the text, filter_from_args reads it.
        reads = None if how.choices else _FLAG_TYPES.get(how.parse, how.parse)
        group.add_argument(how.flag, type=reads, choices=list(how.choices) or None,
                           metavar=how.metavar, help=how.help, **given)


def filter_from_args(args) -> BookingFilter:
    """The filter the flags give; one that makes no sense (dates backwards) is refused."""
    values = {}
    for how in FILTER_FIELDS:
        given = getattr(args, how.name)
        if how.choices:
            given = how.from_texts(given if how.many else [given])
        values[how.name] = tuple(given) if how.many else given
    try:
        return BookingFilter(**values)
    except FilterError as exc:
        raise Refused(str(exc)) from None


# --- the store -------------------------------------------------------------------


@contextmanager
def store_for(command: Command, db: Path, args=None, *,
              given: Connection | None = None) -> Iterator[Connection | None]:
    """The store opened as COMMAND needs it with ARGS, closed after.

    GIVEN: the store already open in this process (the running app's connection): a
    cursor of it instead, and a command that only reads gets it inside a transaction
    that cannot write.
    """
    how = command.store if args is None else command.store_for_args(args)
    if how == NO_STORE:
        yield None
        return
    if given is not None:
        cursor = given.cursor()
        try:
            if how == READ_ONLY:
                with reading_only(cursor):
                    yield cursor
            else:
                yield cursor
        finally:
            cursor.close()
        return
    con = open_store(db, create=how == READ_WRITE, read_only=how == READ_ONLY)
    try:
        yield con
    finally:
        con.close()
