"""The upload never stores a value other than the row's silently: each case
seen going in wrong with "ready" before, and files that must not take the
app down (far cells, repeat bombs, numeric edges, too many rows)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bookings.uploads import bookings_import
from bookings.uploads.spreadsheets import read_sheets
from tests.helpers import GOOD, HEADERS, stored, xlsx


def check(store, owner, *rows: dict, **options) -> bookings_import.Preview:
    return bookings_import.preview(store, owner, xlsx([{**GOOD, **row} for row in rows]), "b.xlsx",
                                   **options)


def only(result, level=None) -> dict:
    """The issues of a one-row preview, column -> message."""
    return {i.column: i.message for i in result.issues if level in (None, i.level)}


# --- one cell at a time: (changes, level, column, part of the message) ---------------------

FAR = (date.today() + timedelta(days=900)).strftime("%d.%m.%Y 10:00")
CELLS = [
    # Non-whole IDs and codes are errors (or taken from the names, with a warning).
    ({"Service ID": 10.2}, "error", "Service ID", "read as the number 10.2, not service IDs"),
    ({"Service ID": 10.2, "Name of service": "Haircut##Manicure", "Price of service": "500#300",
      "Discount on the service": None}, "warning", "Service ID", "taken from the names as 10, 20"),
    ({"Employee ID": 1.5}, "error", "Employee ID", "read as the number 1.5, not a whole number"),
    ({"Booking status (number)": 0.7, "Appointment status (line)": None}, "error",
     "Booking status (number)", "read as the number 0.7"),
    ({"Booking status (number)": 2.5, "Appointment status (line)": None}, "error",
     "Booking status (number)", "read as the number 2.5"),
    ({"Service ID": "10.5"}, "error", "Service ID", "'10.5' is not a service ID"),
    # A date without a time is not midnight.
    ({"Date": "24.11.2026"}, "error", "Date", "24.11.2026 has no time"),
    ({"Date": date(2026, 11, 24)}, "error", "Date", "has no time"),
    ({"Date": 45000.5}, "error", "Date", "is a number, not a date"),
    # Thousands separators and decimal commas.
    ({"Price of service": "1,200"}, "error", "Price of service", "'1,200' is ambiguous"),
    ({"Price of service": "1.2.3,4"}, "error", "Price of service", "the separators '.' and ','"),
    ({"Price of service": "12.345"}, "error", "Price of service", "more than 2 decimals"),
    # Durations, statuses, far visits, the catalogue's deactivated entries.
    ({"Duration": -60}, "error", "Duration", "must be more than 0"),
    ({"Duration": 1e300}, "error", "Duration", "longer than a day"),
    ({"Duration": "inf"}, "error", "Duration", "not a number of seconds"),
    ({"Date": "04.01.1998 10:30"}, "warning", "Date", "04.01.1998 is far from today"),
    ({"Date": FAR}, "warning", "Date", "is far from today"),
    ({"Date": datetime(9999, 12, 31, 23, 59)}, "error", "Date", "not a possible visit date"),
    ({"Date": "31.12.9999 23:59"}, "error", "Date", "not a possible visit date"),
    ({"Booking status (number)": None, "Appointment status (line)": "No-show"}, "warning",
     "Appointment status (line)", "'No-show' read as No-Show"),
    # Numeric edges never end in a traceback.
    ({"Price of service": 1e20}, "error", "Price of service", "above the largest amount"),
    ({"Price of service": 1e300}, "error", "Price of service", "above the largest amount"),
    ({"Price of service": "nan"}, "error", "Price of service", "'nan' is not a number"),
    ({"Discount on the service": "-inf"}, "error", "Discount on the service", "not a number"),
    ({"Employee ID": 1e20}, "error", "Employee ID", "is too large"),
    ({"Service ID": "99999999999999999999"}, "error", "Service ID", "is too large"),
    ({"Customer phone number": 1e300}, "error", "Customer phone number", "has 301 digits"),
    # One discount for several services.
    ({"Service ID": "10,20", "Price of service": "500#300", "Discount on the service": "80"},
     "warning", "Discount on the service", "spread over them by price as 50#30"),
    ({"Service ID": "10,20", "Price of service": "500#300", "Discount on the service": "900"},
     "error", "Discount on the service", "above its prices' total 800"),
    ({"Discount on the service": "10%"}, "warning", "Discount on the service",
     "10 % read as a percentage of the price: 50"),
]


@pytest.mark.parametrize("changes, level, column, message", CELLS)
def test_each_cell_case(store, owner, changes, level, column, message):
    result = check(store, owner, changes)
    matching = [i for i in result.issues if i.column == column and message in i.message]
    assert matching, result.issues
    assert matching[0].level == level
    assert result.counts()["with_errors"] == (1 if level == "error" else 0)


@pytest.mark.parametrize("text, amount", [
    ("1 200,50", "1200.50"), ("1\u00a0200,50", "1200.50"), ("1\u202f200,50", "1200.50"),
    ("1.200,50", "1200.50"), ("1,200.50", "1200.50"), ("1200,50", "1200.50"),
    ("1200.5", "1200.50"), ("€ 1.200,50", "1200.50"), ("0,125", None),
])
def test_amounts_with_separators_are_stored_as_the_amounts_they_are(store, owner, text, amount):
    result = check(store, owner, {"Price of service": text})
    if amount is None:
        assert "more than 2 decimals" in only(result)["Price of service"]
        return
    assert result.issues == [], result.issues
    (row,) = stored(store, bookings_import.commit(store, owner, result).batch_id)
    assert row["lines"] == [(10, Decimal(amount), Decimal("0.00"))]


def test_a_thousands_comma_is_read_when_the_file_says_its_decimal_is_a_point(store, owner):
    result = check(store, owner, {"Price of service": "1,200"},
                   {"Date": "05.01.2026 10:30", "Price of service": "12.50"})
    assert result.counts()["with_errors"] == 0, result.issues
    rows = stored(store, bookings_import.commit(store, owner, result).batch_id)
    assert [r["lines"][0][1] for r in rows] == [Decimal("1200.00"), Decimal("12.50")]


# --- what a whole file shows -----------------------------------------------------------


def test_two_names_on_one_phone_warn_and_keep_the_first(store, owner):
    result = check(store, owner, {"Client name": "Anna Lee"},
                   {"Date": "05.01.2026 10:30", "Client name": "Anne Lee"})
    (warning,) = result.issues
    assert warning.row == 3 and warning.level == "warning"
    assert "'Anna Lee' in row 2 and 'Anne Lee' here: the client is saved as 'Anna Lee'" \
        in warning.message
    rows = stored(store, bookings_import.commit(store, owner, result).batch_id)
    assert {r["name"] for r in rows} == {"Anna Lee"}


def test_durations_that_look_like_minutes_are_errors_unless_minutes_are_chosen(store, owner):
    rows = [{"Duration": 60}, {"Date": "05.01.2026 10:30", "Duration": 45},
            {"Date": "06.01.2026 10:30", "Duration": 90}]
    result = check(store, owner, *rows)
    assert result.counts()["with_errors"] == 3
    assert "60 s: did you mean 60 minutes?" in result.issues[0].message
    in_minutes = check(store, owner, *rows, duration_unit="minutes")
    assert in_minutes.counts()["with_errors"] == 0, in_minutes.issues
    assert "Durations read in minutes." in in_minutes.notices
    done = bookings_import.commit(store, owner, in_minutes)
    assert [r["length_s"] for r in stored(store, done.batch_id)] == [3600, 2700, 5400]


def test_one_long_duration_among_small_ones_is_trusted_as_seconds(store, owner):
    result = check(store, owner, {"Duration": 60}, {"Date": "05.01.2026 10:30", "Duration": 3600})
    assert result.counts()["with_errors"] == 0


def test_deactivated_employees_and_services_are_accepted_with_a_warning(store, owner):
    store.execute("UPDATE staff SET active = FALSE WHERE id = 1")
    store.execute("UPDATE services SET active = FALSE WHERE id = 10")
    warnings = only(check(store, owner, {}), "warning")
    assert "employee 1 (Anna Smith) is deactivated" in warnings["Employee ID"]
    assert "service 10 (Haircut) is deactivated" in warnings["Service ID"]


def test_an_identical_row_twice_is_a_repeat_not_a_joined_booking(store, owner):
    result = check(store, owner, {}, {})
    assert [(i.row, i.level) for i in result.issues] == [(3, "error")]
    assert "repeats row 2" in result.issues[0].message


def test_a_continuation_row_under_a_row_with_errors_is_not_imported(store, owner):
    data = xlsx([{**GOOD, "Employee ID": 99},
                 {"Service ID": "20", "Name of service": "Manicure", "Price of service": "300"}])
    result = bookings_import.preview(store, owner, data, "b.xlsx")
    assert result.error_rows == {2, 3}
    assert "more services for row 2, which has errors" in result.issues[-1].message


def test_the_commit_checks_every_row_again_against_the_catalogue(store, owner):
    result = check(store, owner, {"Employee ID": 2, "Employee name": None})
    store.execute("DELETE FROM booking_services WHERE booking_id IN "
                  "(SELECT id FROM bookings WHERE staff_id = 2)")
    store.execute("DELETE FROM bookings WHERE staff_id = 2")
    store.execute("DELETE FROM staff WHERE id = 2")  # removed after the preview
    with pytest.raises(bookings_import.UploadRefused,
                       match="Since the preview, 1 row.*employee 2 does "
                                                   "not exist.*Nothing was imported"):
        bookings_import.commit(store, owner, result)
    assert store.execute("SELECT count(*) FROM bookings WHERE import_batch_id IS NOT NULL"
                         ).fetchone()[0] == 0
    assert store.execute("SELECT state FROM import_batches").fetchone() == ("failed",)


def test_a_slim_preview_commits_from_the_kept_file(store, owner):
    result = check(store, owner, {}, {"Date": "05.01.2026 10:30", "Client name": None})
    slim = result.slim()
    assert slim.sheet is None and slim.bookings == []
    done = bookings_import.commit(store, owner, slim, skip_invalid=True)
    assert (done.imported, done.left_out) == (1, [3])
    fixes = bookings_import.rows_to_fix(store, slim)
    assert b"Rows to fix" in fixes or fixes


# --- files that must not take the app down -------------------------------------------------


def _far_cell(ref: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append([GOOD[h] for h in HEADERS])
    sheet[ref] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("ref, where", [("XFD1048576", "row 1,048,576 and column 16,384"),
                                        ("XFD20000", "row 20,000 and column 16,384"),
                                        ("A400000", "row 400,000")])
def test_a_far_cell_is_refused_before_the_sheet_is_loaded(store, owner, ref, where):
    data = _far_cell(ref)
    assert len(data) < 10_000
    with pytest.raises(bookings_import.UploadRefused, match=f"reaches {where}"):
        bookings_import.preview(store, owner, data, "far.xlsx")


def _ods(rows_xml: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Bookings">'
               f'{rows_xml}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument."
                         "spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                         '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                         '"application/vnd.oasis.opendocument.spreadsheet"/>'
                         '<manifest:file-entry manifest:full-path="content.xml" '
                         'manifest:media-type="text/xml"/></manifest:manifest>')
    return buffer.getvalue()


def test_an_ods_whose_repeats_reach_far_is_refused_without_expanding_them(store, owner):
    cell = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>' \
           '</table:table-cell>'
    wide = '<table:table-row><table:table-cell table:number-columns-repeated="16384" ' \
           'office:value-type="float" office:value="1"/></table:table-row>'
    tall = f'<table:table-row table:number-rows-repeated="1048575">{cell}</table:table-row>'
    for rows in (wide, tall):
        with pytest.raises(bookings_import.UploadRefused, match="an upload takes at most"):
            bookings_import.preview(store, owner, _ods(rows), "far.ods")


def test_too_many_rows_are_refused_with_the_limit(store, owner, monkeypatch):
    monkeypatch.setenv("BOOKINGS_UPLOAD_MAX_ROWS", "3")
    rows = [{"Date": f"0{d}.01.2026 10:30"} for d in range(1, 5)]
    with pytest.raises(bookings_import.UploadRefused,
                       match="has 4 rows: an upload takes at most 3"):
        check(store, owner, *rows)
    text = "Date,Customer phone number,Client name,Employee ID\n" + \
        "04.01.2026 10:30,12125550000,A,1\n" * 60
    with pytest.raises(bookings_import.UploadRefused, match="more than 3 lines"):
        bookings_import.preview(store, owner, text.encode(), "many.csv")


@pytest.mark.parametrize("data, name, message", [
    (b"PK\x03\x04broken", "x.xlsx", "damaged archive"),
    (b"\x00\x01\x02binary", "x.csv", "not a spreadsheet or a text file"),
    (b"Date;Client\n", "notes.pdf", "the file is plain text"),
])
def test_odd_files_get_a_plain_refusal(store, owner, data, name, message):
    with pytest.raises(bookings_import.UploadRefused, match=message):
        bookings_import.preview(store, owner, data, name)


def test_a_csv_with_semicolons_and_a_bom(store, owner):
    text = ";".join(HEADERS) + "\r\n" + ";".join(
        str(GOOD[h] if GOOD[h] is not None else "") for h in HEADERS) + "\r\n"
    result = bookings_import.preview(store, owner, b"\xef\xbb\xbf" + text.encode(), "b.csv")
    assert result.counts()["ready"] == 1, result.issues
    assert "Read as CSV: UTF-8, fields separated by semicolons." in result.notices
    assert read_sheets(text.encode("cp1252"), "b.csv")[0].rows[0][0] == "Date"


# --- the promise, as a property: a row the preview calls ready is the row stored ----------

CELL_VALUES = {
    "Date": st.sampled_from(["04.01.2026 10:30", "2026-01-05 11:00", "24.11.2026", "",
                             "31.02.2026 10:00", datetime(2026, 2, 3, 9, 7), "9999-12-31 23:59",
                             45000.5, "12/01/2026 10:00"]),
    "Employee ID": st.sampled_from([1, 2, 1.5, 99, "", "x", 1e20, "2"]),
    "Customer phone number": st.sampled_from(["12125550000", "+1 (212) 555-0001", "123",
                                              12125550002.0, "", "0044 20 7946 0958"]),
    "Client name": st.sampled_from(["Ann", "Bob", "", "Ольга"]),
    "Duration": st.sampled_from([3600, 1000, -5, 0, "", "90,5", 1e300, "x"]),
    "Service ID": st.sampled_from(["10", "10,20", "10##20", 10.2, "99", "", 20.0]),
    "Price of service": st.sampled_from(["", "500", "500#300", "1 200,50", "1,200", 1e20,
                                         "12.345", "nan", 55.5]),
    "Discount on the service": st.sampled_from(["", "0", "10", "10%", "0#5", "600", "-1"]),
    "Booking status (number)": st.sampled_from([None, 0, 1, 2, -1, 0.7, 5, "x"]),
    "Appointment status (line)": st.sampled_from([None, "Arrived", "arrived", "Came"]),
}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(CELL_VALUES), min_size=1, max_size=6))
def test_every_ready_row_is_stored_as_previewed(store, owner, rows):
    data = xlsx([{**GOOD, "Name of service": None, **row} for row in rows])
    try:
        result = bookings_import.preview(store, owner, data, "generated.xlsx")
    except bookings_import.UploadRefused:
        return
    before = store.execute("SELECT max(id) FROM bookings").fetchone()[0]
    promised = {b.row: b for b in result.bookings}
    assert len(promised) == result.counts()["ready"]
    if not promised:
        return
    done = bookings_import.commit(store, owner, result, skip_invalid=True,
                                  force_duplicate_file=True)
    got = stored(store, done.batch_id)
    assert len(got) == len(promised) == done.imported
    for row, booking in zip(got, promised.values(), strict=True):
        assert row["id"] > before
        assert (row["visit_at"], row["staff_id"], row["phone"], row["length_s"],
                row["attendance"]) == (booking.visit_at, booking.staff_id, booking.phone,
                                       booking.length_s, int(booking.attendance))
        assert row["lines"] == [(sid, Decimal(f"{cost:.2f}"), Decimal(f"{discount:.2f}"))
                                for sid, _, _, cost, discount in booking.lines]
    store.execute("UPDATE bookings SET deleted = TRUE WHERE import_batch_id = ?",
                  [done.batch_id])  # the next example may reuse the same keys


def test_the_preview_json_names_the_sheet(store, owner):
    result = check(store, owner, {})
    document = json.loads(json.dumps(result.as_json(), default=str))
    assert document["sheet"] == "Sheet" and document["ready"] == 1


def _checked_both_ways(store, data: bytes, name: str, monkeypatch):
    from bookings.uploads.sheet import read_sheet

    sheet = read_sheet(data, file_name=name)
    fast = bookings_import.IMPORTER.check(store, sheet, {})
    with monkeypatch.context() as patched:  # every row read in full, part by part
        patched.setattr(bookings_import._Reader, "read_all", lambda reader: [
            reader._in_full(number, cells) for number, cells in reader.sheet.rows])
        full = bookings_import.IMPORTER.check(store, read_sheet(data, file_name=name), {})
    return fast, full


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries(CELL_VALUES), min_size=1, max_size=8))
def test_the_fast_reader_and_the_full_checks_agree(store, monkeypatch, rows):
    data = xlsx([{**GOOD, "Name of service": None, **row} for row in rows])
    fast, full = _checked_both_ways(store, data, "generated.xlsx", monkeypatch)
    assert fast.issues == full.issues
    assert fast.bookings == full.bookings


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "files").glob("*.*[sv]")),
                         ids=lambda p: p.name)
def test_the_fast_reader_agrees_on_every_fixture(store, monkeypatch, path):
    fast, full = _checked_both_ways(store, path.read_bytes(), path.name, monkeypatch)
    assert (fast.issues, fast.bookings) == (full.issues, full.bookings)
