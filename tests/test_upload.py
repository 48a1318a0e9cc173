"""Uploading bookings from Excel: a corpus of good and bad files with the
expected outcome of each rule, the preview, and a commit that happens once."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bookings import listing
from bookings.auth import get_user
from bookings.errors import Forbidden
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from bookings.uploads import batch, bookings_import
from bookings.uploads.sheet import read_sheet, template_xlsx
from tests.helpers import GOOD, HEADERS, xlsx


def check(store, owner, **changes) -> bookings_import.Preview:
    return bookings_import.preview(store, owner, xlsx([{**GOOD, **changes}]), "bookings.xlsx")


# (changes to the good row, level, column, message part); level None = ready, no message
RULES = [
    ({}, None, None, None),
    ({"Client name": None}, "error", "Client name", "is mandatory"),
    ({"Customer phone number": None}, "error", "Customer phone number", "is mandatory"),
    ({"Customer phone number": "12345"}, "error", "Customer phone number", "has 5 digits"),
    ({"Customer phone number": "call me"}, "error", "Customer phone number", "not a phone"),
    ({"Customer phone number": "+1 (212) 555-0000"}, None, None, None),
    ({"Customer phone number": 12125550000}, None, None, None),
    ({"Customer phone number": 12125550000.0}, None, None, None),
    ({"Date": None}, "error", "Date", "is mandatory"),
    ({"Date": "31.02.2026 10:00"}, "error", "Date", "not a possible date"),
    ({"Date": "2026-01-04 10:30"}, None, None, None),
    ({"Date": datetime(2026, 1, 4, 10, 30)}, None, None, None),
    ({"Date": "04.01.2026 10:37"}, "warning", "Date", "10:37 rounded to 10:30"),
    ({"Date": "04.01.2026 10:38"}, "warning", "Date", "10:38 rounded to 10:45"),
    ({"Employee ID": 99}, "error", "Employee ID", "employee 99 does not exist"),
    ({"Employee ID": "x"}, "error", "Employee ID", "is not an employee ID"),
    ({"Employee name": "Ben Brown"}, "error", "Employee name", "is not employee 1"),
    ({"Employee name": "anna  smith"}, None, None, None),
    ({"Employee ID": None, "Employee name": "Ben Brown"}, None, None, None),
    ({"Employee ID": None, "Employee name": "Nobody"}, "error", "Employee name", "not one emp"),
    ({"Employee ID": None, "Employee name": None}, "error", "Employee ID", "is mandatory"),
    ({"Service ID": "10,20", "Price of service": "500#300", "Discount on the service": "0#0"},
     None, None, None),
    ({"Service ID": "10##20", "Price of service": "800#0", "Discount on the service": None},
     None, None, None),
    ({"Service ID": "99"}, "error", "Service ID", "service 99 does not exist"),
    ({"Service ID": None, "Name of service": "haircut##Manicure", "Price of service": "1#2",
      "Discount on the service": None}, None, None, None),
    ({"Service ID": None, "Name of service": "Haircut##Nope", "Price of service": None,
      "Discount on the service": None}, "error", "Name of service", "'Nope' is not a service"),
    ({"Name of service": "Manicure"}, "error", "Name of service", "do not match"),
    ({"Service ID": "10,20", "Price of service": "500"}, "error", "Price of service",
     "1 value(s) for 2 service(s)"),
    ({"Price of service": "-5"}, "error", "Price of service", "-5 is negative"),
    ({"Price of service": "a lot"}, "error", "Price of service", "'a lot' is not a number"),
    ({"Discount on the service": "600"}, "error", "Discount on the service", "above the price"),
    ({"Duration": 1000}, "warning", "Duration", "1000 s rounded up to 1800 s (30 min)"),
    ({"Duration": "long"}, "error", "Duration", "not a number of seconds"),
    ({"Duration": 0}, "error", "Duration", "more than 0"),
    ({"Duration": None}, None, None, None),
    ({"Booking status (number)": 1, "Appointment status (line)": "Pending"}, "error",
     "Appointment status (line)", "disagrees with status number 1"),
    ({"Booking status (number)": None, "Appointment status (line)": "arrived"}, "warning",
     "Appointment status (line)", "'arrived' read as Arrived"),
    ({"Booking status (number)": None, "Appointment status (line)": "Came"}, "error",
     "Appointment status (line)", "'Came' is not one of"),
    ({"Booking status (number)": 5, "Appointment status (line)": None}, "error",
     "Booking status (number)", "not -1, 0, 1 or 2"),
    ({"Booking status (number)": None, "Appointment status (line)": None}, "warning",
     "Booking status (number)", "the booking is Pending"),
    ({"Booking status (number)": -1, "Appointment status (line)": None}, None, None, None),
    ({"Customer phone number": "12123445678", "Client name": "Katie"}, "warning", "Client name",
     "is the client 'Kate Smith'"),
    ({"Date": "01.05.2024 10:00", "Customer phone number": "12123445678",
      "Client name": "Kate Smith"}, "error", "Date", "already in the store as booking 1"),
]


@pytest.mark.parametrize("changes, level, column, message", RULES)
def test_each_rule(store, owner, changes, level, column, message):
    result = check(store, owner, **changes)
    if level is None:
        assert result.issues == [] and result.counts()["ready"] == 1
        return
    matching = [i for i in result.issues if i.column == column and message in i.message]
    assert matching, result.issues
    assert matching[0].level == level and matching[0].row == 2
    assert result.counts()["with_errors"] == (1 if level == "error" else 0)


def test_every_problem_of_a_row_is_found_at_once(store, owner):
    result = check(store, owner, **{"Client name": None, "Employee ID": 99, "Duration": "x",
                                    "Customer phone number": "1"})
    assert {i.column for i in result.issues} == {"Client name", "Employee ID", "Duration",
                                                 "Customer phone number"}


def test_a_row_repeating_an_earlier_row_is_flagged(store, owner):
    result = bookings_import.preview(store, owner, xlsx([GOOD, GOOD]), "twice.xlsx")
    (issue,) = result.issues
    assert (issue.row, issue.message) == (3, "repeats row 2 (same employee, time and phone)")


def test_phones_stay_digits_even_from_number_cells(store, owner):
    (booking,) = check(store, owner, **{"Customer phone number": 447700900123456}).bookings
    assert booking.phone == "447700900123456"


@pytest.mark.parametrize("data, message", [
    (b"this is not a workbook", "not a spreadsheet we can read"),
    (xlsx([], headers=None), "no rows"),
    (xlsx([], headers=HEADERS), "header but no bookings"),
    (xlsx([["04.01.2026 10:30", "x"]], headers=["Date", "Client name", "Comment"]),
     "Missing columns: Customer phone number, Employee ID"),
])
def test_a_file_that_cannot_be_read_is_refused_with_the_reason(store, owner, data, message):
    with pytest.raises(bookings_import.UploadRefused, match=message):
        bookings_import.preview(store, owner, data, "bad.xlsx")


def test_headers_any_order_any_case_extra_columns_named(store, owner):
    headers = ["client NAME", "Phone", "date", "Employee id", "Notes for us", "STATUS"]
    data = xlsx([["Kate New", "12125550001", "05.01.2026 09:00", 2, "x", "Arrived"]], headers)
    result = bookings_import.preview(store, owner, data, "shuffled.xlsx")
    assert result.issues == [] and result.notices == ["Ignored columns: Notes for us."]
    (booking,) = result.bookings
    assert (booking.staff_id, booking.attendance.label) == (2, "Arrived")


def test_a_file_without_a_header_row_is_read_by_position(store, owner):
    data = xlsx([[GOOD[h] for h in HEADERS]], headers=None)
    result = bookings_import.preview(store, owner, data, "no-header.xlsx")
    assert result.counts() == {"rows": 1, "ready": 1, "with_warnings": 0, "with_errors": 0}
    assert result.bookings[0].row == 1
    assert "template's order" in result.notices[0]


def test_row_numbers_are_excel_row_numbers_even_after_empty_rows(store, owner):
    data = xlsx([GOOD, {}, {}, {**GOOD, "Client name": None, "Date": "05.01.2026 10:30"}])
    result = bookings_import.preview(store, owner, data, "gaps.xlsx")
    assert [i.row for i in result.issues] == [5]


def test_only_full_access_may_upload(store):
    with pytest.raises(Forbidden, match="may not upload bookings from Excel"):
        bookings_import.preview(store, get_user(store, "admin"), xlsx([GOOD]), "x.xlsx")


def test_the_preview_writes_no_booking(store, owner):
    check(store, owner)
    assert store.execute("SELECT count(*) FROM bookings").fetchone()[0] == 6
    assert store.execute("SELECT state FROM import_batches").fetchall() == [("previewed",)]


# --- commit ---------------------------------------------------------------------


def test_commit_imports_the_rows_into_the_list(store, owner):
    data = xlsx([GOOD, {**GOOD, "Customer phone number": "12123445678", "Client name":
                        "Kate Smith", "Date": "06.01.2026 12:00", "Service ID": "10,20",
                        "Price of service": "500#300", "Discount on the service": "0#50"}])
    result = bookings_import.preview(store, owner, data, "old.xlsx")
    done = bookings_import.commit(store, owner, result)
    assert done.summary() == f"2 bookings imported (batch {result.batch_id})."
    rows = listing.page(store, SYSTEM, BookingFilter(source_detail=("excel upload",)), sort="id",
                        descending=False)
    assert [(r["client_name"], r["status"], r["created_by"], r["total_to_pay"]) for r in rows] == [
        ("New Client", "Confirmed", "owner", 500), ("Kate Smith", "Confirmed", "owner", 750)]
    assert rows[0]["visit_at"] == datetime(2026, 1, 4, 10, 30)
    assert rows[1]["services"][1] == {"id": 20, "title": "Manicure", "cost": 300,
                                      "discount": 50, "to_pay": 250}
    assert store.execute("SELECT count(*) FROM clients WHERE phone = '12123445678'"
                         ).fetchone()[0] == 1  # reused, not doubled
    log = store.execute("SELECT kind, what, rows, rows_left_out, file_sha256 FROM data_log"
                        ).fetchall()
    assert log == [("upload", "old.xlsx", 2, 0, result.sha256)]
    assert store.execute("SELECT state, imported FROM import_batches").fetchall() == [
        ("committed", 2)]
    assert store.execute("SELECT count(*) FROM booking_history WHERE action = 'imported'"
                         ).fetchone()[0] == 2


def test_with_errors_the_user_chooses_to_import_the_valid_rows(store, owner):
    data = xlsx([GOOD, {**GOOD, "Client name": None, "Date": "05.01.2026 10:30"}])
    result = bookings_import.preview(store, owner, data, "mixed.xlsx")
    with pytest.raises(bookings_import.UploadRefused, match="1 row has errors"):
        bookings_import.commit(store, owner, result)
    assert store.execute("SELECT state FROM import_batches").fetchone() == ("previewed",)
    done = bookings_import.commit(store, owner, result, skip_invalid=True)
    assert (done.imported, done.left_out) == (1, [3])


def test_a_batch_is_committed_once(store, owner):
    result = check(store, owner)
    bookings_import.commit(store, owner, result)
    with pytest.raises(bookings_import.UploadRefused, match="imported already"):
        bookings_import.commit(store, owner, result)
    assert store.execute("SELECT count(*) FROM bookings").fetchone()[0] == 7


def test_the_same_file_again_is_refused_unless_confirmed(store, owner):
    data = xlsx([GOOD])
    first = bookings_import.preview(store, owner, data, "a.xlsx")
    bookings_import.commit(store, owner, first)
    # The same content under another name: its row is now in the store, too.
    second = bookings_import.preview(store, owner, data, "a-copy.xlsx")
    assert second.previous["batch"] == first.batch_id and second.previous["by"] == "owner"
    assert "already in the store" in second.issues[0].message
    changed = xlsx([{**GOOD, "Date": "07.01.2026 10:30"}])
    store.execute("UPDATE import_batches SET file_sha256 = ? WHERE id = ?",
                  [hashlib.sha256(changed).hexdigest(), first.batch_id])
    third = bookings_import.preview(store, owner, changed, "b.xlsx")  # ready, but the file is known
    with pytest.raises(bookings_import.UploadRefused, match="imported before: batch 1 by owner"):
        bookings_import.commit(store, owner, third)
    assert bookings_import.commit(store, owner, third, force_duplicate_file=True).imported == 1


def test_two_clicks_at_once_import_once(store, owner):
    rows = [GOOD, {**GOOD, "Date": "05.01.2026 10:30"}]
    result = bookings_import.preview(store, owner, xlsx(rows), "x.xlsx")
    outcomes = []

    def click():
        try:
            outcomes.append(bookings_import.commit(store.cursor(), owner, result))
        except bookings_import.UploadRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(o, batch.Committed) for o in outcomes) == 1
    assert store.execute("SELECT count(*) FROM bookings WHERE import_batch_id IS NOT NULL"
                         ).fetchone()[0] == 2


def test_two_tabs_with_the_same_file_import_once(store, owner):
    data = xlsx([GOOD])
    tabs = [bookings_import.preview(store, owner, data, "x.xlsx") for _ in range(3)]
    outcomes = []

    def click(tab):
        try:
            outcomes.append(bookings_import.commit(store.cursor(), owner, tab))
        except bookings_import.UploadRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=click, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(o, batch.Committed) for o in outcomes) == 1
    assert store.execute("SELECT count(*) FROM bookings").fetchone()[0] == 7


def test_a_crash_halfway_imports_nothing_and_the_batch_failed(store, owner, monkeypatch):
    result = check(store, owner)
    original = store.execute

    def crash_on_history(sql, *args):
        if "INSERT INTO booking_history" in sql:
            raise RuntimeError("power cut")
        return original(sql, *args)

    class Crashing:
        def __getattr__(self, name):
            return crash_on_history if name == "execute" else getattr(store, name)

    with pytest.raises(RuntimeError, match="power cut"):
        bookings_import.commit(Crashing(), owner, result)
    assert store.execute("SELECT count(*) FROM bookings").fetchone()[0] == 6
    assert store.execute("SELECT count(*) FROM clients").fetchone()[0] == 3
    assert store.execute("SELECT state FROM import_batches").fetchone() == ("failed",)


def test_an_interrupted_commit_is_marked_failed_on_restart(store, owner):
    result = check(store, owner)
    store.execute("UPDATE import_batches SET state = 'committing' WHERE id = ?",
                  [result.batch_id])
    assert bookings_import.recover_interrupted(store) == [result.batch_id]
    assert store.execute("SELECT state FROM import_batches").fetchone() == ("failed",)


# --- the files we hand out ---------------------------------------------------------


def test_failed_rows_file_has_the_bad_rows_an_error_column_and_marked_cells(store, owner):
    data = xlsx([GOOD, {**GOOD, "Client name": None, "Date": "05.01.2026 10:30",
                        "Comment": '=HYPERLINK("http://x","y")'}])
    result = bookings_import.preview(store, owner, data, "mixed.xlsx")
    from bookings.uploads.sheet import failed_rows_xlsx

    book = load_workbook(io.BytesIO(failed_rows_xlsx(result.sheet, result.issues,
                                                     result.error_rows)))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Error" and len(rows) == 2
    assert rows[1][-1] == "row 3, Client name: is mandatory"
    assert rows[1][HEADERS.index("Comment")] == '=HYPERLINK("http://x","y")'
    assert sheet.cell(2, HEADERS.index("Comment") + 1).data_type == "s"  # text, not a formula
    marked = sheet.cell(2, HEADERS.index("Client name") + 1)
    assert marked.fill.fgColor.rgb.endswith("F8CBD0") and "mandatory" in marked.comment.text


def test_the_template_has_the_headers_and_its_example_is_never_imported(con):
    from bookings.demo import fill_demo

    fill_demo(con, 100, seed=1)
    data = template_xlsx(15)
    sheet = read_sheet(data)
    assert [h for h in sheet.header] == HEADERS
    result = bookings_import.preview(con, get_user(con, "owner"), data, "template.xlsx")
    assert result.counts()["ready"] == 0
    assert "template's example row" in result.issues[0].message
    help_rows = list(load_workbook(io.BytesIO(data))["Columns"].iter_rows(values_only=True))
    assert ("Booking interval", "15 minutes (visit times are rounded to it)") in help_rows
