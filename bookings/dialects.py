"""Where DuckDB and PostgreSQL differ, in one place: the store speaks one SQL elsewhere.

The SQL of `bookings/` is DuckDB's where the two engines disagree, and PostgreSQL
is met here, in three ways:

- **spellings**, rewritten by the PostgreSQL connection in `to_postgres` (outside
  string literals only): `?` placeholders become `%s`; `GROUPING_ID(` becomes
  `GROUPING(` (the same bits, leftmost argument highest); the casts `::DOUBLE` and
  `::UTINYINT` become `::float8` and `::int2`; `//` (integer division) becomes `/`;
  in CREATE and ALTER TABLE the types TINYINT, DOUBLE, BLOB and JSON become SMALLINT,
  DOUBLE PRECISION, BYTEA and TEXT (stored JSON read back as its text, as DuckDB gives
  it), and VARCHAR gets `COLLATE "C"`: text sorts by its bytes (code points), as DuckDB
  sorts it,
  whatever the database's own locale;
- **functions** DuckDB has and PostgreSQL lacks, taught to the database when it is
  migrated (`teach_postgres`): isodow(ts), hour(ts), contains(text, text),
  current_localtimestamp(), to_seconds(n), strftime(ts, format) and printf('%.2f', x) (of
  the codes the SQL uses);
- **shapes** that no rewrite makes, as a `Dialect`'s attributes the store and the
  list ask for (`store.dialect(con)`): sequences and their state, whether a table
  exists, a list of records per row (DuckDB's list of structs; PostgreSQL's json
  array, its numbers read back as Decimal as DuckDB gives them).
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(text: str) -> bool:
    """Whether a store location is a PostgreSQL URL (else a DuckDB file)."""
    return text.startswith(URL_PREFIXES)


def shown_url(url: str) -> str:
    """URL without its password, for messages."""
    return re.sub(r"^(\w+://[^:/@]*):[^@]*@", r"\1:***@", url)


try:  # psycopg is needed only for a PostgreSQL store
    import psycopg

    PostgresError: type[Exception] = psycopg.Error
except ImportError:  # pragma: no cover - installed with the project
    psycopg = None

    class PostgresError(Exception):
        pass


@dataclass(frozen=True)
class Dialect:
    name: str
    table_exists_sql: str  # one ? (the table's name) -> one row, a count
    new_ids_sql: str  # ? sequence, ? count -> the first of COUNT new values
    sequence_next_sql: str  # ? sequence -> the value nextval would give
    setval_sql: str  # ? sequence, ? value
    empty_list: str  # what a row without records gets

    def records(self, fields: dict[str, str], order: str) -> str:
        """An aggregate: the group's rows as a list of records {name: SQL}, in ORDER."""
        if self.name == "duckdb":
            inner = ", ".join(f"'{name}': {sql}" for name, sql in fields.items())
            return f"list({{{inner}}} ORDER BY {order})"
        inner = ", ".join(f"'{name}', {sql}" for name, sql in fields.items())
        return f"json_agg(json_build_object({inner}) ORDER BY {order})"

    def joined(self, records: str, field: str, separator: str = ", ") -> str:
        """Text: one FIELD of each record of a list (`records`), joined, in order ('' for
        none)."""
        if self.name == "duckdb":
            return f"array_to_string(list_transform({records}, lambda r: r.{field}), " \
                   f"'{separator}')"
        return (f"coalesce((SELECT string_agg(r ->> '{field}', '{separator}' ORDER BY n) "
                f"FROM json_array_elements({records}) WITH ORDINALITY AS t(r, n)), '')")

    def for_update(self, alias: str, skip_locked: bool = False) -> str:
        """What ends a SELECT whose rows (of table ALIAS) the transaction then changes: on
        PostgreSQL they are locked, so a second writer waits and then reads them as the
        first left them (READ COMMITTED), or (SKIP_LOCKED) passes them by. DuckDB needs
        nothing: it refuses the later of two writers of a row."""
        if self.name == "duckdb":
            return ""
        return f" FOR UPDATE OF {alias}" + (" SKIP LOCKED" if skip_locked else "")

    def ids_lock(self, con):
        """A block during which no other process takes ids (DuckDB: none can)."""
        if self.name == "duckdb":
            return nullcontext()
        return _session_lock(con, "bookings new ids")


