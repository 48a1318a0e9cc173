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

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from bookings.auth import User
from bookings.store import Connection, StoreError, next_id, transaction
from bookings.upload_file import Sheet


class UploadRefused(StoreError):
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

    def __init__(self, sheet: Sheet, number: int, cells: list):
        self.sheet, self.number, self.cells = sheet, number, cells
        self.issues: list[Issue] = []

    def cell(self, key: str):
        return self.sheet.value(self.cells, key)

    def error(self, key: str, message: str) -> None:
        self.issues.append(Issue(self.number, self.HEADERS[key], message))

    def warn(self, key: str, message: str) -> None:
        self.issues.append(Issue(self.number, self.HEADERS[key], message, "warning"))

    def has_errors(self) -> bool:
        return any(i.level == "error" for i in self.issues)


@dataclass
class FilePreview:
    """A checked file: every row's problems, and the batch it was recorded as."""

    batch_id: int
    file_name: str
    sha256: str
    sheet: Sheet
    issues: list[Issue]
    notices: list[str] = field(default_factory=list)
    previous: dict | None = None  # the earlier committed batch of the same file

    @property
    def error_rows(self) -> set[int]:
        return {i.row for i in self.issues if i.level == "error"}

    @property
    def warning_rows(self) -> set[int]:
        return {i.row for i in self.issues if i.level == "warning"} - self.error_rows

    def counts(self) -> dict:
        rows = len(self.sheet.rows)
        return {"rows": rows, "ready": rows - len(self.error_rows),
                "with_warnings": len(self.warning_rows), "with_errors": len(self.error_rows)}

    def as_json(self, status: str = "previewed") -> dict:
        return {"status": status, "batch": self.batch_id, "file_sha256": self.sha256,
                **self.counts(),
                "errors": [i.as_json() for i in self.issues if i.level == "error"],
                "warnings": [i.as_json() for i in self.issues if i.level == "warning"],
                "notices": self.notices}


def refuse_errors_unless_skipped(preview: FilePreview, skip_invalid: bool, ready: int) -> None:
    """The commit's first check: errors need the user's choice, and something must be left."""
    errors = preview.counts()["with_errors"]
    if errors and not skip_invalid:
        raise UploadRefused(
            f"{errors:,} row(s) have errors. Fix them and upload again, or choose to import "
            "only the valid rows.")
    if not ready:
        raise UploadRefused("There is no valid row to import.")


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
            con.execute("UPDATE import_batches SET state = 'committing' WHERE id = ?",
                        [preview.batch_id])
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


def recover_interrupted(con: Connection) -> int:
    """A commit cut off by a crash wrote nothing (one transaction): say it failed."""
    rows = con.execute("UPDATE import_batches SET state = 'failed', error = 'interrupted by a "
                       "restart; nothing was written' WHERE state = 'committing' RETURNING id"
                       ).fetchall()
    return len(rows)
