"""The upload page through AppTest: upload, preview, commit."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import known_store
from tests.test_upload import GOOD, xlsx

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def page(con, store_path, monkeypatch):
    known_store.build(con)
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))

    def open_as(login: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.session_state["signed_in_login"] = login
        at.run()
        try:
            return at.switch_page(str(ROOT / "pages" / "upload.py")).run()
        except ValueError:  # not in this user's navigation: run the page itself
            direct = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=30)
            direct.session_state["signed_in_login"] = login
            return direct.run()

    return open_as


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def button(at, start):
    return next(b for b in at.button if b.label.startswith(start))


def test_upload_preview_and_commit(page, con):
    at = page("owner")
    assert not at.exception
    data = xlsx([GOOD, {**GOOD, "Date": "05.01.2026 10:37"},
                 {**GOOD, "Date": "06.01.2026 10:30", "Client name": None}])
    at.get("file_uploader")[0].upload("old.xlsx", data, XLSX)
    at.run()
    assert not at.exception
    assert (metric(at, "Rows"), metric(at, "Ready"), metric(at, "With warnings"),
            metric(at, "With errors")) == ("3", "2", "1", "1")
    problems = next(df.value for df in at.dataframe if "Message" in df.value.columns)
    assert ("Client name", "is mandatory") in set(zip(problems["Column"], problems["Message"],
                                                      strict=True))
    assert button(at, "Import 2 bookings").disabled  # errors: the user has to choose
    at.radio[0].set_value(True).run()
    button(at, "Import 2 bookings").click().run()
    assert not at.exception
    assert at.success[0].value == "2 bookings imported; 1 row(s) left out (batch 1)."
    assert con.execute("SELECT count(*) FROM bookings WHERE source = 'excel upload'"
                       ).fetchone()[0] == 2


def test_the_same_file_twice_needs_an_explicit_yes(page, con):
    data = xlsx([GOOD])
    at = page("owner")
    at.get("file_uploader")[0].upload("a.xlsx", data, XLSX)
    at.run()
    button(at, "Import 1 booking").click().run()
    at.get("file_uploader")[0].upload("a.xlsx", data, XLSX)
    at.run()
    assert any("was imported before: batch 1 by owner" in w.value for w in at.warning)
    assert con.execute("SELECT count(*) FROM bookings WHERE source = 'excel upload'"
                       ).fetchone()[0] == 1


def test_a_wrong_file_gets_a_plain_message(page):
    at = page("owner")
    at.get("file_uploader")[0].upload("notes.xlsx", b"not a workbook", XLSX)
    at.run()
    assert not at.exception
    assert "not a spreadsheet we can read" in at.error[0].value


def test_without_full_access_the_page_refuses(page):
    at = page("admin")
    assert "may not upload bookings from Excel" in at.error[0].value
    assert not at.get("file_uploader")
