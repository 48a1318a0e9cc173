
import duckdb
import pytest

from bookings.store import (
    SCHEMA_VERSION,
    StoreBusy,
    StoreError,
    StoreMissing,
    booking_interval_min,
    migrate,
    open_store,
    schema_version,
    transaction,
)


def test_a_new_store_has_the_latest_schema_and_the_builtins(con):
    assert schema_version(con) == SCHEMA_VERSION
    titles = [t for (t,) in con.execute(
        "SELECT title FROM booking_categories WHERE builtin ORDER BY id").fetchall()]
    assert titles == ["Full online payment", "Partial online payment",
                      "This specialist only", "Any staff member"]
    assert booking_interval_min(con) == 15


def test_opening_again_changes_nothing(store_path):
    open_store(store_path).close()
    con = open_store(store_path)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM booking_categories").fetchone()[0] == 4


def test_an_old_version_file_is_migrated_and_keeps_its_data(store_path):
    old = duckdb.connect(str(store_path))
    migrate(old, upto=1)
    old.execute("INSERT INTO staff (id, name) VALUES (7, 'Anna Smith')")
    old.close()

    con = open_store(store_path)
    assert schema_version(con) == SCHEMA_VERSION
    assert con.execute("SELECT name FROM staff WHERE id = 7").fetchone() == ("Anna Smith",)
    assert con.execute("SELECT count(*) FROM booking_categories").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM sign_in_failures").fetchone()[0] == 0


def test_the_schema_versions_of_an_old_file_get_a_key(store_path):
    """Files written before version 7 had schema_version without a key: migrating
    builds it anew with one, each version once."""
    old = duckdb.connect(str(store_path))
    old.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    migrate(old, upto=6)
    old.execute("INSERT INTO schema_version VALUES (6, now())")  # as a double run left it
    old.close()

    con = open_store(store_path)
    versions = [v for (v,) in con.execute(
        "SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO schema_version VALUES (1, now())")


def test_a_new_file_has_the_same_tables_as_a_migrated_one(store_path, tmp_path):
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    migrate(old, upto=1)
    old.close()
    tables = []
    for path in (store_path, tmp_path / "old.duckdb"):
        con = open_store(path)
        tables.append(con.execute("SELECT table_name, sql FROM duckdb_tables() "
                                  "ORDER BY table_name").fetchall())
        con.close()
    assert tables[0] == tables[1]


def test_a_file_from_a_newer_version_is_refused_not_damaged(store_path):
    con = open_store(store_path)
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match="newer version"):
        open_store(store_path)


def test_a_transaction_writes_all_or_nothing(con):
    with pytest.raises(RuntimeError), transaction(con):
        con.execute("INSERT INTO staff (id, name) VALUES (1, 'Anna')")
        raise RuntimeError("crash halfway")
    assert con.execute("SELECT count(*) FROM staff").fetchone()[0] == 0


def test_a_missing_store_is_not_created_for_reading(tmp_path):
    with pytest.raises(StoreMissing, match="no store"):
        open_store(tmp_path / "none.duckdb", create=False)
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_store_held_by_another_process_is_busy(store_path, held_store, read_only):
    open_store(store_path).close()
    with held_store(store_path), pytest.raises(StoreBusy) as busy:
        open_store(store_path, read_only=read_only)
    assert str(store_path) in str(busy.value)
    assert "busy" in str(busy.value)
