"""The cross-tab (bookings/pivot.py, `bookings pivot`) on the known store, where
every number is checked against the list: a cell's count is `listing.count` with
the cell's filter (`cell_filter`), its money the list's money for that filter,
the totals `listing.summary`; the same with a filter, a viewing period, and for
users who see their own bookings only (tests/known_store.py).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from bookings import catalog, listing
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Attendance
from bookings.pivot import (
    DIMENSIONS,
    MEASURES,
    _matched,
    before_filter,
    before_period,
    cell_filter,
    drill,
    pivot,
    totals,
)
from tests import known_store
from tests.known_store import TODAY

PAIRS = [
    ("source", "payment"), ("staff", "month"), ("service_category", "booking_category"),
    ("booking_category", "service_category"), ("created_by", "weekday"), ("status", "hour"),
    ("source_detail", "week"), ("payment", "service_category"), ("day", "booking_category"),
    ("service_category", "day"),
]
FILTERS = {
    "all": BookingFilter(),
    "May-June 2024": BookingFilter(visit_from=date(2024, 5, 1), visit_to=date(2024, 6, 30)),
}
# who looks: the system; the known employee (Ben Brown, own bookings, 30 days); an
# administrator with a viewing period back to 1 June 2024; one who sees Anna's only
USERS = known_store.VIEWERS


user_of = known_store.viewer


def money(value) -> float:
    return float(Decimal(str(value)))


def expected(con, user, f: BookingFilter, measure: str, service_category=False, key=None):
    """MEASURE of the list's bookings for filter F, from the list itself. Under a
    service category (KEY) money is that category's service lines."""
    rows = listing.page(con, user, f, limit=1000, today=TODAY)
    n = listing.count(con, user, f, today=TODAY)
    assert n == len(rows)
    live = [r for r in rows if not r["deleted"]]
    if measure == "bookings":
        return n
    if measure == "no_show_share":
        return round(sum(r["attendance"] == Attendance.NO_SHOW for r in rows) / n, 4) if n else None
    if service_category:
        category_of = {s["id"]: s["category_id"] for s in catalog.services(con)}
        to_pay = sum(money(s["to_pay"]) for r in live for s in r["services"]
                     if category_of[s["id"]] == key)
    else:
        to_pay = money(listing.summary(con, user, f, TODAY)["to_pay"])
        assert to_pay == sum(money(r["total_to_pay"]) for r in live)
    if measure == "to_pay":
        return to_pay
    if measure == "paid":
        return money(listing.summary(con, user, f, TODAY)["paid"])
    if measure == "unpaid":
        return sum(max(money(r["total_to_pay"]) - money(r["paid"]), 0) for r in live)
    if measure == "average":
        return round(to_pay / len(live), 2) if live else None
    raise AssertionError(measure)


def same(got, want) -> bool:
    if want is None or got is None:
        return got is want
    return abs(float(got) - float(want)) < 1e-9


def refused_measure(rows: str, cols: str, measure: str) -> bool:
    return measure in ("paid", "unpaid") and "service_category" in (rows, cols)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("filter_name", list(FILTERS))
@pytest.mark.parametrize("rows, cols", PAIRS, ids=lambda p: str(p))
def test_every_number_agrees_with_the_list(known, rows, cols, filter_name, who):
    user, bfilter = user_of(known, who), FILTERS[filter_name]
    for measure in MEASURES:
        if refused_measure(rows, cols, measure):
            with pytest.raises(Refused, match="cannot be split by service category"):
                pivot(known, user, bfilter, rows, cols, measure, today=TODAY)
            continue
        tab = pivot(known, user, bfilter, rows, cols, measure, today=TODAY)
        split_rows, split_cols = rows == "service_category", cols == "service_category"
        for i, rk in enumerate(tab.row_keys):
            for j, ck in enumerate(tab.col_keys):
                f = cell_filter(bfilter, rows, rk, cols, ck)
                split = split_rows or split_cols
                key = rk if split_rows else ck
                want = expected(known, user, f, measure, split, key)
                assert same(tab.cells[i][j], want if (want or measure in (
                    "average", "no_show_share")) else 0), (measure, tab.row_labels[i],
                                                           tab.col_labels[j])
            want = expected(known, user, cell_filter(bfilter, rows, rk), measure, split_rows, rk)
            assert same(tab.row_totals[i], want), (measure, "row total", tab.row_labels[i])
        for j, ck in enumerate(tab.col_keys):
            want = expected(known, user, cell_filter(bfilter, cols, ck), measure, split_cols, ck)
            assert same(tab.col_totals[j], want), (measure, "column total", tab.col_labels[j])
        assert same(tab.total, expected(known, user, bfilter, measure)), (measure, "total")
        if measure == "bookings":
            summary = listing.summary(known, user, bfilter, TODAY)
            assert tab.total == summary["total"]
            # every booking under some row: the rows hold all of them
            assert sum(tab.row_totals) >= tab.total


