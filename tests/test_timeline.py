"""The timeline (`pivot.timeline`): the cross-tab of a time bucket by a split, as the
points the list's chart over time draws. Each period's numbers are checked against
the list (`listing.summary`, `listing.count`) and the cross-tab, on the known store
and on a demo salon in a real DuckDB store."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from bookings import listing
from bookings.auth import get_user
from bookings.demo import fill_demo
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from bookings.pivot import GRAINS, TIMELINE_MEASURES, key_filter, pivot, timeline
from bookings.store import open_store
from tests.known_store import TODAY

DEMO_TODAY = date(2026, 3, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo salon of 3,000 bookings, 4 February to 21 March 2026 (the same for the
    same seed and day)."""
    con = open_store(tmp_path_factory.mktemp("demo") / "bookings.duckdb")
    fill_demo(con, 3000, seed=1, today=DEMO_TODAY)
    yield con
    con.close()


def by_period(points: list[dict]) -> dict:
    """{period: {series: value}}"""
    out: dict = defaultdict(dict)
    for p in points:
        out[p["period"]][p["series"]] = p["value"]
    return out


# --- on the known store -----------------------------------------------------------------


def test_money_per_month_is_the_lists_money_of_that_month(known):
    for measure in ("to_pay", "paid"):
        periods = by_period(timeline(known, SYSTEM, BookingFilter(), "month", "source",
                                     measure, today=TODAY))
        for month, values in periods.items():
            summary = listing.summary(known, SYSTEM, key_filter(BookingFilter(), "month", month),
                                      TODAY)
            assert sum(values.values()) == summary[measure], (measure, month)
    # May 2024: bookings 1 (offline, 500 paid) and 2 (online, 300, nothing paid)
    may = by_period(timeline(known, SYSTEM, BookingFilter(), "month", "source", "unpaid",
                             today=TODAY))[date(2024, 5, 1)]
    assert may == {"online": 300}  # booking 1 owes nothing: left out, not 0


def test_cancelled_bookings_count_but_earn_nothing(known):
    # June 2024: booking 3 (cancelled, 800 to pay) and 4 (nothing to pay)
    june = date(2024, 6, 1)
    assert by_period(timeline(known, SYSTEM, BookingFilter(), "month", "source", "bookings",
                              today=TODAY))[june] == {"online": 1, "offline": 1}
    assert june not in by_period(timeline(known, SYSTEM, BookingFilter(), "month", "source",
                                          "to_pay", today=TODAY))


def test_shares_are_each_periods_parts(known):
    points = timeline(known, SYSTEM, BookingFilter(), "month", "payment", "bookings",
                      today=TODAY)
    totals: dict = defaultdict(float)
    for p in points:
        totals[p["period"]] += p["share"]
    assert all(abs(total - 1) < 1e-3 for total in totals.values())
    may = {p["series"]: p["share"] for p in points if p["period"] == date(2024, 5, 1)}
    assert may == {"paid in full": 0.5, "not paid in full": 0.5}


def test_a_booking_with_two_booking_categories_counts_under_each(known):
    # July 2024 holds booking 5 alone, with booking categories 1 and 4
    july = [p for p in timeline(known, SYSTEM, BookingFilter(), "month", "booking_category",
                                "bookings", today=TODAY) if p["period"] == date(2024, 7, 1)]
    assert {p["series"]: (p["value"], p["share"]) for p in july} == {
        "Full online payment": (1, 0.5), "Any staff member": (1, 0.5)}
    assert listing.count(known, SYSTEM, key_filter(BookingFilter(), "month", date(2024, 7, 1)),
                         TODAY) == 1 < sum(p["value"] for p in july)


def test_money_by_service_category_is_its_lines(known):
    # booking 3 (Hair and Nails) is cancelled: May's Hair is booking 1, Nails booking 2
    may = by_period(timeline(known, SYSTEM, BookingFilter(), "month", "service_category",
                             "to_pay", today=TODAY))[date(2024, 5, 1)]
    assert may == {"Hair": 500, "Nails": 300}


