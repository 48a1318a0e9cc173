"""Downloads of the bookings list: the request, the job that writes the file, the worker.

A request is a Data log entry (kind 'export', state 'queued') holding the
filter; it returns at once. A worker thread in the app's process takes queued
entries one at a time (two cores: the app keeps the other) and moves each
through running (with progress) to ready or failed (with the reason). The
file holds exactly the Bookings list for that filter, as the requester may
see it (viewing period, masked phones), in the list's default order.

Rows stream from DuckDB into the writer: the list's own query, chunk by chunk
of its order (`list_rows`), each fetched in batches (`fetchmany`), so neither
Python nor DuckDB ever holds the whole set. The file is written under a
temporary name in `exports/` next to the store and renamed when complete, so
a half-written file is never served. Files at rest are the owner's only:
`exports/` is 0700 and its files 0600, and the writer's working files (xlsxwriter
keeps every row of a sheet in one until the file is assembled) go to a folder
of the job's own under `tmp/` beside the store (0700), never to the system's
/tmp; the job removes it when it ends, whichever way. When it is ready the
requester gets an email with a link: a random token of which only the sha256
is stored, valid for BOOKINGS_LINK_DAYS days (7).

A job interrupted by a crash or restart would stay "running" for ever: the
app's start-up (`bookings.startup`, through `recover_interrupted`) marks such
entries failed, saying so (queued ones are simply taken up), and removes what
such jobs left: half-written files and working folders. A job stopped by an
orderly shutdown goes back to the queue.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bookings import datalog, listing
from bookings.auth import user_by_id
from bookings.errors import NotFound, Refused
from bookings.exports import mail
from bookings.exports.files import SHEET_ROWS, Cover, open_sink, table_sql
from bookings.filters import BookingFilter, FilterError
from bookings.model import Right, User
from bookings.store import (
    POSTGRES,
    Connection,
    StoreError,
    dialect,
    lapsed,
    lease_end,
    lease_time,
    leased,
    location,
    open_store,
    private_dir,
    store_dir,
    temp_dir,
    transaction,
)

log = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
BATCH_ROWS = 10_000  # rows fetched and written at a time
CHUNK_ROWS = 50_000  # rows per query (keyset chunk): bounds DuckDB's memory
DEFAULT_LINK_DAYS = 7
DEFAULT_PORT = 8501
# The port the app serves on, set by server.py from Streamlit's `server.port`
# once it listens: links follow `make run PORT=8701` unless BOOKINGS_PUBLIC_URL says.
SERVED_PORT_VAR = "BOOKINGS_SERVED_PORT"
TEMP_PREFIX = "export-"  # a job's working folder under tmp/: export-<log id>-<random>
INTERRUPTED = ("interrupted: the app stopped while the file was being written. "
               "Request the download again.")

# Set by every request made in this process: the worker wakes at once instead
# of at its next poll.
WAKE = threading.Event()


class Stopped(Exception):
    """The worker is shutting down: the job goes back to the queue."""


# --- settings ---------------------------------------------------------------------


def link_days() -> int:
    text = os.environ.get("BOOKINGS_LINK_DAYS", "").strip()
    if not text:
        return DEFAULT_LINK_DAYS
    if not text.isdigit() or int(text) < 1:
        raise StoreError(f"BOOKINGS_LINK_DAYS must be a whole number of days, not {text!r}.")
    return int(text)


def public_url() -> str:
    """The app's address as users reach it: BOOKINGS_PUBLIC_URL, else this machine at
    the port the app serves on (BOOKINGS_SERVED_PORT, set by server.py), else 8501."""
    configured = os.environ.get("BOOKINGS_PUBLIC_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    port = os.environ.get(SERVED_PORT_VAR, "").strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        port = str(DEFAULT_PORT)
    return f"http://localhost:{int(port)}"


def exports_dir(con: Connection) -> Path:
    """exports/ beside the store, made owner-only (0700) if it is not yet."""
    return private_dir(store_dir(con) / "exports")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the request ------------------------------------------------------------------


def request_export(con: Connection, user: User, bfilter: BookingFilter, fmt: str = "xlsx", *,
                   email: str | None = None, now: datetime | None = None) -> int:
    """Record a download request (state queued) and return its Data log id at once.

    Checked here, on the server side: the export right, the list right, and
    that the filter is one this user may use (no phone search with phones hidden).
    """
    user.require(Right.EXPORT)
    if fmt not in FORMATS:
        raise Refused(f"The format is one of {', '.join(FORMATS)}, not {fmt!r}.")
    rows = listing.count(con, user, bfilter)
    what = bfilter.words(listing.names(con))
    details = json.dumps({"filter": bfilter.to_params(), "email": email or None})
    log_id = datalog.add_entry(con, requested_at=now or datetime.now(), user_id=user.id,
                               user_login=user.login, kind="export", what=what, filter=details,
                               rows=rows, format=fmt, state="queued", progress=0)
    WAKE.set()
    return log_id


# --- the job ----------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    log_id: int
    user_id: int
    fmt: str
    what: str
    bfilter: BookingFilter
    email: str | None
    requested_at: datetime


@dataclass(frozen=True)
class Outcome:
    log_id: int
    state: str  # ready or failed
    rows: int = 0
    file: Path | None = None
    link: str | None = None
    error: str | None = None
    mailed: str | None = None  # where the email went, when it went

    def as_json(self) -> dict:
        return {"log_id": self.log_id, "state": self.state, "rows": self.rows,
                "file": str(self.file) if self.file else None, "link": self.link,
                "error": self.error, "mailed": self.mailed}


def next_queued(con: Connection) -> int | None:
    row = con.execute("SELECT min(id) FROM data_log WHERE kind = 'export' AND state = 'queued'"
                      ).fetchone()
    return row[0]


_CLAIMED = "RETURNING id, user_id, format, what, filter, requested_at"


def claim_next(con: Connection) -> tuple | None:
    """The oldest queued download taken from the queue (queued -> running, with a lease), or
    None: one statement, its condition in it, so two workers (two app processes on one
    PostgreSQL database) never take the same entry; on PostgreSQL a worker passes by an
    entry another is taking (SKIP LOCKED) instead of waiting for it. The entry's row, for
    `run_job(claimed=...)`."""
    return con.execute(f"""
        UPDATE data_log SET state = 'running', progress = 0, lease_until = ?
        WHERE state = 'queued' AND id = (
            SELECT id FROM data_log WHERE kind = 'export' AND state = 'queued'
            ORDER BY id LIMIT 1{dialect(con).for_update("data_log", skip_locked=True)})
        {_CLAIMED}
    """, [lease_end()]).fetchone()


def run_job(con: Connection, log_id: int, *, stop: Callable[[], bool] | None = None,
            rows_per_sheet: int = SHEET_ROWS, batch_rows: int = BATCH_ROWS,
            chunk_rows: int = CHUNK_ROWS, now: Callable[[], datetime] = datetime.now,
            claimed: Job | tuple | None = None) -> Outcome:
    """Write the file of a queued entry (or of CLAIMED, the job of an entry already taken
    from the queue), then mail its link. Failures end in the log.

    Raises Stopped (the entry queued again) when STOP says the worker is ending.
    """
    try:
        job = claimed if isinstance(claimed, Job) else _job_of(claimed or _claim_row(con, log_id))
    except FilterError as unreadable:
        reason = (f"The download's filter does not read back ({unreadable}). Nothing was "
                  "written: read loosely, it would have let more bookings through.")
        _set(con, log_id, state="failed", error=reason, finished_at=now())
        return Outcome(log_id, "failed", error=reason)
    folder = exports_dir(con)
    name = secrets.token_hex(16)
    # the half-written file is named after its entry: recovery removes only its own
    partial = folder / f"{TEMP_PREFIX}{log_id}-{name}.part"
    final = folder / f"{name}.{job.fmt}"
    work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{log_id}-", dir=temp_dir(con)))  # 0700
    try:
        with leased(con, "data_log", log_id):
            rows = _write(con, job, partial, work, stop=stop or (lambda: False),
                          rows_per_sheet=rows_per_sheet, batch_rows=batch_rows,
                          chunk_rows=chunk_rows, now=now)
        os.replace(partial, final)  # complete: only now does it get its served name
    except Stopped:
        partial.unlink(missing_ok=True)
        _set(con, log_id, state="queued", progress=0)
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is told in the log
        partial.unlink(missing_ok=True)
        reason = _reason(exc)
        log.warning("export %s failed: %s", log_id, reason, exc_info=not _expected(exc))
        _set(con, log_id, state="failed", error=reason, finished_at=now())
        return Outcome(log_id, "failed", error=reason)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the writer's working files, whatever happened
    token = secrets.token_urlsafe(32)
    finished = now()
    _set(con, log_id, state="ready", progress=1.0, rows=rows,
         file_path=str(final.relative_to(folder.parent)), file_size=final.stat().st_size,
         file_sha256=sha256_of(final), token_sha256=token_hash(token),
         token_expires_at=finished + timedelta(days=link_days()), finished_at=finished)
    link = f"{public_url()}/download/{token}"
    mailed, mail_error = _mail_link(con, job, link, rows, finished)
    if mail_error:
        _set(con, log_id, error=mail_error)
    return Outcome(log_id, "ready", rows=rows, file=final, link=link, error=mail_error,
                   mailed=mailed)


def _claim(con: Connection, log_id: int) -> Job:
    """queued -> running, only once: a second worker (or a second call) gets a refusal."""
    return _job_of(_claim_row(con, log_id))


def _claim_row(con: Connection, log_id: int) -> tuple:
    """The entry's row, taken from the queue (with a lease) by one statement whose condition
    is in it: of two claims at once, on either engine, one gets it, the other NotFound."""
    row = con.execute(f"""
        UPDATE data_log SET state = 'running', progress = 0, lease_until = ?
        WHERE id = ? AND kind = 'export' AND state = 'queued'
        {_CLAIMED}
    """, [lease_end(), log_id]).fetchone()
    if row is None:
        raise NotFound(f"Data log entry {log_id} is not a queued download.")
    return row


def _job_of(row: tuple) -> Job:
    log_id, user_id, fmt, what, details, requested_at = row
    details = json.loads(details)
    bfilter = BookingFilter.stored(details["filter"])
    return Job(log_id, user_id, fmt, what, bfilter, details.get("email"), requested_at)


def _write(con: Connection, job: Job, path: Path, work: Path, *, stop: Callable[[], bool],
           rows_per_sheet: int, batch_rows: int, chunk_rows: int,
           now: Callable[[], datetime]) -> int:
    """Stream the rows into the file; returns how many went in."""
    user = _requester(con, job)
    _note_phones(con, job.log_id, listing.can_see_phones(user))
    reader = con.cursor()  # its own cursor: progress is written on `con` meanwhile
    # One snapshot for every chunk: a booking edited meanwhile is neither
    # written twice nor skipped, and the count matches the rows.
    reader.execute("BEGIN TRANSACTION")
    sink = open_sink(job.fmt, path, rows_per_sheet=rows_per_sheet, tmpdir=work)
    try:
        expected = max(listing.count(reader, user, job.bfilter), 1)
        for batch in list_rows(reader, user, job.bfilter, fmt=job.fmt, batch_rows=batch_rows,
                               chunk_rows=chunk_rows):
            if stop():
                raise Stopped()
            sink.write(batch)
            _set(con, job.log_id, progress=min(sink.rows / expected, 0.99))
        sink.close(_cover(con, job, user, now()))
    except BaseException:
        sink.abort()
        raise
    finally:
        reader.execute("ROLLBACK")  # it only read
        reader.close()
    return sink.rows


# The list's default order (newest visit first) as keys: rows up to and after (visit, id).
_FROM = "(b.visit_at < ? OR (b.visit_at = ? AND b.id <= ?))"
_AFTER = "(b.visit_at > ? OR (b.visit_at = ? AND b.id > ?))"


def list_rows(con: Connection, user: User, bfilter: BookingFilter, *,
              fmt: str = "xlsx", batch_rows: int = BATCH_ROWS, chunk_rows: int = CHUNK_ROWS
              ) -> Iterator[list[tuple]]:
    """The list's rows for a filter, in its default order, as the export's columns
    (typed values for xlsx, the cells' text for csv).

    A single query over the whole set would have DuckDB sort and hold it all
    (1.4 GB for a million bookings). So the set is cut into chunks of
    CHUNK_ROWS by the keys of the order (visit, id), found by one narrow query,
    and each chunk is the list's own query (`listing.rows_sql`) over its key
    range, fetched in batches (fetchmany). Run it inside one transaction: the
    chunks then come from one snapshot, neither overlapping nor skipping.
    """
    if listing.DEFAULT_SORT != "visit_at":
        raise AssertionError("the chunks follow the list's default order: visit, id")
    where, params = listing.scoped_where(user, bfilter)
    order = listing.order_by()  # b.visit_at DESC, b.id DESC
    starts = con.execute(f"""
        SELECT visit_at, id FROM (
            SELECT b.visit_at, b.id, row_number() OVER (ORDER BY {order}) AS n
            FROM bookings b WHERE {where}
        ) AS numbered WHERE (n - 1) % ? = 0 ORDER BY n
    """, [*params, chunk_rows]).fetchall()
    for k, (visit_at, booking_id) in enumerate(starts):
        keys, key_params = _FROM, [visit_at, visit_at, booking_id]
        if k + 1 < len(starts):  # up to the next chunk's first row
            after_visit, after_id = starts[k + 1]
            keys += f" AND {_AFTER}"
            key_params += [after_visit, after_visit, after_id]
        sql = table_sql(listing.rows_sql(user, f"({where}) AND {keys}", order, dialect(con)),
                        order, fmt, dialect(con))
        rows = con.execute(sql, [*params, *key_params, None, 0])  # LIMIT NULL: the whole chunk
        while batch := rows.fetchmany(batch_rows):
            yield batch


def _requester(con: Connection, job: Job) -> User:
    """The requester as they are now: rights withdrawn since the request apply."""
    user = user_by_id(con, job.user_id)
    if user is None or not user.active:
        raise Refused("the user who asked for it is gone or deactivated")
    user.require(Right.EXPORT)
    return user


def _note_phones(con: Connection, log_id: int, shown: bool) -> None:
    """Record in the entry's details whether the file shows phone numbers unmasked:
    every fetch checks the right again (`downloads`)."""
    (details,) = con.execute("SELECT filter FROM data_log WHERE id = ?", [log_id]).fetchone()
    details = {**json.loads(details or "{}"), "phones": shown}
    con.execute("UPDATE data_log SET filter = ? WHERE id = ?", [json.dumps(details), log_id])


def made_with_phones(con: Connection, log_id: int) -> bool:
    """Whether the entry's file shows phone numbers unmasked. A file written before
    this was recorded counts as showing them: its fetch then needs the phone right."""
    row = con.execute("SELECT filter FROM data_log WHERE id = ?", [log_id]).fetchone()
    details = json.loads(row[0]) if row and row[0] else {}
    return details.get("phones", True) is not False


def scope_notes(con: Connection, user: User, today: date | None = None) -> list[str]:
    """What the cover says of the bookings the requester may not see: the viewing
    period and, for a user who sees their own bookings only, whose those are."""
    notes = []
    since = listing.earliest_visible_visit(user, today)
    if since is not None:
        notes.append(f"Only visits from {since:%d.%m.%Y} on: the requester's viewing period.")
    own = listing.scope_in_words(con, user)
    if own is not None:
        notes.append(f"Only {own}: the requester sees their own bookings only.")
    return notes


def _cover(con: Connection, job: Job, user: User, written_at: datetime) -> Cover:
    notes = []
    if not listing.can_see_phones(user):
        notes.append("Phone numbers are masked (first and last two digits): the requester "
                     "may not see them.")
    notes += scope_notes(con, user)
    return Cover(requested_by=f"{user.name} ({user.login})",
                 requested_at=f"{job.requested_at:%d.%m.%Y %H:%M}",
                 written_at=f"{written_at:%d.%m.%Y %H:%M}", what=job.what, notes=notes)


_COLUMNS_SET = ("state", "progress", "rows", "file_path", "file_size", "file_sha256",
                "token_sha256", "token_expires_at", "finished_at", "error")


def _set(con: Connection, log_id: int, **values) -> None:
    unknown = set(values) - set(_COLUMNS_SET)
    if unknown:
        raise ValueError(f"not a job column: {unknown}")
    assignments = ", ".join(f"{name} = ?" for name in values)
    con.execute(f"UPDATE data_log SET {assignments} WHERE id = ?", [*values.values(), log_id])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected(exc: Exception) -> bool:
    return isinstance(exc, Refused | StoreError)


def _reason(exc: Exception) -> str:
    if _expected(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _mail_link(con: Connection, job: Job, link: str, rows: int,
               finished: datetime) -> tuple[str | None, str | None]:
    """Email the link to the address of the request; (where it went, or why it did not)."""
    if not job.email:
        return None, None
    days = link_days()
    body = (f"Your download of the bookings list is ready.\n\n"
            f"What: {job.what}\nRows: {rows:,}\nFormat: {job.fmt}\n"
            f"Requested: {job.requested_at:%d.%m.%Y %H:%M}\n\n"
            f"Download it here (the link works for {days} days, until "
            f"{finished + timedelta(days=days):%d.%m.%Y %H:%M}):\n{link}\n\n"
            f"It is also in the Data log of Bookings Overview (entry {job.log_id}; "
            f"sign in if asked):\n{public_url()}/data-log?entry={job.log_id}\n\n"
            "Anyone with this link can download the file: do not forward it.\n")
    try:
        message = mail.compose(to=job.email, subject=f"Your bookings download is ready "
                                                     f"({rows:,} rows)", body=body)
        return mail.deliver(message, store_dir=store_dir(con), name=f"export-{job.log_id}"), None
    except (mail.MailError, OSError, ValueError) as exc:
        log.warning("export %s: email not sent: %s", job.log_id, exc)
        return None, f"The file is ready, but the email could not be sent: {exc}"


# --- start-up, the CLI, the worker -------------------------------------------------


def recover_interrupted(con: Connection, now: datetime | None = None) -> list[int]:
    """Entries left "running" by a process that died: failed, with the reason.

    Safe at start-up only: on DuckDB one process holds the store, and no job of this
    process has started yet, so whatever runs was cut off, and what jobs left is
    removed: half-written files in exports/ and working folders in tmp/ (xlsxwriter's,
    holding rows and phones). On PostgreSQL other app processes may be writing theirs:
    only entries whose lease ran out (`store.lapsed`) are failed, and only their files
    removed.
    """
    ids = [i for (i,) in con.execute(f"""
        UPDATE data_log SET state = 'failed', error = ?, finished_at = ?
        WHERE kind = 'export' AND state = 'running' AND {lapsed(con)} RETURNING id
    """, [INTERRUPTED, now or datetime.now()]).fetchall()]
    alone = dialect(con) is not POSTGRES
    patterns = ["*"] if alone else [f"{log_id}-*" for log_id in ids]
    for pattern in patterns:
        half_written = "*.part" if alone else f"{TEMP_PREFIX}{pattern}.part"
        for partial in exports_dir(con).glob(half_written):
            partial.unlink(missing_ok=True)
        for left in temp_dir(con).glob(f"{TEMP_PREFIX}{pattern}"):
            if left.is_dir() and not left.is_symlink():
                shutil.rmtree(left, ignore_errors=True)
            else:
                left.unlink(missing_ok=True)
    return sorted(ids)


def export_now(con: Connection, user: User, bfilter: BookingFilter, fmt: str = "xlsx", *,
               email: str | None = None, rows_per_sheet: int = SHEET_ROWS,
               alone: bool = True) -> Outcome:
    """Request and write at once, in this thread (the CLI waits for its file).

    ALONE: no other job of this process runs (the `bookings` command on its own), so
    what a crash left "running" is recovered first. In the app (a command it runs for
    the CLI) the worker's jobs run beside it: nothing is recovered. Either way the
    entry is taken from the queue as it is made (one transaction), so the worker never
    takes it too.
    """
    if alone:
        recover_interrupted(con)
    try:
        with transaction(con):
            log_id = request_export(con, user, bfilter, fmt, email=email)
            job = _claim(con, log_id)
    except FilterError as unreadable:  # the filter just given does not read back
        raise Refused(f"The download's filter does not read back ({unreadable}).") from None
    return run_job(con, log_id, rows_per_sheet=rows_per_sheet, claimed=job)


class ExportWorker:
    """One background thread writing queued downloads, in the app's process."""

    def __init__(self, store_path: Path | str, *, poll_s: float = 5.0,
                 on_open: Callable[[Connection], object] | None = None,
                 sweep: Callable[[Connection], object] | None = None):
        """ON_OPEN runs once the worker has opened the store: the app's start-up, when
        the store was busy as the app started (else the app ran it itself). SWEEP runs
        every half lease (`store.lease_time`) between jobs: the recovery of work whose
        process died while others run on (`startup.sweep`)."""
        self.store_path = location(store_path)
        self.poll_s = poll_s
        self.on_open = on_open
        self.sweep = sweep
        self._swept_at = time.monotonic()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._con: Connection | None = None

    def start(self) -> None:
        """Open the store (the app's own instance) and start.

        A store another process holds does not stop the app: the worker tries
        again at every poll until it opens.
        """
        try:
            self._open()
        except StoreError as exc:
            log.warning("export worker waits for the store: %s", exc)
        self._thread = threading.Thread(target=self._run, name="export-worker", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        self._con = open_store(self.store_path)
        if self.on_open is not None:
            self.on_open(self._con)

    def stop(self, timeout_s: float = 30) -> None:
        self._stopping.set()
        WAKE.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._con is not None:
            self._con.close()

    def _run(self) -> None:
        while self._con is None:
            if self._stopping.wait(self.poll_s):
                return
            try:
                self._open()
            except StoreError:
                continue
        con = self._con.cursor()  # this thread's own cursor
        try:
            while not self._stopping.is_set():
                WAKE.clear()
                self._sweep_when_due(con)
                try:
                    claimed = claim_next(con)
                except Exception:  # noqa: BLE001 - the store may be back at the next poll
                    log.exception("export worker: taking the next download")
                    claimed = None
                if claimed is None:
                    WAKE.wait(self.poll_s)
                    continue
                log_id = claimed[0]
                try:
                    run_job(con, log_id, stop=self._stopping.is_set, claimed=claimed)
                except Stopped:
                    return
                except Exception:  # noqa: BLE001 - the worker outlives any one job
                    log.exception("export worker: entry %s", log_id)
        finally:
            con.close()

    def _sweep_when_due(self, con: Connection) -> None:
        if self.sweep is None:
            return
        now = time.monotonic()
        if now - self._swept_at < lease_time().total_seconds() / 2:
            return
        self._swept_at = now
        try:
            self.sweep(con)
        except Exception:  # noqa: BLE001 - the next sweep may get through
            log.exception("export worker: recovering the work of stopped app processes")