DUCKDB = Dialect(
    name="duckdb",
    table_exists_sql="SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
    new_ids_sql="SELECT min(id) FROM (SELECT nextval(?) AS id FROM range(?))",
    sequence_next_sql=("SELECT coalesce(last_value + 1, start_value) FROM duckdb_sequences() "
                       "WHERE sequence_name = ? AND database_name = current_database()"),
    setval_sql="SELECT setval(?, ?)",
    empty_list="[]",
)

POSTGRES = Dialect(
    name="postgresql",
    table_exists_sql="SELECT count(*) FROM (SELECT to_regclass(?) AS t) r WHERE t IS NOT NULL",
    new_ids_sql=("SELECT min(id) FROM (SELECT nextval(?::regclass) AS id "
                 "FROM generate_series(1, ?)) s"),
    sequence_next_sql=("SELECT coalesce(last_value + 1, start_value) FROM pg_sequences "
                       "WHERE sequencename = ? AND schemaname = current_schema()"),
    setval_sql="SELECT setval(?::regclass, ?)",
    empty_list="'[]'::json",
)


@contextmanager
def _session_lock(con, name: str):
    con.execute("SELECT pg_advisory_lock(hashtext(?))", [name]).fetchall()
    try:
        yield
    finally:
        con.execute("SELECT pg_advisory_unlock(hashtext(?))", [name]).fetchall()


# --- PostgreSQL: the functions DuckDB has ------------------------------------------

TAUGHT = {
    "isodow": "CREATE OR REPLACE FUNCTION isodow(timestamp) RETURNS integer LANGUAGE sql "
              "IMMUTABLE PARALLEL SAFE AS 'SELECT extract(isodow FROM $1)::integer'",
    "hour": "CREATE OR REPLACE FUNCTION hour(timestamp) RETURNS integer LANGUAGE sql "
            "IMMUTABLE PARALLEL SAFE AS 'SELECT extract(hour FROM $1)::integer'",
    "contains": "CREATE OR REPLACE FUNCTION contains(text, text) RETURNS boolean "
                "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT strpos($1, $2) > 0'",
    "current_localtimestamp": "CREATE OR REPLACE FUNCTION current_localtimestamp() "
                              "RETURNS timestamp LANGUAGE sql STABLE "
                              "AS 'SELECT LOCALTIMESTAMP'",
    "to_seconds": "CREATE OR REPLACE FUNCTION to_seconds(double precision) RETURNS interval "
                  "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT make_interval(secs => $1)'",
    # strftime of the codes the SQL uses: %Y %m %d %H %M %S
    "strftime": "CREATE OR REPLACE FUNCTION strftime(timestamp, text) RETURNS text "
                "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_char($1, "
                "replace(replace(replace(replace(replace(replace($2, '%Y', 'YYYY'), "
                "'%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS')) $$",
    # printf of the one format the SQL uses, '%.2f' (money as text); NULL for others
    "printf": "CREATE OR REPLACE FUNCTION printf(text, double precision) RETURNS text "
              "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN $1 = '%.2f' "
              "THEN to_char(round($2::numeric, 2), 'FM9999999999999990.00') END $$",
}


def teach_postgres(con) -> None:
    """Create (or renew) the functions of DuckDB the shared SQL uses."""
    for statement in TAUGHT.values():
        con.execute(statement)


# --- PostgreSQL: the spellings ------------------------------------------------------

# a comment (dropped: it may hold a quote, a ? or a %), a string literal, a quoted name
_TOKEN = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_EVERYWHERE = ((re.compile(r"\bGROUPING_ID\s*\(", re.I), "GROUPING("),
               (re.compile(r"//"), "/"),  # integer division (the SQL divides integers only)
               (re.compile(r"::\s*DOUBLE\b(?!\s+PRECISION)", re.I), "::float8"),
               (re.compile(r"::\s*UTINYINT\b", re.I), "::int2"))
_DDL = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(CREATE|ALTER)\s+TABLE\b", re.I)
_TYPES = ((re.compile(r"\bTINYINT\b", re.I), "SMALLINT"),
          (re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I), "DOUBLE PRECISION"),
          (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
          (re.compile(r"\bVARCHAR\b(?!\s*\(\d+\)\s*COLLATE)", re.I), 'VARCHAR COLLATE "C"'),
          # stored JSON is text on both engines: read back as written (DuckDB's JSON is a
          # VARCHAR), never as PostgreSQL's json parsed into Python values
          (re.compile(r"\bJSON\b", re.I), "TEXT"))