def test_the_known_store_as_a_cross_tab(known):
    tab = pivot(known, SYSTEM, BookingFilter(), "source", "payment", "bookings", today=TODAY)
    assert tab.to_json() == {
        "rows": ["online", "offline"],
        "cols": ["nothing to pay", "paid in full", "not paid in full"],
        "cells": [[0, 1, 2], [1, 1, 1]], "row_totals": [3, 3], "col_totals": [1, 2, 3],
        "total": 6}


def test_a_booking_with_two_values_counts_under_each_and_once_in_the_totals(known):
    # booking 5 has booking categories 1 and 4; booking 3 services of Hair and Nails
    tab = pivot(known, SYSTEM, BookingFilter(), "booking_category", "service_category",
                "bookings", today=TODAY)
    cells = {(r, c): tab.cells[i][j] for i, r in enumerate(tab.row_labels)
             for j, c in enumerate(tab.col_labels)}
    assert cells[("Full online payment", "Nails")] == 2  # bookings 2 and 5
    assert cells[("Any staff member", "Nails")] == 1  # booking 5 again
    assert cells[("This specialist only", "Hair")] == cells[("This specialist only", "Nails")] == 1
    row = tab.row_labels.index("This specialist only")
    assert tab.row_totals[row] == 1 < sum(tab.cells[row])
    assert tab.total == 6 < sum(tab.row_totals)
    assert tab.row_labels[-1] == tab.col_labels[-1] == "(none)"


def test_service_category_money_is_the_lines_and_leaves_out_cancelled(known):
    tab = pivot(known, SYSTEM, BookingFilter(), "service_category", "staff", "to_pay",
                today=TODAY)
    by_row = dict(zip(tab.row_labels, tab.row_totals, strict=True))
    # Hair: 1 (500) and 6 (500); Nails: 2 (300); 3 and 5 are cancelled; 4 has nothing
    assert by_row == {"Hair": 1000, "Nails": 300, "(none)": 0}
    assert tab.total == listing.summary(known, SYSTEM, BookingFilter(), TODAY)["to_pay"]


@pytest.mark.parametrize("measure", ["paid", "unpaid"])
def test_paid_is_not_offered_by_service_category(known, measure):
    with pytest.raises(Refused, match="payment is not divided among its services"):
        pivot(known, SYSTEM, BookingFilter(), "staff", "service_category", measure)


@pytest.mark.parametrize("rows, cols, measure, words", [
    ("staff", "staff", "bookings", "two different dimensions"),
    ("colour", "staff", "bookings", "rows must be one of"),
    ("staff", "source", "money", "measure must be one of"),
])
def test_nonsense_is_refused_in_words(known, rows, cols, measure, words):
    with pytest.raises(Refused, match=words):
        pivot(known, SYSTEM, BookingFilter(), rows, cols, measure)


def test_cell_filters_use_the_new_list_filters(known):
    f = BookingFilter(visit_from=date(2024, 5, 10), visit_to=date(2024, 6, 30))
    assert cell_filter(f, "month", date(2024, 5, 1), "weekday", 3) == f.narrowed(
        visit_from=date(2024, 5, 10), visit_to=date(2024, 5, 31), weekday=(3,))
    assert cell_filter(f, "hour", 9, "payment", 0) == f.narrowed(hour=(9,), payment="nothing")
    assert cell_filter(f, "service_category", None, "booking_category", None) == f.narrowed(
        service_category=(None,), booking_category=(None,))
    assert cell_filter(f, "week", date(2024, 6, 24), "created_by", "client") == f.narrowed(
        visit_from=date(2024, 6, 24), visit_to=date(2024, 6, 30), created_by=("client",))
    assert cell_filter(f, "source", False, "source_detail", "api") == f.narrowed(
        source="offline", source_detail=("api",))
    assert cell_filter(f, "day", date(2024, 6, 2), "status", 0) == f.narrowed(
        visit_from=date(2024, 6, 2), visit_to=date(2024, 6, 2), status=(Attendance.PENDING,))
    assert listing.count(known, SYSTEM, cell_filter(f, "day", date(2024, 5, 1))) == 0
    # a key the filter leaves out: a filter that matches nothing
    assert listing.count(known, SYSTEM, cell_filter(BookingFilter(staff=(1,)), "staff", 2)) == 0


