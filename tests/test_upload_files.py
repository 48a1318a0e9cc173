"""Uploads of files other programs wrote (tests/files: LibreOffice in English,
German and Russian locales, Gnumeric, pandas, openpyxl, Excel-style CSV): a
row the preview calls ready is stored exactly as the file says."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bookings.uploads import bookings_import
from tests.helpers import stored

FILES = Path(__file__).parent / "files"


def preview(store, owner, name: str, **options) -> bookings_import.Preview:
    return bookings_import.preview(store, owner, (FILES / name).read_bytes(), name, **options)


def lines(*triples) -> list[tuple]:
    return [(sid, Decimal(str(cost)).quantize(Decimal("0.01")),
             Decimal(str(discount)).quantize(Decimal("0.01"))) for sid, cost, discount in triples]


def committed(store, owner, result, **options) -> list[dict]:
    done = bookings_import.commit(store, owner, result, **options)
    return stored(store, done.batch_id)


BASIC = [
    dict(visit_at=datetime(2025, 3, 3, 10), staff_id=1, phone="12125550101",
         name="Laura Palmer", length_s=3600, attendance=2, comment="First visit",
         lines=lines((10, 500, 0))),
    dict(visit_at=datetime(2025, 3, 3, 11, 30), staff_id=2, phone="12125550102",
         name="Jürgen Müller", length_s=5400, attendance=1,
         comment='Haircut, then nails; "quiet chair"', lines=lines((10, 500, 0), (20, 300, 50))),
    dict(visit_at=datetime(2025, 3, 4, 14, 30), staff_id=1, phone="12125550103",
         name="Ольга Иванова", length_s=1800, attendance=0, comment="Просит мастера Анну",
         lines=lines((20, 300, 0))),
]


@pytest.mark.parametrize("name", [
    "basic.lo-en.xlsx", "basic.lo-en.xls", "basic.lo-en.ods", "basic.lo-de.xlsx",
    "basic.lo-de.ods", "basic.lo-ru.xlsx", "basic.gnumeric.xlsx", "basic.gnumeric.ods",
    "basic.pandas.xlsx", "csv.excel-utf8-bom.csv", "csv.pandas.csv",
])
def test_the_same_bookings_from_every_writer_are_stored_as_written(store, owner, name):
    result = preview(store, owner, name)
    assert result.counts() == {"rows": 3, "ready": 3, "with_warnings": 0, "with_errors": 0}, \
        result.issues
    rows = committed(store, owner, result)
    for got, want in zip(rows, BASIC, strict=True):
        assert {k: got[k] for k in want} == want


@pytest.mark.parametrize("name, encoding, prices, names", [
    ("csv.lo-ru-cp1251.csv", "Windows code page 1251", ["1200.50", "800.00", "300.00"],
     ["Laura Palmer", "Пётр Смирнов", "Ольга Иванова"]),
    ("csv.lo-de-cp1252.csv", "Windows code page 1252", ["1200.50", "800.00", "300.00"],
     ["Laura Palmer", "Jürgen Müller", "Olga Ivanova"]),
])
def test_excel_csv_in_a_decimal_comma_locale(store, owner, name, encoding, prices, names):
    result = preview(store, owner, name)
    assert f"Read as CSV: {encoding}, fields separated by semicolons." in result.notices
    assert result.counts()["ready"] == 3, result.issues
    rows = committed(store, owner, result)
    assert [str(r["to_pay"] + sum(line[2] for line in r["lines"])) for r in rows] == prices
    assert [r["name"] for r in rows] == names


@pytest.mark.parametrize("name", ["decimal_comma.lo-de.xlsx", "decimal_comma.lo-de.ods",
                                  "decimal_comma.lo-ru.xlsx"])
def test_numbers_typed_with_a_decimal_comma(store, owner, name):
    result = preview(store, owner, name)
    warning = next(i for i in result.issues if i.column == "Service ID")
    assert warning.level == "warning" and warning.row == 2
    assert "read as the number 10.2: taken from the names as 10, 20" in warning.message
    assert "##" in warning.message  # how to avoid it
    assert result.counts()["with_errors"] == 0, result.issues
    rows = committed(store, owner, result)
    assert rows[0]["lines"] == lines((10, 500, 0), (20, 300, 0))
    assert rows[1]["lines"] == rows[2]["lines"] == lines((10, 1200.5, 0))


@pytest.mark.parametrize("name", ["percent.lo-de.xlsx", "percent.lo-de.ods",
                                  "percent.lo-en.xlsx", "percent.openpyxl.xlsx"])
def test_a_percent_formatted_discount_is_that_percent_of_the_price(store, owner, name):
    result = preview(store, owner, name)
    warning = next(i for i in result.issues if i.column == "Discount on the service")
    assert warning.row == 2 and "10 % read as a percentage of the price: 50" in warning.message
    rows = committed(store, owner, result)
    assert rows[0]["lines"] == lines((10, 500, 50))
    if len(rows) > 1:
        assert rows[1]["lines"] == lines((20, 300, 50))


@pytest.mark.parametrize("name", ["errors.lo-en.xlsx", "errors.lo-en.ods"])
def test_error_cells_are_named_not_read_as_empty(store, owner, name):
    result = preview(store, owner, name)
    errors = {(i.row, i.column): i.message for i in result.issues if i.level == "error"}
    assert "#N/A" in errors[(2, "Price of service")]
    assert "#DIV/0!" in errors[(3, "Date")]
    assert (3, "Date") in errors and not any("mandatory" in m for m in errors.values())
    assert result.counts()["ready"] == 1


def test_a_formula_without_a_saved_result_is_named(store, owner):
    result = preview(store, owner, "errors.openpyxl.xlsx")
    (issue,) = result.issues
    assert (issue.row, issue.column, issue.level) == (2, "Price of service", "error")
    assert "formula without a saved result: open and save the file" in issue.message


@pytest.mark.parametrize("name", ["title_rows.lo-en.xlsx", "title_rows.lo-en.ods"])
def test_a_title_and_blank_rows_above_the_header(store, owner, name):
    result = preview(store, owner, name)
    assert "The header is row 3; the rows above it are not read." in result.notices
    assert result.counts()["ready"] == 2
    rows = committed(store, owner, result)
    assert [r["name"] for r in rows] == ["Greta Lind", "Hugo Lind"]


@pytest.mark.parametrize("name", ["notes_sheet.lo-en.xlsx", "notes_sheet.lo-en.ods"])
def test_the_sheet_whose_header_matches_is_read_and_named(store, owner, name):
    result = preview(store, owner, name)
    assert result.notices[0] == "Read the sheet 'Bookings'."
    assert result.options["sheet"] == "Bookings" and result.as_json()["sheet"] == "Bookings"
    assert result.counts()["ready"] == 2


def test_a_named_sheet_that_has_no_header_is_refused_plainly(store, owner):
    with pytest.raises(bookings_import.UploadRefused, match="sheet 'Notes' has no header row"):
        preview(store, owner, "notes_sheet.lo-en.xlsx", sheet="Notes")
    with pytest.raises(bookings_import.UploadRefused,
                       match="no sheet 'Other'; the sheets are 'Notes'"):
        preview(store, owner, "notes_sheet.lo-en.xlsx", sheet="Other")


@pytest.mark.parametrize("name", ["continuation.lo-en.xlsx", "continuation.plain.csv"])
def test_services_on_consecutive_rows_join_their_booking(store, owner, name):
    result = preview(store, owner, name)
    warnings = {i.row: i.message for i in result.issues if i.level == "warning"}
    assert "added to the booking of row 2" in warnings[3]
    assert "joined with it as one booking" in warnings[6]
    assert result.counts() == {"rows": 5, "ready": 3, "with_warnings": 2, "with_errors": 0}
    rows = committed(store, owner, result)
    assert [r["lines"] for r in rows] == [lines((10, 500, 0), (20, 300, 0)),
                                          lines((10, 500, 0)),
                                          lines((10, 500, 0), (20, 300, 0))]


@pytest.mark.parametrize("style", ["iso", "dmy_slash", "us_ampm", "split"])
@pytest.mark.parametrize("writer", ["lo-en.xlsx", "plain.csv"])
def test_text_dates_in_other_orders(store, owner, style, writer):
    result = preview(store, owner, f"dates_{style}.{writer}")
    assert result.counts()["with_errors"] == 0, result.issues
    rows = committed(store, owner, result)
    assert [r["visit_at"] for r in rows] == [datetime(2025, 3, 4, 14, 30),
                                             datetime(2025, 3, 25, 9)]


@pytest.mark.parametrize("writer", ["lo-en.xlsx", "plain.csv"])
def test_a_file_whose_dates_stay_ambiguous_says_so(store, owner, writer):
    result = preview(store, owner, f"dates_ambiguous.{writer}")
    assert result.counts()["ready"] == 0
    assert all("could be day/month or month/day" in i.message for i in result.issues)
    assert any("none has a day above 12" in n for n in result.notices)


def test_split_dates_from_an_ods(store, owner):
    result = preview(store, owner, "dates_split.lo-en.ods")
    assert result.counts()["ready"] == 2, result.issues


@pytest.mark.parametrize("name", ["status_text.lo-en.xlsx", "status_text.plain.csv"])
def test_statuses_in_any_case_and_messy_names_and_phones(store, owner, name):
    result = preview(store, owner, name)
    assert result.counts()["with_errors"] == 0, result.issues
    assert any("'ARRIVED' read as Arrived" in i.message for i in result.issues)
    rows = committed(store, owner, result)
    assert [r["phone"] for r in rows] == ["12125550107", "12125550108", "442079460958",
                                          "12125550109", "12125550110"]
    assert [r["attendance"] for r in rows] == [1, -1, 2, 0, 1]
    assert [r["staff_id"] for r in rows] == [1, 2, 1, 2, 1]
    assert rows[0]["name"] == "Kate O’Brien"  # stored as written
