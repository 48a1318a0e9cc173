"""The `bookings` command. Its contract (names, flags, JSON, exit codes) is
shared/CLI.md: add to it, never change it.

Exit codes: 0 done; 1 refused or bad input; 2 wrong usage; 3 store busy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from bookings import (
    auth,
    catalog,
    config,
    datalog,
    deletion,
    editing,
    history,
    history_words,
    listing,
)
from bookings.admin import changelog, settings
from bookings.admin import users as user_admin
from bookings.errors import MissingRight, Refused
from bookings.exports import jobs, mail
from bookings.filters import CHOICES, STATUS_NAMES, BookingFilter, FilterError, parse_status
from bookings.model import BOOKING_INTERVALS_MIN, Role, Scope, Source, User
from bookings.store import Connection, StoreBusy, StoreError, is_empty, open_store
from bookings.uploads import bookings_import, services_import, sheet
from bookings.uploads.batch import plural

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


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
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise argparse.ArgumentTypeError(
                f"{shown!r} is not {what}: give a whole number from {low:,} to {high:,}")
        return value

    parse.__name__ = what
    return parse


ROW_LIMIT = whole_number(1, MAX_ROWS, "a number of rows")
ROW_OFFSET = whole_number(0, BIGINT_MAX, "a number of rows to skip")
BOOKING_ID = whole_number(1, BIGINT_MAX, "a booking ID")
ITEM_ID = whole_number(1, INTEGER_MAX, "an ID")
DEMO_BOOKINGS = whole_number(0, 100_000_000, "a number of demo bookings")


# --- output -----------------------------------------------------------------


def _json_default(value):
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def emit(args, document: dict, human: str) -> None:
    """Exactly one JSON document with --json, else the text a person reads."""
    if args.json:
        print(json.dumps(document, default=_json_default, ensure_ascii=False))
    else:
        print(human)


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


# --- commands -----------------------------------------------------------------


def cmd_init(args, con: Connection) -> None:
    from bookings.store import schema_version

    version = schema_version(con)
    emit(args, {"db": str(args.db), "schema_version": version},
         f"Store {args.db} is ready (schema version {version}).")


def cmd_demo(args, con: Connection) -> None:
    from bookings.demo import fill_demo

    if args.if_empty and not is_empty(con):
        passwords_file = config.demo_users_file(args.db)
        human = f"The store {args.db} already holds a business; no demo data added."
        if passwords_file.exists():
            human += "\nDemo sign-in details, as generated on first start:\n"
            human += passwords_file.read_text()
        emit(args, {"bookings": 0, "skipped": "store not empty"}, human)
        return
    progress = None if args.json else _print_progress
    result = fill_demo(con, args.bookings, args.seed, progress=progress)
    passwords_file = write_demo_passwords(args.db, result.users)
    document = {
        "bookings": result.bookings,
        "clients": result.clients,
        "staff": result.staff,
        "services": result.services,
        "seconds": round(result.seconds, 2),
        "users": [{"login": u, "role": r, "password": p} for u, r, p in result.users],
        "passwords_file": str(passwords_file),
    }
    human = (
        f"Demo business created in {result.seconds:.1f} s: {result.bookings:,} bookings, "
        f"{result.clients:,} clients, {result.staff} staff, {result.services} services.\n\n"
        + demo_sign_in_text(result.users, passwords_file)
    )
    emit(args, document, human)


def _print_progress(fraction: float, message: str) -> None:
    print(f"  {fraction:4.0%}  {message}", file=sys.stderr, flush=True)


def demo_sign_in_text(users: list[tuple[str, str, str]], passwords_file: Path) -> str:
    lines = ["Sign in with (passwords generated now, shown once, kept in "
             f"{passwords_file}):"]
    lines += [f"  {login:<10} {role:<14} {password}" for login, role, password in users]
    return "\n".join(lines)


def write_demo_passwords(db_path: Path, users: list[tuple[str, str, str]]) -> Path:
    """Keep the generated demo passwords beside the store, readable by the owner only."""
    path = config.demo_users_file(db_path)
    text = "".join(f"{login}\t{role}\t{password}\n" for login, role, password in users)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# login\trole\tpassword (generated by `bookings demo`)\n" + text)
    return path


def cmd_users_add(args, con: Connection) -> None:
    actor = acting_user(con, args)
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    user, generated = user_admin.add_user(
        con, actor, args.login, auth.parse_role(args.role),
        name=args.name or "", email=args.email or "", password=password,
    )
    document = {"user": user.as_json()}
    human = f"User {user.login} ({user.role.value}) added."
    if generated:
        document["password"] = generated
        human += f"\nPassword (shown once): {generated}"
    emit(args, document, human)


def cmd_users_list(args, con: Connection) -> None:
    users = [u.as_json() for u in auth.list_users(con)]
    staff = listing.names(con).staff
    shown = [{**u, "viewing_period": "unlimited" if u["viewing_period_days"] is None
              else f"{u['viewing_period_days']} days",
              "employee": "" if u["staff_id"] is None
              else f"{staff.get(u['staff_id'], '?')} ({u['staff_id']})"} for u in users]
    emit(args, {"users": users},
         table(shown, ["login", "name", "role", "active", "viewing_period", "employee", "scope",
                       "rights"]))


def cmd_users_change(args, con: Connection) -> None:
    rights = auth.parse_rights(args.rights)
    actor = acting_user(con, args)
    change = user_admin.grant if args.users_command == "grant" else user_admin.revoke
    user = change(con, actor, args.login, rights)
    emit(args, {"user": user.as_json()},
         f"{user.login} now has: {', '.join(sorted(r.value for r in user.rights)) or 'no rights'}")


def cmd_users_period(args, con: Connection) -> None:
    days = None if args.days == "unlimited" else _non_negative_int(args.days)
    user = user_admin.set_viewing_period(con, acting_user(con, args), args.login, days)
    words = "unlimited" if days is None else f"{days} days"
    emit(args, {"user": user.as_json()}, f"{user.login} may now see bookings of: {words}")


def _non_negative_int(text: str) -> int:
    limit = user_admin.MAX_VIEWING_PERIOD_DAYS
    if not (text.isascii() and text.isdigit()) or int(text) > limit:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise Refused(f"{shown!r} is not a number of days from 0 to {limit:,} "
                      "(or 'unlimited').")
    return int(text)


def filter_from_args(args) -> BookingFilter:
    try:
        return BookingFilter(
            created_from=args.created_from, created_to=args.created_to,
            visit_from=args.visit_from, visit_to=args.visit_to,
            staff=tuple(args.staff), created_by=tuple(args.created_by),
            cancelled=args.cancelled, status=tuple(parse_status(s) for s in args.status),
            client=args.client or "", service_category=tuple(args.service_category),
            booking_category=tuple(args.booking_category), source=args.source,
            payment=args.payment, services=args.services,
            source_detail=tuple(Source(s) for s in args.source_detail),
        )
    except FilterError as exc:
        raise Refused(str(exc)) from None


def viewer(con: Connection, args) -> User | None:
    """The --user the bookings are seen as; one who can see none is told why on
    stderr (stdout keeps its one document)."""
    user = acting_user(con, args)
    notice = listing.scope_notice(user)
    if notice:
        print(f"bookings: {notice}", file=sys.stderr)
    return user


def cmd_list(args, con: Connection) -> None:
    user = viewer(con, args)
    # No --sort: the page's order, newest visit first. With --sort: ascending unless --desc.
    sort, descending = (args.sort, args.desc) if args.sort else (listing.DEFAULT_SORT, True)
    document = listing.listing(con, user, filter_from_args(args), sort=sort,
                               descending=descending, limit=args.limit, offset=args.offset)
    rows = [{**row, "services": [s["title"] for s in row["services"]],
             "visit_at": f"{row['visit_at']:%Y-%m-%d %H:%M}",
             "deleted": "deleted" if row["deleted"] else ""} for row in document["rows"]]
    shown = f"{args.offset + 1}-{args.offset + len(rows)}" if rows else "none"
    human = table(rows, ["id", "visit_at", "staff_name", "client_name", "client_phone", "status",
                         "source", "services", "total_to_pay", "paid", "deleted"])
    emit(args, document, f"{human}\n\n{document['total']:,} bookings; showing {shown}.")


def cmd_summary(args, con: Connection) -> None:
    user = viewer(con, args)
    bfilter = filter_from_args(args)
    document = listing.summary(con, user, bfilter)
    share = document["paid_full_share"]
    lines = [f"{bfilter.words(listing.names(con))}",
             f"Bookings: {document['total']:,}   to pay: {document['to_pay']:,}   "
             f"paid: {document['paid']:,}   paid in full: "
             + ("-" if share is None else f"{share:.1%}")]
    for facet, entries in document["facets"].items():
        lines.append(f"\nBy {facet}\n" + table(entries, ["value", "count"]))
    emit(args, document, "\n".join(lines))


def cmd_delete(args, con: Connection) -> None:
    user = viewer(con, args)
    result = deletion.delete_bookings(con, user, args.ids)
    lines = [result.summary()]
    lines += [f"  {s['id']}: {s['reason']}" for s in result.skipped]
    emit(args, {"deleted": result.deleted, "skipped": result.skipped,
                "operation": result.operation_id, "log_id": result.log_id}, "\n".join(lines))


def cmd_info(args, con: Connection) -> None:
    info = history.booking_info(con, args.id, viewer(con, args))
    document = {"booking": info["booking"],
                "history": [{k: v for k, v in h.items() if k != "snapshot"}
                            for h in info["history"]]}
    if "deletion" in info:
        document["deletion"] = info["deletion"]
    # The words only for a person: --json stays the store's record, as it was.
    emit(args, document, "" if args.json else info_text(history_words.in_words(con, info)))


def info_text(words: history_words.InfoWords) -> str:
    """Info as the page's dialog says it, as lines of text."""
    lines = [" · ".join(part for part in words.heading if part)]
    if words.deletion:
        lines.append(words.deletion)
    if words.as_it_was:
        width = max(len(label) for label, _ in words.as_it_was)
        lines.append("\nAs it was when deleted")
        lines += [f"  {label.ljust(width)}  {value}" for label, value in words.as_it_was]
    lines.append("\nHistory" if words.history else "\nHistory: (none)")
    for entry in words.history:
        lines.append(f"{entry.when} · {entry.who} · {entry.what}")
        lines += [f"  {line}" for line in entry.lines]
    return "\n".join(lines)


