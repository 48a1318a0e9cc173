"""The writes on PostgreSQL give DuckDB's results (issue 16): the same actions on the known
store (tests/known_store.py) of each engine, then every table they touch compared row for
row. What differs by nature (times taken from the clock, random tokens and hashes, file
names) is compared as "set or not"; everything else must be equal. The PostgreSQL store's
files (exports, uploads, the outbox) go to BOOKINGS_DATA_DIR."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date, datetime

import pytest

from bookings import auth, datalog, deletion, editing, sessions
from bookings.admin import settings, users
from bookings.auth import get_user
from bookings.errors import NotFound
from bookings.exports import crosstab, jobs
from bookings.filters import BookingFilter
from bookings.model import Right, Role
from bookings.startup import startup, sweep
from bookings.store import StoreError, open_store, store_dir
from bookings.uploads import bookings_import, services_import
from tests import known_store
from tests.helpers import CUT, GOOD, NAILS, file_of, issue_ticket, xlsx, xlsx_rows

NOW = datetime(2026, 1, 2, 9, 0)
# Made anew on each run: compared as set or not.
RANDOM = {"operation_id", "sessions.id", "delete_operation", "token_sha256", "ticket_sha256",
          "password_hash", "file_path", "size", "file_sha256", "file_size", "file_name_kept"}


@pytest.fixture
def engines(con, pg_url, tmp_path, monkeypatch):
    """(DuckDB store, PostgreSQL store), each the known store; PostgreSQL's files in a
    folder of their own."""
    monkeypatch.setenv("BOOKINGS_DATA_DIR", str(tmp_path / "pg-files"))
    pg = open_store(pg_url)
    for c in (con, pg):
        known_store.build(c)
    yield con, pg
    pg.close()


def table(con, name: str, order: str = "1") -> list[dict]:
    cur = con.execute(f"SELECT * FROM {name} ORDER BY {order}")
    names = [d[0] for d in cur.description]
    return [{k: _plain(name, k, v) for k, v in zip(names, row, strict=True)}
            for row in cur.fetchall()]


def _plain(name: str, column: str, value):
    clock = isinstance(value, datetime) and value.year >= 2025 and column != "visit_at"
    if column in RANDOM or f"{name}.{column}" in RANDOM or clock:
        return value is not None  # the clock's time, a random value: set or not
    if column in ("snapshot", "changes", "old", "new", "filter") and value is not None:
        # a snapshot's times: ISO 8601 on both, with a space (DuckDB) or a T (PostgreSQL)
        return json.loads(re.sub(r'"(\d{4}-\d\d-\d\d)T(\d\d:)', r'"\1 \2', value))
    if isinstance(value, float):
        return round(value, 6)
    return value


def log_entries(con, viewer) -> list[dict]:
    """The Data log as VIEWER sees it, the clock's times as set or not."""
    return [{k: _plain("data_log", k, v) for k, v in e.items()}
            for e in datalog.entries(con, viewer)]


