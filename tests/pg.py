"""A PostgreSQL server for the store's tests, and a throwaway database per test.

`BOOKINGS_TEST_PG_URL`, when set, names a server the tests may create and drop
databases on (its database is only where they connect to do so). Otherwise a
throwaway cluster is made in a temporary folder from Debian's `postgresql`
packages (`make test` installs them when missing): `initdb` and `pg_ctl` from
/usr/lib/postgresql/<version>/bin (Debian keeps them off the PATH), run as the
`postgres` user when the tests run as root (PostgreSQL refuses to run as root),
listening on a unix socket of its own in that folder only (no TCP port, so it
never meets the cluster the package install may have started on 5432).
Without binaries or a URL, PostgreSQL tests are skipped, saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

URL_VARIABLE = "BOOKINGS_TEST_PG_URL"


class NoPostgres(Exception):
    """No server to test on: the reason, for pytest.skip."""


def binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder with initdb and pg_ctl, or None."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
             if Path(p).with_name("initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    """ARGV run as the postgres user when we are root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A cluster in a temporary folder for the block: the URL of its `postgres` database."""
    bin_dir = binaries()
    if bin_dir is None:
        raise NoPostgres("no PostgreSQL here: no /usr/lib/postgresql/*/bin/pg_ctl (Debian's "
                         f"postgresql package; `make test` installs it) and no {URL_VARIABLE}")
    folder = Path(tempfile.mkdtemp(prefix="bookings-pg-"))
    data, sockets, logfile = folder / "data", folder / "sock", folder / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            shutil.rmtree(folder)
            raise NoPostgres("running as root and there is no postgres user to run "
                             "PostgreSQL as") from exc
        for path in (folder, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    started = False
    try:
        subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--locale=C", "-N"]),
                       check=True, capture_output=True, text=True)
        options = (f"-k {sockets} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
        port = str(_free_port())  # it names the socket file (.s.PGSQL.<port>) too
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                                     str(logfile), "-w", "-t", "60", "-o",
                                     f"{options} -p {port}", "start"]),
                       check=True, capture_output=True, text=True)
        started = True
        yield f"postgresql://postgres@/postgres?host={sockets}&port={port}"
    except subprocess.CalledProcessError as exc:
        log = logfile.read_text() if logfile.exists() else ""
        raise RuntimeError(f"the throwaway PostgreSQL cluster failed: {exc.stderr}\n{log}") \
            from exc
    finally:
        if started:
            subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                         "immediate", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def server() -> Iterator[str]:
    """The URL of a database to create test databases from: BOOKINGS_TEST_PG_URL, or a
    throwaway cluster's."""
    given = os.environ.get(URL_VARIABLE)
    if given:
        yield given
        return
    with throwaway_cluster() as url:
        yield url


def with_database(url: str, name: str) -> str:
    """URL with its database replaced by NAME (the query, a socket folder, is kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def database(server_url: str) -> Iterator[str]:
    """A new empty database on the server for the block, dropped after: its URL."""
    import psycopg

    name = "bookings_test_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