def cmd_import(args, con: Connection) -> int:
    bookings_import.recover_interrupted(con)
    return _run_import(args, con, bookings_import, lambda result: result.as_json(),
                       lambda done: {"status": "committed", "imported": done.imported,
                                     "left_out": done.left_out, "log_id": done.log_id})


def _run_import(args, con: Connection, kind, document_of, committed_of) -> int:
    """Preview an upload file (bookings or services: same flow), and commit it if asked.

    KIND is the module (`upload` or `services_upload`) with preview, commit and cancel.
    """
    user = auth.require_user(con, args.user)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise Refused(f"Cannot read {args.file}: {exc.strerror}.") from None
    options = {"sheet": args.sheet}
    if getattr(args, "duration_unit", None):
        options["duration_unit"] = args.duration_unit
    result = kind.preview(con, user, data, Path(args.file).name, **options)
    if args.failed_out and result.error_rows:
        Path(args.failed_out).write_bytes(sheet.failed_rows_xlsx(
            result.sheet, result.issues, result.error_rows))
    document, summary = document_of(result), None
    if args.commit:
        try:
            done = kind.commit(con, user, result, skip_invalid=args.skip_invalid,
                               force_duplicate_file=args.force_duplicate_file)
        except bookings_import.UploadRefused as refused:
            kind.cancel(con, result)
            document.update(status="refused", reason=str(refused))
        else:
            document.update(committed_of(done))
            summary = done.summary()
    emit(args, document, _import_text(result, document, summary))
    return EXIT_REFUSED if document["status"] == "refused" else EXIT_OK


