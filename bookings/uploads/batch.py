"""What every upload shares (bookings, services): the problems found per row
and column, the preview's counts, and the import batch that makes a commit
happen exactly once.

A batch is a small state machine kept in the store (`import_batches`, one
`kind` per sort of upload):

    previewed -> committing -> committed | failed        (or cancelled)

Only one commit can move a batch out of `previewed`, and claims are
serialised on one row of `settings`, so two clicks, two tabs, or the CLI next
to the page never import a file twice; a file whose content was committed
before (as the same kind) is refused unless the user explicitly confirms again.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import duckdb

from bookings.errors import Refused
from bookings.model import Right, User
from bookings.store import (
    Connection,
    lapsed,
    lease_end,
    leased,
    next_id,
    private_dir,
    store_dir,
    transaction,
    write_private,
)
from bookings.uploads.sheet import FileLayout, FileRefused, Sheet, failed_rows_xlsx, read_sheet
from bookings.uploads.spreadsheets import BadCell


class UploadRefused(Refused):
    """The upload or its commit is refused; the message says why."""


@dataclass(frozen=True)
class Issue:
    row: int  # as Excel numbers it
    column: str  # the template's header
    message: str
    level: str = "error"  # or "warning"

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class RowChecks:
    """Checks one row of an upload file, collecting every problem instead of
    stopping at the first (after pandera's lazy validation). Subclasses name
    the file's HEADERS and add one method per column."""

    HEADERS: dict[str, str] = {}

    def __init__(self, sheet: Sheet | None, number: int, cells: list | None):
        self.sheet, self.number, self.cells = sheet, number, cells
        self.issues: list[Issue] = []
        self.bad: set[str] = set()  # columns whose cell is an error or an uncalculated formula

    def cell(self, key: str):
        value = self.sheet.value(self.cells, key)
        return None if value.__class__ is BadCell else value

    def error(self, key: str, message: str) -> None:
        if key not in self.bad:  # what the cell really is was said already
            self.issues.append(Issue(self.number, self.HEADERS[key], message))

    def warn(self, key: str, message: str) -> None:
        self.issues.append(Issue(self.number, self.HEADERS[key], message, "warning"))

    def has_errors(self) -> bool:
        return bool(self.bad) or any(i.level == "error" for i in self.issues)

    def flag_bad_cells(self) -> None:
        """Error cells and formulas without a value: said, and their column then
        read as empty without a second, misleading message."""
        for key, position in self.sheet.columns.items():
            if position < len(self.cells) and isinstance(self.cells[position], BadCell):
                self.error(key, f"the cell holds {self.cells[position].what}")
                self.bad.add(key)


@dataclass
class FilePreview:
    """A checked file: every row's problems, and the batch it was recorded as.

    `sheet` (every row) and the parsed rows are for the commit in the same
    process; `slim()` drops them, so a page keeps only what it shows: the
    commit reads the kept copy of the file again and checks every row again."""

    batch_id: int
    file_name: str
    sha256: str
    sheet: Sheet | None
    issues: list[Issue]
    notices: list[str] = field(default_factory=list)
    previous: dict | None = None  # the earlier committed batch of the same file
    options: dict = field(default_factory=dict)  # how the file was read: sheet, units
    rows: int = 0  # data rows in the file
    joined: set[int] = field(default_factory=set)  # rows joined into the booking above
    other_sheets: list[str] = field(default_factory=list)

    def slim(self) -> FilePreview:
        return replace(self, sheet=None, **{name: [] for name in self.PARSED})

    PARSED: ClassVar[tuple[str, ...]] = ()  # the subclass's fields of parsed rows

    @property
    def error_rows(self) -> set[int]:
        return {i.row for i in self.issues if i.level == "error"}

    @property
    def warning_rows(self) -> set[int]:
        return {i.row for i in self.issues if i.level == "warning"} - self.error_rows

    @property
    def ready_rows(self) -> int:
        return self.rows - len(self.error_rows) - len(self.joined - self.error_rows)

    def commit_refusal(self, skip_invalid: bool) -> str | None:
        """Why a commit of this preview is refused before it starts, or None: errors
        need the choice to leave their rows out, and some row must be left to import."""
        errors = len(self.error_rows)
        if errors and not skip_invalid:
            return (f"{plural(errors, 'row')} {'has' if errors == 1 else 'have'} errors. Fix "
                    "them and upload again, or choose to import only the valid rows.")
        if not self.ready_rows:
            return "There is no valid row to import."
        return None

    def can_commit(self, *, skip_invalid: bool, force_duplicate_file: bool) -> bool:
        """Whether the page offers the commit: nothing refuses it, and a file committed
        before is confirmed again (the commit checks that against the store itself)."""
        return self.commit_refusal(skip_invalid) is None and (
            not self.previous or force_duplicate_file)

    def counts(self) -> dict:
        return {"rows": self.rows, "ready": self.ready_rows,
                "with_warnings": len(self.warning_rows), "with_errors": len(self.error_rows)}

    def as_json(self, status: str = "previewed") -> dict:
        return {"status": status, "batch": self.batch_id, "file_sha256": self.sha256,
                "sheet": self.options.get("sheet") or "", **self.counts(),
                "errors": [i.as_json() for i in self.issues if i.level == "error"],
                "warnings": [i.as_json() for i in self.issues if i.level == "warning"],
                "notices": self.notices}


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    """`1 row`, `2,000 rows` (NOUNS when the plural is not NOUN + s)."""
    return f"{number:,} {noun if number == 1 else nouns or noun + 's'}"


def refuse_errors_unless_skipped(preview: FilePreview, skip_invalid: bool) -> None:
    """The commit's first check (`FilePreview.commit_refusal`)."""
    refusal = preview.commit_refusal(skip_invalid)
    if refusal:
        raise UploadRefused(refusal)


# --- the batch ----------------------------------------------------------------------


def record_batch(con: Connection, user: User, kind: str, preview: FilePreview) -> int:
    counts = preview.counts()
    with transaction(con):
        batch_id = next_id(con, "import_batches")
        con.execute("""
            INSERT INTO import_batches (id, created_at, user_id, file_name, file_sha256, state,
                                        rows, ready, with_errors, kind)
            VALUES (?, current_localtimestamp(), ?, ?, ?, 'previewed', ?, ?, ?, ?)
        """, [batch_id, user.id, preview.file_name, preview.sha256, counts["rows"],
              counts["ready"], counts["with_errors"], kind])
    return batch_id


def previous_commit(con: Connection, sha256: str, *, kind: str,
                    other_than: int | None = None) -> dict | None:
    row = con.execute("""
        SELECT b.id, u.login, b.committed_at, b.imported, b.file_name FROM import_batches b
        LEFT JOIN users u ON u.id = b.user_id
        WHERE b.file_sha256 = ? AND b.kind = ? AND b.state = 'committed'
          AND b.id IS DISTINCT FROM ?
        ORDER BY b.committed_at DESC LIMIT 1
    """, [sha256, kind, other_than]).fetchone()
    if row is None:
        return None
    return dict(zip(("batch", "by", "at", "imported", "file_name"), row, strict=True))


def claim(con: Connection, preview: FilePreview, *, kind: str, noun: str, force: bool) -> None:
    """Move the batch from previewed to committing, or refuse.

    Every claim first updates one shared settings row, so two claims running
    at once conflict and one of them fails: no two batches of the same file
    can both pass the "committed before?" check.
    """
    try:
        with transaction(con):
            con.execute("UPDATE settings SET value = ? WHERE key = 'import_claim'",
                        [str(preview.batch_id)])
            (state,) = con.execute("SELECT state FROM import_batches WHERE id = ?",
                                   [preview.batch_id]).fetchone()
            if state != "previewed":
                raise UploadRefused(_state_refusal(preview.batch_id, state))
            busy = con.execute(
                "SELECT id, state FROM import_batches WHERE file_sha256 = ? AND kind = ? "
                "AND id <> ? AND state = 'committing'",
                [preview.sha256, kind, preview.batch_id]).fetchone()
            if busy:
                raise UploadRefused(f"This file is being imported right now (batch {busy[0]}).")
            earlier = previous_commit(con, preview.sha256, kind=kind, other_than=preview.batch_id)
            if earlier and not force:
                raise UploadRefused(
                    f"This file was imported before: batch {earlier['batch']} by {earlier['by']} "
                    f"on {earlier['at']:%d.%m.%Y %H:%M}, {earlier['imported']:,} {noun}. "
                    "Confirm explicitly to import it again.")
            # its condition in the statement: of two claims, one moves the batch
            if not con.execute("UPDATE import_batches SET state = 'committing', lease_until = ? "
                               "WHERE id = ? AND state = 'previewed' RETURNING id",
                               [lease_end(), preview.batch_id]).fetchall():
                raise UploadRefused(_state_refusal(preview.batch_id, "committing"))
    except (duckdb.TransactionException, duckdb.ConstraintException):
        raise UploadRefused("This upload is being imported by another click or tab; "
                            "look again in a moment.") from None


def _state_refusal(batch_id: int, state: str) -> str:
    return {
        "committing": f"Batch {batch_id} is being imported right now.",
        "committed": f"Batch {batch_id} was imported already; it is not imported twice.",
        "failed": f"Batch {batch_id} failed; upload the file again to retry.",
        "cancelled": f"Batch {batch_id} was cancelled; upload the file again.",
    }.get(state, f"Batch {batch_id} is {state}.")


def mark_committed(con: Connection, batch_id: int, imported: int, now: datetime) -> None:
    """Inside the import's transaction: the batch is committed with what it wrote, or not."""
    con.execute("UPDATE import_batches SET state = 'committed', imported = ?, committed_at = ? "
                "WHERE id = ?", [imported, now, batch_id])


def mark_failed(con: Connection, batch_id: int, error: str) -> None:
    con.execute("UPDATE import_batches SET state = 'failed', error = ? WHERE id = ?",
                [error, batch_id])


def cancel(con: Connection, batch_id: int) -> None:
    con.execute("UPDATE import_batches SET state = 'cancelled' WHERE id = ? AND state = "
                "'previewed'", [batch_id])


def recover_interrupted(con: Connection) -> list[int]:
    """A commit cut off by a crash wrote nothing (one transaction): say it failed.
    The batches' ids. On PostgreSQL only those whose lease ran out: another app
    process may be committing the others (`store.leased`)."""
    rows = con.execute("UPDATE import_batches SET state = 'failed', error = 'interrupted by a "
                       "restart; nothing was written' WHERE state = 'committing' AND "
                       f"{lapsed(con)} RETURNING id").fetchall()
    return sorted(batch_id for (batch_id,) in rows)


# --- the importer skeleton ------------------------------------------------------------

UPLOADS_KEPT_S = 2 * 86400  # a previewed file is kept this long for its commit


def uploads_dir(con: Connection) -> Path:
    """Where previewed files wait for their commit: beside the store, owner-only."""
    return private_dir(store_dir(con) / "uploads")


def keep_file(con: Connection, batch_id: int, data: bytes, options: dict) -> None:
    """Keep the uploaded bytes and how they were read, for the commit's second check."""
    folder = uploads_dir(con)
    cutoff = time.time() - UPLOADS_KEPT_S
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    write_private(folder / f"batch-{batch_id}.bin", data)
    write_private(folder / f"batch-{batch_id}.json", json.dumps(options).encode())


def kept_file(con: Connection, batch_id: int) -> bytes:
    try:
        return (uploads_dir(con) / f"batch-{batch_id}.bin").read_bytes()
    except FileNotFoundError:
        raise UploadRefused(f"The file of batch {batch_id} is no longer kept; upload it "
                            "again.") from None


@contextmanager
def no_cycle_collection():
    """A file's cells and rows make no reference cycles: collecting while a
    million of them are made only costs time, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Importer:
    """One kind of upload, previewed and committed the same way: the file read
    (`upload_file`), every row checked (`check`, the kind's own), the batch
    recorded; at commit, the kept file read and every row checked again
    against the catalogue inside the import's transaction, so the dry run and
    the real run are one code path, then the kind's `write`."""

    KIND: str = ""
    NOUN: str = ""
    LAYOUT: FileLayout
    RIGHT: Right
    PREVIEW: type[FilePreview] = FilePreview

    def check(self, con: Connection, sheet: Sheet, options: dict) -> FilePreview:
        """Every row of SHEET checked against the catalogue as it is now."""
        raise NotImplementedError

    def write(self, con: Connection, user: User, result: FilePreview, now: datetime):
        """Inside the commit's transaction: import RESULT's parsed rows."""
        raise NotImplementedError

    def transaction(self, con: Connection):
        """The commit's one transaction (a kind may map its conflicts to UploadRefused)."""
        return transaction(con)

    def preview(self, con: Connection, user: User, data: bytes, file_name: str,
                **options) -> FilePreview:
        user.require(self.RIGHT)
        options = {k: v for k, v in options.items() if v is not None}
        result = self._checked(con, data, file_name, options)
        result.previous = previous_commit(con, result.sha256, kind=self.KIND)
        result.batch_id = record_batch(con, user, self.KIND, result)
        keep_file(con, result.batch_id, data, {"file_name": file_name, **result.options})
        return result

    def _checked(self, con: Connection, data: bytes, file_name: str,
                 options: dict) -> FilePreview:
        with no_cycle_collection():
            try:
                sheet = read_sheet(data, self.LAYOUT, file_name=file_name,
                                   sheet_name=options.get("sheet"))
            except FileRefused as exc:
                raise UploadRefused(f"{file_name}: {exc}") from None
            result = self.check(con, sheet, options)
        result.file_name, result.sha256 = file_name, hashlib.sha256(data).hexdigest()
        result.options = {**options, "sheet": sheet.name}
        result.other_sheets = sheet.other_sheets
        result.rows = len(sheet.rows)
        return result

    def commit(self, con: Connection, user: User, result: FilePreview, *,
               skip_invalid: bool = False, force_duplicate_file: bool = False,
               now: datetime | None = None):
        user.require(self.RIGHT)
        refuse_errors_unless_skipped(result, skip_invalid)
        claim(con, result, kind=self.KIND, noun=self.NOUN, force=force_duplicate_file)
        now = now or datetime.now()
        try:
            with leased(con, "import_batches", result.batch_id), self.transaction(con):
                again = self._again(con, result)
                done = self.write(con, user, again, now)
                mark_committed(con, result.batch_id, done.imported, now)
        except UploadRefused as refused:
            mark_failed(con, result.batch_id, str(refused))
            raise
        except BaseException:
            mark_failed(con, result.batch_id, "the import stopped; nothing was written")
            raise
        return done

    def _again(self, con: Connection, result: FilePreview) -> FilePreview:
        """The file checked again now: a row the preview called ready that is no
        longer ready refuses the whole commit (nothing is written)."""
        data = kept_file(con, result.batch_id)
        again = self._checked(con, data, result.file_name, dict(result.options))
        newly_wrong = sorted(again.error_rows - result.error_rows)
        if newly_wrong:
            first = [i for i in again.issues if i.level == "error" and i.row in newly_wrong][:5]
            raise UploadRefused(
                f"Since the preview, {plural(len(newly_wrong), 'row')} can no longer be imported "
                f"({'; '.join(f'row {i.row}, {i.column}: {i.message}' for i in first)}). "
                "Nothing was imported; upload the file again to see every problem.")
        again.batch_id, again.previous = result.batch_id, result.previous
        again.issues += [i for i in result.issues if i.level == "error"
                         and i.row not in again.error_rows]  # reported, so left out
        for name in self.PREVIEW.PARSED:  # only what the preview promised
            setattr(again, name, [r for r in getattr(again, name)
                                  if r.row not in result.error_rows])
        return again

    def rows_to_fix(self, con: Connection, result: FilePreview) -> bytes:
        """The rows with errors, marked (.xlsx), from the kept copy when the
        preview kept no rows (a page's slim preview, before or after its commit)."""
        sheet = result.sheet
        if sheet is None:
            sheet = read_sheet(kept_file(con, result.batch_id), self.LAYOUT,
                               file_name=result.file_name, sheet_name=result.options.get("sheet"))
        return failed_rows_xlsx(sheet, result.issues, result.error_rows)

    def cancel(self, con: Connection, result: FilePreview) -> None:
        cancel(con, result.batch_id)
        for suffix in (".bin", ".json"):
            (uploads_dir(con) / f"batch-{result.batch_id}{suffix}").unlink(missing_ok=True)


@dataclass
class Committed:
    """What a commit did, whatever the kind of upload."""

    batch_id: int
    imported: int
    left_out: list[int]  # Excel rows not imported
    log_id: int | None = None
    noun: str = "bookings"
    details: dict = field(default_factory=dict)  # the kind's own figures
    text: str = ""  # the kind's own summary, when it has one

    def summary(self) -> str:
        if self.text:
            return self.text
        singular = self.noun.removesuffix("s")
        text = f"{self.imported:,} {singular if self.imported == 1 else self.noun} imported"
        if self.left_out:
            text += f"; {plural(len(self.left_out), 'row')} left out"
        return text + f" (batch {self.batch_id})."

    def as_json(self) -> dict:
        return {"status": "committed", "batch": self.batch_id, "imported": self.imported,
                "left_out": self.left_out, "log_id": self.log_id, **self.details}
