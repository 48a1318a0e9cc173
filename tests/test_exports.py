"""Downloads: the file holds exactly the list, safely; the job's states; restarts."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
import zipfile
from datetime import datetime

import openpyxl
import pytest

from bookings import auth, listing
from bookings.admin import users
from bookings.cli import main
from bookings.errors import Forbidden, NotFound, Refused
from bookings.exports import files, jobs
from bookings.exports.files import HEADER, XlsxSink, csv_safe
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right, User
from bookings.startup import startup
from bookings.store import StoreError, open_store
from tests import known_store
from tests.helpers import xlsx_rows

FORMULA_NAME = '=HYPERLINK("http://x","y")'
RISKY_COMMENTS = {8: "+1 555 0100 call first", 9: "-5 discount agreed", 10: "@SUM(A1:A9)"}


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


@pytest.fixture
def run(store_path, capsys):
    """run(*args) -> (exit code, the JSON document printed), in process."""

    def run_cli(*args):
        code = main(["--db", str(store_path), *args, "--json"])
        return code, json.loads(capsys.readouterr().out)

    return run_cli


def user(con, login: str) -> User:
    return auth.get_user(con, login)


def add_risky_bookings(con) -> None:
    """A client named like a formula, and comments that start like one."""
    con.execute("INSERT INTO clients (id, name, phone) VALUES (4, ?, '15550001111')",
                [FORMULA_NAME])
    con.execute("""
        INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance, online,
                              source, created_at, last_change_at, comment)
        SELECT 7, TIMESTAMP '2024-08-01 10:00', 3600, 1, 4, 0, FALSE, 'admin',
               TIMESTAMP '2024-07-01 10:00', TIMESTAMP '2024-07-01 10:00', ''
    """)
    for booking_id, comment in RISKY_COMMENTS.items():
        con.execute("""
            INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance,
                                  online, source, created_at, last_change_at, comment)
            VALUES (?, TIMESTAMP '2024-08-02 10:00', 3600, 2, 1, 0, FALSE, 'admin',
                    TIMESTAMP '2024-07-01 10:00', TIMESTAMP '2024-07-01 10:00', ?)
        """, [booking_id, comment])


# --- what the list shows, as the file must hold it ------------------------------------


def as_exported(r: dict) -> list:
    """A `bookings list --json` row in the export's columns (the page's table)."""
    deleted = (f"by {r['deleted_by'] or '?'} on "
               f"{datetime.fromisoformat(r['deleted_at']):%d.%m.%Y %H:%M}" if r["deleted"] else "")
    return [r["id"], datetime.fromisoformat(r["visit_at"]), r["length_s"] // 60, r["staff_name"],
            ", ".join(s["title"] for s in r["services"]), r["client_name"], r["client_phone"],
            r["status"], ("online · " if r["online"] else "offline · ") + r["source"],
            datetime.fromisoformat(r["created_at"]),
            r["created_by"] or ("client" if r["online"] else ""),
            ", ".join(c["title"] for c in r["categories"]), r["total_to_pay"], r["paid"],
            r["paid_full"], r["comment"], deleted]


def as_csv(values: list) -> list[str]:
    out = []
    for (_, kind, _, _), v in zip(files.COLUMNS, values, strict=True):
        out.append({"int": str, "money": lambda x: f"{x:.2f}",
                    "bool": lambda x: "TRUE" if x else "FALSE",
                    "datetime": lambda x: x.isoformat(sep=" "), "text": csv_safe}[kind](v))
    return out


def csv_rows(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


FILTERS = [
    [],
    ["--staff", "1"],
    ["--cancelled", "no", "--payment", "paid"],
    ["--client", "kate"],
    ["--visit-from", "2024-05-01", "--visit-to", "2024-06-30", "--status", "arrived",
     "--status", "no-show"],
    ["--source", "online", "--booking-category", "1"],
    ["--client", "nobody at all"],
]


@pytest.mark.parametrize("flags", FILTERS, ids=lambda f: " ".join(f) or "all")
def test_the_xlsx_holds_exactly_the_list_row_by_row(store, run, flags):
    code, listed = run("list", *flags, "--user", "admin", "--limit", "1000")
    assert code == 0
    code, exported = run("export", *flags, "--user", "admin")
    assert code == 0 and exported["state"] == "ready"
    assert exported["rows"] == listed["total"]
    header, rows = xlsx_rows(exported["file"])
    assert header == HEADER
    assert rows == [as_exported(r) for r in listed["rows"]]


@pytest.mark.parametrize("flags", FILTERS[:4], ids=lambda f: " ".join(f) or "all")
def test_the_csv_holds_exactly_the_list_row_by_row(store, run, flags):
    _, listed = run("list", *flags, "--user", "admin", "--limit", "1000")
    code, exported = run("export", *flags, "--user", "admin", "--format", "csv")
    assert code == 0 and exported["file"].endswith(".csv")
    header, rows = csv_rows(exported["file"])
    assert header == HEADER
    assert rows == [as_csv(as_exported(r)) for r in listed["rows"]]


def test_dates_are_excel_dates_and_money_numbers(store):
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter())
    sheet = openpyxl.load_workbook(outcome.file).worksheets[1]
    visit, to_pay = sheet.cell(2, HEADER.index("Visit") + 1), sheet.cell(2, 13)
    assert visit.is_date and visit.number_format == "dd.mm.yyyy hh:mm"
    assert to_pay.data_type == "n" and HEADER[12] == "To pay"


def test_the_cover_sheet_says_who_when_and_what(store):
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter(staff=(2,)))
    cover = openpyxl.load_workbook(outcome.file).worksheets[0]
    said = {row[0]: row[1] for row in cover.iter_rows(values_only=True)}
    assert cover.title == "About this file"
    assert said["Requested by"] == "admin (admin)"
    assert said["Filter"] == "employee Ben Brown"
    assert said["Rows"] == "3"
    assert datetime.strptime(said["Requested at"], "%d.%m.%Y %H:%M")
    assert "never run as a formula" in said["Text cells"]


def test_a_user_without_phones_gets_masked_phones_only(store):
    users.grant(store, SYSTEM, "employee", {Right.EXPORT})
    users.set_viewing_period(store, SYSTEM, "employee", None)
    users.set_scope(store, SYSTEM, "employee", "all")
    employee = user(store, "employee")
    phones = [phone for _, _, phone in known_store.CLIENTS]
    for fmt in ("xlsx", "csv"):
        outcome = jobs.export_now(store, employee, BookingFilter(), fmt)
        assert outcome.rows == 6
        if fmt == "xlsx":
            _, rows = xlsx_rows(outcome.file)
            column = [row[HEADER.index("Phone")] for row in rows]
            texts = [str(v) for sheet in openpyxl.load_workbook(outcome.file).worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row]
        else:
            _, rows = csv_rows(outcome.file)
            column = [row[HEADER.index("Phone")] for row in rows]
            texts = [outcome.file.read_text(encoding="utf-8-sig")]
        assert set(column) == {p[:2] + "*" * (len(p) - 4) + p[-2:] for p in phones}
        for phone in phones:  # no digits beyond the mask, anywhere in the file
            assert not any(phone[2:-2] in text for text in texts), (fmt, phone)


def test_formula_like_text_comes_back_as_text_in_xlsx(store):
    add_risky_bookings(store)
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter())
    book = openpyxl.load_workbook(outcome.file)
    cells = {row[0].value: row for row in book.worksheets[1].iter_rows(min_row=2)}
    client = cells[7][HEADER.index("Client")]
    assert client.value == FORMULA_NAME and client.data_type == "s"
    for booking_id, comment in RISKY_COMMENTS.items():
        cell = cells[booking_id][HEADER.index("Comment")]
        assert cell.value == comment and cell.data_type == "s"
    with zipfile.ZipFile(outcome.file) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in package.read(n) for n in sheets)  # not one formula


def test_formula_like_text_gets_a_quote_in_csv(store):
    add_risky_bookings(store)
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter(), "csv")
    _, rows = csv_rows(outcome.file)
    by_id = {int(row[0]): row for row in rows}
    assert by_id[7][HEADER.index("Client")] == "'" + FORMULA_NAME
    for booking_id, comment in RISKY_COMMENTS.items():
        assert by_id[booking_id][HEADER.index("Comment")] == "'" + comment
    assert by_id[1][HEADER.index("Client")] == "Kate Smith"  # others as they are


@pytest.mark.parametrize("text, safe", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Kate", "Kate"), ("", ""), ("a=b", "a=b"),
])
def test_csv_safe(text, safe):
    assert csv_safe(text) == safe


# --- sheets ------------------------------------------------------------------------------


def test_more_rows_than_a_sheet_holds_go_on_further_sheets(store):
    store.execute("INSERT INTO bookings SELECT * REPLACE (id + 100 AS id) FROM bookings "
                  "WHERE id <= 4")  # 10 bookings
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    outcome = jobs.run_job(store, log_id, rows_per_sheet=4, batch_rows=3)
    assert outcome.rows == 10
    book = openpyxl.load_workbook(outcome.file, read_only=True)
    assert book.sheetnames == ["About this file", "Bookings", "Bookings (2)", "Bookings (3)"]
    counts = [sheet.max_row - 1 for sheet in book.worksheets[1:]]
    assert counts == [4, 4, 2]
    cover = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert cover["Sheets"] == ('"Bookings": rows 1-4; "Bookings (2)": rows 5-8; '
                               '"Bookings (3)": rows 9-10')
    book.close()
    _, rows = xlsx_rows(outcome.file)
    listed = [r["id"] for r in listing.page(store, SYSTEM, BookingFilter(), limit=100)]
    assert [row[0] for row in rows] == listed  # every row, once, in the list's order


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 100])
def test_chunks_keep_the_list_order_through_equal_visit_times(store, chunk_rows):
    store.execute("INSERT INTO bookings SELECT * REPLACE (id + 100 AS id) FROM bookings "
                  "WHERE id <= 4")  # four visits at the same moment as four others
    streamed = [row[0] for batch in jobs.list_rows(store, SYSTEM, BookingFilter(),
                                                   batch_rows=2, chunk_rows=chunk_rows)
                for row in batch]
    listed = [r["id"] for r in listing.page(store, SYSTEM, BookingFilter(), limit=100)]
    assert streamed == listed and len(listed) == 10
    assert [row[0] for batch in jobs.list_rows(store, SYSTEM, BookingFilter(staff=(2,)),
                                               chunk_rows=chunk_rows) for row in batch
            ] == [r["id"] for r in listing.page(store, SYSTEM, BookingFilter(staff=(2,)))]


@pytest.mark.parametrize("rows, per_sheet, sheets", [(0, 4, [0]), (4, 4, [4]), (8, 4, [4, 4]),
                                                     (9, 4, [4, 4, 1])])
def test_sheet_split_at_the_edges(tmp_path, rows, per_sheet, sheets):
    sink = XlsxSink(tmp_path / "f.xlsx", rows_per_sheet=per_sheet)
    row = [1, datetime(2024, 1, 1), 60, "a", "", "b", "1", "Arrived", "x", datetime(2024, 1, 1),
           "", "", 1.0, 1.0, True, "", ""]
    sink.write([[i, *row[1:]] for i in range(rows)])
    sink.close(files.Cover("me", "now", "now", "all bookings"))
    assert [n for _, n in sink.sheets] == sheets
    book = openpyxl.load_workbook(tmp_path / "f.xlsx", read_only=True)
    assert [s.max_row - 1 for s in book.worksheets[1:]] == sheets
    book.close()


def test_a_sheet_never_holds_more_than_excel_allows(tmp_path):
    with pytest.raises(ValueError):
        XlsxSink(tmp_path / "f.xlsx", rows_per_sheet=1_048_576)


# --- the request and the job ------------------------------------------------------------


def test_a_request_is_queued_at_once_with_the_filter_in_words(store):
    admin = user(store, "admin")
    log_id = jobs.request_export(store, admin, BookingFilter(staff=(2,)), "csv",
                                 email="admin@salon.example")
    row = store.execute("SELECT kind, state, what, rows, format, user_login, filter, file_path "
                        "FROM data_log WHERE id = ?", [log_id]).fetchone()
    assert row[:6] == ("export", "queued", "employee Ben Brown", 3, "csv", "admin")
    assert json.loads(row[6]) == {"filter": {"staff": ["2"]}, "email": "admin@salon.example"}
    assert row[7] is None  # nothing written yet


def test_the_rights_are_checked_on_request(store):
    employee = user(store, "employee")
    with pytest.raises(Forbidden, match="may not request downloads") as refused:
        jobs.request_export(store, employee, BookingFilter())
    assert refused.value.right == Right.EXPORT
    users.grant(store, SYSTEM, "employee", {Right.EXPORT})
    with pytest.raises(Forbidden, match="phone"):
        jobs.request_export(store, user(store, "employee"), BookingFilter(client="1212"))
    with pytest.raises(Refused, match="format"):
        jobs.request_export(store, user(store, "admin"), BookingFilter(), "pdf")
    assert store.execute("SELECT count(*) FROM data_log").fetchone()[0] == 0


def test_the_job_streams_in_batches_and_reports_progress(store, monkeypatch):
    seen = []
    write = files.XlsxSink.write

    def spy(self, batch):
        seen.append(len(batch))
        progress.append(store.execute("SELECT state, progress FROM data_log").fetchone())
        write(self, batch)

    progress = []
    monkeypatch.setattr(files.XlsxSink, "write", spy)
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    jobs.run_job(store, log_id, batch_rows=4)
    assert seen == [4, 2]
    assert progress[0] == ("running", 0.0)
    assert progress[1][0] == "running" and 0 < progress[1][1] < 1
    assert store.execute("SELECT state, progress FROM data_log").fetchone() == ("ready", 1.0)


def test_a_ready_entry_has_its_file_size_hash_and_a_hashed_expiring_token(store):
    before = datetime.now()
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter())
    row = store.execute("SELECT state, rows, file_path, file_size, file_sha256, token_sha256, "
                        "token_expires_at FROM data_log").fetchone()
    state, rows, file_path, size, sha, token_sha, expires = row
    token = outcome.link.rsplit("/", 1)[1]
    assert (state, rows) == ("ready", 6)
    assert jobs.store_dir(store) / file_path == outcome.file
    assert file_path.startswith("exports/") and size == outcome.file.stat().st_size
    assert len(sha) == 64 and token_sha == jobs.token_hash(token) != token
    assert len(token) >= 43  # token_urlsafe(32): 256 random bits
    assert 6.99 < (expires - before).total_seconds() / 86400 < 7.01
    assert outcome.link.startswith("http://localhost:8501/download/")
    assert [p.suffix for p in outcome.file.parent.iterdir()] == [".xlsx"]  # no .part left


def test_link_days_and_public_url_come_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("BOOKINGS_LINK_DAYS", "2")
    monkeypatch.setenv("BOOKINGS_PUBLIC_URL", "https://bookings.salon.example/")
    outcome = jobs.export_now(store, user(store, "admin"), BookingFilter())
    (expires, finished) = store.execute(
        "SELECT token_expires_at, finished_at FROM data_log").fetchone()
    assert (expires - finished).days == 2
    assert outcome.link.startswith("https://bookings.salon.example/download/")
    monkeypatch.setenv("BOOKINGS_LINK_DAYS", "soon")
    with pytest.raises(StoreError, match="BOOKINGS_LINK_DAYS"):
        jobs.link_days()


def test_a_job_fails_with_the_reason_when_the_right_went_meanwhile(store):
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    users.revoke(store, SYSTEM, "admin", {Right.EXPORT})
    outcome = jobs.run_job(store, log_id)
    assert outcome.state == "failed"
    state, error, path = store.execute(
        "SELECT state, error, file_path FROM data_log WHERE id = ?", [log_id]).fetchone()
    assert state == "failed" and "may not request downloads" in error and path is None
    assert not list(jobs.exports_dir(store).iterdir())  # nothing half-written is left


@pytest.mark.parametrize("stored", [
    {"staff": ["one"]},  # a value that does not parse: left out, every employee would go
    {"visit_from": "2026-13-01"},
    {"branch": ["2"]},  # a name this version does not know
])
def test_a_stored_filter_that_does_not_read_back_fails_instead_of_widening(store, stored):
    narrow = BookingFilter(staff=(1,))
    log_id = jobs.request_export(store, user(store, "admin"), narrow)
    details = json.loads(store.execute("SELECT filter FROM data_log WHERE id = ?",
                                       [log_id]).fetchone()[0])
    details["filter"] = {**details["filter"], **stored}
    store.execute("UPDATE data_log SET filter = ? WHERE id = ?", [json.dumps(details), log_id])

    outcome = jobs.run_job(store, log_id)

    assert outcome.state == "failed"
    state, error, path = store.execute(
        "SELECT state, error, file_path FROM data_log WHERE id = ?", [log_id]).fetchone()
    assert state == "failed" and path is None
    assert "does not read back" in error and next(iter(stored)) in error
    assert not list(jobs.exports_dir(store).iterdir())


def test_a_stored_filter_reads_back_as_it_was(store):
    bfilter = BookingFilter(staff=(1, 2), cancelled="no", client="Kate", payment="paid")
    assert BookingFilter.stored(bfilter.to_params()) == bfilter


def test_a_job_runs_once(store):
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    jobs.run_job(store, log_id)
    with pytest.raises(NotFound, match="not a queued download"):
        jobs.run_job(store, log_id)


def test_a_stopping_worker_puts_the_job_back_in_the_queue(store):
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    with pytest.raises(jobs.Stopped):
        jobs.run_job(store, log_id, stop=lambda: True)
    assert store.execute("SELECT state FROM data_log").fetchone() == ("queued",)
    assert not list(jobs.exports_dir(store).glob("*"))


# --- restarts and the worker --------------------------------------------------------------


def wait_for_state(con, log_id: int, states: set[str], timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        (state,) = con.execute("SELECT state FROM data_log WHERE id = ?", [log_id]).fetchone()
        if state in states:
            return state
        time.sleep(0.05)
    raise AssertionError(f"entry {log_id} still {state}")


def test_a_restart_leaves_no_entry_running(store, store_path):
    admin = user(store, "admin")
    interrupted = jobs.request_export(store, admin, BookingFilter())
    jobs._claim(store, interrupted)  # the app died while writing it ...
    partial = jobs.exports_dir(store) / "half-written.part"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"PK")
    waiting = jobs.request_export(store, admin, BookingFilter(staff=(1,)))

    assert startup(store).exports == [interrupted]  # ... and starts again
    worker = jobs.ExportWorker(store_path, poll_s=0.1)
    try:
        worker.start()
        state, error = store.execute("SELECT state, error FROM data_log WHERE id = ?",
                                     [interrupted]).fetchone()
        assert state == "failed" and "interrupted" in error
        assert not partial.exists()
        assert wait_for_state(store, waiting, {"ready", "failed"}) == "ready"  # taken up
    finally:
        worker.stop()
    assert store.execute("SELECT count(*) FROM data_log WHERE state = 'running'"
                         ).fetchone()[0] == 0


def test_the_worker_wakes_for_a_new_request(store, store_path):
    worker = jobs.ExportWorker(store_path, poll_s=60)  # would sleep a minute unwoken
    worker.start()
    try:
        log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
        assert wait_for_state(store, log_id, {"ready", "failed"}, timeout_s=10) == "ready"
    finally:
        worker.stop()


def test_the_cli_export_refuses_a_user_without_the_right(store, run):
    code, document = run("export", "--user", "employee")
    assert code == 1 and "export" in document["error"]


def test_the_cli_export_copies_the_file_with_out(store, run, tmp_path):
    target = tmp_path / "mine.csv"
    code, document = run("export", "--user", "admin", "--format", "csv", "--out", str(target))
    assert code == 0
    assert set(document) >= {"log_id", "state", "rows", "file", "link"}
    assert document["out"] == str(target)
    assert target.read_bytes() == open(document["file"], "rb").read()


def test_the_worker_waits_for_a_store_another_process_holds(store, store_path):
    log_id = jobs.request_export(store, user(store, "admin"), BookingFilter())
    store.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from bookings.store import open_store; "
         f"con = open_store({str(store_path)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        worker = jobs.ExportWorker(store_path, poll_s=0.1)
        worker.start()  # no crash: it waits
    finally:
        holder.communicate("", timeout=30)  # the other process lets go
    try:
        con = open_store(store_path)
        assert wait_for_state(con, log_id, {"ready", "failed"}) == "ready"
        con.close()
    finally:
        worker.stop()
