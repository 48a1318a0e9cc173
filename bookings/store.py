"""The booking store: one DuckDB file, its versioned schema, and transactions.

A DuckDB file is locked by the one process that opens it for writing; a second
process cannot open it at all, not even read-only. `open_store` turns that
into `StoreBusy`, which the CLI reports with exit code 3 and the app as a
readable message.

Foreign keys are checked by the code that writes, not declared: DuckDB's
foreign keys forbid updating a referenced row, and bookings are updated
(deleted flag, edits) all the time.

New ids come from one sequence per table (`next_id`, `new_ids`), never from
max(id) + 1: two writers at the same moment get different ids, and an id is
not handed out again after its row is gone.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from bookings import config, dialects
from bookings.dialects import DUCKDB, POSTGRES, Dialect, is_url  # noqa: F401 (re-exported)
from bookings.filters import PAYMENT_CODE_SQL
from bookings.model import BUILTIN_BOOKING_CATEGORIES, DEFAULT_BOOKING_INTERVAL_MIN

Connection = duckdb.DuckDBPyConnection
log = logging.getLogger(__name__)

DATA_DIR_VARIABLE = "BOOKINGS_DATA_DIR"  # a PostgreSQL store's folder for files (store_dir)
PRIVATE_DIR_MODE = 0o700  # folders beside the store: only their owner may list or enter them
PRIVATE_FILE_MODE = 0o600  # the store, exports, outbox messages: only their owner reads them


class StoreError(Exception):
    """A problem with the store a person can act on; the message says what."""


class StoreBusy(StoreError):
    """The file is held by another process. UNANSWERED, when the command then asked the
    running app to run it (bookings/cli/channel.py): where it asked, and what happened."""

    def __init__(self, path: Path, holder: str = "", unanswered: str = ""):
        self.path = path
        self.holder = holder
        who = f" ({holder})" if holder else ""
        asked = f", and no running app answered on {unanswered}" if unanswered else ""
        super().__init__(
            f"The store {path} is busy: another process holds it{who}{asked}. "
            "Stop that process (for example the running app) or use another --db file."
        )


class StoreMissing(StoreError):
    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"There is no store at {path}. Create it with `bookings init`.")


class StoreOutdated(StoreError):
    """A file of an older schema, opened for reading: reading never migrates it."""

    def __init__(self, path: Path, version: int):
        self.path = path
        super().__init__(
            f"The store {path} was written by an older version of Bookings Overview "
            f"(schema {version}, this one needs {SCHEMA_VERSION}). Run `bookings init` to "
            "bring it up to date; reading leaves it as it is."
        )


# --- schema -----------------------------------------------------------------

_V1_TABLES = (
    """
CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
)
""",
    """
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    specialization VARCHAR NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE
)
""",
    """
CREATE TABLE service_categories (
    id INTEGER PRIMARY KEY,
    title VARCHAR NOT NULL
)
""",
    """
CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    title VARCHAR NOT NULL,
    category_id INTEGER NOT NULL,
    price DECIMAL(12, 2) NOT NULL,
    duration_s INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
)
""",
    """
CREATE TABLE booking_categories (
    id INTEGER PRIMARY KEY,
    title VARCHAR NOT NULL,
    color VARCHAR NOT NULL,
    builtin BOOLEAN NOT NULL DEFAULT FALSE
)
""",
    """
CREATE TABLE clients (
    id BIGINT PRIMARY KEY,
    name VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,          -- digits only, country code first
    email VARCHAR NOT NULL DEFAULT ''
)
""",
    """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL DEFAULT '',
    role VARCHAR NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash VARCHAR NOT NULL,   -- argon2id; never the password
    viewing_period_days INTEGER,      -- NULL = unlimited
    created_at TIMESTAMP NOT NULL
)
""",
    """
CREATE TABLE user_rights (
    user_id INTEGER NOT NULL,
    "right" VARCHAR NOT NULL,
    PRIMARY KEY (user_id, "right")
)
""",
    """
