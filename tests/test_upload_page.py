"""The upload page through AppTest: upload, preview, commit."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from streamlit.testing.v1 import AppTest

from bookings import catalog
from bookings.uploads import bookings_import, services_import
from bookings.uploads.batch import FilePreview
from tests import known_store
from tests.helpers import CUT, GOOD, HEADERS, NAILS, SERVICE_HEADERS, sign_in_app, xlsx

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "tests" / "files"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def page(con, store_path, monkeypatch):
    known_store.build(con)
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))

    def open_as(login: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        sign_in_app(at, login)
        at.run()
        try:
            return at.switch_page(str(ROOT / "pages" / "upload.py")).run()
        except ValueError:  # not in this user's navigation: run the page itself
            direct = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=30)
            sign_in_app(direct, login)
            return direct.run()

    return open_as


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def metrics(at) -> tuple:
    return tuple(metric(at, label) for label in ("Rows", "Ready", "With warnings",
                                                 "With errors"))


def button(at, start):
    return next(b for b in at.button if b.label.startswith(start))


def labelled(elements, label):
    return next(e for e in elements if e.label == label)


def made_on_click_without_a_rerun(button) -> bool:
    """A rows-to-fix button: its file made on the click (deferred), and the click
    reruns nothing. A rerun starting while the file's answer waits to be sent drops
    that answer: the browser's button would spin on (ui/common.py, made_on_click)."""
    return button.proto.HasField("deferred_file_id") and button.proto.ignore_rerun


def choose(at, name: str, data: bytes, mime: str = XLSX) -> AppTest:
    at.get("file_uploader")[0].upload(name, data, mime)
    return at.run()


def problems(at) -> set[tuple[str, str]]:
    table = next(df.value for df in at.dataframe if "Message" in df.value.columns)
    return set(zip(table["Column"], table["Message"], strict=True))


def imported(con) -> int:
    return con.execute("SELECT count(*) FROM bookings WHERE source = 'excel upload'"
                       ).fetchone()[0]


def kept_previews(value):
    """Every upload preview anywhere in a session value (dicts, lists, tuples)."""
    if isinstance(value, FilePreview):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from kept_previews(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from kept_previews(item)


def assert_slim(at) -> list[FilePreview]:
    """The session holds previews without their rows only (the 3.65 GB issue)."""
    kept = [p for value in at.session_state.values() for p in kept_previews(value)]
    for preview in kept:
        assert preview.sheet is None
        assert not getattr(preview, "bookings", [])
    return kept


def two_sheets(first: list[dict], second: list[dict], headers: list[str] = HEADERS) -> bytes:
    """A workbook whose sheets March and April both have the upload's columns."""
    book = Workbook()
    for sheet, title, rows in ((book.active, "March", first), (book.create_sheet(), "April",
                                                                 second)):
        sheet.title = title
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(h) for h in headers])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_upload_preview_and_commit(page, con):
    at = page("owner")
    assert not at.exception
    at = choose(at, "old.xlsx", xlsx([GOOD, {**GOOD, "Date": "05.01.2026 10:37"},
                                      {**GOOD, "Date": "06.01.2026 10:30", "Client name": None}]))
    assert not at.exception
    assert metrics(at) == ("3", "2", "1", "1")
    assert len(assert_slim(at)) == 1  # the preview shown, without its rows
    assert ("Client name", "is mandatory") in problems(at)
    assert made_on_click_without_a_rerun(
        labelled(at.download_button, "Download the 1 row with errors, marked, to fix"))
    assert button(at, "Import 2 bookings").disabled  # errors: the user has to choose
    labelled(at.radio, "Rows with errors").set_value(True).run()
    button(at, "Import 2 bookings").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("2 bookings imported;")
    assert "(batch 1)" in at.success[0].value
    assert imported(con) == 2
    assert_slim(at)


