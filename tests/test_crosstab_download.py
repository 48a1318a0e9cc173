"""The cross-tab as an Excel download (bookings/exports/crosstab.py, `bookings pivot
--xlsx`, ui/crosstab_download.py): every number of the file is pivot()'s, typed; labels
stay text; the cover says what it holds; it is recorded in the Data log and fetched
through the Data log's checked and recorded path; the export right and the list's
scope apply. Real store files, real .xlsx files read back with openpyxl."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from bookings import auth, datalog
from bookings.admin import users
from bookings.errors import Forbidden, MissingRight, NotFound, Refused
from bookings.exports import crosstab, links
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right, Role, Scope
from bookings.pivot import DIMENSION_LABELS, pivot
from tests.helpers import sign_in_app
from tests.known_store import TODAY

ROOT = Path(__file__).resolve().parent.parent
SUMMER = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
FORMULAS = ("=1+1", "+SUM(A1:A2)", "-2+3", "@cmd")


def admin(con):
    return auth.get_user(con, "admin")


def sheets_of(path) -> dict[str, list[list]]:
    """Every sheet's cells (openpyxl Cell objects), by sheet name, in order."""
    book = openpyxl.load_workbook(path)
    return {sheet.title: [list(row) for row in sheet.iter_rows()] for sheet in book.worksheets}


def values(rows: list[list]) -> list[list]:
    return [[cell.value for cell in row] for row in rows]


def cover_of(path) -> dict[str, str]:
    cover = openpyxl.load_workbook(path).worksheets[0]
    assert cover.title == "About this file"
    return {label: text for label, text in cover.iter_rows(values_only=True)}


def expected_grid(tab, numbers: dict | None = None) -> list[list]:
    """The sheet pivot()'s numbers make: header, a row per label, the totals row."""
    n = numbers or {"cells": tab.cells, "row_totals": tab.row_totals,
                    "col_totals": tab.col_totals, "total": tab.total}
    header = [DIMENSION_LABELS[tab.rows_dim], *tab.col_labels, "Total"]
    body = [[label, *cells, total] for label, cells, total in zip(
        tab.row_labels, n["cells"], n["row_totals"], strict=True)]
    return [header, *body, ["Total", *n["col_totals"], n["total"]]]


def logged(con) -> list[tuple]:
    return con.execute("SELECT id, user_login, kind, format, state, rows, what, file_path, "
                       "file_size, file_sha256, filter FROM data_log ORDER BY id").fetchall()


def fetches(con) -> list[tuple]:
    return con.execute("SELECT log_id, user_login, via FROM data_log_fetches "
                       "ORDER BY fetched_at").fetchall()


def files_in_exports(store_path: Path) -> list[str]:
    folder = store_path.parent / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("rows, cols, measure, kind", [
    ("source", "payment", "bookings", "count"),
    ("staff", "month", "to_pay", "money"),
    ("staff", "status", "average", "money"),
    ("status", "source", "no_show_share", "share"),
    ("booking_category", "service_category", "bookings", "count"),
])
def test_every_number_is_pivots_and_a_number(store, rows, cols, measure, kind):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(), rows, cols,
                                       measure, today=TODAY)
    tab = pivot(store, admin(store), BookingFilter(), rows, cols, measure, today=TODAY)
    sheets = sheets_of(written.file)
    assert list(sheets) == ["About this file", "Cross-tab"]
    grid = sheets["Cross-tab"]
    assert values(grid) == expected_grid(tab)
    formats = {"count": "#,##0", "money": "#,##0.00", "share": "0.0%"}
    for row in grid[1:]:
        assert row[0].data_type == "s"  # the label
        for cell in row[1:]:
            if cell.value is None:  # no value (an average of no bookings): an empty cell
                continue
            assert cell.data_type == "n" and isinstance(cell.value, int | float)
            assert cell.number_format == formats[kind]
            if kind == "count":
                assert isinstance(cell.value, int)
    if measure == "average":  # Anna Smith's Pending booking is cancelled: no average
        assert any(cell.value is None for row in grid[1:] for cell in row[1:])


def test_money_keeps_its_cents(store):
    store.execute("UPDATE bookings SET paid = 449.5 WHERE id = 6")
    written = crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff", "source",
                                       "paid", today=TODAY)
    grid = values(sheets_of(written.file)["Cross-tab"])
    assert grid[2] == ["Ben Brown", 0, 449.5, 449.5]
    assert grid[-1][-1] == 500 + 449.5