-- One row per booking. to_pay and service_count repeat what the service lines
-- say so that the list's payment and services filters need no join over
-- millions of lines; every write keeps them in step.
CREATE TABLE bookings (
    id BIGINT PRIMARY KEY,
    visit_at TIMESTAMP NOT NULL,
    length_s INTEGER NOT NULL,
    staff_id INTEGER NOT NULL,
    client_id BIGINT NOT NULL,
    attendance TINYINT NOT NULL,      -- -1 no-show, 0 pending, 1 arrived, 2 confirmed
    online BOOLEAN NOT NULL,
    source VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,               -- users.id; NULL = the client, online
    last_change_at TIMESTAMP NOT NULL,
    to_pay DECIMAL(12, 2) NOT NULL DEFAULT 0,
    paid DECIMAL(12, 2) NOT NULL DEFAULT 0,
    service_count SMALLINT NOT NULL DEFAULT 0,
    comment VARCHAR NOT NULL DEFAULT '',
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TIMESTAMP,
    deleted_by INTEGER,
    delete_operation VARCHAR,
    import_batch_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1  -- bumped by every change: no lost updates
)
""",
    """
CREATE TABLE booking_services (
    booking_id BIGINT NOT NULL,
    line_no SMALLINT NOT NULL,
    service_id INTEGER NOT NULL,
    title VARCHAR NOT NULL,           -- as it was when booked
    category_id INTEGER NOT NULL,
    cost DECIMAL(12, 2) NOT NULL,
    discount DECIMAL(12, 2) NOT NULL DEFAULT 0,
    to_pay DECIMAL(12, 2) NOT NULL
)
""",
    """
CREATE TABLE booking_category_links (
    booking_id BIGINT NOT NULL,
    category_id INTEGER NOT NULL
)
""",
    """
-- Audit trail: one row per booking and action; a bulk action shares one
-- operation id. The snapshot keeps names as they were at that moment.
CREATE TABLE booking_history (
    id BIGINT PRIMARY KEY,
    booking_id BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    actor_id INTEGER,
    actor_login VARCHAR,
    action VARCHAR NOT NULL,          -- created, edited, deleted, imported
    operation_id VARCHAR NOT NULL,
    snapshot JSON,
    changes JSON
)
""",
    """
CREATE TABLE data_log (
    id INTEGER PRIMARY KEY,
    requested_at TIMESTAMP NOT NULL,
    user_id INTEGER,
    user_login VARCHAR,
    kind VARCHAR NOT NULL,            -- export, upload, delete
    what VARCHAR NOT NULL,            -- the filter in words, or the file name
    filter JSON,
    rows BIGINT,
    rows_left_out BIGINT,
    format VARCHAR,
    state VARCHAR NOT NULL,           -- queued, running, ready, failed, done
    progress DOUBLE,
    file_path VARCHAR,
    file_size BIGINT,
    file_sha256 VARCHAR,
    error VARCHAR,
    operation_id VARCHAR,
    token_sha256 VARCHAR,             -- the download link's token, hashed
    token_expires_at TIMESTAMP,
    finished_at TIMESTAMP
)
""",
    """
CREATE TABLE data_log_fetches (
    log_id INTEGER NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    user_id INTEGER,
    user_login VARCHAR,
    via VARCHAR NOT NULL              -- page or link
)
""",
    """
CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    user_id INTEGER NOT NULL,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    state VARCHAR NOT NULL,           -- previewed, committing, committed, failed, cancelled
    rows INTEGER NOT NULL DEFAULT 0,
    ready INTEGER NOT NULL DEFAULT 0,
    with_errors INTEGER NOT NULL DEFAULT 0,
    imported INTEGER,
    committed_at TIMESTAMP,
    error VARCHAR
)
""",
)


def _v2_builtins_and_defaults(con: Connection) -> None:
    """The four built-in booking categories and the default booking interval."""
    con.executemany(
        "INSERT INTO booking_categories (id, title, color, builtin) VALUES (?, ?, ?, TRUE) "
        "ON CONFLICT DO NOTHING",
        [list(row) for row in BUILTIN_BOOKING_CATEGORIES],
    )
    con.execute(
        "INSERT INTO settings VALUES ('booking_interval_min', ?) ON CONFLICT DO NOTHING",
        [str(DEFAULT_BOOKING_INTERVAL_MIN)],
    )


_V3_SIGN_IN = (
    """