def test_a_csv_file_previews_and_imports(page, con):
    at = choose(page("owner"), "csv.excel-utf8-bom.csv",
                (FILES / "csv.excel-utf8-bom.csv").read_bytes(), "text/csv")
    assert not at.exception
    assert metrics(at) == ("3", "3", "0", "0")
    assert any("Read as CSV" in i.value for i in at.info)
    button(at, "Import 3 bookings").click().run()
    assert not at.exception
    assert at.success[0].value == "3 bookings imported (batch 1)."
    assert imported(con) == 3


def test_the_page_says_which_sheet_was_read(page):
    at = choose(page("owner"), "notes_sheet.lo-en.xlsx",
                (FILES / "notes_sheet.lo-en.xlsx").read_bytes())
    assert not at.exception
    assert "Read the sheet 'Bookings'." in [i.value for i in at.info]
    assert metrics(at) == ("2", "2", "0", "0")
    assert not at.selectbox  # only one sheet has the columns: nothing to choose


def test_two_matching_sheets_offer_a_picker(page, con):
    at = choose(page("owner"), "two.xlsx", two_sheets(
        [GOOD], [{**GOOD, "Date": "07.01.2026 10:30"}, {**GOOD, "Date": "08.01.2026 10:30"}]))
    assert not at.exception
    picker = labelled(at.selectbox, "Sheet to read")
    assert (picker.options, picker.value) == (["March", "April"], "March")
    assert metric(at, "Rows") == "1"
    picker.set_value("April").run()
    assert not at.exception
    assert metric(at, "Rows") == "2"
    assert "Read the sheet 'April'." in [i.value for i in at.info]
    assert labelled(at.selectbox, "Sheet to read").value == "April"  # still offered
    assert con.execute("SELECT id, state FROM import_batches ORDER BY id").fetchall() == [
        (1, "cancelled"), (2, "previewed")]  # the first sheet's batch is let go
    assert_slim(at)
    labelled(at.selectbox, "Sheet to read").set_value("March").run()
    assert metric(at, "Rows") == "1"
    assert any("'April' (choose another sheet" in i.value for i in at.info)
    labelled(at.selectbox, "Sheet to read").set_value("April").run()
    button(at, "Import 2 bookings").click().run()
    assert imported(con) == 2


def test_the_duration_unit_turns_minutes_into_ready_rows(page, con):
    at = choose(page("owner"), "minutes.xlsx", xlsx([
        {**GOOD, "Duration": 60}, {**GOOD, "Date": "05.01.2026 11:00", "Duration": 45}]))
    assert metrics(at) == ("2", "0", "0", "2")
    assert any("did you mean 60 minutes?" in message for _, message in problems(at))
    assert not [r for r in at.radio if r.label == "Rows with errors"]  # nothing to import
    assert "No row is ready to import" in at.caption[0].value
    labelled(at.radio, "Durations in the file are in").set_value("minutes").run()
    assert not at.exception
    assert metrics(at) == ("2", "2", "0", "0")
    assert "Durations read in minutes." in [i.value for i in at.info]
    assert con.execute("SELECT state FROM import_batches WHERE id = 1").fetchone()[0] == \
        "cancelled"
    button(at, "Import 2 bookings").click().run()
    assert con.execute("SELECT list(length_s ORDER BY length_s) FROM bookings WHERE source = "
                       "'excel upload'").fetchone()[0] == [2700, 3600]


def test_the_rows_to_fix_stay_offered_after_the_commit(page, con):
    at = choose(page("owner"), "mixed.xlsx", xlsx([
        GOOD, {**GOOD, "Date": "06.01.2026 10:30", "Employee ID": 99}]))
    labelled(at.radio, "Rows with errors").set_value(True).run()
    button(at, "Import 1 booking").click().run()
    assert not at.exception
    label = "Download the 1 row left out, marked, to fix"
    for _ in range(2):  # the commit's run, then any later run
        assert at.success[0].value.startswith("1 booking imported;")
        assert made_on_click_without_a_rerun(labelled(at.download_button, label))
        assert "Left out: row 3." in at.caption[0].value
        at.run()
    (kept,) = assert_slim(at)  # the committed batch's slim preview, for its file
    fix = load_workbook(io.BytesIO(bookings_import.rows_to_fix(con, kept))).active
    assert fix.max_row == 2 and "employee 99 does not exist" in fix.cell(2, 14).value

    at = choose(at, "other.xlsx", xlsx([{**GOOD, "Date": "09.01.2026 10:30"}]))
    assert [s.value for s in at.success] == ["No problems found."]  # the outcome is gone
    assert not [b for b in at.download_button if b.label == label]


