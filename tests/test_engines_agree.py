"""The read path gives the same answers on PostgreSQL as on DuckDB (issue 16): the known
store (tests/known_store.py) built on each, then the list's count, every sort in both
orders, its pages, the summary with its facets, and the cross-tab of many dimension
pairs and measures, compared answer for answer. The DuckDB answers are the ones
tests/test_listing.py and tests/test_pivot.py check against the known store."""

from __future__ import annotations

from datetime import date

import pytest

from bookings import listing, pivot
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Attendance, Source
from tests import known_store
from tests.known_store import TODAY

FILTERS = {
    "all": BookingFilter(),
    "May-June 2024": BookingFilter(visit_from=date(2024, 5, 1), visit_to=date(2024, 6, 30)),
    "created in May": BookingFilter(created_from=date(2024, 5, 1),
                                    created_to=date(2024, 5, 31)),
    "Ben": BookingFilter(staff=(2,)),
    "client o'brien %_": BookingFilter(client="o'brien %_"),
    "client by phone": BookingFilter(client="7700"),
    "cancelled": BookingFilter(cancelled="yes"),
    "not cancelled, online": BookingFilter(cancelled="no", source="online"),
    "unpaid": BookingFilter(payment="unpaid"),
    "nothing to pay": BookingFilter(payment="nothing"),
    "without services": BookingFilter(services="without"),
    "arrived or no-show": BookingFilter(status=(Attendance.ARRIVED, Attendance.NO_SHOW)),
    "service category Nails or none": BookingFilter(service_category=(2, None)),
    "booking category 1": BookingFilter(booking_category=(1,)),
    "created by client or admin": BookingFilter(created_by=("client", "admin")),
    "mobile app": BookingFilter(source_detail=(Source("mobile app"),)),
    "Wednesday, Saturday": BookingFilter(weekday=(3, 6)),
    "hours 9-12": BookingFilter(hour=(9, 10, 11, 12)),
}
USERS = known_store.VIEWERS


user_of = known_store.viewer


def both(known, known_pg, answer):
    """ANSWER(con, user_of) on each engine: (DuckDB's, PostgreSQL's)."""
    return (answer(known, lambda who: user_of(known, who)),
            answer(known_pg, lambda who: user_of(known_pg, who)))


@pytest.mark.parametrize("name", list(FILTERS))
def test_counts_pages_and_summaries_agree(known, known_pg, name):
    f = FILTERS[name]

    def answer(con, user):
        out = {}
        for who in USERS:
            try:
                out[who, "count"] = listing.count(con, user(who), f, TODAY)
                out[who, "summary"] = listing.summary(con, user(who), f, TODAY)
                out[who, "page"] = listing.page(con, user(who), f, today=TODAY)
            except Refused as refused:  # the employee may not search by phone
                out[who] = str(refused)
        return out

    duck, pg = both(known, known_pg, answer)
    assert pg == duck
    assert duck["system", "count"] == len(duck["system", "page"])


@pytest.mark.parametrize("sort", list(listing.SORT_COLUMNS))
def test_every_sort_in_both_orders_and_its_pages_agree(known, known_pg, sort):
    def answer(con, user):
        return {(descending, limit, offset): [
                    r["id"] for r in listing.page(con, SYSTEM, BookingFilter(), sort=sort,
                                                  descending=descending, limit=limit,
                                                  offset=offset, today=TODAY)]
                for descending in (True, False) for limit, offset in ((100, 0), (4, 0), (4, 4))}

    duck, pg = both(known, known_pg, answer)
    assert pg == duck


def test_whole_rows_agree_value_for_value_and_type_for_type(known, known_pg):
    duck, pg = both(known, known_pg, lambda con, user: listing.page(
        con, SYSTEM, BookingFilter(), sort="id", descending=False, today=TODAY))
    assert pg == duck
    for d_row, p_row in zip(duck, pg, strict=True):
        assert {k: type(v) for k, v in p_row.items()} == {k: type(v) for k, v in d_row.items()}
        for d_line, p_line in zip(d_row["services"], p_row["services"], strict=True):
            assert {k: type(v) for k, v in p_line.items()} == \
                {k: type(v) for k, v in d_line.items()}


PAIRS = [(r, c) for r in pivot.DIMENSIONS for c in pivot.DIMENSIONS if r != c]


@pytest.mark.parametrize("rows", list(pivot.DIMENSIONS))
def test_cross_tabs_agree(known, known_pg, rows):
    def answer(con, user):
        out = {}
        for cols in pivot.DIMENSIONS:
            if cols == rows:
                continue
            for measure in pivot.MEASURES:
                for who in ("system", "own"):
                    for name in ("all", "May-June 2024", "cancelled"):
                        try:
                            tab = pivot.pivot(con, user(who), FILTERS[name], rows=rows,
                                              cols=cols, measure=measure, today=TODAY)
                        except Refused as refused:
                            out[cols, measure, who, name] = str(refused)
                            continue
                        out[cols, measure, who, name] = (tab.to_json(), tab.row_keys,
                                                         tab.col_keys)
        return out

    duck, pg = both(known, known_pg, answer)
    assert pg == duck


@pytest.mark.parametrize("compare", pivot.COMPARES)
def test_comparisons_and_totals_agree(known, known_pg, compare):
    f = BookingFilter(visit_from=date(2024, 6, 1), visit_to=date(2024, 7, 31))

    def answer(con, user):
        out = {}
        for rows, cols in (("staff", "month"), ("payment", "service_category"),
                           ("day", "booking_category"), ("week", "status")):
            for measure in pivot.MEASURES:
                try:
                    tab = pivot.pivot(con, SYSTEM, f, rows=rows, cols=cols, measure=measure,
                                      compare=compare, today=TODAY)
                    out[rows, cols, measure] = tab.to_json()
                except Refused as refused:
                    out[rows, cols, measure] = str(refused)
        for who in USERS:
            out[who] = pivot.totals(con, user(who), f, compare=compare, today=TODAY)
        out["timeline"] = pivot.timeline(con, SYSTEM, BookingFilter(), grain="week",
                                         split="booking_category", measure="to_pay",
                                         today=TODAY)
        return out

    duck, pg = both(known, known_pg, answer)
    assert pg == duck