def _import_text(result, document: dict, imported: str | None) -> str:
    """An upload's preview (and commit) for a person: counts, problems, outcome."""
    counts = result.counts()
    lines = [f"{result.file_name}: {counts['rows']:,} rows, {counts['ready']:,} ready, "
             f"{counts['with_warnings']:,} with warnings, {counts['with_errors']:,} with errors "
             f"(batch {result.batch_id}).", *result.notices]
    previous = getattr(result, "previous", None)
    if previous:
        lines.append(f"This file was imported before: batch {previous['batch']} by "
                     f"{previous['by']} on {previous['at']:%d.%m.%Y %H:%M} "
                     f"({previous['imported']:,} rows).")
    lines += [f"  row {i.row}, {i.column}: {i.level}: {i.message}" for i in result.issues[:200]]
    if len(result.issues) > 200:
        lines.append(f"  ... and {len(result.issues) - 200:,} more (use --json or --failed-out)")
    status = document["status"]
    if status == "committed":
        lines.append(imported)
    elif status == "refused":
        lines.append(f"Not imported: {document['reason']}")
    else:
        lines.append("Nothing imported yet: add --commit to import.")
    return "\n".join(lines)



# --- downloads and the Data log (export, log) ------------------------------------


def cmd_export(args, con: Connection) -> int:
    """Request a download and wait for its file: the job runs here, in this process."""
    user = viewer(con, args)
    email = None
    if args.email:
        try:
            email = mail.single_address(args.email)
        except ValueError as exc:
            raise Refused(f"--email: {exc}") from None
    outcome = jobs.export_now(con, user, filter_from_args(args), args.format, email=email)
    document = {k: v for k, v in outcome.as_json().items() if v is not None or k == "link"}
    if outcome.state == "ready" and args.out:
        try:
            shutil.copyfile(outcome.file, args.out)
        except OSError as exc:
            raise Refused(f"The file is ready ({outcome.file}) but cannot be copied to "
                          f"{args.out}: {exc.strerror}.") from None
        document["out"] = str(args.out)
    if outcome.state == "ready":
        human = (f"Download {outcome.log_id} ready: {outcome.rows:,} rows, {args.format}.\n"
                 f"File: {outcome.file}\nLink (valid {jobs.link_days()} days): {outcome.link}")
        if document.get("out"):
            human += f"\nCopied to {args.out}"
        if outcome.mailed or outcome.error:
            human += f"\n{outcome.error or 'Emailed: ' + outcome.mailed}"
    else:
        human = f"Download {outcome.log_id} failed: {outcome.error}"
    emit(args, document, human)
    return EXIT_OK if outcome.state == "ready" else EXIT_REFUSED


def cmd_log(args, con: Connection) -> None:
    entries = datalog.entries(con, acting_user(con, args), kind=args.kind, by=args.by,
                              date_from=args.date_from, date_to=args.date_to, limit=args.limit)
    rows = [{**e, "at": f"{e['at']:%Y-%m-%d %H:%M}", "fetched": len(e["fetches"]),
             "state": e["state"] + (f" {e['progress']:.0%}" if e["state"] == "running" else "")}
            for e in entries]
    emit(args, {"entries": entries},
         table(rows, ["id", "at", "user", "kind", "what", "rows", "format", "state", "fetched",
                      "error"]))


