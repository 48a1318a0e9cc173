"""A whole salon from one store to another: DuckDB file to PostgreSQL and back (issue 16).

`copy_store(source, destination)` copies every table of the schema, as the source's
information_schema lists it (not a list kept by hand), in one transaction on the
destination, which must be initialised and empty (`bookings init`, nothing else):

- the rows travel as CSV, written and read by the engines themselves, never a Python
  object per row: into PostgreSQL through psycopg's `COPY t (cols) FROM STDIN (FORMAT
  csv)`, fed with what DuckDB's `COPY (SELECT ...) TO 'file.csv'` wrote; out of it
  through `COPY (SELECT ...) TO STDOUT (FORMAT csv)`, kept in a temporary file that
  DuckDB's `COPY t (cols) FROM` reads (quoted empty text stays text, not NULL);
- each id sequence moved to where the source's stands (an id handed out there is not
  handed out again here), and past the ids the rows hold;
- then checked: per table, the row count and a checksum computed the same way by each
  engine, of the source (in the snapshot it was copied from) and of the destination
  (before COMMIT). A difference rolls everything back and says which tables differ.

The checksum (`checksum_sql`): each row rendered as text the same way on both engines
(integers and decimals as written, with their scale; booleans t/f; timestamps
`YYYY-MM-DD HH:MI:SS.ffffff`; doubles to 9 decimals; text and json as stored; each value
followed by a NULL flag; char 31 between values), its md5, and the sum over the rows of
two 60-bit pieces of it (the first 30 hex digits): order-free, so neither side is sorted.

The schema declares no foreign keys (bookings/store.py says why), so no order is
forced; tables are copied in name order, after any table a declared reference names.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bookings.dialects import POSTGRES, shown_url
from bookings.store import (
    ID_TABLES,
    Connection,
    StoreError,
    dialect,
    open_store,
    transaction,
)

CHUNK_BYTES = 1 << 20
# What `bookings init` itself puts in an empty store: replaced by the source's rows.
INIT_FILLED = ("settings", "booking_categories")
NOT_COPIED = ("schema_version",)  # both stores are of this schema version already

Progress = Callable[[str, int, float], None]  # table, rows, seconds


class CopyRefused(StoreError):
    """The copy cannot start (the destination is not empty, the schemas differ) or did
    not check out (nothing is kept)."""


@dataclass
class CopyResult:
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


# --- the checksum -------------------------------------------------------------------


def _kind(engine_type: str) -> str:
    """A column's type as the checksum renders it: int, exact, bool, time, float, text."""
    name = engine_type.lower()
    if name in ("integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8",
                "hugeint", "ubigint", "uinteger", "usmallint", "utinyint"):
        return "int"
    if name.startswith(("decimal", "numeric")):
        return "exact"
    if name in ("boolean", "bool"):
        return "bool"
    if name in ("timestamp", "timestamp without time zone"):
        return "time"
    if name in ("double", "float8", "double precision", "real", "float4", "float"):
        return "float"
    return "text"


def _rendered(con: Connection, name: str, kind: str) -> str:
    column = '"' + name.replace('"', '""') + '"'
    postgres = dialect(con) is POSTGRES
    text = {
        "int": f"CAST({column} AS VARCHAR)",
        "exact": f"CAST({column} AS VARCHAR)",
        "bool": f"CASE WHEN {column} THEN 't' ELSE 'f' END",
        "time": (f"to_char({column}, 'YYYY-MM-DD HH24:MI:SS.US')" if postgres
                 else f"strftime({column}, '%Y-%m-%d %H:%M:%S.%f')"),
        "float": f"CAST(CAST({column} AS DECIMAL(38, 9)) AS VARCHAR)",
        "text": f"CAST({column} AS VARCHAR)",
    }[kind]
    return f"coalesce({text}, '') || CASE WHEN {column} IS NULL THEN '0' ELSE '1' END"