def test_every_dimension_gives_cells_that_open_their_list(known):
    """Each dimension against status: every cell's filter finds the cell's count."""
    for name in DIMENSIONS:
        if name == "status":
            continue
        tab = pivot(known, SYSTEM, BookingFilter(), name, "status", "bookings", today=TODAY)
        assert tab.total == 6
        for i, rk in enumerate(tab.row_keys):
            for j, ck in enumerate(tab.col_keys):
                f = cell_filter(BookingFilter(), name, rk, "status", ck)
                assert tab.cells[i][j] == listing.count(known, SYSTEM, f, TODAY), (name, rk, ck)


# --- this period against an earlier one -------------------------------------------------


def test_compare_needs_a_visit_period(known):
    for bfilter in (BookingFilter(), BookingFilter(visit_from=date(2024, 6, 1))):
        with pytest.raises(Refused, match="needs a visit period"):
            pivot(known, SYSTEM, bfilter, "staff", "source", "bookings", compare="previous")


def test_the_earlier_periods():
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
    assert before_period(f, "previous") == (date(2024, 4, 1), date(2024, 5, 31))
    assert before_period(f, "year") == (date(2023, 6, 1), date(2023, 7, 31))
    # whole months against as many whole months before, whatever their days
    november = BookingFilter(visit_from=date(2026, 11, 1), visit_to=date(2026, 11, 30))
    assert before_period(november, "previous") == (date(2026, 10, 1), date(2026, 10, 31))
    march = BookingFilter(visit_from=date(2025, 3, 1), visit_to=date(2025, 3, 31))
    assert before_period(march, "previous") == (date(2025, 2, 1), date(2025, 2, 28))
    quarter = BookingFilter(visit_from=date(2025, 1, 1), visit_to=date(2025, 3, 31))
    assert before_period(quarter, "previous") == (date(2024, 10, 1), date(2024, 12, 31))
    days = BookingFilter(visit_from=date(2025, 3, 2), visit_to=date(2025, 3, 31))
    assert before_period(days, "previous") == (date(2025, 1, 31), date(2025, 3, 1))
    leap = BookingFilter(visit_from=date(2024, 2, 29), visit_to=date(2024, 2, 29))
    assert before_period(leap, "year") == (date(2023, 2, 28), date(2023, 2, 28))


@pytest.mark.parametrize("rows, cols", [("staff", "source"), ("payment", "service_category"),
                                        ("booking_category", "status")])
@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("who", ["system", "own"])
def test_before_is_the_cross_tab_of_the_earlier_period(known, rows, cols, measure, who):
    if refused_measure(rows, cols, measure):
        return
    user = user_of(known, who)
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
    tab = pivot(known, user, f, rows, cols, measure, compare="previous", today=TODAY)
    now = pivot(known, user, f, rows, cols, measure, today=TODAY)
    start, end = before_period(f, "previous")
    then = pivot(known, user, f.narrowed(visit_from=start, visit_to=end), rows, cols, measure,
                 today=TODAY)
    for side, alone in ((tab, now), (tab.before, then)):
        numbers = side if isinstance(side, dict) else {
            "cells": side.cells, "row_totals": side.row_totals,
            "col_totals": side.col_totals, "total": side.total}
        assert numbers["total"] == alone.total
        empty = None if measure in ("average", "no_show_share") else 0
        for i, rk in enumerate(tab.row_keys):
            ai = alone.row_keys.index(rk) if rk in alone.row_keys else None
            assert numbers["row_totals"][i] == (empty if ai is None else alone.row_totals[ai])
            for j, ck in enumerate(tab.col_keys):
                aj = alone.col_keys.index(ck) if ck in alone.col_keys else None
                want = empty if ai is None or aj is None else alone.cells[ai][aj]
                assert numbers["cells"][i][j] == want
        for j, ck in enumerate(tab.col_keys):
            aj = alone.col_keys.index(ck) if ck in alone.col_keys else None
            assert numbers["col_totals"][j] == (empty if aj is None else alone.col_totals[aj])


def test_months_are_set_against_the_months_before_in_order(known):
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
    tab = pivot(known, SYSTEM, f, "staff", "month", "bookings", compare="previous",
                today=TODAY)
    assert tab.col_labels == ["2024-06", "2024-07"]
    # April (nothing) against June, May (bookings 1 and 2) against July
    doc = tab.to_json()
    assert doc["col_totals"] == [{"value": 2, "before": 0}, {"value": 1, "before": 2}]
    assert doc["total"] == {"value": 3, "before": 2}