def add_data_log_commands(command: Callable) -> None:
    export = command("export", cmd_export, "request a download of the list, recorded in the "
                     "Data log; waits for its file", writes=True)
    add_filter_arguments(export)
    export.add_argument("--user", required=True, metavar="LOGIN", help="who asks for it")
    export.add_argument("--format", choices=jobs.FORMATS, default="xlsx")
    export.add_argument("--email", metavar="ADDR",
                        help="also email the link to this one address")
    export.add_argument("--out", type=Path, metavar="FILE", help="copy the file here too")

    log = command("log", cmd_log, "the Data log: downloads, uploads, bulk deletions",
                  writes=False)
    log.add_argument("--kind", choices=datalog.KINDS)
    log.add_argument("--user", metavar="LOGIN",
                     help="see it as this user may (own entries; the owner sees all)")
    log.add_argument("--by", metavar="LOGIN", help="only entries of this user")
    log.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="YYYY-MM-DD")
    log.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="YYYY-MM-DD")
    log.add_argument("--limit", type=ROW_LIMIT, default=500, metavar="N")

EDIT_FIELDS = ("visit_at", "staff_id", "length_s", "attendance", "comment", "paid",
               "client_name", "client_phone", "services")


def edit_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or name not in EDIT_FIELDS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use FIELD=VALUE with FIELD one of {', '.join(EDIT_FIELDS)}")
    return name, value


