"""Uploads from Excel: `import` (bookings) and `services import`, one flow: preview,
then commit when asked."""

from __future__ import annotations

from pathlib import Path

from bookings import auth
from bookings.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    ArgumentAdder,
    Commands,
    arg,
    emit,
    local_path,
    user_flag,
)
from bookings.cli.settings import SETTINGS_ACTOR
from bookings.errors import Refused
from bookings.store import Connection
from bookings.uploads import bookings_import, services_import, sheet

commands = Commands()

# What both uploads take besides the file, who uploads and --commit.
_UPLOAD_FLAGS: tuple[ArgumentAdder, ...] = (
    arg("--skip-invalid", action="store_true",
        help="with --commit: import the valid rows, leave the others out"),
    arg("--force-duplicate-file", action="store_true",
        help="import a file that was imported before, again"),
    arg("--failed-out", metavar="FILE",
        help="write the rows with errors here (.xlsx), marked, to fix"),
    arg("--sheet", metavar="NAME",
        help="the sheet to read (default: the one whose header matches)"),
)


@commands.add("import", help="preview an upload from Excel; --commit imports it", arguments=(
    arg("file", metavar="FILE"), user_flag("who uploads", required=True),
    arg("--commit", action="store_true", help="import the valid rows"), *_UPLOAD_FLAGS,
    arg("--duration-unit", choices=bookings_import.DURATION_UNITS, default="seconds",
        help="what the Duration column counts (default: seconds)")))
def import_bookings(args, con: Connection) -> int:
    if not args.in_app:  # in the app, an upload's commit may be running on a page now
        bookings_import.recover_interrupted(con)
    return _run_import(args, con, bookings_import, lambda result: result.as_json(),
                       lambda done: {"status": "committed", "imported": done.imported,
                                     "left_out": done.left_out, "log_id": done.log_id},
                       duration_unit=args.duration_unit)


@commands.add("services", "import",
              help="preview a list of services from Excel; --commit imports it",
              arguments=(SETTINGS_ACTOR, arg("file", metavar="FILE"),
                         arg("--commit", action="store_true",
                             help="add and update the valid rows"), *_UPLOAD_FLAGS))
def import_services(args, con: Connection) -> int:
    return _run_import(args, con, services_import,
                       lambda result: {**result.as_json(),
                                       "new_categories": result.new_categories},
                       lambda done: done.as_json())


def _run_import(args, con: Connection, kind, document_of, committed_of, **options) -> int:
    """Preview an upload file (bookings or services: same flow), and commit it if asked.

    KIND is the module (`bookings_import` or `services_import`) with preview, commit and
    cancel; OPTIONS are its own reading options.
    """
    user = auth.require_user(con, args.user)
    try:
        data = local_path(args, args.file).read_bytes()
    except OSError as exc:
        raise Refused(f"Cannot read {args.file}: {exc.strerror}.") from None
    result = kind.preview(con, user, data, Path(args.file).name, sheet=args.sheet, **options)
    if args.failed_out and result.error_rows:
        local_path(args, args.failed_out).write_bytes(sheet.failed_rows_xlsx(
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
