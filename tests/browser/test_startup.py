"""The app's start (server.py's lifespan) runs `startup` once: an upload commit and an
export a restart cut off are marked failed before anyone signs in."""

from bookings import auth
from bookings.exports import jobs
from bookings.filters import BookingFilter
from bookings.store import open_store
from bookings.uploads import bookings_import
from tests import known_store
from tests.browser.conftest import serving
from tests.helpers import GOOD, xlsx


def test_the_app_start_marks_what_a_restart_cut_off_failed(tmp_path):
    db = tmp_path / "bookings.duckdb"
    con = open_store(db)
    known_store.build(con)
    owner, admin = auth.get_user(con, "owner"), auth.get_user(con, "admin")
    batch_id = bookings_import.preview(con, owner, xlsx([GOOD]), "bookings.xlsx").batch_id
    con.execute("UPDATE import_batches SET state = 'committing' WHERE id = ?", [batch_id])
    log_id = jobs.request_export(con, admin, BookingFilter())
    jobs._claim(con, log_id)  # the app died while writing it
    con.close()

    with serving(db, tmp_path / "streamlit.log"):
        pass  # healthy: the lifespan has run

    con = open_store(db)
    try:
        (upload,) = con.execute("SELECT state FROM import_batches WHERE id = ?",
                                [batch_id]).fetchone()
        (export,) = con.execute("SELECT state FROM data_log WHERE id = ?", [log_id]).fetchone()
    finally:
        con.close()
    assert (upload, export) == ("failed", "failed")
