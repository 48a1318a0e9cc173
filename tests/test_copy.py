"""`bookings copy` (issue 16): a whole salon from DuckDB to PostgreSQL and back, checked.
Without a PostgreSQL server the tests that need one are skipped, saying why."""

from __future__ import annotations

import json

from bookings import copying
from bookings.store import ID_TABLES, dialect, open_store
from tests import known_store


def run_cli(capsys, *args) -> tuple[int, str, str]:
    from bookings.cli import main

    try:
        code = main(list(args))
    except SystemExit as usage:
        code = usage.code
    out, err = capsys.readouterr()
    return code, out, err


def every_table(path) -> dict[str, list]:
    con = open_store(path, read_only=True)
    try:
        return {table: con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
                for table in copying.tables_of(con)}
    finally:
        con.close()


def test_the_tables_come_from_the_schema(known):
    tables = copying.tables_of(known)
    assert {"bookings", "booking_services", "booking_history", "data_log", "users",
            "user_rights", "sessions", "settings", "settings_changes", "clients", "staff",
            "services", "service_categories", "booking_categories"} <= set(tables)
    assert "schema_version" not in tables


def test_duckdb_to_postgresql_and_back_gives_the_same_store(known_path, pg_url, tmp_path,
                                                            capsys):
    back = tmp_path / "back.duckdb"
    open_store(pg_url).close()
    code, out, err = run_cli(capsys, "--json", "copy", "--from", str(known_path), "--to", pg_url)
    assert code == 0, err
    document = json.loads(out)
    assert document["tables"]["bookings"] == len(known_store.BOOKINGS)
    assert document["seconds"] >= 0 and document["rows"] == sum(document["tables"].values())
    open_store(back).close()
    code, out, err = run_cli(capsys, "copy", "--from", pg_url, "--to", str(back))
    assert code == 0, err
    assert "rows/s" in out and "bookings:" in err
    assert every_table(back) == every_table(known_path)
    for args in (("summary", "--json"),
                 ("pivot", "--json", "--rows", "staff", "--cols", "month", "--measure",
                  "to_pay")):
        answers = [run_cli(capsys, "--db", str(db), *args) for db in (known_path, pg_url, back)]
        assert answers[0][0] == 0 and answers[1] == answers[0] and answers[2] == answers[0]
    for db in (pg_url, back):  # ids go on where the source's sequences stood
        assert [next_id_of(db, table) for table in ID_TABLES] == \
            [next_id_of(known_path, table) for table in ID_TABLES]


def next_id_of(db, table: str) -> int:
    con = open_store(db, read_only=True)
    try:
        return con.execute(dialect(con).sequence_next_sql, [f"{table}_id"]).fetchall()[0][0]
    finally:
        con.close()


def test_a_destination_that_is_not_empty_is_refused(known_path, known_pg, capsys):
    code, out, _ = run_cli(capsys, "--json", "copy", "--from", str(known_path),
                           "--to", known_pg.url)
    assert code == 1
    assert "not empty" in json.loads(out)["error"]


def test_a_destination_without_a_store_is_refused(known_path, tmp_path, pg_url, capsys):
    code, _, err = run_cli(capsys, "copy", "--from", str(known_path),
                           "--to", str(tmp_path / "none.duckdb"))
    assert code == 1 and "bookings init" in err
    assert not (tmp_path / "none.duckdb").exists()
    code, _, err = run_cli(capsys, "copy", "--from", str(known_path), "--to", pg_url)
    assert code == 1 and "bookings init" in err
    code, _, _ = run_cli(capsys, "copy", "--from", str(known_path))
    assert code == 2


def test_a_row_changed_in_transit_is_caught_and_nothing_is_kept(known_path, pg_url, tmp_path,
                                                                monkeypatch, capsys):
    open_store(pg_url).close()
    sent = copying.in_transit

    def altered(write, table, data):
        if table == "clients":
            data = data.replace(b"4", b"5", 1)
        sent(write, table, data)

    monkeypatch.setattr(copying, "in_transit", altered)
    code, _, err = run_cli(capsys, "copy", "--from", str(known_path), "--to", pg_url)
    assert code == 1
    assert "does not match its source" in err and "clients" in err
    assert "bookings (" not in err  # the other tables checked out
    con = open_store(pg_url)
    try:
        assert con.execute("SELECT count(*) FROM bookings").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM clients").fetchone()[0] == 0
    finally:
        con.close()
    # and from PostgreSQL into DuckDB, through the file DuckDB reads
    monkeypatch.setattr(copying, "in_transit", sent)
    assert run_cli(capsys, "copy", "--from", str(known_path), "--to", pg_url)[0] == 0
    monkeypatch.setattr(copying, "in_transit", altered)
    back = tmp_path / "back.duckdb"
    open_store(back).close()
    code, _, err = run_cli(capsys, "copy", "--from", pg_url, "--to", str(back))
    assert code == 1 and "clients" in err
    assert every_table(back)["clients"] == []


def test_the_demo_on_postgresql_is_the_demo_on_duckdb(pg_url, tmp_path):
    """Generated in a temporary DuckDB file and copied over: the same seed and day give
    the same rows as on DuckDB (users aside: their passwords are generated)."""
    from datetime import date

    from bookings.demo import fill_demo, fill_demo_by_copy
    from tests.test_demo import DATA_TABLES

    day = date(2025, 6, 1)
    duck, pg = open_store(tmp_path / "demo.duckdb"), open_store(pg_url)
    try:
        fill_demo(duck, 3000, seed=5, today=day)
        result = fill_demo_by_copy(pg, 3000, seed=5, today=day)
        assert result.bookings == 3000 and len(result.users) > 0
        for table in DATA_TABLES:
            assert copying.checksum(pg, table) == copying.checksum(duck, table), table
        assert copying.checksum(pg, "bookings")[0] == 3000
    finally:
        duck.close()
        pg.close()


def test_bookings_demo_on_a_url(pg_url, capsys):
    code, out, err = run_cli(capsys, "--db", pg_url, "--json", "demo", "--bookings", "500")
    assert code == 0, err
    document = json.loads(out)
    assert document["bookings"] == 500 and document["passwords_file"] is None
    code, out, _ = run_cli(capsys, "--db", pg_url, "demo", "--bookings", "500", "--if-empty")
    assert code == 0 and "already holds a business" in out