def test_the_sheet_is_frozen_and_its_columns_widened(store):
    written = crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff", "payment",
                                       "bookings", today=TODAY)
    sheet = openpyxl.load_workbook(written.file)["Cross-tab"]
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["A"].width >= len("Anna Smith")
    assert sheet.column_dimensions["D"].width >= len("not paid in full")


def test_labels_that_look_like_formulas_stay_text(store):
    for staff_id, name in ((1, FORMULAS[0]), (2, FORMULAS[1])):
        store.execute("UPDATE staff SET name = ? WHERE id = ?", [name, staff_id])
    store.execute("UPDATE service_categories SET title = ? WHERE id = 1", [FORMULAS[2]])
    store.execute("UPDATE service_categories SET title = ? WHERE id = 2", [FORMULAS[3]])
    written = crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff",
                                       "service_category", "bookings", today=TODAY)
    grid = sheets_of(written.file)["Cross-tab"]
    labels = {cell.value: cell for cell in grid[0][1:-1] + [row[0] for row in grid[1:-1]]}
    for text in FORMULAS:
        assert labels[text].data_type == "s", text
    with zipfile.ZipFile(written.file) as package:
        parts = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in package.read(n) for n in parts)  # not one formula


def test_the_cover_says_who_when_what_and_how(store):
    bfilter = BookingFilter(staff=(2,))
    written = crosstab.export_crosstab(store, admin(store), bfilter, "payment", "weekday",
                                       "unpaid", today=TODAY)
    said = cover_of(written.file)
    assert said["Requested by"] == "admin (admin)"
    assert said["Filter"] == "employee Ben Brown"
    assert said["Cross-tab"] == ("amount still unpaid by payment (rows) and weekday of "
                                 "visit (columns)")
    assert said["Measure"].startswith("amount still unpaid: what is still owed")
    assert said["Rows"] == "payment: 2, then a Total row"  # nothing to pay, not paid in full
    assert said["Bookings counted"] == "3"
    assert "never run as a formula" in said["Text cells"]
    assert "Period" not in said and "Note" not in said  # no comparison; admin sees all


# --- this period against an earlier one ---------------------------------------------


@pytest.mark.parametrize("measure", ["bookings", "to_pay", "no_show_share"])
def test_a_comparison_adds_before_change_and_change_percent(store, measure):
    written = crosstab.export_crosstab(store, SYSTEM, SUMMER, "staff", "month", measure,
                                       compare="previous", today=TODAY)
    tab = pivot(store, SYSTEM, SUMMER, "staff", "month", measure, compare="previous",
                today=TODAY)
    sheets = {name: values(grid) for name, grid in sheets_of(written.file).items()}
    assert list(sheets) == ["About this file", "Cross-tab", "Before", "Change", "Change %"]
    assert sheets["Cross-tab"] == expected_grid(tab)
    assert sheets["Before"] == expected_grid(tab, tab.before)
    now, before = expected_grid(tab), expected_grid(tab, tab.before)
    for r in range(1, len(now)):
        for c in range(1, len(now[0])):
            v, b = now[r][c], before[r][c]
            change, ratio = sheets["Change"][r][c], sheets["Change %"][r][c]
            if v is None or b is None:
                assert change is None and ratio is None
                continue
            assert change == pytest.approx(v - b)
            assert ratio == (None if b == 0 else pytest.approx((v - b) / b))
    # the same rows and columns on every sheet: a cell has one address on all
    assert {tuple(grid[0]) for name, grid in sheets.items() if name != "About this file"} == {
        tuple(now[0])}
    said = cover_of(written.file)
    assert said["Period"] == "01.06.2024 to 31.07.2024"
    assert said["Compared with"].startswith("the period before: 01.04.2024 to 31.05.2024")
    assert said["Bookings counted"] == "3 in the period, 2 in the one compared with"
    assert written.bookings == 5


def test_the_known_comparison_reads_right(store):
    written = crosstab.export_crosstab(store, SYSTEM, SUMMER, "staff", "month", "to_pay",
                                       compare="previous", today=TODAY)
    sheets = {name: values(grid) for name, grid in sheets_of(written.file).items()}
    # May (bookings 1 and 2: 500 and 300) against July, which has only cancelled ones
    assert sheets["Before"][1] == ["Anna Smith", 0, 500, 500]
    assert sheets["Change"][1] == ["Anna Smith", 0, -500, -500]
    assert sheets["Change %"][1] == ["Anna Smith", None, -1, -1]
    book = openpyxl.load_workbook(written.file)
    assert book["Change"]["C2"].number_format.startswith("+")
    assert "%" in book["Change %"]["C2"].number_format