def test_days_are_the_lists_days(known):
    points = timeline(known, SYSTEM, BookingFilter(), "day", "staff", today=TODAY)
    assert len({p["period"] for p in points}) == 6
    for p in points:
        f = key_filter(key_filter(BookingFilter(), "day", p["period"]), "staff",
                       {"Anna Smith": 1, "Ben Brown": 2}[p["series"]])
        assert listing.count(known, SYSTEM, f, TODAY) == p["value"]


def test_the_employee_sees_their_own_bookings_only(known):
    employee = get_user(known, "employee")
    points = timeline(known, employee, BookingFilter(), "week", "staff", "to_pay", today=TODAY)
    assert [(p["series"], p["value"]) for p in points] == [("Ben Brown", 500)]


@pytest.mark.parametrize("grain, split, measure, words", [
    ("month", "service_category", "paid", "cannot be split by service category"),
    ("week", "service_category", "unpaid", "cannot be split by service category"),
    ("year", "source", "bookings", "runs per day, week, month"),
    ("month", "week", "bookings", "split by one of"),
    ("month", "colour", "bookings", "split by one of"),
    ("month", "source", "average", "they add up"),
])
def test_nonsense_is_refused_in_words(known, grain, split, measure, words):
    with pytest.raises(Refused, match=words):
        timeline(known, SYSTEM, BookingFilter(), grain, split, measure, today=TODAY)


# --- on a demo salon ----------------------------------------------------------------------


@pytest.mark.parametrize("grain", GRAINS)
def test_each_periods_money_is_the_summary_of_its_bookings(demo, grain):
    bfilter = BookingFilter(visit_from=date(2026, 2, 10), visit_to=date(2026, 3, 31))
    for measure in ("bookings", "to_pay", "paid"):
        periods = by_period(timeline(demo, SYSTEM, bfilter, grain, "staff", measure,
                                     today=DEMO_TODAY))
        assert periods, measure
        for period, values in periods.items():
            summary = listing.summary(demo, SYSTEM, key_filter(bfilter, grain, period),
                                      DEMO_TODAY)
            want = summary["total" if measure == "bookings" else measure]
            assert sum(values.values()) == pytest.approx(want, abs=0.005), (measure, period)


@pytest.mark.parametrize("measure", TIMELINE_MEASURES)
def test_the_points_are_the_cross_tabs_cells(demo, measure):
    bfilter = BookingFilter(visit_from=date(2026, 1, 1), visit_to=date(2026, 3, 31))
    for split in ("payment", "booking_category", "weekday", "source_detail"):
        tab = pivot(demo, SYSTEM, bfilter, "month", split, measure, today=DEMO_TODAY)
        cells = {(rk, label): tab.cells[i][j] for i, rk in enumerate(tab.row_keys)
                 for j, label in enumerate(tab.col_labels) if tab.cells[i][j]}
        points = timeline(demo, SYSTEM, bfilter, "month", split, measure, today=DEMO_TODAY)
        assert {(p["period"], p["series"]): p["value"] for p in points} == cells
        # the unpaid of a month is its row total under any split but a multi-valued one
        if split != "booking_category":
            months = by_period(points)
            for i, rk in enumerate(tab.row_keys):
                assert sum(months[rk].values()) == pytest.approx(tab.row_totals[i], abs=0.005)


def test_a_multi_valued_split_adds_up_to_more_than_the_bookings(demo):
    bfilter = BookingFilter(visit_from=date(2026, 1, 1), visit_to=date(2026, 3, 31))
    tab = pivot(demo, SYSTEM, bfilter, "month", "booking_category", "bookings",
                today=DEMO_TODAY)
    months = by_period(timeline(demo, SYSTEM, bfilter, "month", "booking_category",
                                today=DEMO_TODAY))
    for i, rk in enumerate(tab.row_keys):
        assert sum(months[rk].values()) >= tab.row_totals[i]
    assert any(sum(months[rk].values()) > tab.row_totals[i]
               for i, rk in enumerate(tab.row_keys)), "no booking with two categories"