def checksum_sql(con: Connection, table: str, columns: list[tuple[str, str]]) -> str:
    """One row (rows, sum1, sum2): TABLE's checksum, rendered alike on both engines."""
    row = " || chr(31) || ".join(_rendered(con, name, _kind(kind)) for name, kind in columns)
    if dialect(con) is POSTGRES:
        piece = "('x' || substr(h, {0}, 15))::bit(60)::bigint"
    else:
        piece = "CAST('0x' || substr(h, {0}, 15) AS BIGINT)"
    return (f"SELECT count(*), coalesce(sum({piece.format(1)}), 0), "
            f"coalesce(sum({piece.format(16)}), 0) "
            f'FROM (SELECT md5({row}) AS h FROM "{table}") rows_md5')


def checksum(con: Connection, table: str) -> tuple[int, int, int]:
    (rows, first, second) = con.execute(
        checksum_sql(con, table, columns_of(con, table))).fetchall()[0]
    return int(rows), int(first), int(second)


# --- the schema ---------------------------------------------------------------------


def tables_of(con: Connection) -> list[str]:
    """The store's tables, each after the tables its declared references name."""
    names = sorted(name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_type = 'BASE TABLE'").fetchall()
        if name not in NOT_COPIED)
    after: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in con.execute(
            "SELECT c.table_name, p.table_name FROM information_schema.referential_constraints r "
            "JOIN information_schema.table_constraints c ON c.constraint_name = r.constraint_name "
            "JOIN information_schema.table_constraints p "
            "ON p.constraint_name = r.unique_constraint_name").fetchall():
        if child in after and parent in after and child != parent:
            after[child].add(parent)
    ordered: list[str] = []
    while after:
        ready = sorted(name for name, parents in after.items() if not parents - set(ordered))
        if not ready:  # a cycle: what is left, by name
            ready = sorted(after)
        for name in ready:
            ordered.append(name)
            del after[name]
    return ordered


