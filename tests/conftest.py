"""Shared fixtures: a fresh store file per test, and users of each role."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bookings import auth
from bookings.auth import get_user
from bookings.model import Role
from bookings.store import open_store
from tests import known_store
from tests.helpers import sign_in_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes():
    """argon2 at its cheapest in the test process: tests make users by the hundred, and
    the real parameters (64 MiB, 3 passes, `auth._hasher`) cost about 0.1 s a hash.
    The app and the CLI run as subprocesses keep the real ones, and
    test_auth.py::test_real_hashes_use_the_real_parameters checks them there."""
    patch = pytest.MonkeyPatch()
    patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    patch.undo()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "bookings.duckdb"


@pytest.fixture
def con(store_path: Path):
    connection = open_store(store_path)
    yield connection
    connection.close()


@pytest.fixture
def make_user(con):
    """make_user(role, login=None) -> (User, password); passwords are random per run."""

    def make(role: Role, login: str | None = None):
        password = secrets.token_urlsafe(12)
        user, _ = auth.add_user(con, login or role.value, role, password=password)
        return user, password

    return make


@pytest.fixture(scope="session")
def known_path(tmp_path_factory) -> Path:
    """The hand-built store of tests/known_store.py, built once: its tests only read."""
    from tests import known_store

    path = tmp_path_factory.mktemp("known") / "bookings.duckdb"
    connection = open_store(path)
    known_store.build(connection)
    connection.close()
    return path


@pytest.fixture
def known(known_path):
    """A connection to the known store."""
    connection = open_store(known_path)
    yield connection
    connection.close()


@pytest.fixture
def app_as(monkeypatch):
    """app_as(store) -> open_as(login, **url_params): the app through AppTest, signed in."""
    from streamlit.testing.v1 import AppTest

    def for_store(store: Path):
        monkeypatch.setenv("BOOKINGS_DB", str(store))

        def open_as(login: str, **params) -> AppTest:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
            sign_in_app(at, login)
            for key, value in params.items():
                at.query_params[key] = value
            return at.run()

        return open_as

    return for_store


@pytest.fixture
def held_store():
    """held_store(path): a context in which another process holds the store file."""
    import subprocess
    import sys
    import textwrap
    from contextlib import contextmanager

    @contextmanager
    def holding(path: Path):
        holder = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(f"""
                import sys, duckdb
                con = duckdb.connect({str(path)!r})
                print("holding", flush=True)
                sys.stdin.read()
            """)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "holding"
            yield
        finally:
            holder.communicate("")

    return holding


@pytest.fixture
def store(con):
    """The hand-built store of tests/known_store.py (the upload files' catalogue too)."""
    known_store.build(con)
    return con


@pytest.fixture
def owner(store):
    return get_user(store, "owner")


@pytest.fixture
def cli(known_path, store_path, capsys, monkeypatch):
    """cli(*args) -> (exit code, stdout, stderr): `bookings` in process, on a copy of the
    known store (tests/known_store.py) at store_path, so that a case that wrongly
    changed something shows.

    A usage error leaves argparse by SystemExit: its code is the exit code.
    """
    import io
    import shutil

    from bookings.cli import main

    shutil.copyfile(known_path, store_path)

    def run_cli(*args):
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        try:
            code = main(["--db", str(store_path), *args])
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole run (tests/pg.py): BOOKINGS_TEST_PG_URL or a
    throwaway cluster; the tests that need it are skipped, saying why, without one."""
    from tests import pg

    try:
        context = pg.server()
        url = context.__enter__()
    except pg.NoPostgres as reason:
        pytest.skip(str(reason))
    try:
        yield url
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    from tests import pg

    with pg.database(pg_server) as url:
        yield url


@pytest.fixture(scope="session")
def known_pg(pg_server):
    """The known store (tests/known_store.py) built once in a PostgreSQL database: a
    connection to it, for tests that only read."""
    from tests import pg

    with pg.database(pg_server) as url:
        connection = open_store(url)
        known_store.build(connection)
        yield connection
        connection.close()