def test_the_same_file_twice_needs_an_explicit_yes(page, con):
    data = xlsx([GOOD])
    at = choose(page("owner"), "a.xlsx", data)
    button(at, "Import 1 booking").click().run()
    at = choose(at, "a.xlsx", data)
    assert any("was imported before: batch 1 by owner" in w.value and "1 booking." in w.value
               for w in at.warning)
    assert button(at, "Import").disabled  # its row is in the store already, too
    assert imported(con) == 1


def test_a_wrong_file_gets_a_plain_message(page):
    at = choose(page("owner"), "notes.xlsx", b"not a workbook")
    assert not at.exception
    assert "not a spreadsheet we can read" in at.error[0].value


def test_cancel_lets_the_batch_go(page, con):
    at = choose(page("owner"), "a.xlsx", xlsx([GOOD]))
    button(at, "Cancel").click().run()
    assert not at.exception and not at.metric
    assert con.execute("SELECT state FROM import_batches").fetchall() == [("cancelled",)]
    assert not assert_slim(at)


def test_without_full_access_the_page_refuses(page):
    at = page("admin")
    assert "may not upload bookings from Excel" in at.error[0].value
    assert not at.get("file_uploader")


# --- Settings > Services > Upload a list from Excel ---------------------------------------


@pytest.fixture
def services_tab(con, store_path, monkeypatch):
    known_store.build(con)
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=30)
    sign_in_app(at, "owner")
    at.query_params["tab"] = "Services"
    return at.run()


def test_services_from_the_second_sheet_and_their_rows_to_fix(services_tab, con):
    at = choose(services_tab, "price-list.xlsx", two_sheets(
        [CUT], [{**NAILS, "Title": "Pedicure"}, {**NAILS, "Title": "Gel", "Price": "free"}],
        SERVICE_HEADERS))
    assert not at.exception
    picker = labelled(at.selectbox, "Sheet to read")
    assert (picker.options, picker.value) == (["March", "April"], "March")
    picker.set_value("April").run()
    assert not at.exception
    assert metrics(at) == ("2", "1", "0", "1")
    assert "Read the sheet 'April'." in [i.value for i in at.info]
    assert made_on_click_without_a_rerun(
        labelled(at.download_button, "Download the 1 row with errors, marked, to fix"))
    assert con.execute("SELECT state FROM import_batches ORDER BY id").fetchall() == [
        ("cancelled",), ("previewed",)]
    assert_slim(at)
    labelled(at.radio, "Rows with errors").set_value(True).run()
    button(at, "Import 1 service").click().run()
    assert not at.exception
    label = "Download the 1 row left out, marked, to fix"
    for _ in range(2):  # the commit's run, then any later run
        assert any(s.value.startswith("1 service added") for s in at.success)
        assert made_on_click_without_a_rerun(labelled(at.download_button, label))
        at.run()
    (kept,) = assert_slim(at)
    fix = load_workbook(io.BytesIO(services_import.rows_to_fix(con, kept))).active
    assert [c.value for c in fix[2]][:2] == ["Gel", "Nails"]
    assert "Pedicure" in {s["title"] for s in catalog.services(con)}
    at = choose(at, "more.csv", b"Title,Category,Price,Duration (minutes)\nBeard,Hair,20,15\n",
                "text/csv")
    assert not [b for b in at.download_button if b.label == label]  # a new file: gone
    assert metrics(at) == ("1", "1", "0", "0")
    button(at, "Import 1 service").click().run()
    assert "Beard" in {s["title"] for s in catalog.services(con)}
