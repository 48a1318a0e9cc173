
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from bookings.store import (
    ID_TABLES,
    SCHEMA_VERSION,
    StoreBusy,
    StoreError,
    StoreMissing,
    booking_interval_min,
    migrate,
    new_ids,
    next_id,
    open_store,
    schema_version,
    sequences_past_ids,
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


def test_a_new_file_has_the_same_tables_and_sequences_as_a_migrated_one(store_path, tmp_path):
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    migrate(old, upto=1)
    old.close()
    tables, sequences = [], []
    for path in (store_path, tmp_path / "old.duckdb"):
        con = open_store(path)
        tables.append(con.execute("SELECT table_name, sql FROM duckdb_tables() "
                                  "ORDER BY table_name").fetchall())
        sequences.append(con.execute(
            "SELECT sequence_name, start_value, increment_by, min_value, max_value, cycle "
            "FROM duckdb_sequences() ORDER BY sequence_name").fetchall())
        con.close()
    assert tables[0] == tables[1]
    assert sequences[0] == sequences[1]
    assert [name for name, *_ in sequences[0]] == sorted(f"{t}_id" for t in ID_TABLES)


# --- ids ----------------------------------------------------------------------------


def test_an_old_file_gets_sequences_that_start_above_its_ids(store_path):
    old = duckdb.connect(str(store_path))
    migrate(old, upto=7)  # the schema before the sequences (migration 8)
    old.execute("INSERT INTO staff (id, name) VALUES (7, 'Anna Smith'), (3, 'Bea Jones')")
    old.execute("INSERT INTO clients (id, name, phone) VALUES (40, 'Kate', '4412345')")
    old.close()

    con = open_store(store_path)
    assert next_id(con, "staff") == 8
    assert next_id(con, "clients") == 41
    assert next_id(con, "booking_categories") == 5  # above the four built-in ones
    assert next_id(con, "bookings") == 1


def test_ids_keep_increasing_after_deletes(con):
    first, second = next_id(con, "users"), next_id(con, "users")
    for user_id in (first, second):
        con.execute("INSERT INTO users (id, login, name, role, password_hash, created_at) "
                    "VALUES (?, ?, 'x', 'owner', 'x', now())", [user_id, f"user{user_id}"])
    con.execute("DELETE FROM users WHERE id = ?", [second])
    assert next_id(con, "users") == second + 1  # never the deleted one again


def test_two_connections_inserting_at_once_get_distinct_ids(con, store_path):
    other = open_store(store_path)  # the same store, as a second page or the worker has it
    one, two = con.cursor(), other.cursor()
    try:
        for cursor in (one, two):
            cursor.execute("BEGIN TRANSACTION")
        ids = [next_id(cursor, "staff") for cursor in (one, two)]
        for cursor, staff_id in zip((one, two), ids, strict=True):
            cursor.execute("INSERT INTO staff (id, name) VALUES (?, ?)", [staff_id, "Anna"])
        for cursor in (one, two):
            cursor.execute("COMMIT")  # neither refused: no id was taken twice
    finally:
        one.close(), two.close(), other.close()
    assert ids[0] != ids[1]
    assert con.execute("SELECT count(*) FROM staff").fetchone()[0] == 2


def test_a_block_of_ids_is_consecutive_while_others_take_ids(con):
    def take_blocks():
        cursor = con.cursor()
        try:
            return [(first, size) for size in (50, 200, 7, 1000)
                    for first in [new_ids(cursor, "booking_history", size)]]
        finally:
            cursor.close()

    with ThreadPoolExecutor(4) as pool:
        taken = [block for blocks in pool.map(lambda _: take_blocks(), range(4))
                 for block in blocks]
    ids = [i for first, size in taken for i in range(first, first + size)]
    assert len(ids) == len(set(ids)) == 4 * (50 + 200 + 7 + 1000)


def test_rows_written_with_their_own_ids_move_the_sequence_past_them(con):
    con.execute("INSERT INTO staff (id, name) VALUES (1, 'Anna'), (2, 'Bea')")
    sequences_past_ids(con)
    assert next_id(con, "staff") == 3
    sequences_past_ids(con)  # a sequence ahead already stays where it is
    assert next_id(con, "staff") == 4


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