def xlsx_sheets(path) -> list[list[tuple]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[row for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets[1:]]
    finally:
        book.close()


def same_tables(duck, pg, *names: str) -> None:
    for name in names:
        order = {"user_rights": "1, 2", "booking_services": "1, 2",
                 "booking_category_links": "1, 2", "data_log_fetches": "1, 2",
                 "sign_in_failures": "login, client, failed_at", "sessions": "user_id, client",
                 "settings": "1"}.get(name, "id")
        assert table(pg, name, order) == table(duck, name, order), name


def test_files_beside_a_postgresql_store_go_to_bookings_data_dir(pg_url, tmp_path, monkeypatch):
    pg = open_store(pg_url)
    try:
        monkeypatch.delenv("BOOKINGS_DATA_DIR", raising=False)
        with pytest.raises(StoreError, match="BOOKINGS_DATA_DIR"):
            store_dir(pg)
        monkeypatch.setenv("BOOKINGS_DATA_DIR", str(tmp_path / "shared"))
        assert store_dir(pg) == (tmp_path / "shared").resolve()
    finally:
        pg.close()


def test_exports_hold_what_they_hold_on_duckdb(engines):
    answers = []
    for c in engines:
        admin, owner = get_user(c, "admin"), get_user(c, "owner")
        out = {}
        for who, fmt, f in ((admin, "xlsx", BookingFilter()),
                            (owner, "xlsx", BookingFilter(staff=(1,))),
                            (admin, "csv", BookingFilter(cancelled="no"))):
            outcome = jobs.export_now(c, who, f, fmt, email="boss@example.com")
            assert outcome.state == "ready", outcome.error
            assert outcome.file.parent.parent == store_dir(c)
            out[who.login, fmt] = (xlsx_rows(outcome.file) if fmt == "xlsx"
                                   else outcome.file.read_text(encoding="utf-8-sig"),
                                   outcome.rows)
        tab = crosstab.export_crosstab(c, admin, BookingFilter(visit_from=date(2024, 6, 1),
                                                                visit_to=date(2024, 7, 31)),
                                       rows="staff", cols="month", measure="to_pay",
                                       compare="year", today=known_store.TODAY)
        out["crosstab"] = (tab.bookings, tab.crosstab.to_json(), xlsx_sheets(tab.file))
        out["log"] = log_entries(c, admin)
        answers.append(out)
    assert answers[1] == answers[0]
    same_tables(*engines, "data_log")
    for c in engines:  # each requester's email, with the link, in the store's outbox
        assert len(list((store_dir(c) / "outbox").iterdir())) == 3


def test_a_queued_export_is_written_by_run_job_as_on_duckdb(engines):
    answers = []
    for c in engines:
        log_id = jobs.request_export(c, get_user(c, "admin"), BookingFilter(staff=(2,)))
        outcome = jobs.run_job(c, log_id)
        answers.append((outcome.state, outcome.rows, xlsx_rows(outcome.file)))
    assert answers[1] == answers[0]
    same_tables(*engines, "data_log")


def test_editing_and_creating_bookings_as_on_duckdb(engines):
    for c in engines:
        admin = get_user(c, "admin")
        before, version = editing.current(c, 2)
        editing.save(c, admin, 2, editing.with_changes(before, comment="moved", paid=0.0),
                     started_from=before, version=version, now=NOW)
        draft = editing.Draft(visit_at=datetime(2024, 9, 3, 11, 0), staff_id=1, length_s=3600,
                              client_name="Brand New", client_phone="447700900999",
                              services=editing.with_list_prices(c, [(10, None, 0.0)]),
                              categories=(1,),
                              comment="walk-in")
        editing.create(c, admin, draft, now=NOW)
        with pytest.raises(editing.EditConflict):
            editing.save(c, admin, 2, editing.with_changes(before, comment="stale"),
                         started_from=before, version=version, now=NOW)
    same_tables(*engines, "bookings", "booking_services", "booking_category_links", "clients",
                "booking_history")


def test_users_and_settings_as_on_duckdb(engines):
    for c in engines:
        owner = get_user(c, "owner")
        users.add_user(c, owner, "newbie", Role.EMPLOYEE, name="New Bie",
                       email="newbie@example.com")
        users.grant(c, owner, "newbie", [Right.EXPORT])
        users.revoke(c, owner, "newbie", [Right.EXPORT])
        users.set_viewing_period(c, owner, "newbie", 30)
        users.link(c, owner, "newbie", 1)
        users.set_scope(c, owner, "newbie", "own")
        users.reset_password(c, owner, "newbie")
        users.set_active(c, owner, "newbie", False)
        staff = settings.add_staff(c, owner, "Zoe Zed", "nails")
        settings.rename_staff(c, owner, staff["id"], "Zoe Zee")
        category = settings.add_service_category(c, owner, "Spa")
        service = settings.add_service(c, owner, "Sauna", category["id"], "12,50", 30)
        settings.update_service(c, owner, service["id"], price="13")
        settings.add_booking_category(c, owner, "VIP", "#123456")
        settings.set_booking_interval(c, owner, 10)
    same_tables(*engines, "users", "user_rights", "staff", "services", "service_categories",
                "booking_categories", "settings", "settings_changes", "sessions")


def test_sessions_and_sign_in_throttling_as_on_duckdb(engines):
    answers = []
    for c in engines:
        admin = get_user(c, "admin")
        out = []
        token = sessions.redeem(c, issue_ticket(c, admin, "10.0.0.1", now=NOW),
                                now=NOW)
        out.append(sessions.user_for(c, token, now=NOW).user.login)
        out.append(sessions.live_count(c, admin.id, now=NOW))
        for _ in range(4):
            try:
                auth.sign_in(c, "admin", "wrong password", client="10.0.0.9", now=NOW)
            except Exception as refused:  # noqa: BLE001 - compared by its words
                out.append(str(refused))
        out.append(auth.seconds_to_wait(c, "admin", "10.0.0.9", NOW))
        out.append([(t.login, t.client, t.failures) for t in auth.throttles(c, now=NOW)])
        out.append(sessions.end(c, token, now=NOW))
        out.append(sessions.user_for(c, token, now=NOW).user)
        answers.append(out)
    assert answers[1] == answers[0]
    same_tables(*engines, "sessions", "sign_in_failures", "data_log")


def test_deletion_then_data_log_views_as_on_duckdb(engines):
    answers = []
    for c in engines:
        admin, owner = get_user(c, "admin"), get_user(c, "owner")
        deletion.delete_bookings(c, admin, [1, 2, 3, 6])
        answers.append({who.login: log_entries(c, who)
                        for who in (admin, owner, get_user(c, "employee"))})
    assert answers[1] == answers[0]


def test_uploads_of_bookings_and_services_as_on_duckdb(engines):
    answers = []
    for c in engines:
        owner = get_user(c, "owner")
        data = xlsx([GOOD, {**GOOD, "Date": "05.01.2026 12:00", "Customer phone number":
                            "12125550001", "Client name": "Other Client"}])
        preview = bookings_import.preview(c, owner, data, "bookings.xlsx")
        again = bookings_import.preview(c, owner, data, "bookings.xlsx")  # a second tab
        done = bookings_import.commit(c, owner, preview, now=NOW)
        with pytest.raises(Exception, match="imported before") as refused:
            bookings_import.commit(c, owner, again, now=NOW)
        services = services_import.preview(c, owner, file_of(CUT, NAILS), "services.xlsx")
        services_done = services_import.commit(c, owner, services, now=NOW)
        answers.append((done.as_json(), str(refused.value),
                        services_done.as_json()))
    assert answers[1] == answers[0]
    assert answers[0][0]["imported"] == 2
    same_tables(*engines, "import_batches", "bookings", "booking_services", "clients",
                "services", "service_categories", "settings_changes", "data_log")
    assert engines[1].execute("SELECT count(*) FROM booking_services s JOIN bookings b "
                              "ON b.id = s.booking_id WHERE b.import_batch_id = ?",
                              [answers[1][0]["batch"]]).fetchone()[0] == 2


# --- exactly once under PostgreSQL's READ COMMITTED: two connections racing ----------------


def race(pg_url, action, times: int = 2) -> list:
    """ACTION(con) run at the same moment on TIMES connections of their own: each one's
    result, or the exception it raised."""
    barrier = threading.Barrier(times)
    results: list = [None] * times
    cons = [open_store(pg_url) for _ in range(times)]

    def run(k: int) -> None:
        barrier.wait()
        try:
            results[k] = action(cons[k])
        except Exception as exc:  # noqa: BLE001 - compared by the test
            results[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(times)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for c in cons:
            c.close()
    return results


@pytest.fixture
def pg_known(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DATA_DIR", str(tmp_path / "pg-files"))
    pg = open_store(pg_url)
    known_store.build(pg)
    yield pg
    pg.close()


@pytest.mark.parametrize("round_", range(3))
def test_two_workers_claiming_at_once_take_each_entry_once(pg_url, pg_known, round_):
    admin = get_user(pg_known, "admin")
    ids = [jobs.request_export(pg_known, admin, BookingFilter()) for _ in range(3)]
    claimed = race(pg_url, lambda c: [row[0] for row in iter(lambda: jobs.claim_next(c), None)],
                   times=3)
    taken = [log_id for got in claimed for log_id in got]
    assert sorted(taken) == ids  # every entry once, none twice
    one = jobs.request_export(pg_known, admin, BookingFilter())
    results = race(pg_url, lambda c: jobs._claim(c, one).log_id)
    assert sorted(map(type, results), key=str) == sorted([int, NotFound], key=str)


@pytest.mark.parametrize("round_", range(3))
def test_two_deletions_of_one_booking_at_once_delete_it_once(pg_url, pg_known, round_):
    results = race(pg_url, lambda c: deletion.delete_bookings(c, get_user(c, "admin"), [4]))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(len(r.deleted) for r in results) == [0, 1]
    assert pg_known.execute("SELECT count(*) FROM booking_history WHERE booking_id = 4 "
                            "AND action = 'deleted'").fetchone()[0] == 1
    skipped = next(r for r in results if not r.deleted).skipped
    assert "already deleted" in str(skipped)


def test_two_saves_of_one_version_at_once_save_once(pg_url, pg_known):
    before, version = editing.current(pg_known, 4)

    def save(c):
        return editing.save(c, get_user(c, "admin"), 4, editing.with_changes(
            before, comment=f"by {id(c)}"), started_from=before, version=version, now=NOW)

    results = race(pg_url, save)
    assert sorted(type(r).__name__ for r in results) == ["EditConflict", "Saved"]
    assert pg_known.execute("SELECT version FROM bookings WHERE id = 4").fetchone()[0] == \
        version + 1


def test_an_upload_commits_once_from_two_connections_at_once(pg_url, pg_known):
    owner = get_user(pg_known, "owner")
    preview = bookings_import.preview(pg_known, owner, xlsx([GOOD]), "once.xlsx")
    results = race(pg_url, lambda c: bookings_import.commit(c, get_user(c, "owner"), preview,
                                                            now=NOW))
    assert sorted(type(r).__name__ for r in results) == ["Committed", "UploadRefused"]
    assert pg_known.execute("SELECT count(*) FROM bookings WHERE import_batch_id = ?",
                            [preview.batch_id]).fetchone()[0] == 1


def test_recovery_leaves_another_live_process_s_work_alone(pg_url, pg_known):
    """A running export whose lease is live belongs to another process: start-up leaves it;
    one whose lease ran out was cut off: failed, its half-written file removed."""
    admin = get_user(pg_known, "admin")
    live, dead = (jobs.request_export(pg_known, admin, BookingFilter()) for _ in range(2))
    jobs._claim(pg_known, live)
    jobs._claim(pg_known, dead)
    pg_known.execute("UPDATE data_log SET lease_until = TIMESTAMP '2000-01-01' WHERE id = ?",
                     [dead])
    folder = jobs.exports_dir(pg_known)
    (folder / f"export-{live}-x.part").write_bytes(b"PK")
    (folder / f"export-{dead}-y.part").write_bytes(b"PK")
    assert startup(pg_known).exports == [dead]
    assert (folder / f"export-{live}-x.part").exists()
    assert not (folder / f"export-{dead}-y.part").exists()
    assert pg_known.execute("SELECT state FROM data_log WHERE id = ?", [live]).fetchone() == \
        ("running",)


def test_a_running_app_sweeps_up_the_work_of_a_process_that_died(pg_url, pg_known, monkeypatch):
    """Start-up recovers only at a start; with several app processes one may die while the
    others run on for weeks. Their export workers sweep every half lease: the dead one's
    upload commit and export (leases run out) are failed; a live lease is left alone."""
    monkeypatch.setenv("BOOKINGS_LEASE_S", "1")  # a sweep every half second
    admin, owner = get_user(pg_known, "admin"), get_user(pg_known, "owner")
    live, dead = (jobs.request_export(pg_known, admin, BookingFilter()) for _ in range(2))
    for log_id in (live, dead):
        jobs._claim(pg_known, log_id)
    preview = bookings_import.preview(pg_known, owner, xlsx([GOOD]), "dead.xlsx")
    pg_known.execute("UPDATE import_batches SET state = 'committing', lease_until = "
                     "TIMESTAMP '2000-01-01' WHERE id = ?", [preview.batch_id])
    pg_known.execute("UPDATE data_log SET lease_until = TIMESTAMP '2000-01-01' WHERE id = ?",
                     [dead])
    pg_known.execute("UPDATE data_log SET lease_until = TIMESTAMP '2999-01-01' WHERE id = ?",
                     [live])
    worker = jobs.ExportWorker(pg_url, poll_s=0.1, sweep=sweep)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while pg_known.execute("SELECT state FROM import_batches WHERE id = ?",
                               [preview.batch_id]).fetchone() != ("failed",):
            assert time.monotonic() < deadline, "the dead process's work was never swept"
            time.sleep(0.1)
    finally:
        worker.stop()
    assert pg_known.execute("SELECT id, state FROM data_log WHERE id IN (?, ?) ORDER BY id",
                            [live, dead]).fetchall() == sorted([(live, "running"),
                                                                (dead, "failed")])