CREATE TABLE sign_in_failures (
    login VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
)
""",
)

_V4_IMPORT_CLAIM = (
    """
INSERT INTO settings VALUES ('import_claim', '') ON CONFLICT DO NOTHING
""",
)

# Settings changes: who changed what of whom, when, from what to what. Generic
# over what changed (a user's rights, an employee, a service, a category, the
# booking interval) so one log shows every change on the Settings page.
# Uploads of services share the import batches of bookings uploads; `kind`
# keeps their "file imported before" checks apart. Every change that could
# leave the salon without an owner first writes the `owner_guard` row, so two
# such changes at once conflict instead of both passing the check.
_V5_SETTINGS_CHANGES = (
    """
CREATE TABLE settings_changes (
    id BIGINT PRIMARY KEY,
    changed_at TIMESTAMP NOT NULL,
    actor_id INTEGER,                 -- NULL: the command line without --user
    actor_login VARCHAR,
    subject VARCHAR NOT NULL,         -- user, employee, service, service category, ...
    subject_id VARCHAR,               -- the login or the id
    subject_name VARCHAR,             -- as it was named then
    action VARCHAR NOT NULL,          -- added, renamed, rights changed, deactivated, ...
    old JSON,
    new JSON,
    operation_id VARCHAR              -- shared by the changes of one action (an upload)
)
""",
    """
ALTER TABLE import_batches ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'bookings'
""",
    """
INSERT INTO settings VALUES ('owner_guard', '') ON CONFLICT DO NOTHING
""",
)

# Sessions: a signed-in browser holds a random token in an HttpOnly cookie; only
# its sha256 is kept. A row starts as a single-use sign-in ticket (handed over the
# websocket, swapped by the /auth/session route for the cookie's token within
# seconds), then lives until signed out, ended (deactivation, a password reset,
# "sign out everywhere") or expired (idle or absolute lifetime).
# Sign-in failures are counted per login and client address: guessing from one
# address slows down, while the login's owner elsewhere is never locked out.
# A user may be one of the salon's employees (staff_id); scope 'own' limits what
# they see to the bookings made to that employee.
_V6_SESSIONS_AND_SCOPE = (
    """
CREATE TABLE sessions (
    id BIGINT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    ticket_sha256 VARCHAR,            -- the sign-in ticket, until swapped
    ticket_expires_at TIMESTAMP,
    token_sha256 VARCHAR,             -- the cookie's token, once swapped
    client VARCHAR,                   -- the address it was signed in from
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    ended_why VARCHAR                 -- signed out, expired, deactivated, ...
)
""",
    """
ALTER TABLE sign_in_failures ADD COLUMN client VARCHAR NOT NULL DEFAULT ''
""",
    """
ALTER TABLE users ADD COLUMN staff_id INTEGER
""",
    """
