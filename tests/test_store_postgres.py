"""The store on PostgreSQL (issue 16): the same schema, migrations and read path as on
DuckDB. Each test gets an empty database of its own (tests/pg.py); without a server
the tests are skipped, saying why."""

import json

import psycopg
import pytest

from bookings.store import (
    ID_TABLES,
    SCHEMA_VERSION,
    StoreMissing,
    get_setting,
    new_ids,
    next_id,
    open_store,
    schema_version,
    sequences_past_ids,
)


def test_each_test_gets_an_empty_database_of_its_own(pg_url):
    with psycopg.connect(pg_url) as con:
        tables = con.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_schema = 'public'").fetchone()[0]
    assert tables == 0


def test_init_creates_everything_on_an_empty_database_and_again_changes_nothing(pg_url):
    con = open_store(pg_url)
    try:
        assert schema_version(con) == SCHEMA_VERSION
        tables = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()").fetchall()}
        assert {"bookings", "booking_services", "users", "settings", "schema_version",
                "sessions", "settings_changes"} <= tables
        sequences = {name for (name,) in con.execute(
            "SELECT sequencename FROM pg_sequences").fetchall()}
        assert sequences == {f"{table}_id" for table in ID_TABLES}
        versions = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))
        assert get_setting(con, "booking_interval_min") is not None
        categories = con.execute("SELECT count(*) FROM booking_categories").fetchone()[0]
    finally:
        con.close()
    again = open_store(pg_url)
    try:
        assert schema_version(again) == SCHEMA_VERSION
        assert again.execute("SELECT count(*) FROM schema_version").fetchone()[0] == \
            SCHEMA_VERSION
        assert again.execute("SELECT count(*) FROM booking_categories").fetchone()[0] == \
            categories
    finally:
        again.close()


def test_text_sorts_by_code_point_as_on_duckdb(pg_url):
    con = open_store(pg_url)
    try:
        collations = {c for (c,) in con.execute(
            "SELECT DISTINCT collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying'")}
        assert collations == {"C"}
        con.executemany("INSERT INTO staff (id, name) VALUES (?, ?)",
                        [(1, "b"), (2, "B"), (3, "a"), (4, "Ä"), (5, "_")])
        names = [n for (n,) in con.execute("SELECT name FROM staff ORDER BY name").fetchall()]
        assert names == ["B", "_", "a", "b", "Ä"]
    finally:
        con.close()


def test_a_database_without_the_store_is_refused_for_reading(pg_url):
    with pytest.raises(StoreMissing):
        open_store(pg_url, read_only=True)
    open_store(pg_url).close()
    con = open_store(pg_url, read_only=True)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            con.execute("INSERT INTO staff (id, name) VALUES (1, 'x')")
    finally:
        con.close()


def test_new_ids_come_from_the_sequences(pg_url):
    con = open_store(pg_url)
    try:
        first = new_ids(con, "bookings", 5)
        assert next_id(con, "bookings") == first + 5
        con.execute("INSERT INTO staff (id, name) VALUES (41, 'x')")
        sequences_past_ids(con)
        assert next_id(con, "staff") == 42
    finally:
        con.close()


def test_placeholders_and_percent_signs_reach_postgresql_as_written():
    from bookings.dialects import to_postgres

    assert to_postgres("SELECT ? || '50% ?' -- it's ?\n, x::DOUBLE WHERE a LIKE '%'") == (
        "SELECT %s || '50%% ?' \n, x::float8 WHERE a LIKE '%%'")
    assert to_postgres("SELECT GROUPING_ID(a, b)") == "SELECT GROUPING(a, b)"


def run_cli(capsys, *args) -> tuple[int, str, str]:
    from bookings.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_bookings_init_on_postgresql_twice_and_no_password_shown(pg_url, capsys):
    url = pg_url.replace("postgres@", "postgres:secret@")  # trust: the password is unused
    for _ in range(2):
        code, out, _ = run_cli(capsys, "--db", url, "--json", "init")
        assert code == 0
        assert json.loads(out)["schema_version"] == SCHEMA_VERSION
        assert "secret" not in out