def test_a_comparison_without_a_visit_period_writes_and_records_nothing(store, store_path):
    with pytest.raises(Refused, match="needs a visit period"):
        crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff", "source",
                                 "bookings", compare="year")
    assert logged(store) == []
    assert files_in_exports(store_path) == []


# --- the Data log -------------------------------------------------------------------------


def test_it_is_recorded_in_the_data_log_as_a_cross_tab_download(store, store_path):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(staff=(2,)), "staff",
                                       "source", "bookings", today=TODAY)
    ((log_id, login, kind, fmt, state, rows, what, file_path, size, sha256, details),) = (
        logged(store))
    assert log_id == written.log_id
    assert (login, kind, fmt, state, rows) == ("admin", "crosstab", "xlsx", "ready", 3)
    assert what == ("Cross-tab: number of bookings by employee and online or offline · "
                    "employee Ben Brown")
    assert store_path.parent / file_path == written.file
    data = written.file.read_bytes()
    assert size == len(data) and sha256 == hashlib.sha256(data).hexdigest()
    assert json.loads(details) == {
        "filter": {"staff": ["2"]}, "phones": False,
        "crosstab": {"rows": "staff", "cols": "source", "measure": "bookings",
                     "compare": None}}
    assert files_in_exports(store_path) == [written.file.name]  # no .part left
    assert oct(written.file.stat().st_mode & 0o777) == "0o600"
    (entry,) = datalog.entries(store, admin(store), kind="crosstab")
    assert entry["id"] == log_id and entry["fetches"] == []
    assert [e["id"] for e in datalog.entries(store, admin(store), kind="export")] == []


def test_the_page_fetch_hands_out_the_file_and_is_recorded(store):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(), "staff", "source",
                                       "bookings", today=TODAY)
    data, file_name = links.fetch_for_page(store, "admin", written.log_id)
    assert data == written.file.read_bytes()
    assert file_name.startswith(f"crosstab-{written.log_id}-") and file_name.endswith(".xlsx")
    links.fetch_for_page(store, "owner", written.log_id)  # the owner sees every entry
    assert fetches(store) == [(written.log_id, "admin", "page"),
                              (written.log_id, "owner", "page")]


def test_another_user_may_not_fetch_it(store, make_user):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(), "staff", "source",
                                       "bookings", today=TODAY)
    make_user(Role.ADMINISTRATOR, "kate")  # the export right, but not her entry
    with pytest.raises(NotFound, match="not yours"):
        links.fetch_for_page(store, "kate", written.log_id)
    with pytest.raises(Forbidden):  # the employee: no export right
        links.fetch_for_page(store, "employee", written.log_id)
    users.revoke(store, SYSTEM, "admin", {Right.EXPORT})  # taken away since
    with pytest.raises(Forbidden, match="may not"):
        links.fetch_for_page(store, "admin", written.log_id)
    assert fetches(store) == []


def test_no_emailed_link_serves_it(store):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(), "staff", "source",
                                       "bookings", today=TODAY)
    (token_hash,) = store.execute("SELECT token_sha256 FROM data_log WHERE id = ?",
                                  [written.log_id]).fetchone()
    assert token_hash is None


# --- rights and scope -----------------------------------------------------------------------


def test_without_the_export_right_it_is_refused_and_nothing_is_written(store, store_path):
    employee = auth.get_user(store, "employee")
    with pytest.raises(MissingRight) as refused:
        crosstab.export_crosstab(store, employee, BookingFilter(), "staff", "source",
                                 "bookings", today=TODAY)
    assert refused.value.right == Right.EXPORT
    assert logged(store) == []
    assert files_in_exports(store_path) == []


def test_the_employee_gets_only_their_own_bookings_of_their_period(store):
    users.grant(store, SYSTEM, "employee", {Right.EXPORT})
    employee = auth.get_user(store, "employee")  # Ben Brown's own, the last 30 days: booking 6
    written = crosstab.export_crosstab(store, employee, BookingFilter(), "staff", "source",
                                       "to_pay", today=TODAY)
    grid = values(sheets_of(written.file)["Cross-tab"])
    assert grid == expected_grid(pivot(store, employee, BookingFilter(), "staff", "source",
                                       "to_pay", today=TODAY))
    assert grid[1:] == [["Ben Brown", 500, 500], ["Total", 500, 500]]
    assert written.bookings == 1
    notes = [text for label, text in openpyxl.load_workbook(written.file).worksheets[0]
             .iter_rows(values_only=True) if label == "Note"]
    assert any(note.startswith("Only visits from") for note in notes)
    assert "Only bookings made to Ben Brown: the requester sees their own bookings only." in notes