def columns_of(con: Connection, table: str) -> list[tuple[str, str]]:
    """(name, type) of TABLE's columns in their order; the type as the engine names it
    (PostgreSQL: its udt_name, which COPY's typed reading takes)."""
    kind = "udt_name" if dialect(con) is POSTGRES else "data_type"
    return [tuple(row) for row in con.execute(
        f"SELECT column_name, {kind} FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()]


def _quoted(names) -> str:
    return ", ".join('"' + name.replace('"', '""') + '"' for name in names)


# --- the rows in transit -----------------------------------------------------------


def _send(src: Connection, dst: Connection, table: str, names: str, folder: Path) -> None:
    """TABLE's rows from SRC into DST as CSV (see the module)."""
    part = folder / f"{table}.csv"
    if dialect(src) is POSTGRES:
        with src.raw.cursor() as cur, part.open("wb") as out, cur.copy(
                f'COPY (SELECT {names} FROM "{table}") TO STDOUT (FORMAT csv)') as copy:
            for data in copy:
                out.write(data)
    else:
        src.execute(f"COPY (SELECT {names} FROM \"{table}\") TO '{part}' "
                    "(FORMAT csv, HEADER false)")
    if dialect(dst) is POSTGRES:
        with dst.raw.cursor() as cur, part.open("rb") as given, cur.copy(
                f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)') as copy:
            while data := given.read(CHUNK_BYTES):
                in_transit(copy.write, table, data)
    else:
        if dialect(src) is POSTGRES:  # the file, as a test may alter it in transit
            data = part.read_bytes()
            altered: list[bytes] = []
            in_transit(altered.append, table, data)
            part.write_bytes(b"".join(altered))
        if part.stat().st_size:  # (an empty file has no dialect to sniff)
            dst.execute(f"COPY \"{table}\" ({names}) FROM '{part}' (FORMAT csv, HEADER "
                        "false, DELIMITER ',', QUOTE '\"', ESCAPE '\"', "
                        "ALLOW_QUOTED_NULLS false)")
    part.unlink()


def in_transit(write: Callable[[bytes], object], table: str, data: bytes) -> None:
    """Hand a piece of TABLE's CSV to the destination (one place, so that a test may
    alter rows in transit and see the check catch it)."""
    write(data)


# --- the copy -----------------------------------------------------------------------


def copy_location(source: str, destination: str, progress: Progress | None = None) -> CopyResult:
    """Copy the store at SOURCE (a DuckDB file or postgresql:// URL) into DESTINATION."""
    src = open_store(source, read_only=True)
    try:
        dst = open_store(destination, create=False)
        try:
            return copy_store(src, dst, progress)
        finally:
            dst.close()
    finally:
        src.close()


def copy_store(src: Connection, dst: Connection, progress: Progress | None = None) -> CopyResult:
    """Every table of SRC into the empty store DST in one transaction, checked (module)."""
    started = time.perf_counter()
    report = progress or (lambda table, rows, seconds: None)
    tables = tables_of(src)
    plan = {table: columns_of(src, table) for table in tables}
    _refuse_unless_same_schema(dst, plan)
    _refuse_unless_empty(dst, tables)
    result = CopyResult()
    folder = Path(tempfile.mkdtemp(prefix="bookings-copy-"))  # 0700, the owner's only
    src.execute("BEGIN TRANSACTION")  # one snapshot of the source, only read
    try:
        if dialect(src) is POSTGRES:
            src.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with transaction(dst):
            for table in INIT_FILLED:
                if table in plan:
                    dst.execute(f'DELETE FROM "{table}"')
            for table in tables:
                began = time.perf_counter()
                _send(src, dst, table, _quoted(name for name, _ in plan[table]), folder)
                (rows,) = dst.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0]
                result.tables[table] = int(rows)
                report(table, int(rows), time.perf_counter() - began)
            _move_sequences(src, dst)
            _check(src, dst, tables)
    finally:
        src.execute("ROLLBACK")
        shutil.rmtree(folder, ignore_errors=True)
    if dialect(dst) is POSTGRES:
        # A bulk load leaves the planner without statistics until autovacuum comes
        # round: without them the first list pages are planned blind.
        dst.execute("ANALYZE")
    result.seconds = time.perf_counter() - started
    return result


def _refuse_unless_same_schema(dst: Connection, plan: dict[str, list]) -> None:
    theirs = set(tables_of(dst))
    if theirs != set(plan):
        raise CopyRefused("The two stores do not have the same tables (missing here: "
                          f"{', '.join(sorted(set(plan) - theirs)) or 'none'}; only here: "
                          f"{', '.join(sorted(theirs - set(plan))) or 'none'}).")
    for table, columns in plan.items():
        if [name for name, _ in columns_of(dst, table)] != [name for name, _ in columns]:
            raise CopyRefused(f"The table {table} has other columns in the destination.")


def _refuse_unless_empty(dst: Connection, tables: list[str]) -> None:
    """Nothing but what `bookings init` puts there: settings, the built-in categories."""
    held = []
    for table in tables:
        where = " WHERE NOT builtin" if table == "booking_categories" else ""
        if table == "settings":
            continue
        (count,) = dst.execute(f'SELECT count(*) FROM "{table}"{where}').fetchall()[0]
        if count:
            held.append(f"{table} ({count:,} rows)")
    if held:
        raise CopyRefused("The destination is not empty: it holds " + ", ".join(held)
                          + ". Copy into a store just made with `bookings init`.")


def _move_sequences(src: Connection, dst: Connection) -> None:
    """Each id sequence of DST to where SRC's stands, and past the ids DST holds."""
    for table in ID_TABLES:
        name = f"{table}_id"
        (coming,) = src.execute(dialect(src).sequence_next_sql, [name]).fetchall()[0]
        (here,) = dst.execute(dialect(dst).sequence_next_sql, [name]).fetchall()[0]
        (top,) = dst.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchall()[0]
        last = max(int(coming) - 1, int(top))
        if last >= 1 and last >= int(here):
            dst.execute(dialect(dst).setval_sql, [name, last]).fetchall()


def _check(src: Connection, dst: Connection, tables: list[str]) -> None:
    differ = []
    for table in tables:
        theirs, ours = checksum(src, table), checksum(dst, table)
        if theirs != ours:
            differ.append(f"{table} (source {theirs[0]:,} rows, copy {ours[0]:,}"
                          + (", their checksums differ" if theirs[0] == ours[0] else "") + ")")
    if differ:
        raise CopyRefused("The copy does not match its source, so nothing was kept: "
                          + "; ".join(differ) + ".")


def where(location: str) -> str:
    """A store's location as messages show it (a URL without its password)."""
    return shown_url(str(location))