def _edit_value(name: str, value: str):
    """A --set value in the draft's terms; services are ID[:COST[:DISCOUNT]],..."""
    try:
        if name == "visit_at":
            return datetime.fromisoformat(value)
        if name in ("staff_id", "length_s"):
            return int(value)
        if name == "paid":
            return _finite(value)
        if name == "attendance":
            return int(parse_status(value))
        if name == "services":
            return tuple(_service_line(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise Refused(f"{name}={value}: {exc}") from None
    return value


def _service_line(text: str) -> tuple[int, float | None, float]:
    """ID[:COST[:DISCOUNT]]; no cost = the service's list price (filled in by cmd_edit)."""
    parts = text.split(":")
    cost = _finite(parts[1]) if len(parts) > 1 and parts[1] else None
    discount = _finite(parts[2]) if len(parts) > 2 else 0.0
    return int(parts[0]), cost, discount


def _finite(text: str) -> float:
    """An amount as typed: a finite number (nan, inf are no amounts); its range is editing's."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not an amount: give digits, like 500 or 499.50")
    return value


def cmd_edit(args, con: Connection) -> None:
    user = viewer(con, args)
    draft, version = editing.current(con, args.id, user)
    changes = {name: _edit_value(name, value) for name, value in args.set}
    if "services" in changes:
        prices = {s["id"]: s["price"] for s in catalog.services(con)}
        changes["services"] = tuple((sid, float(prices.get(sid, 0)) if cost is None else cost,
                                     discount) for sid, cost, discount in changes["services"])
    saved = editing.save(con, user, args.id, editing.with_changes(draft, **changes),
                         started_from=draft, version=version)
    row = saved.booking
    lines = [f"Booking {row['id']} saved: {row['visit_at']:%d.%m.%Y %H:%M}, {row['staff_name']},"
             f" {row['client_name']}, {row['status']}, to pay {row['total_to_pay']}."]
    lines += [f"  warning: {w.column}: {w.message}" for w in saved.warnings]
    emit(args, row, "\n".join(lines))


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The Bookings page's filters as flags (shared/CLI.md)."""
    f = parser.add_argument_group("filters")
    for flag in ("--created-from", "--created-to", "--visit-from", "--visit-to"):
        f.add_argument(flag, type=date.fromisoformat, metavar="YYYY-MM-DD")
    f.add_argument("--staff", type=ITEM_ID, action="append", default=[], metavar="ID")
    f.add_argument("--created-by", action="append", default=[], metavar="LOGIN",
                   help="repeatable; 'client' = booked online by the client")
    f.add_argument("--cancelled", choices=CHOICES["cancelled"], default="all")
    f.add_argument("--status", action="append", default=[], choices=list(STATUS_NAMES))
    f.add_argument("--client", metavar="TEXT", help="part of a name, or phone digits")
    f.add_argument("--service-category", type=ITEM_ID, action="append", default=[], metavar="ID")
    f.add_argument("--booking-category", type=ITEM_ID, action="append", default=[], metavar="ID")
    f.add_argument("--source", choices=CHOICES["source"], default="all")
    f.add_argument("--source-detail", action="append", default=[],
                   choices=[s.value for s in Source], help="the finer source; repeatable")
    f.add_argument("--payment", choices=CHOICES["payment"], default="all")
    f.add_argument("--services", choices=CHOICES["services"], default="all")


def cmd_catalog(args, con: Connection) -> None:
    data = catalog.catalog(con)
    human = "\n\n".join([
        "Staff\n" + table(data["staff"], ["id", "name", "specialization", "active"]),
        "Service categories\n" + table(data["service_categories"], ["id", "title"]),
        "Services\n" + table(data["services"],
                             ["id", "title", "category_id", "price", "duration_s", "active"]),
        "Booking categories\n" + table(data["booking_categories"],
                                       ["id", "title", "color", "builtin"]),
        f"Booking interval: {data['booking_interval_min']} minutes",
    ])
    emit(args, data, human)


def cmd_serve(args) -> int:
    """Start the web app on this store (the remaining ARGS go to streamlit)."""
    env = dict(os.environ, BOOKINGS_DB=str(Path(args.db).resolve()))
    os.chdir(config.PROJECT_DIR)  # where .streamlit/config.toml is
    # server.py: the app (app.py) plus the download route and the export worker.
    command = [sys.executable, "-m", "streamlit", "run", "server.py", *args.streamlit_args]
    os.execvpe(command[0], command, env)
    return EXIT_OK  # not reached


def acting_user(con: Connection, args) -> User | None:
    login = getattr(args, "user", None)
    return auth.require_user(con, login) if login else None


# --- settings: users, staff, services, categories, the interval, the change log ------
# What Settings does, through the same functions (bookings.users, bookings.settings,
# bookings.services_upload); each change is recorded in the settings change log.


def cmd_users_access(args, con: Connection) -> None:
    """users deactivate | activate | role: sign-in allowed or not, the role's preset."""
    actor = acting_user(con, args)
    if args.users_command == "role":
        user = user_admin.set_role(con, actor, args.login, auth.parse_role(args.role))
        human = (f"{user.login} is now {user.role.value}: "
                 f"{', '.join(sorted(r.value for r in user.rights)) or 'no rights'}")
    else:
        user = user_admin.set_active(con, actor, args.login, args.users_command == "activate")
        human = f"{user.login} {args.users_command}d."
    emit(args, {"user": user.as_json()}, human)


def cmd_users_reset_password(args, con: Connection) -> None:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    generated = user_admin.reset_password(con, acting_user(con, args), args.login, password)
    document, human = {"login": args.login}, f"Password of {args.login} reset."
    if generated:
        document["password"] = generated
        human += f"\nPassword (shown once): {generated}"
    emit(args, document, human)


def cmd_users_link(args, con: Connection) -> None:
    """users link LOGIN STAFF_ID | unlink LOGIN: the employee the user is."""
    staff_id = getattr(args, "staff_id", None)  # unlink has none
    user = user_admin.link(con, acting_user(con, args), args.login, staff_id)
    if user.staff_id is None:
        human = f"{user.login} is not linked to an employee."
    else:
        name = listing.names(con).staff.get(user.staff_id, "?")
        human = f"{user.login} is employee {user.staff_id}, {name}."
    if listing.scope_notice(user):
        human += " They see own bookings only, so they see none until linked."
    emit(args, {"user": user.as_json()}, human)


def cmd_users_scope(args, con: Connection) -> None:
    user = user_admin.set_scope(con, acting_user(con, args), args.login, args.scope)
    human = f"{user.login} now sees {Scope(user.scope).description}."
    if listing.scope_notice(user):
        human += " They are not linked to an employee, so they see none: `users link` them."
    emit(args, {"user": user.as_json()}, human)


def add_user_scope_commands(users_command: Callable) -> None:
    """`users link | unlink | scope`: the employee a user is, which bookings they see."""
    link = users_command("link", cmd_users_link, "link the user to the employee they are "
                         "(IDs: `bookings catalog`)", writes=True)
    link.add_argument("login")
    link.add_argument("staff_id", type=ITEM_ID, metavar="STAFF_ID")
    users_command("unlink", cmd_users_link, "the user is no longer linked to an employee",
                  writes=True).add_argument("login")
    scope = users_command("scope", cmd_users_scope, "which bookings the user sees: all, or "
                          "own (made to their linked employee)", writes=True)
    scope.add_argument("login")
    scope.add_argument("scope", choices=[s.value for s in Scope], metavar="all|own")


def add_user_admin_commands(users_command: Callable) -> None:
    """More `users` actions; without --user, whoever runs the command (as `users add`)."""
    for action, help_text in (("deactivate", "refuse the user's sign-in; their history stays"),
                              ("activate", "allow a deactivated user to sign in again")):
        users_command(action, cmd_users_access, help_text, writes=True).add_argument("login")
    role = users_command("role", cmd_users_access, "set the role and its preset of rights",
                         writes=True)
    role.add_argument("login")
    role.add_argument("role", choices=[r.value for r in Role])
    reset = users_command("reset-password", cmd_users_reset_password,
                          "a new password, generated and printed once", writes=True)
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input (else one is generated)")


def cmd_users_sessions(args, con: Connection) -> None:
    """users sign-out-everywhere | unthrottle: a user's sessions ended, throttling cleared."""
    actor = acting_user(con, args)
    if args.users_command == "sign-out-everywhere":
        ended = user_admin.sign_out_everywhere(con, actor, args.login)
        emit(args, {"login": args.login, "sessions_ended": ended},
             f"{args.login}: {plural(ended, 'signed-in session')} ended.")
    else:
        cleared = user_admin.unthrottle(con, actor, args.login)
        emit(args, {"login": args.login, "failures_forgotten": cleared},
             f"{args.login} may sign in again at once ({cleared:,} failed sign-ins "
             "forgotten).")


def add_user_session_commands(users_command: Callable) -> None:
    """`users sign-out-everywhere` and `users unthrottle`."""
    for action, help_text in (
            ("sign-out-everywhere", "end every session of the user: each of their browsers "
                                    "is signed out at its next click"),
            ("unthrottle", "forget the user's failed sign-ins, so they may try at once")):
        users_command(action, cmd_users_sessions, help_text, writes=True).add_argument("login")


def _employee_text(employee: dict) -> str:
    return (f"Employee {employee['id']}: {employee['name']}"
            + (f" ({employee['specialization']})" if employee["specialization"] else "")
            + ("" if employee["active"] else ", deactivated"))


def cmd_staff(args, con: Connection) -> None:
    actor, action = auth.require_user(con, args.user), args.staff_command
    if action == "remove":
        outcome = settings.remove_staff(con, actor, args.id)
        emit(args, {"id": args.id, "outcome": outcome}, f"Employee {args.id} {outcome}.")
        return
    if action == "add":
        employee = settings.add_staff(con, actor, args.name, args.specialization or "")
    elif action == "rename":
        employee = settings.rename_staff(con, actor, args.id, args.name, args.specialization)
    else:
        employee = settings.set_staff_active(con, actor, args.id, action == "activate")
    emit(args, {"employee": employee}, _employee_text(employee))


def _service_json(service: dict) -> dict:
    """The shape of `catalog --json`."""
    return {**{k: v for k, v in service.items() if k != "duration_min"},
            "duration_s": service["duration_min"] * 60}


def cmd_services(args, con: Connection) -> None:
    actor, action, created = auth.require_user(con, args.user), args.services_command, False
    if action == "add":
        service, created = settings.add_service_in_category(
            con, actor, args.title, args.category, args.price, args.duration_min)
    elif action == "edit":
        category = None
        if args.category is not None:
            category = settings.service_category_id(con, args.category)
            if category is None:
                raise Refused(f"There is no service category {args.category!r}.")
        service = settings.update_service(con, actor, args.id, title=args.title,
                                          category_id=category, price=args.price,
                                          duration_min=args.duration_min)
    else:
        service = settings.set_service_active(con, actor, args.id, action == "activate")
    human = (f"Service {service['id']}: {service['title']}, {service['price']:f}, "
             f"{service['duration_min']} min" + ("" if service["active"] else ", deactivated"))
    document = {"service": _service_json(service)}
    if action == "add":
        document["category_created"] = created
        human += "; its category was created" if created else ""
    emit(args, document, human)


def cmd_services_import(args, con: Connection) -> int:
    return _run_import(args, con, services_import,
                       lambda result: {**result.as_json(),
                                       "new_categories": result.new_categories},
                       lambda done: done.as_json())


def cmd_service_categories(args, con: Connection) -> None:
    actor = auth.require_user(con, args.user)
    if args.service_categories_command == "add":
        category = settings.add_service_category(con, actor, args.title)
    else:
        category = settings.rename_service_category(con, actor, args.id, args.title)
    emit(args, {"service_category": category},
         f"Service category {category['id']}: {category['title']}")


def cmd_categories(args, con: Connection) -> None:
    actor, action = auth.require_user(con, args.user), args.categories_command
    if action == "remove":
        category = settings.remove_booking_category(con, actor, args.id)
        emit(args, {"removed": category}, f"Booking category {category['title']} removed.")
        return
    if action == "add":
        category = settings.add_booking_category(con, actor, args.title, args.color)
    else:
        category = settings.update_booking_category(con, actor, args.id, title=args.title,
                                                    color=args.color)
    emit(args, {"booking_category": category},
         f"Booking category {category['id']}: {category['title']} {category['color']}")


def cmd_interval(args, con: Connection) -> None:
    if args.interval_command == "set":
        settings.set_booking_interval(con, auth.require_user(con, args.user), args.minutes)
    minutes = catalog.catalog(con)["booking_interval_min"]
    emit(args, {"booking_interval_min": minutes}, f"Booking interval: {minutes} minutes")


def cmd_changes(args, con: Connection) -> None:
    entries = changelog.entries(con, subject=args.subject, limit=args.limit)
    rows = [{**e, "at": f"{e['at']:%Y-%m-%d %H:%M:%S}", "by": e["actor"] or "command line",
             "change": changelog.in_words(e)} for e in entries]
    emit(args, {"changes": entries},
         table(rows, ["at", "by", "subject", "subject_name", "action", "change"]))


def add_settings_commands(commands, common: argparse.ArgumentParser) -> None:
    """staff, services, service-categories, categories, interval, changes."""

    def group(name: str, help_text: str, handler: Callable):
        actions = commands.add_parser(name, parents=[common], help=help_text).add_subparsers(
            dest=f"{name.replace('-', '_')}_command", required=True, metavar="ACTION")

        def action(action_name: str, action_help: str, *, writes: bool = True):
            sub = actions.add_parser(action_name, parents=[common], help=action_help)
            sub.set_defaults(handler=handler, writes=writes)
            if writes:
                sub.add_argument("--user", required=True, metavar="LOGIN",
                                 help="who changes it (needs the settings right)")
            return sub

        return action

    staff = group("staff", "employees (Settings > Staff)", cmd_staff)
    add = staff("add", "add an employee; prints their ID")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--specialization", metavar="S")
    rename = staff("rename", "rename an employee")
    rename.add_argument("id", type=ITEM_ID, metavar="ID")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("--specialization", metavar="S")
    for action, help_text in (("deactivate", "deactivate an employee; bookings keep them"),
                              ("activate", "reactivate an employee"),
                              ("remove", "delete an employee without bookings; one with "
                                         "bookings is deactivated instead")):
        staff(action, help_text).add_argument("id", type=ITEM_ID, metavar="ID")

    services = group("services", "services (Settings > Services)", cmd_services)
    add = services("add", "add a service; its category by ID or title (a new title is created)")
    add.add_argument("title", metavar="TITLE")
    add.add_argument("--category", required=True, metavar="C")
    add.add_argument("--price", required=True, metavar="P")
    add.add_argument("--duration-min", required=True, type=int, metavar="M",
                     help="a multiple of 5 minutes")
    edit = services("edit", "change what is given of a service")
    edit.add_argument("id", type=ITEM_ID, metavar="ID")
    edit.add_argument("--title", metavar="T")
    edit.add_argument("--category", metavar="C", help="ID or title of an existing category")
    edit.add_argument("--price", metavar="P")
    edit.add_argument("--duration-min", type=int, metavar="M")
    for action in ("deactivate", "activate"):
        services(action, f"{action} a service").add_argument("id", type=ITEM_ID, metavar="ID")
    import_ = services("import", "preview a list of services from Excel; --commit imports it")
    import_.set_defaults(handler=cmd_services_import)
    import_.add_argument("file", metavar="FILE")
    import_.add_argument("--sheet", metavar="NAME",
                         help="the sheet to read (default: the one whose header matches)")
    import_.add_argument("--commit", action="store_true", help="add and update the valid rows")
    import_.add_argument("--skip-invalid", action="store_true",
                         help="with --commit: import the valid rows, leave the others out")
    import_.add_argument("--force-duplicate-file", action="store_true",
                         help="import a file that was imported before, again")
    import_.add_argument("--failed-out", metavar="FILE",
                         help="write the rows with errors here (.xlsx), marked, to fix")

    service_categories = group("service-categories", "service categories",
                               cmd_service_categories)
    service_categories("add", "add a service category").add_argument("title", metavar="TITLE")
    rename = service_categories("rename", "rename a service category")
    rename.add_argument("id", type=ITEM_ID, metavar="ID")
    rename.add_argument("title", metavar="TITLE")

    categories = group("categories", "booking categories (labels)", cmd_categories)
    add = categories("add", "add a booking category")
    add.add_argument("title", metavar="TITLE")
    add.add_argument("--color", required=True, metavar="#HEX")
    edit = categories("edit", "rename or recolour (a built-in one: colour only)")
    edit.add_argument("id", type=ITEM_ID, metavar="ID")
    edit.add_argument("--title", metavar="T")
    edit.add_argument("--color", metavar="#HEX")
    categories("remove", "remove a category of the salon's own that no booking carries"
               ).add_argument("id", type=ITEM_ID, metavar="ID")

    interval = group("interval", "the booking interval (slot length)", cmd_interval)
    interval("show", "the booking interval in minutes", writes=False)
    interval("set", "5, 10 or 15 minutes; uploads round visit times to it").add_argument(
        "minutes", type=int, choices=BOOKING_INTERVALS_MIN, metavar="5|10|15")

    changes = commands.add_parser("changes", parents=[common],
                                  help="the settings change log, newest first")
    changes.set_defaults(handler=cmd_changes, writes=False)
    changes.add_argument("--subject", choices=changelog.SUBJECTS)
    changes.add_argument("--limit", type=ROW_LIMIT, default=500, metavar="N")


# --- parsing ----------------------------------------------------------------


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable, help_text: str, *, writes: bool):
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler, writes=writes)
        return sub

    command("init", cmd_init, "create or migrate the store; safe to run again", writes=True)

    demo = command("demo", cmd_demo, "fill an empty store with a demo business", writes=True)
    demo.add_argument("--bookings", type=DEMO_BOOKINGS, required=True, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing (and say so) when the store already holds a business")

    users = commands.add_parser("users", parents=[common], help="users and their rights")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    def users_command(name: str, handler: Callable, help_text: str, *, writes: bool):
        sub = users_commands.add_parser(name, parents=[common], help=help_text)
        sub.set_defaults(handler=handler, writes=writes)
        if writes:
            sub.add_argument("--user", metavar="LOGIN",
                             help="act as this user (needs the settings right)")
        return sub

    add = users_command("add", cmd_users_add, "add a user", writes=True)
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=["owner", "administrator", "employee"])
    add.add_argument("--name")
    add.add_argument("--email")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (else one is generated)")
    users_command("list", cmd_users_list, "users with their rights", writes=False)
    for action in ("grant", "revoke"):
        change = users_command(action, cmd_users_change, f"{action} rights", writes=True)
        change.add_argument("login")
        change.add_argument("rights", nargs="+", metavar="RIGHT")
    period = users_command("period", cmd_users_period,
                           "set the viewing period: DAYS or 'unlimited'", writes=True)
    period.add_argument("login")
    period.add_argument("days", metavar="DAYS")
    add_user_scope_commands(users_command)
    add_user_admin_commands(users_command)
    add_user_session_commands(users_command)

    command("catalog", cmd_catalog, "staff, services, categories, booking interval", writes=False)

    list_ = command("list", cmd_list, "the bookings list", writes=False)
    add_filter_arguments(list_)
    list_.add_argument("--user", metavar="LOGIN", help="see the list as this user may")
    list_.add_argument("--sort", choices=list(listing.SORT_COLUMNS),
                       help="default: visit date, newest first")
    list_.add_argument("--desc", action="store_true", help="largest / newest first")
    list_.add_argument("--limit", type=ROW_LIMIT, default=100, metavar="N",
                       help=f"rows to show, 1 to {MAX_ROWS:,} (default 100)")
    list_.add_argument("--offset", type=ROW_OFFSET, default=0, metavar="M",
                       help="rows to skip first, 0 or more")

    summary = command("summary", cmd_summary, "totals and facet counts", writes=False)
    add_filter_arguments(summary)
    summary.add_argument("--user", metavar="LOGIN", help="count as this user may see")

    delete = command("delete", cmd_delete, "delete bookings, checking rights booking by booking",
                     writes=True)
    delete.add_argument("ids", type=BOOKING_ID, nargs="+", metavar="ID")
    delete.add_argument("--user", required=True, metavar="LOGIN", help="who deletes")

    info = command("info", cmd_info, "one booking with its history", writes=False)
    info.add_argument("id", type=BOOKING_ID, metavar="ID")
    info.add_argument("--user", metavar="LOGIN", help="see it as this user may")

    import_ = command("import", cmd_import, "preview an upload from Excel; --commit imports it",
                      writes=True)
    import_.add_argument("file", metavar="FILE")
    import_.add_argument("--user", required=True, metavar="LOGIN", help="who uploads")
    import_.add_argument("--commit", action="store_true", help="import the valid rows")
    import_.add_argument("--skip-invalid", action="store_true",
                         help="with --commit: import the valid rows, leave the others out")
    import_.add_argument("--force-duplicate-file", action="store_true",
                         help="import a file that was imported before, again")
    import_.add_argument("--failed-out", metavar="FILE",
                         help="write the rows with errors here (.xlsx), marked, to fix")
    import_.add_argument("--sheet", metavar="NAME",
                         help="the sheet to read (default: the one whose header matches)")
    import_.add_argument("--duration-unit", choices=bookings_import.DURATION_UNITS,
                         default="seconds",
                         help="what the Duration column counts (default: seconds)")

    add_data_log_commands(command)
    add_settings_commands(commands, common)
    edit = command("edit", cmd_edit, "change a booking", writes=True)
    edit.add_argument("id", type=BOOKING_ID, metavar="ID")
    edit.add_argument("--user", required=True, metavar="LOGIN", help="who changes it")
    edit.add_argument("--set", type=edit_setting, action="append", required=True,
                      metavar="FIELD=VALUE", help=f"repeatable; FIELD: {', '.join(EDIT_FIELDS)}")

    command("serve", None, "start the web app (ARGS go to streamlit, e.g. --server.port 8502)",
            writes=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "serve":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.streamlit_args = extra
    args.json = getattr(args, "json", False)
    args.db = args.db or config.default_db_path()
    if args.command == "serve":
        return cmd_serve(args)
    try:
        con = open_store(args.db, create=args.writes)
        try:
            code = args.handler(args, con)
        finally:
            con.close()
    except StoreBusy as exc:
        return _fail(args, exc, EXIT_BUSY)
    except (StoreError, Refused) as exc:
        return _fail(args, exc, EXIT_REFUSED)
    return code or EXIT_OK


def _fail(args, exc: Exception, code: int) -> int:
    message, extra = str(exc), {}
    if isinstance(exc, MissingRight):
        # Words first; the right's name after, for whoever grants it with `users grant`.
        message, extra = f"{message} (right: {exc.right.value})", {"right": exc.right.value}
    if args.json:
        print(json.dumps({"error": message, **extra}, ensure_ascii=False))
    else:
        print(f"bookings: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