def test_days_are_set_against_the_days_the_same_distance_before(known):
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
    doc = pivot(known, SYSTEM, f, "day", "staff", "bookings", compare="previous",
                today=TODAY)
    # 61 days each: 1 May (booking 1) is the 31st day before, set against 1 July;
    # 15 May (booking 2) against 15 July, a day with nothing now
    tab = doc.to_json()
    assert tab["rows"] == ["2024-06-02", "2024-06-20", "2024-07-01", "2024-07-15"]
    assert [t["value"] for t in tab["row_totals"]] == [1, 1, 1, 0]
    assert [t["before"] for t in tab["row_totals"]] == [0, 0, 1, 1]
    assert tab["total"] == {"value": 3, "before": 2}


def test_days_a_year_earlier_are_the_same_dates(known):
    f = BookingFilter(visit_from=date(2025, 5, 1), visit_to=date(2025, 7, 31))
    tab = pivot(known, SYSTEM, f, "day", "source", "bookings", compare="year", today=TODAY)
    assert tab.row_labels == ["2025-05-01", "2025-05-15", "2025-06-02", "2025-06-20",
                              "2025-07-01"]
    assert tab.before["row_totals"] == [1, 1, 1, 1, 1] and tab.total == 0
    # 29 February has no day a year earlier; the days after it keep their dates
    day = DIMENSIONS["day"]
    period = (date(2024, 2, 28), date(2024, 3, 1))
    assert _matched(day, period, before_period(BookingFilter(
        visit_from=period[0], visit_to=period[1]), "year"), "year") == {
        date(2024, 2, 28): date(2023, 2, 28), date(2024, 3, 1): date(2023, 3, 1)}


def test_a_year_earlier(known):
    f = BookingFilter(visit_from=date(2025, 5, 1), visit_to=date(2025, 7, 31))
    tab = pivot(known, SYSTEM, f, "source", "payment", "bookings", compare="year", today=TODAY)
    assert tab.before_period == (date(2024, 5, 1), date(2024, 7, 31))
    assert tab.total == 0 and tab.before["total"] == 5
    assert tab.row_labels == ["online", "offline"]  # rows of the earlier period kept


# --- the command ----------------------------------------------------------------------


def test_cli_pivot_json(cli):
    code, out, _ = cli("pivot", "--rows", "source", "--cols", "payment", "--measure",
                       "bookings", "--json")
    assert code == 0
    assert json.loads(out) == {
        "rows": ["online", "offline"],
        "cols": ["nothing to pay", "paid in full", "not paid in full"],
        "cells": [[0, 1, 2], [1, 1, 1]], "row_totals": [3, 3], "col_totals": [1, 2, 3],
        "total": 6}