def test_one_who_sees_their_own_bookings_only_gets_theirs(store):
    anna_only = replace(admin(store), scope=Scope.OWN, staff_id=1)
    written = crosstab.export_crosstab(store, anna_only, BookingFilter(), "payment", "staff",
                                       "bookings", today=TODAY)
    grid = values(sheets_of(written.file)["Cross-tab"])
    assert grid[0] == ["Payment", "Anna Smith", "Total"]
    assert grid[-1] == ["Total", 3, 3]  # bookings 1, 3 and 5
    assert logged(store)[0][5] == 3


def test_a_failed_write_leaves_no_file_and_no_entry(store, store_path, monkeypatch):
    def breaks(tab, path, cover, counted):
        Path(path).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(crosstab, "write_workbook", breaks)
    with pytest.raises(OSError, match="disk full"):
        crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff", "source", "bookings")
    assert logged(store) == [] and files_in_exports(store_path) == []


def test_an_entry_that_cannot_be_recorded_leaves_no_file(store, store_path, monkeypatch):
    def refuses(con, **columns):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(datalog, "add_entry", refuses)
    with pytest.raises(RuntimeError):
        crosstab.export_crosstab(store, SYSTEM, BookingFilter(), "staff", "source", "bookings")
    assert files_in_exports(store_path) == []


# --- the command --------------------------------------------------------------------------


def test_cli_pivot_xlsx_writes_the_file_and_records_it(cli, store_path, tmp_path):
    out = tmp_path / "q.xlsx"
    code, stdout, _ = cli("pivot", "--rows", "staff", "--cols", "payment", "--measure",
                          "to_pay", "--user", "admin", "--xlsx", str(out), "--json")
    assert code == 0
    doc = json.loads(stdout)
    assert doc["rows"] == ["Anna Smith", "Ben Brown"] and doc["total"] == 1300
    assert doc["xlsx"] == {"log_id": 1, "file": str(out)}
    grid = values(sheets_of(out)["Cross-tab"])
    assert grid[0] == ["Employee", *doc["cols"], "Total"]
    assert [row[1:] for row in grid[1:-1]] == [[*cells, total] for cells, total in zip(
        doc["cells"], doc["row_totals"], strict=True)]
    assert grid[-1] == ["Total", *doc["col_totals"], doc["total"]]
    code, stdout, _ = cli("log", "--kind", "crosstab", "--json")
    (entry,) = json.loads(stdout)["entries"]
    assert (entry["user"], entry["kind"], entry["state"], entry["format"]) == (
        "admin", "crosstab", "ready", "xlsx")
    exported = store_path.parent / "exports"
    assert [p.read_bytes() for p in exported.iterdir()] == [out.read_bytes()]


def test_cli_pivot_xlsx_in_words_and_as_the_system(cli, tmp_path):
    out = tmp_path / "q.xlsx"
    code, stdout, _ = cli("pivot", "--rows", "staff", "--cols", "month", "--measure",
                          "bookings", "--visit-from", "2024-06-01", "--visit-to", "2024-07-31",
                          "--compare", "year", "--xlsx", str(out))
    assert code == 0
    assert stdout.splitlines()[-1] == (f"Written to {out} (Data log entry 1, 3 bookings "
                                       "counted).")
    assert openpyxl.load_workbook(out).sheetnames == [
        "About this file", "Cross-tab", "Before", "Change", "Change %"]
    code, stdout, _ = cli("log", "--json")
    assert json.loads(stdout)["entries"][0]["user"] == "system"


def test_cli_pivot_xlsx_without_the_export_right(cli, store_path, tmp_path):
    out = tmp_path / "q.xlsx"
    code, stdout, _ = cli("pivot", "--rows", "staff", "--cols", "payment", "--measure",
                          "bookings", "--user", "employee", "--xlsx", str(out), "--json")
    assert code == 1
    assert json.loads(stdout)["right"] == "export"
    code, _, err = cli("pivot", "--rows", "staff", "--cols", "payment", "--measure",
                       "bookings", "--user", "employee", "--xlsx", str(out))
    assert code == 1 and "(right: export)" in err
    assert not out.exists()
    assert files_in_exports(store_path) == []
    code, stdout, _ = cli("log", "--json")
    assert json.loads(stdout)["entries"] == []