ALTER TABLE users ADD COLUMN scope VARCHAR NOT NULL DEFAULT 'all'
""",
)

# schema_version gets a key, one row per version: built anew, as DuckDB adds no key
# to a table that has rows.
_V7_SCHEMA_VERSION_KEY = (
    "CREATE TABLE schema_version_keyed (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)",
    "INSERT INTO schema_version_keyed "
    "SELECT version, min(applied_at) FROM schema_version GROUP BY version",
    "DROP TABLE schema_version",
    "ALTER TABLE schema_version_keyed RENAME TO schema_version",
)

# The tables whose rows get a new id from the store: each has a sequence named after
# it (`bookings_id`), the only source of its new ids (`next_id`, `new_ids`).
ID_TABLES = (
    "staff",
    "service_categories",
    "services",
    "booking_categories",
    "clients",
    "users",
    "bookings",
    "booking_history",
    "data_log",
    "import_batches",
    "settings_changes",
)


def _sequence(table: str) -> str:
    if table not in ID_TABLES:
        raise ValueError(f"no id sequence for {table!r}")
    return f"{table}_id"


def _v8_id_sequences(con: Connection) -> None:
    """One sequence per id table, starting above the ids the file holds already.

    A function, not statements: the start is each table's max(id) when it runs. DuckDB
    2.0 has no identity columns; a sequence hands out each value once, whichever
    transaction or cursor asks, so two writers never pick the same id.
    """
    for table in ID_TABLES:
        (top,) = con.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
        con.execute(f"CREATE SEQUENCE {_sequence(table)} START WITH {int(top) + 1}")


# Leases (issue 16: several app processes on one PostgreSQL database): a running export
# and an upload commit hold a lease its process renews while it works; start-up
# recovery fails only what a dead process left (its lease run out), never another live
# process's work.
_V9_LEASES = (
    "ALTER TABLE data_log ADD COLUMN lease_until TIMESTAMP",
    "ALTER TABLE import_batches ADD COLUMN lease_until TIMESTAMP",
)


def _v10_list_order_index(con: Connection) -> None:
    """PostgreSQL reads the list's opening order (newest visit first, listing's ORDER BY
    exactly) from an index instead of sorting every booking for one page of 100. DuckDB
    scans and sorts a million rows in milliseconds without one; an index there would
    only slow its writes and cost memory."""
    if dialect(con) is POSTGRES:
        con.execute("CREATE INDEX IF NOT EXISTS bookings_visit_order "
                    "ON bookings (visit_at DESC NULLS LAST, id DESC)")


# PostgreSQL's indexes for reading one booking's rows and one client's bookings: the
# list's page looks up its 100 bookings' service lines and labels, Info its history,
# the client search the client's bookings. Without them each lookup reads the whole
# table (1.1M service lines: 170 ms a page at a million bookings). DuckDB scans them
# in milliseconds and gets none.
_V11_LOOKUP_INDEXES = (
    "CREATE INDEX IF NOT EXISTS booking_services_booking ON booking_services (booking_id)",
    "CREATE INDEX IF NOT EXISTS booking_category_links_booking "
    "ON booking_category_links (booking_id)",
    "CREATE INDEX IF NOT EXISTS booking_history_booking ON booking_history (booking_id)",
    "CREATE INDEX IF NOT EXISTS bookings_client ON bookings (client_id)",
)


def _v11_postgres_planning(con: Connection) -> None:
    """PostgreSQL only: the lookup indexes above, and a statistic of the four facets
    (source, payment, visit status, employee) taken together. Without it PostgreSQL
    multiplies each column's count: 100,000 groups at a million bookings, where there
    are a few thousand, and so estimated it groups the summary in one process; with it
    (ANALYZE fills it), in parallel, about 40% faster (README, bench_postgres). The
    payment code must be the summary's expression exactly (a test checks the plan): a
    change of `PAYMENT_CODE_SQL` needs a migration that makes the statistic again."""
    if dialect(con) is not POSTGRES:
        return
    for statement in _V11_LOOKUP_INDEXES:
        con.execute(statement)
    payment = PAYMENT_CODE_SQL.replace("b.", "")
    con.execute("CREATE STATISTICS IF NOT EXISTS bookings_facets (ndistinct) ON "
                f"source, attendance, staff_id, ({payment}) FROM bookings")


# Ordered; a migration's index + 1 is the schema version it brings the file to.
# Append only: a store file written by an older version is brought up to date
# by running the ones it has not seen. Each is a function or a tuple of single
# statements (never a script split on ";", which a string literal may hold).
MIGRATIONS: list[tuple[str, ...] | Callable[[Connection], None]] = [
    _V1_TABLES,
    _v2_builtins_and_defaults,
    _V3_SIGN_IN,
    _V4_IMPORT_CLAIM,  # the row every upload commit claims first (see upload_batch.claim)
    _V5_SETTINGS_CHANGES,
    _V6_SESSIONS_AND_SCOPE,
    _V7_SCHEMA_VERSION_KEY,
    _v8_id_sequences,
    _V9_LEASES,
    _v10_list_order_index,
    _v11_postgres_planning,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(con: Connection) -> int:
    exists = con.execute(dialect(con).table_exists_sql, ["schema_version"]).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: Connection, upto: int = SCHEMA_VERSION) -> int:
    """Apply the migrations the file has not seen, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    current = schema_version(con)
    _refuse_newer(current)
    if dialect(con) is POSTGRES and current < upto:
        with transaction(con):
            dialects.teach_postgres(con)
    for version in range(current + 1, upto + 1):
        step = MIGRATIONS[version - 1]
        with transaction(con):
            if callable(step):
                step(con)
            else:
                for statement in step:
                    con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, current_localtimestamp())", [version]
            )
    return schema_version(con)


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The store was written by a newer version of Bookings Overview "
            f"(schema {version}, this one knows {SCHEMA_VERSION}). Upgrade the app."
        )


