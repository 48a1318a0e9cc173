"""Commands that only read open the store read-only: they never migrate an old file
(they say to run `bookings init`), and they share the file with other readers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from bookings.cli import SUBJECTS, main
from bookings.cli.common import READ_ONLY
from bookings.store import SCHEMA_VERSION, StoreOutdated, migrate, open_store, schema_version

READERS = [
    ("catalog",), ("list",), ("summary",), ("info", "1"), ("log",), ("users", "list"),
    ("interval", "show"), ("changes",),
    ("pivot", "--rows", "staff", "--cols", "payment", "--measure", "bookings"),
]

# a command's path: its words before its arguments (an ID, a flag)
READERS_PATHS = [tuple(a for a in args[:next((i for i, a in enumerate(args)
                                              if a.isdigit() or a.startswith("-")), None)])
                 for args in READERS]


def commands():
    return [command for subject in SUBJECTS for command in subject.commands.commands]


def test_the_commands_that_only_read_are_these():
    """export is not among them: it writes its request into the Data log."""
    assert sorted(c.path for c in commands() if c.store == READ_ONLY) == sorted(READERS_PATHS)


@pytest.fixture
def old_store(store_path):
    """A file the version before wrote: migrated up to the last migration but one."""
    con = duckdb.connect(str(store_path))
    migrate(con, upto=SCHEMA_VERSION - 1)
    con.execute("INSERT INTO staff (id, name) VALUES (1, 'Anna Smith')")
    con.close()
    return store_path


def version_of(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return schema_version(con)
    finally:
        con.close()


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_reading_command_leaves_an_old_store_as_it_is(old_store, capsys, args):
    assert main(["--db", str(old_store), *args]) == 1
    err = capsys.readouterr().err
    assert "run `bookings init`" in err.lower()
    assert f"schema {SCHEMA_VERSION - 1}" in err
    assert version_of(old_store) == SCHEMA_VERSION - 1

    assert main(["--db", str(old_store), *args, "--json"]) == 1
    assert "bookings init" in json.loads(capsys.readouterr().out)["error"]
    assert version_of(old_store) == SCHEMA_VERSION - 1


def test_init_brings_the_old_store_up_to_date_then_reading_works(old_store, capsys):
    assert main(["--db", str(old_store), "init"]) == 0
    assert version_of(old_store) == SCHEMA_VERSION
    assert main(["--db", str(old_store), "catalog", "--json"]) == 0
    staff = json.loads(capsys.readouterr().out.splitlines()[-1])["staff"]
    assert [employee["name"] for employee in staff] == ["Anna Smith"]


def test_a_store_of_a_newer_version_is_refused_for_reading_too(known_path, store_path, capsys):
    shutil.copyfile(known_path, store_path)
    con = duckdb.connect(str(store_path))
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    assert main(["--db", str(store_path), "list"]) == 1
    assert "newer version" in capsys.readouterr().err


def test_open_store_for_reading_does_not_migrate(store_path):
    old = duckdb.connect(str(store_path))
    migrate(old, upto=1)
    old.close()
    with pytest.raises(StoreOutdated, match="bookings init"):
        open_store(store_path, read_only=True)
    assert version_of(store_path) == 1


def test_reading_commands_share_the_file_with_another_reader(known_path, store_path):
    """Another process reading the file (read-only) lets a reading command in; a writing
    one still finds the file busy."""
    shutil.copyfile(known_path, store_path)
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(store_path)!r}, read_only=True)
            print("reading", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        for args in READERS:
            assert main(["--db", str(store_path), *args, "--json"]) == 0, args
        assert main(["--db", str(store_path), "users", "add", "kate", "--role", "employee"]) == 3
    finally:
        reader.communicate("")


def test_a_reading_command_in_a_process_that_holds_the_store(known_path, store_path, capsys):
    """The store open for writing in this same process (as the app holds it): DuckDB
    opens it only as it is already open, and the command still reads."""
    shutil.copyfile(known_path, store_path)
    con = open_store(store_path)
    try:
        assert main(["--db", str(store_path), "catalog", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["staff"]
    finally:
        con.close()
