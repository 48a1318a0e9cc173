"""Files at rest (issue 12): owner-only modes, no working files in the system's /tmp,
and download links that follow the port the app serves on."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest

from bookings import auth, config, store
from bookings.exports import jobs, mail
from bookings.filters import BookingFilter
from bookings.model import User
from bookings.startup import startup
from bookings.store import open_store, store_dir
from tests import known_store
from tests.helpers import outbox_link

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask (files 0644): the modes must not come from a strict one."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def system_tmp(tmp_path, monkeypatch) -> Path:
    """A fresh, empty "system temporary folder" for this test (and its children)."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))  # gettempdir() caches it
    return folder


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"  # not made yet: open_store makes it


@pytest.fixture
def known(data_dir):
    con = open_store(data_dir / "bookings.duckdb")
    known_store.build(con)
    yield con
    con.close()


def admin(con) -> User:
    return auth.get_user(con, "admin")


# --- 1. working files: beside the store, never in /tmp; recovery removes leftovers ----

# A child writes an xlsx export and dies in the middle (os._exit: no finally, no
# cleanup), as a killed or crashed app would.
DYING_EXPORT = """
import os, sys
from bookings.exports import files, jobs
from bookings.store import open_store

con = open_store(sys.argv[1])
write = files.XlsxSink.write
batches = []

def write_then_die(self, batch):
    write(self, batch)
    batches.append(len(batch))
    if len(batches) == 2:
        self._sheet.row_data_fh.flush()  # what the OS would have had by then
        print("dying", flush=True)
        os._exit(9)

files.XlsxSink.write = write_then_die
jobs.run_job(con, int(sys.argv[2]), batch_rows=2)
"""