def test_bookings_db_may_be_a_url(pg_url, capsys, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DB", pg_url)
    code, out, _ = run_cli(capsys, "--json", "init")
    assert (code, json.loads(out)["schema_version"]) == (0, SCHEMA_VERSION)


@pytest.mark.parametrize("args", [
    ("list", "--json"),
    ("list", "--json", "--sort", "client_name", "--limit", "3", "--offset", "2"),
    ("summary", "--json"),
    ("summary", "--json", "--user", "employee"),
    ("pivot", "--json", "--rows", "staff", "--cols", "month", "--measure", "unpaid"),
    ("pivot", "--rows", "service_category", "--cols", "weekday", "--measure", "to_pay"),
    ("pivot", "--json", "--rows", "status", "--cols", "day", "--visit-from", "2024-06-01",
     "--visit-to", "2024-06-30", "--compare", "year", "--measure", "bookings"),
])
def test_reading_commands_print_what_they_print_on_duckdb(known_path, known_pg, capsys,
                                                          args):
    """known_pg's URL is its connection's; the known store on DuckDB is known_path."""
    duck = run_cli(capsys, "--db", str(known_path), *args)
    pg = run_cli(capsys, "--db", known_pg.url, *args)
    assert duck[0] == 0, duck
    assert pg == duck


def test_the_app_on_postgresql_needs_a_folder_for_its_files(known_pg, capsys, monkeypatch):
    """Every app process must reach the same exports, uploads and outbox: `serve` on a
    URL without BOOKINGS_DATA_DIR is refused before anything starts, naming it."""
    monkeypatch.delenv("BOOKINGS_DATA_DIR", raising=False)
    code, out, err = run_cli(capsys, "--db", known_pg.url, "serve")
    assert code == 1 and out == ""
    assert "BOOKINGS_DATA_DIR" in err and "every app process can reach" in err


@pytest.mark.parametrize("index, lookup", [
    ("booking_services_booking", "SELECT * FROM booking_services WHERE booking_id = 1"),
    ("booking_category_links_booking",
     "SELECT * FROM booking_category_links WHERE booking_id = 1"),
    ("booking_history_booking", "SELECT * FROM booking_history WHERE booking_id = 1"),
    ("bookings_client", "SELECT * FROM bookings WHERE client_id = 1"),
])
def test_one_bookings_rows_are_looked_up_by_index(known_pg, index, lookup):
    """Migration 11: the page's lines and labels, Info's history and one client's
    bookings are read from an index on PostgreSQL, not from a scan of the table."""
    cursor = known_pg.cursor()
    try:
        cursor.execute("SET enable_seqscan = off")  # a small table: ask what it could use
        plan = "\n".join(row[0] for row in cursor.execute(f"EXPLAIN {lookup}").fetchall())
    finally:
        cursor.close()
    assert index in plan, plan


class Recording:
    """A connection that keeps the SQL it is asked to run (and runs it)."""

    def __init__(self, con):
        self.con, self.dialect, self.asked = con, con.dialect, []

    def execute(self, sql, params=None):
        self.asked.append((sql, params))
        return self.con.execute(sql, params)


def test_the_summary_is_planned_with_the_facets_taken_together(pg_url):
    """Migration 11's statistic: PostgreSQL estimates the summary's groups from the four
    facets together (so it groups in parallel) instead of multiplying each column's
    count. Here the facets all follow the employee: a dozen groups, where the columns
    alone would say hundreds. This fails when the statistic's payment expression is no
    longer the summary's."""
    from bookings import listing
    from bookings.demo import fill_demo_by_copy
    from bookings.filters import BookingFilter
    from bookings.model import SYSTEM

    con = open_store(pg_url)
    try:
        fill_demo_by_copy(con, 3000, seed=3)
        con.execute("UPDATE bookings SET source = CASE WHEN staff_id % 2 = 0 THEN 'online' "
                    "ELSE 'phone' END, attendance = staff_id % 4 - 1, "
                    "paid = CASE WHEN staff_id % 3 = 0 THEN to_pay ELSE 0 END")
        con.execute("ANALYZE bookings")
        recording = Recording(con)
        listing.summary(recording, SYSTEM, BookingFilter())
        sql, params = next((q, p) for q, p in recording.asked if "GROUPING SETS" in q)
        (plan,) = con.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        groups = con.execute("SELECT count(DISTINCT staff_id) FROM bookings").fetchone()[0]

        def grouping_by_all_four(node):
            keys = " ".join(node.get("Group Key", []))
            if all(column in keys for column in ("source", "attendance", "staff_id", "paid")):
                yield node
            for child in node.get("Plans", []):
                yield from grouping_by_all_four(child)

        estimates = [n["Plan Rows"] for n in grouping_by_all_four(plan[0]["Plan"])]
        assert estimates and max(estimates) <= 3 * groups, (estimates, groups)
    finally:
        con.close()


def test_deleting_bookings_does_what_it_does_on_duckdb(pg_url, con):
    """One deletion by the administrator (some bookings refused: paid, Arrived) on the
    known store of each engine: the same result, rows, history and Data log entry."""
    from bookings import deletion
    from bookings.auth import get_user
    from tests import known_store

    answers = []
    pg_con = open_store(pg_url)
    try:
        for c in (con, pg_con):
            known_store.build(c)
            result = deletion.delete_bookings(c, get_user(c, "admin"), [1, 2, 3, 6])
            answers.append((
                {k: v for k, v in vars(result).items() if k != "operation_id"},
                c.execute("SELECT id, deleted, deleted_by, delete_operation = ? "
                          "FROM bookings ORDER BY id", [result.operation_id]).fetchall(),
                c.execute("SELECT booking_id, actor_login, action FROM booking_history "
                          "ORDER BY booking_id").fetchall(),
                c.execute("SELECT kind, user_login, what, rows, rows_left_out, state "
                          "FROM data_log").fetchall()))
    finally:
        pg_con.close()
    assert answers[0] == answers[1]


def test_the_lists_opening_order_is_read_from_an_index(pg_url, tmp_path):
    """PostgreSQL takes the list's first page of the newest visits from
    `bookings_visit_order` instead of sorting every booking; DuckDB gets no index."""
    from bookings import listing
    from bookings.filters import BookingFilter
    from bookings.model import SYSTEM

    con = open_store(pg_url)
    try:
        (index,) = con.execute("SELECT indexdef FROM pg_indexes "
                               "WHERE indexname = 'bookings_visit_order'").fetchone()
        assert "visit_at DESC NULLS LAST, id DESC" in index
        con.execute("SET enable_seqscan = off")  # an empty table: ask what it could use
        where, params = listing.scoped_where(SYSTEM, BookingFilter())
        order = listing.order_by(listing.DEFAULT_SORT, True)
        plan = "\n".join(row[0] for row in con.execute(
            f"EXPLAIN SELECT b.id FROM bookings b WHERE {where} ORDER BY {order} LIMIT 100",
            params).fetchall())
        assert "bookings_visit_order" in plan and "Sort" not in plan, plan
    finally:
        con.close()
    duck = open_store(tmp_path / "b.duckdb")
    try:
        assert duck.execute("SELECT count(*) FROM duckdb_indexes() "
                            "WHERE index_name = 'bookings_visit_order'").fetchone()[0] == 0
    finally:
        duck.close()
