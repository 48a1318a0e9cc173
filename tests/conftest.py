"""Shared fixtures: a fresh store file per test, and users of each role."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bookings import auth
from bookings.model import Role
from bookings.store import open_store


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
