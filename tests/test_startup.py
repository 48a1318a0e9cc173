"""The app's start-up (`bookings.startup`): what a restart cut off is marked failed, once,
from server.py's lifespan; the pages no longer recover anything themselves."""

from __future__ import annotations

import time

import pytest

from bookings import auth
from bookings.exports import jobs
from bookings.filters import BookingFilter
from bookings.startup import Recovered, startup, sweep
from bookings.store import open_store
from bookings.uploads import bookings_import
from tests.helpers import GOOD, xlsx


def interrupted_upload(con, owner) -> int:
    """An upload whose commit a restart cut off: its batch left 'committing'."""
    preview = bookings_import.preview(con, owner, xlsx([GOOD]), "bookings.xlsx")
    con.execute("UPDATE import_batches SET state = 'committing' WHERE id = ?",
                [preview.batch_id])
    return preview.batch_id


def interrupted_export(con) -> int:
    """An export a restart cut off while it was written, with its half-written file."""
    log_id = jobs.request_export(con, auth.get_user(con, "admin"), BookingFilter())
    jobs._claim(con, log_id)
    partial = jobs.exports_dir(con) / f"{log_id}.xlsx.part"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"PK")
    return log_id


def states(con, batch_id: int, log_id: int) -> tuple[str, str]:
    (upload,) = con.execute("SELECT state FROM import_batches WHERE id = ?",
                            [batch_id]).fetchone()
    (export,) = con.execute("SELECT state FROM data_log WHERE id = ?", [log_id]).fetchone()
    return upload, export


def test_startup_recovers_an_interrupted_upload_commit_and_an_interrupted_export(store, owner):
    batch_id, log_id = interrupted_upload(store, owner), interrupted_export(store)

    recovered = startup(store)

    assert recovered.uploads == [batch_id] and recovered.exports == [log_id]
    assert states(store, batch_id, log_id) == ("failed", "failed")
    assert list(jobs.exports_dir(store).glob("*.part")) == []
    assert startup(store).uploads == [] and startup(store).exports == []  # nothing left


def test_the_pages_connection_recovers_nothing(store, owner, store_path):
    from ui import common

    batch_id, log_id = interrupted_upload(store, owner), interrupted_export(store)
    common._connection.clear()
    try:
        common._connection(str(store_path))
    finally:
        common._connection.clear()
    assert states(store, batch_id, log_id) == ("committing", "running")


def test_the_worker_alone_recovers_nothing(store, owner, store_path):
    batch_id, log_id = interrupted_upload(store, owner), interrupted_export(store)
    worker = jobs.ExportWorker(store_path, poll_s=0.1)
    try:
        worker.start()
        time.sleep(0.3)
    finally:
        worker.stop()
    assert states(store, batch_id, log_id) == ("committing", "running")


def test_a_store_busy_at_start_is_recovered_when_the_worker_opens_it(
        store, owner, store_path, held_store):
    batch_id, log_id = interrupted_upload(store, owner), interrupted_export(store)
    store.close()
    with held_store(store_path):
        worker = jobs.ExportWorker(store_path, poll_s=0.1, on_open=startup)
        worker.start()  # busy: it waits, and recovers nothing yet
    try:
        con = open_store(store_path)
        deadline = time.monotonic() + 20
        while states(con, batch_id, log_id) != ("failed", "failed"):
            if time.monotonic() > deadline:
                pytest.fail(f"not recovered: {states(con, batch_id, log_id)}")
            time.sleep(0.05)
        con.close()
    finally:
        worker.stop()


def test_on_duckdb_the_sweep_leaves_running_work_alone(store):
    """On the embedded store everything running is this process's own: only a start may
    call it interrupted."""
    log_id = jobs.request_export(store, auth.get_user(store, "admin"), BookingFilter())
    jobs._claim(store, log_id)
    assert sweep(store) == Recovered(uploads=[], exports=[])
    assert store.execute("SELECT state FROM data_log WHERE id = ?", [log_id]).fetchone() == \
        ("running",)