def _require_current(con: Connection, path: Path) -> None:
    """For reading: the file must be of this schema, as reading may not migrate it."""
    version = schema_version(con)
    _refuse_newer(version)
    if version < SCHEMA_VERSION:
        raise StoreOutdated(path, version)


# --- connections ------------------------------------------------------------

# A commit appends to the write-ahead log; the file itself is rewritten
# (checkpointed) only once the log passes this size or the store closes. The
# default (16 MB) makes a bulk deletion scattered over millions of bookings
# pay a checkpoint of every row group it touched inside its click.
CONNECTION_CONFIG = {"checkpoint_threshold": "256MB"}


def location(text: Path | str) -> Path | str:
    """Where a store is, as `--db` and BOOKINGS_DB give it: a file's Path, or a
    `postgresql://` URL kept as text (a Path would fold its `//`)."""
    return str(text) if is_url(str(text)) else Path(text)


def dialect(con) -> Dialect:
    """The SQL dialect of CON's engine (bookings/dialects.py: where the engines differ)."""
    return getattr(con, "dialect", DUCKDB)


def open_store(path: Path | str, *, create: bool = True, read_only: bool = False) -> Connection:
    """Open (and migrate) the store file, or the PostgreSQL database a URL names.

    create=False refuses a missing file (read commands say so instead of making
    an empty store). read_only opens without migrating, for reading only, and
    refuses a file of another schema (StoreOutdated: `bookings init` migrates it).
    """
    if is_url(str(path)):
        return _open_postgres(str(path), create=create, read_only=read_only)
    path = Path(path)
    new = not path.exists()
    if new:
        if not create or read_only:
            raise StoreMissing(path)
        if not path.parent.exists():
            private_dir(path.parent)  # a folder made for the store is the owner's only
    if not read_only and _is_default_data_dir(path.parent):
        private_dir(path.parent)  # the app's own data/ (also one made by an older version)
    con = _connect(path, read_only)
    if new:
        # DuckDB creates the file as the umask says (0644): made the owner's only at
        # once. Its write-ahead log (.wal) is created anew after every checkpoint,
        # the same way: the 0700 folder is what keeps that one private.
        _tighten(path, PRIVATE_FILE_MODE)
    return _made_ready(con, path, read_only)


def _made_ready(con: Connection, shown, read_only: bool) -> Connection:
    """CON checked to be of this version (reading only) or brought to it; closed on failure."""
    try:
        if read_only:
            _require_current(con, shown)
        else:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


class _PostgresStore(dialects.PostgresConnection):
    """A connection to the store's database, and each of its cursors (a connection too):
    one that cannot be made is a StoreError, in words, like a busy or missing file."""

    def __init__(self, url: str, read_only: bool = False):
        try:
            super().__init__(url, read_only)
        except dialects.PostgresError as exc:
            raise StoreError(f"The store {dialects.shown_url(url)} cannot be opened: "
                             f"{str(exc).strip()}") from exc


def _open_postgres(url: str, *, create: bool, read_only: bool) -> Connection:
    """The store in the PostgreSQL database URL names (an empty one: `bookings init`
    creates everything in it). Reading only is the server's promise here: every
    transaction of the connection is READ ONLY."""
    con = _PostgresStore(url, read_only=read_only)
    if (read_only or not create) and _schema_version_or_close(con) == 0:
        con.close()
        raise StoreMissing(dialects.shown_url(url))
    return _made_ready(con, dialects.shown_url(url), read_only)


def _schema_version_or_close(con: Connection) -> int:
    try:
        return schema_version(con)
    except BaseException:
        con.close()
        raise


def _connect(path: Path, read_only: bool) -> Connection:
    try:
        return duckdb.connect(str(path), read_only=read_only, config=CONNECTION_CONFIG)
    except duckdb.IOException as exc:
        raise _busy_or_error(path, exc) from exc
    except duckdb.ConnectionException as exc:
        if not read_only or "different configuration" not in str(exc):
            raise
    # This process holds the file for writing already (the app, a test), and DuckDB opens
    # it again only as it is open: reading only is then the caller's promise, not DuckDB's.
    return duckdb.connect(str(path), config=CONNECTION_CONFIG)