def test_cli_pivot_xlsx_to_a_folder_that_is_not_there(cli, tmp_path):
    code, stdout, _ = cli("pivot", "--rows", "staff", "--cols", "payment", "--measure",
                          "bookings", "--xlsx", str(tmp_path / "no" / "q.xlsx"), "--json")
    assert code == 1
    assert "Data log entry 1" in json.loads(stdout)["error"]  # written, but not copied there


# --- the Data log page and the widget ---------------------------------------------------


@pytest.fixture
def app(store, store_path, app_as):
    return app_as(store_path)


def test_the_data_log_page_shows_and_offers_it(app, store):
    written = crosstab.export_crosstab(store, admin(store), BookingFilter(), "staff", "source",
                                       "bookings", today=TODAY)
    at = app("admin")
    at.switch_page(str(ROOT / "pages" / "data_log.py")).run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if "What" in df.value.columns)
    assert list(table["Kind"]) == ["Cross-tab download"]
    assert table["Rows"].tolist() == [6] and table["Fetches"].tolist() == [0]
    (fetch,) = at.download_button
    assert fetch.label == "Download .xlsx"
    assert any(f"#{written.log_id}" in m.value and "6 bookings counted" in m.value
               for m in at.markdown)


# A page that calls the widget, as the Analysis page will; the Data log beside it (its
# script as app.py names it: pages/ beside this one is the project's own).
WIDGET_APP = """
import streamlit as st

from bookings.model import Right
from ui import common
from ui.crosstab_download import crosstab_download


def analysis():
    user = common.require(Right.VIEW_BOOKINGS)
    crosstab_download(user, **st.session_state["asked"])


common.open_cursor()
st.navigation([
    st.Page(analysis, title="Cross-tab widget", url_path="crosstab-widget", default=True),
    st.Page("pages/data_log.py", title="Data log", url_path="data-log"),
]).run()
"""


@pytest.fixture
def widget(store, store_path, monkeypatch, tmp_path):
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    script = tmp_path / "widget_app" / "app.py"
    script.parent.mkdir()
    script.write_text(WIDGET_APP)
    (script.parent / "pages").symlink_to(ROOT / "pages")

    def open_as(login: str, **asked) -> AppTest:
        at = AppTest.from_file(str(script), default_timeout=30)
        sign_in_app(at, login)
        at.session_state["asked"] = {
            "bfilter": BookingFilter(staff=(2,)), "words": "employee Ben Brown",
            "rows": "source", "cols": "payment", "measure": "bookings", "compare": None,
            **asked}
        return at.run()

    return open_as


def download_button(at: AppTest):
    return next(b for b in at.button if b.label == "Download as Excel")


def test_the_widget_writes_offers_and_records_once(widget, store):
    at = widget("admin")
    assert not at.exception
    click = download_button(at)
    assert not click.disabled
    click.click().run()
    assert not at.exception
    ((log_id, login, kind, *_),) = logged(store)
    assert (login, kind) == ("admin", "crosstab")
    assert f"Data log entry {log_id}" in at.success[0].value
    assert "also in the Data log" in at.success[0].value
    (save,) = at.download_button
    assert save.label == "Save the .xlsx"
    click.click().run()  # the same button again: a double click arriving late
    assert not at.exception
    assert len(logged(store)) == 1
    at.run()  # a rerun makes nothing either, and the file stays offered
    assert len(logged(store)) == 1 and len(at.download_button) == 1
    assert fetches(store) == []  # offered, not yet fetched: the bytes leaving are
    download_button(at).click().run()  # the button drawn since: a new file, on purpose
    assert len(logged(store)) == 2


def test_the_file_is_offered_for_its_own_cross_tab_only(widget, store):
    at = widget("admin")
    download_button(at).click().run()
    assert len(at.download_button) == 1
    at.session_state["asked"] = {**at.session_state["asked"], "measure": "to_pay"}
    at.run()
    assert len(at.download_button) == 0  # another cross-tab now: its file is in the log


def test_without_the_export_right_the_button_is_disabled_and_says_why(widget, store):
    at = widget("employee")
    assert not at.exception
    button = download_button(at)
    assert button.disabled
    assert "request downloads and fetch files from the Data log" in button.help
    assert "export" in button.help


def test_a_refusal_is_shown_and_nothing_recorded(widget, store):
    at = widget("admin", bfilter=BookingFilter(), compare="previous")
    download_button(at).click().run()
    assert not at.exception
    assert "needs a visit period" in at.error[0].value
    assert logged(store) == [] and len(at.download_button) == 0