def test_cli_pivot_json_with_compare_and_filters(cli):
    code, out, _ = cli("pivot", "--rows", "staff", "--cols", "month", "--measure", "to_pay",
                       "--visit-from", "2024-06-01", "--visit-to", "2024-07-31",
                       "--compare", "previous", "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"rows", "cols", "cells", "row_totals", "col_totals", "total"}
    assert doc["rows"] == ["Anna Smith", "Ben Brown"] and doc["cols"] == ["2024-06", "2024-07"]
    assert doc["total"] == {"value": 0, "before": 800}
    assert doc["cells"][0][1] == {"value": 0, "before": 500}
    assert all(set(n) == {"value", "before"} for row in doc["cells"] for n in row)


def test_cli_pivot_as_the_employee_sees_it(cli):
    code, out, _ = cli("pivot", "--rows", "staff", "--cols", "weekday", "--measure", "paid",
                       "--user", "employee", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["rows"] == ["Ben Brown"] and doc["total"] == 450


def test_cli_pivot_text_is_a_table(cli):
    code, out, _ = cli("pivot", "--rows", "status", "--cols", "source", "--measure",
                       "no_show_share", "--weekday", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("no_show_share by status and source: visits on Wednesdays")
    assert lines[2].split() == ["status", "online", "offline", "total"]
    assert lines[-1].split()[0] == "total"


@pytest.mark.parametrize("args, words", [
    (["--measure", "paid", "--rows", "service_category", "--cols", "staff"],
     "cannot be split by service category"),
    (["--measure", "bookings", "--rows", "staff", "--cols", "source", "--compare", "year"],
     "needs a visit period"),
])
def test_cli_pivot_refuses_in_words(cli, args, words):
    code, out, _ = cli("pivot", *args, "--json")
    assert code == 1
    assert words in json.loads(out)["error"]
    code, _, err = cli("pivot", *args)
    assert code == 1 and words in err


def test_cli_pivot_unknown_dimension_is_wrong_usage(cli):
    code, _, err = cli("pivot", "--rows", "colour", "--cols", "staff", "--measure", "bookings")
    assert code == 2 and "invalid choice" in err


def test_a_month_with_nothing_now_still_shows_what_it_had_before(known):
    f = BookingFilter(visit_from=date(2024, 8, 1), visit_to=date(2024, 8, 31))
    doc = pivot(known, SYSTEM, f, "staff", "month", "bookings", compare="previous",
                today=TODAY).to_json()
    # July 2024 (booking 5, Anna Smith) against August, which has none
    assert doc == {"rows": ["Anna Smith"], "cols": ["2024-08"],
                   "cells": [[{"value": 0, "before": 1}]],
                   "row_totals": [{"value": 0, "before": 1}],
                   "col_totals": [{"value": 0, "before": 1}],
                   "total": {"value": 0, "before": 1}}


# --- the headline: every measure's total at once -----------------------------------------


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("name", list(FILTERS))
def test_totals_are_each_measures_cross_tab_total(known, who, name):
    user = user_of(known, who)
    now, before = totals(known, user, FILTERS[name], today=TODAY)
    assert before is None
    assert set(now) == set(MEASURES)
    for measure in MEASURES:
        assert now[measure] == pivot(known, user, FILTERS[name], "source", "status", measure,
                                     today=TODAY).total, measure
    summary = listing.summary(known, user, FILTERS[name], today=TODAY)
    assert now["bookings"] == summary["total"]
    assert money(now["to_pay"]) == money(summary["to_pay"])
    assert money(now["paid"]) == money(summary["paid"])


@pytest.mark.parametrize("compare", ["previous", "year"])
@pytest.mark.parametrize("who", ["system", "own"])
def test_totals_before_are_the_cross_tabs_before(known, compare, who):
    user = user_of(known, who)
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))
    now, before = totals(known, user, f, compare=compare, today=TODAY)
    for measure in MEASURES:
        tab = pivot(known, user, f, "staff", "payment", measure, compare=compare, today=TODAY)
        assert (now[measure], before[measure]) == (tab.total, tab.before["total"]), measure
    earlier = before_filter(f, compare)
    assert (earlier.visit_from, earlier.visit_to) == before_period(f, compare)
    assert before["bookings"] == listing.count(known, user, earlier, TODAY)


def test_totals_compare_needs_a_visit_period(known):
    with pytest.raises(Refused, match="needs a visit period"):
        totals(known, SYSTEM, BookingFilter(), compare="year")


def test_every_dimension_and_measure_has_words():
    from bookings.pivot import DIMENSION_LABELS, MEASURE_LABELS
    assert set(DIMENSION_LABELS) == set(DIMENSIONS)
    assert set(MEASURE_LABELS) == set(MEASURES)


# --- drill-down by position, as the page does ---------------------------------------------


@pytest.mark.parametrize("rows, cols", [("staff", "month"), ("service_category", "payment"),
                                        ("week", "source")])
@pytest.mark.parametrize("who", ["system", "own"])
def test_every_number_drills_into_its_list(known, rows, cols, who):
    user = user_of(known, who)
    f = BookingFilter(visit_from=date(2024, 5, 1), visit_to=date(2024, 6, 30))
    tab = pivot(known, user, f, rows, cols, "bookings", compare="previous", today=TODAY)
    ri, ci = [*range(len(tab.row_keys)), None], [*range(len(tab.col_keys)), None]

    def number(side, i, j):
        if i is None and j is None:
            return side["total"]
        if j is None:
            return side["row_totals"][i]
        if i is None:
            return side["col_totals"][j]
        return side["cells"][i][j]

    now = {"cells": tab.cells, "row_totals": tab.row_totals, "col_totals": tab.col_totals,
           "total": tab.total}
    for i in ri:
        for j in ci:
            for before, side in ((False, now), (True, tab.before)):
                g = drill(f, tab, i, j, before=before)
                assert listing.count(known, user, g, TODAY) == number(side, i, j), (i, j, before)


def test_drilling_before_needs_a_comparison(known):
    tab = pivot(known, SYSTEM, BookingFilter(), "staff", "source", "bookings", today=TODAY)
    assert drill(BookingFilter(), tab, None, None) == BookingFilter()
    with pytest.raises(Refused, match="compares nothing"):
        drill(BookingFilter(), tab, 0, 0, before=True)