def to_postgres(sql: str) -> str:
    """DuckDB's SQL as PostgreSQL takes it through psycopg (see the module)."""
    ddl = bool(_DDL.match(sql))
    parts, at = [], 0
    for token in _TOKEN.finditer(sql):
        parts.append(_outside(sql[at:token.start()], ddl))
        if not token.group(0).startswith("--"):
            parts.append(token.group(0).replace("%", "%%"))  # a ? inside one stays text
        at = token.end()
    parts.append(_outside(sql[at:], ddl))
    return "".join(parts)


def _outside(code: str, ddl: bool) -> str:
    code = code.replace("%", "%%").replace("?", "%s")
    for pattern, replacement in _EVERYWHERE + (_TYPES if ddl else ()):
        code = pattern.sub(replacement, code)
    return code


# Each connection's own settings, whatever the server's defaults (bench/bench_postgres.py):
# - jit off: compiling the summary's expressions cost 30-150 ms a query, more than
#   they ever gained on a million bookings;
# - work_mem 32MB: the summary's grouping by four facets is estimated at 100,000 groups
#   (a few thousand in fact) and, at the default 4MB, sorted on disk instead of hashed.
#   A sort or hash per statement may take this much; the app holds few connections.
SESSION_SETTINGS = "-c jit=off -c work_mem=32MB"


class PostgresConnection:
    """A psycopg 3 connection with the surface the store's callers use of DuckDB's:
    execute(sql, params) (a cursor: fetchone, fetchall, description), executemany,
    cursor() (a connection of its own, as a DuckDB cursor is), close(). Autocommit:
    transactions are the store's BEGIN / COMMIT statements, as on DuckDB."""

    dialect = POSTGRES

    def __init__(self, url: str, read_only: bool = False):
        if psycopg is None:  # pragma: no cover
            raise RuntimeError("psycopg is not installed")
        options = SESSION_SETTINGS + (" -c default_transaction_read_only=on" if read_only
                                      else "")
        self.url, self.read_only = url, read_only
        self._pg = psycopg.connect(url, autocommit=True, options=options)
        # json arrives as DuckDB's structs do: exact numbers as Decimal
        psycopg.types.json.set_json_loads(partial(json.loads, parse_float=Decimal),
                                          self._pg)

    def execute(self, sql: str, params=None):
        return self._pg.execute(to_postgres(sql), list(params) if params is not None else [])

    def executemany(self, sql: str, rows):
        cur = self._pg.cursor()
        cur.executemany(to_postgres(sql), [list(row) for row in rows])
        return cur

    def register(self, name: str, frame) -> None:
        """What DuckDB's `register` does for the store's callers: a pandas DataFrame or
        an Arrow table queryable by NAME, here a temporary table of its rows (the
        connection's own, dropped by `unregister`)."""
        import pyarrow as pa

        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
            frame, preserve_index=False)
        columns, arrays = [], []
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_timestamp(field.type):
                column = column.cast(pa.timestamp("us"))
            columns.append(f'"{field.name}" {_pg_type(field.type)}')
            arrays.append(column.to_pylist())
        self._pg.execute(f'CREATE TEMPORARY TABLE "{name}" ({", ".join(columns)})')
        if table.num_rows:
            with self._pg.cursor().copy(f'COPY "{name}" FROM STDIN') as copy:
                for row in zip(*arrays, strict=True):
                    copy.write_row(row)

    def unregister(self, name: str) -> None:
        self._pg.execute(f'DROP TABLE IF EXISTS "{name}"')

    def cursor(self) -> PostgresConnection:
        return type(self)(self.url, self.read_only)

    @property
    def raw(self):
        """The psycopg connection itself, for what has no DuckDB counterpart (COPY)."""
        return self._pg

    def close(self) -> None:
        self._pg.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pg_type(arrow_type) -> str:
    """The PostgreSQL type of a registered column (`PostgresConnection.register`)."""
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return "numeric"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    return 'text COLLATE "C"'  # text, and a column of no rows (its type unknown)
