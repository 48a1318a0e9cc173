"""The Analysis page through AppTest, on the known store: its numbers are the cross-tab's
(bookings/pivot.py, itself checked against the list in test_pivot.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bookings import pivot
from bookings.admin import users as user_admin
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right
from bookings.store import open_store
from tests import known_store
from tests.helpers import sign_in_app
from tests.known_store import RECENT

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS = str(ROOT / "pages" / "analysis.py")
MAY_JUNE = {"visit_from": "2024-05-01", "visit_to": "2024-06-30"}


@pytest.fixture
def analysis(known_path, app_as):
    """analysis(login, **url) -> the Analysis page at that address, signed in as LOGIN."""
    open_as = app_as(known_path)

    def open_analysis(login: str = "owner", **params) -> AppTest:
        at = open_as(login)
        at.switch_page(ANALYSIS)
        at.query_params.clear()
        for key, value in params.items():
            at.query_params[key] = value
        return at.run()

    return open_analysis


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def crosstab(at: AppTest):
    return at.dataframe[0].value.set_index("row")


def test_the_cross_tab_is_pivots(analysis, known_path):
    at = analysis(rows="staff", cols="payment", measure="bookings")
    assert not at.exception
    con = open_store(known_path, read_only=True)
    tab = pivot.pivot(con, SYSTEM, BookingFilter(), "staff", "payment", "bookings")
    con.close()
    table = crosstab(at)
    assert list(table.index) == [*tab.row_labels, "Total"]
    assert [[table.loc[r, f"c{j}"] for j in range(len(tab.col_keys))]
            for r in tab.row_labels] == tab.cells
    assert list(table["total"]) == [*tab.row_totals, tab.total]
    assert [table.loc["Total", f"c{j}"] for j in range(len(tab.col_keys))] == tab.col_totals
    assert at.subheader[0].value == "Bookings by employee and payment"
    assert metrics(at)["Bookings"][0] == "6"


def test_this_period_against_the_one_before(analysis):
    at = analysis(rows="source", cols="status", measure="to_pay", compare="previous",
                  **MAY_JUNE)
    assert not at.exception
    shown = metrics(at)
    # 1 May - 30 June 2024: bookings 1-4, booking 3 cancelled (no money); before: none
    assert shown["Bookings"] == ("4", "+4 (new)")
    assert shown["To pay"] == ("800.00", "+800.00 (new)")
    assert shown["Unpaid"] == ("300.00", "+300.00 (new)")
    assert any("01.03.2024–30.04.2024" in c.value for c in at.caption)
    table = crosstab(at)
    assert list(table.index)[-4:] == ["Total", "Before", "Change", "Change %"]
    assert table.loc["Total", "total"] == 800 and table.loc["Total", "before"] == 0
    assert table.loc["Change", "total"] == 800


def test_a_year_on_year_change_in_percent(analysis):
    # June-July 2025 against June-July 2024 (bookings 3, 4 and 5): 3 -> 0 bookings
    at = analysis(rows="staff", cols="source", compare="year", visit_from="2025-06-01",
                  visit_to="2025-07-31")
    assert metrics(at)["Bookings"] == ("0", "-3 (-100.0%)")
    table = crosstab(at)
    assert table.loc["Total", "change_pct"] == -1.0


def test_compare_needs_a_visit_period(analysis):
    at = analysis(rows="staff", cols="source", compare="year", visit_from="2024-05-01")
    assert not at.exception
    compare = next(s for s in at.selectbox if s.label == "Compare with")
    assert compare.disabled and compare.value is None
    assert "visit period" in compare.help
    assert "before" not in crosstab(at).columns


def test_choosing_rows_columns_and_measure_writes_the_address(analysis):
    at = analysis(rows="staff", cols="payment", measure="bookings")
    next(s for s in at.selectbox if s.label == "Rows").set_value("month").run()
    next(s for s in at.selectbox if s.label == "Measure").set_value("paid").run()
    assert not at.exception
    assert (at.query_params["rows"], at.query_params["measure"]) in (
        ("month", "paid"), (["month"], ["paid"]))
    assert at.subheader[0].value == "Paid by month of visit and payment"
    assert list(crosstab(at).index) == ["2024-05", "2024-06", "2024-07", f"{RECENT:%Y-%m}",
                                        "Total"]


def test_a_measure_the_dimension_cannot_split_is_refused_in_words(analysis):
    at = analysis(rows="service_category", cols="source", measure="paid")
    assert not at.exception
    assert "cannot be split by service category" in at.error[0].value


def test_a_bad_address_value_is_named_and_the_default_used(analysis):
    at = analysis(rows="nonsense", cols="source", measure="bookings")
    assert not at.exception
    assert any("rows='nonsense'" in w.value for w in at.warning)
    assert at.subheader[0].value == "Bookings by source and online or offline"


def test_an_employee_counts_only_what_the_list_shows_them(analysis):
    at = analysis("employee", rows="staff", cols="payment", measure="to_pay")
    assert not at.exception
    # Ben Brown, own bookings, 30 days back: booking 6 alone (500 to pay)
    assert metrics(at)["Bookings"][0] == "1"
    assert metrics(at)["To pay"][0] == "500.00"
    assert list(crosstab(at).index) == ["Ben Brown", "Total"]


def test_a_bare_address_opens_on_the_lists_filter(known_path, app_as):
    at = app_as(known_path)("owner", staff="1", sort="visit_at")
    assert not at.exception
    at.switch_page(ANALYSIS)
    at.query_params.clear()
    at.run()
    assert not at.exception
    shown = next(m.value for m in at.markdown if m.value.startswith("**Showing:**"))
    assert shown == "**Showing:** employee Anna Smith"
    assert metrics(at)["Bookings"][0] == "3"


def test_the_page_itself_checks_its_right(con, store_path, monkeypatch):
    """Run on its own (as a forged request could), Analysis refuses a user without the
    bookings list's right: its numbers are the list's."""
    known_store.build(con)
    user_admin.revoke(con, SYSTEM, "employee", [Right.VIEW_BOOKINGS])
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    at = AppTest.from_file(ANALYSIS, default_timeout=30)
    sign_in_app(at, "employee")
    at.query_params["rows"] = "staff"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"You may not {Right.VIEW_BOOKINGS.description}."]
    assert not at.dataframe and not at.metric