def test_an_interrupted_xlsx_export_leaves_nothing_in_tmp_and_recovery_removes_its_files(
        known, data_dir, system_tmp):
    store_path = data_dir / "bookings.duckdb"
    log_id = jobs.request_export(known, admin(known), BookingFilter())
    known.close()

    child = subprocess.run([sys.executable, "-c", DYING_EXPORT, str(store_path), str(log_id)],
                           cwd=ROOT, env=dict(os.environ, TMPDIR=str(system_tmp)),
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 9 and "dying" in child.stdout, child.stderr

    assert everything_under(system_tmp) == []  # nothing of it in the system's /tmp
    working = [p for p in everything_under(data_dir / "tmp") if p.is_file()]
    assert working, "xlsxwriter's working files are expected under the data dir"
    assert all(p.relative_to(data_dir / "tmp").parts[0].startswith(f"export-{log_id}-")
               for p in working)
    assert any("Anna-Maria" in p.read_text(errors="replace") for p in working)  # rows, as feared
    assert all(mode(p) == 0o600 for p in working)
    assert mode(data_dir / "tmp") == 0o700
    assert list((data_dir / "exports").glob("*.part"))

    con = open_store(store_path)  # the app starts again
    try:
        assert startup(con).exports == [log_id]
    finally:
        con.close()
    assert everything_under(data_dir / "tmp") == []  # the leftovers are gone
    assert list((data_dir / "exports").iterdir()) == []
    assert everything_under(system_tmp) == []
    con = open_store(store_path)
    try:
        state, error = con.execute("SELECT state, error FROM data_log WHERE id = ?",
                                   [log_id]).fetchone()
    finally:
        con.close()
    assert state == "failed" and "interrupted" in error


def test_recovery_removes_only_the_exports_working_folders(known, data_dir):
    work = store.temp_dir(known)
    (work / "export-7-abc").mkdir()
    (work / "export-7-abc" / "tmpxyz").write_text("<row>Kate Smith</row>")
    (work / "export-8-stray").write_text("a stray file")
    (work / "someone-else").mkdir()
    jobs.recover_interrupted(known)
    assert [p.name for p in work.iterdir()] == ["someone-else"]


def test_a_failing_xlsx_export_writes_beside_the_store_and_cleans_up(
        known, data_dir, system_tmp, monkeypatch):
    list_rows, seen = jobs.list_rows, {}

    def rows_then_failure(*args, **kwargs):
        rows = list_rows(*args, **kwargs)
        yield next(rows)
        yield next(rows)  # the first batch is in the sheet's working file by now
        seen["working"] = [p for p in everything_under(data_dir / "tmp") if p.is_file()]
        seen["system"] = everything_under(system_tmp)
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(jobs, "list_rows", rows_then_failure)
    log_id = jobs.request_export(known, admin(known), BookingFilter())
    outcome = jobs.run_job(known, log_id, batch_rows=2)

    assert outcome.state == "failed" and "the disk went away" in outcome.error
    assert seen["working"] and seen["system"] == []  # written beside the store, not in /tmp
    assert everything_under(system_tmp) == []
    assert everything_under(data_dir / "tmp") == []  # the job removed its own folder
    assert list((data_dir / "exports").iterdir()) == []


def test_a_finished_xlsx_export_leaves_no_working_files(known, data_dir, system_tmp):
    outcome = jobs.export_now(known, admin(known), BookingFilter())
    assert outcome.state == "ready"
    assert openpyxl.load_workbook(outcome.file, read_only=True)["Bookings"].max_row == 7
    assert everything_under(system_tmp) == []
    assert everything_under(data_dir / "tmp") == []


# --- 2. modes: 0600 files in 0700 folders -------------------------------------------------


def test_a_new_store_and_the_folder_made_for_it_are_the_owners_only(tmp_path):
    path = tmp_path / "new" / "deeper" / "bookings.duckdb"
    con = open_store(path)
    try:
        con.execute("INSERT INTO staff (id, name) VALUES (1, 'Anna')")  # the .wal appears
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700  # what is in it, the .wal too, is out of reach
    finally:
        con.close()
    assert mode(path) == 0o600  # after the checkpoint at close as well


def test_a_new_store_in_an_existing_folder_is_0600_and_the_folder_left_alone(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    open_store(folder / "bookings.duckdb").close()
    assert mode(folder / "bookings.duckdb") == 0o600
    assert mode(folder) == 0o755  # not ours to change


def test_the_default_data_dir_is_made_private_even_when_it_exists(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)  # as an older version left it
    monkeypatch.setattr(config, "DATA_DIR", data)
    open_store(data / "bookings.duckdb").close()
    assert mode(data) == 0o700
    assert mode(data / "bookings.duckdb") == 0o600


def test_the_cli_init_makes_a_private_store(tmp_path):
    from bookings.cli import main

    path = tmp_path / "made-by-init" / "bookings.duckdb"
    assert main(["--db", str(path), "init"]) == 0
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_files_are_0600_in_a_0700_folder(known, data_dir, fmt):
    outcome = jobs.export_now(known, admin(known), BookingFilter(), fmt)
    assert outcome.state == "ready" and outcome.file.suffix == f".{fmt}"
    assert mode(outcome.file) == 0o600
    assert mode(data_dir / "exports") == 0o700
    assert mode(data_dir / "tmp") == 0o700
    assert mode(data_dir) == 0o700  # made by open_store


def test_an_existing_world_readable_exports_folder_is_tightened(known, data_dir):
    (data_dir / "exports").mkdir()
    os.chmod(data_dir / "exports", 0o755)
    outcome = jobs.export_now(known, admin(known), BookingFilter(), "csv")
    assert mode(data_dir / "exports") == 0o700 and mode(outcome.file) == 0o600


def test_private_helpers(tmp_path):
    folder = store.private_dir(tmp_path / "a" / "outbox")
    assert mode(folder) == 0o700
    path = store.write_private(folder / "m.eml", b"token")
    assert path.read_bytes() == b"token" and mode(path) == 0o600
    assert [p.name for p in folder.iterdir()] == ["m.eml"]  # no partial left
    loose = tmp_path / "loose.txt"
    loose.write_text("old")
    os.chmod(loose, 0o644)
    assert store.private_file(loose).read_bytes() == b"" and mode(loose) == 0o600
    nested = store.write_private(tmp_path / "made" / "here.bin", b"x")
    assert mode(nested.parent) == 0o700 and mode(nested) == 0o600


def test_outbox_messages_holding_links_are_0600_in_a_0700_folder(known, data_dir,
                                                                   monkeypatch):
    monkeypatch.delenv("BOOKINGS_SMTP_HOST", raising=False)
    outcome = jobs.export_now(known, admin(known), BookingFilter(), "csv",
                              email="kate@example.com")
    message = Path(outcome.mailed)
    assert message.parent == mail.outbox_dir(data_dir)
    assert mode(message) == 0o600 and mode(message.parent) == 0o700


# --- 3. the public URL follows the served port ---------------------------------------


def test_public_url_follows_the_served_port_unless_set(monkeypatch):
    monkeypatch.delenv("BOOKINGS_PUBLIC_URL", raising=False)
    monkeypatch.delenv(jobs.SERVED_PORT_VAR, raising=False)
    assert jobs.public_url() == "http://localhost:8501"
    monkeypatch.setenv(jobs.SERVED_PORT_VAR, "8701")
    assert jobs.public_url() == "http://localhost:8701"
    monkeypatch.setenv(jobs.SERVED_PORT_VAR, "not-a-port")
    assert jobs.public_url() == "http://localhost:8501"
    monkeypatch.setenv(jobs.SERVED_PORT_VAR, "8701")
    monkeypatch.setenv("BOOKINGS_PUBLIC_URL", "https://bookings.salon.example/")
    assert jobs.public_url() == "https://bookings.salon.example"  # the address set wins


def test_the_server_announces_its_port_and_mailed_links_carry_it(known, monkeypatch):
    from streamlit import config as st_config

    import server

    monkeypatch.delenv("BOOKINGS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("BOOKINGS_SMTP_HOST", raising=False)
    monkeypatch.setenv(jobs.SERVED_PORT_VAR, "")  # restored after the test
    before = st_config.get_option("server.port")
    st_config.set_option("server.port", 8701)  # as `--server.port 8701` sets it
    try:
        assert server.announce_port() == 8701
    finally:
        st_config.set_option("server.port", before)
    assert os.environ[jobs.SERVED_PORT_VAR] == "8701"
    outcome = jobs.export_now(known, admin(known), BookingFilter(), "csv",
                              email="kate@example.com")
    assert outcome.link.startswith("http://localhost:8701/download/")
    assert outbox_link(store_dir(known), outcome.log_id) == outcome.link