# --- files at rest ----------------------------------------------------------------
# Created with their mode given (no umask change: the process is shared), in
# folders only their owner may enter. The uploads/ folder does the same
# (upload_batch.keep_file).


def private_dir(path: Path | str) -> Path:
    """The folder, made (with its parents) if missing, readable by its owner only (0700).

    An existing folder is tightened to 0700 too: these folders are the app's own.
    """
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """An empty file (emptied if it exists) only its owner may read or write (0600).

    Open it afterwards as usual ("w", "wb", a library writing to the name): an
    existing file keeps its mode when it is opened again.
    """
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # it may have existed with another mode
    finally:
        os.close(descriptor)
    return path


def write_private(path: Path | str, data: bytes) -> Path:
    """Write DATA whole as PATH, 0600, in a 0700 folder; never half a file.

    Written under a temporary name first and renamed when complete (the rename
    keeps the mode).
    """
    path = Path(path)
    private_dir(path.parent)
    partial = private_file(path.with_name(f".{path.name}.part"))
    try:
        with open(partial, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except OSError as exc:  # not ours (a shared folder): say so, go on
        log.warning("could not make %s private (%o): %s", path, mode, exc)


def _is_default_data_dir(folder: Path) -> bool:
    try:
        return folder.resolve() == Path(config.DATA_DIR).resolve()
    except OSError:
        return False


def _busy_or_error(path: Path, exc: duckdb.IOException) -> StoreError:
    message = str(exc)
    if "lock" in message.lower():
        holder = re.search(r"held in (.+?)(?:\. See also|$)", message)
        return StoreBusy(path, holder.group(1) if holder else "")
    return StoreError(f"The store {path} cannot be opened: {message}")


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    """All of the block's writes, or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        _rollback_quietly(con)
        raise


@contextmanager
def reading_only(con: Connection) -> Iterator[Connection]:
    """The block in a transaction that cannot write, rolled back after: reading only,
    kept by DuckDB itself on a connection that could write (a reading command the
    running app runs for the `bookings` command, on its own read-write connection)."""
    con.execute("BEGIN TRANSACTION READ ONLY")
    try:
        yield con
    finally:
        _rollback_quietly(con)


_EXCLUSIVE: dict[str, threading.Lock] = {}
_EXCLUSIVE_GUARD = threading.Lock()


@contextmanager
def exclusive(con: Connection, name: str) -> Iterator[Connection]:
    """One block named NAME at a time, in a transaction: for a check-then-write that
    must not interleave (sign-in throttling: count the failures, then note one).

    DuckDB lets one process hold the file, so a lock of this process is all there is
    to take; DuckDB's own write conflicts would let two such blocks both pass the
    check, since each only inserts.
    """
    with _EXCLUSIVE_GUARD:
        lock = _EXCLUSIVE.setdefault(name, threading.Lock())
    with lock, transaction(con):
        if dialect(con) is POSTGRES:  # other processes too: the server's own lock
            con.execute("SELECT pg_advisory_xact_lock(hashtext(?))", [name]).fetchall()
        yield con


def _rollback_quietly(con: Connection) -> None:
    """Roll back what is left; a failed COMMIT may have ended the transaction already."""
    try:
        con.execute("ROLLBACK")
    except (duckdb.Error, dialects.PostgresError):
        pass


# --- leases: work one process does that the others must leave alone ------------------

def lease_time() -> timedelta:
    """How long a lease lasts unrenewed: BOOKINGS_LEASE_S seconds (120)."""
    text = os.environ.get("BOOKINGS_LEASE_S", "").strip()
    return timedelta(seconds=int(text) if text.isdigit() and int(text) > 0 else 120)


def lease_end(now: datetime | None = None) -> datetime:
    """Where a lease taken or renewed now ends."""
    return (now or datetime.now()) + lease_time()


@contextmanager
def leased(con: Connection, table: str, row_id: int) -> Iterator[None]:
    """The lease of row ROW_ID of TABLE (a running export, an upload commit) renewed while
    the block runs, on a connection of its own, so that another process's start-up
    leaves this work alone (`lapsed`). DuckDB: nothing to do, as one process holds the
    file and its start-up fails whatever it finds running."""
    if table not in ("data_log", "import_batches"):
        raise ValueError(f"no lease in {table!r}")
    if dialect(con) is not POSTGRES:
        yield
        return
    stop = threading.Event()
    renewer = con.cursor()

    def renew() -> None:
        while not stop.wait(lease_time().total_seconds() / 4):
            try:
                renewer.execute(f"UPDATE {table} SET lease_until = ? WHERE id = ?",
                                [lease_end(), row_id])
            except dialects.PostgresError as exc:  # the next one may get through
                log.warning("lease of %s %s not renewed: %s", table, row_id, exc)

    thread = threading.Thread(target=renew, name=f"lease-{table}-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        renewer.close()


def lapsed(con: Connection) -> str:
    """SQL: the row's work was cut off (its process is gone). DuckDB: whatever runs at
    start-up (one process holds the file); PostgreSQL: its lease ran out unrenewed."""
    if dialect(con) is not POSTGRES:
        return "TRUE"
    return "(lease_until IS NULL OR lease_until < current_localtimestamp())"


# A block of ids is taken in one statement while no other id is: its ids are consecutive.
# (Only this process writes the file, so a lock of this process is enough.)
_ID_LOCK = threading.Lock()


def next_id(con: Connection, table: str) -> int:
    """A new id of TABLE, from its sequence: never handed out before, nor again (an id
    taken by a transaction that rolls back is skipped)."""
    return new_ids(con, table, 1)


def new_ids(con: Connection, table: str, count: int) -> int:
    """The first of COUNT consecutive new ids of TABLE (a set-based insert numbers its
    rows from it)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    with _ID_LOCK, dialect(con).ids_lock(con):
        # fetchall, not fetchone: it leaves no open result to block the next call
        (first,) = con.execute(dialect(con).new_ids_sql, [_sequence(table), count]).fetchall()[0]
    return first


def sequences_past_ids(con: Connection) -> None:
    """Move each id sequence past the ids its table holds: after rows written with ids
    of their own (the demo numbers an empty store's rows itself)."""
    for table in ID_TABLES:
        (top,) = con.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchall()[0]
        with _ID_LOCK:
            (coming,) = con.execute(dialect(con).sequence_next_sql,
                                    [_sequence(table)]).fetchall()[0]
            if coming <= top:
                con.execute(dialect(con).setval_sql, [_sequence(table), top]).fetchall()


def get_setting(con: Connection, key: str, default: str | None = None) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def store_dir(con: Connection) -> Path:
    """The folder of the store file: exports/, outbox/ and uploads/ live beside it.

    A PostgreSQL store has no file: its folder is the one BOOKINGS_DATA_DIR names (read
    when asked), which every process of the app must reach (one host's data/, or a
    folder shared by several hosts). Unset, it is refused, naming the variable.
    """
    if dialect(con) is POSTGRES:
        given = os.environ.get(DATA_DIR_VARIABLE, "").strip()
        if not given:
            raise StoreError(
                f"A PostgreSQL store keeps its files (exports, uploads, the outbox) in the "
                f"folder {DATA_DIR_VARIABLE} names, and it is not set. Set "
                f"{DATA_DIR_VARIABLE} to a folder every process of the app can reach.")
        return Path(given).resolve()
    (path,) = con.execute("SELECT path FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchone()
    return Path(path).resolve().parent


def temp_dir(con: Connection) -> Path:
    """tmp/ beside the store (0700): working files of a job, never the system's /tmp."""
    return private_dir(store_dir(con) / "tmp")


def booking_interval_min(con: Connection) -> int:
    return int(get_setting(con, "booking_interval_min", str(DEFAULT_BOOKING_INTERVAL_MIN)))


def is_empty(con: Connection) -> bool:
    """True when the store holds no business yet (no staff, no bookings)."""
    return con.execute(
        "SELECT (SELECT count(*) FROM staff) + (SELECT count(*) FROM bookings)"
    ).fetchone()[0] == 0
