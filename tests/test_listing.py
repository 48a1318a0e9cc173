"""The list's rows, paging, sorting, totals and facets on the known store."""

import json

import pytest

from bookings import listing, pivot
from bookings.auth import get_user
from bookings.cli import main
from bookings.filters import BookingFilter
from bookings.model import SYSTEM
from tests.known_store import TODAY


def page_ids(con, **kwargs):
    return [r["id"] for r in listing.page(con, SYSTEM, BookingFilter(), today=TODAY, **kwargs)]


def test_default_order_is_newest_visit_first(known):
    assert page_ids(known) == [6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("sort, descending, expected", [
    ("id", False, [1, 2, 3, 4, 5, 6]),
    ("total_to_pay", True, [3, 6, 1, 5, 2, 4]),
    ("client_name", False, [3, 6, 1, 4, 2, 5]),
    ("staff_name", False, [1, 3, 5, 2, 4, 6]),
    ("paid", False, [2, 4, 3, 5, 6, 1]),
])
def test_sorting_happens_in_the_store_with_the_id_breaking_ties(known, sort, descending,
                                                                  expected):
    assert page_ids(known, sort=sort, descending=descending) == expected


def test_pages_cover_every_row_once(known):
    pages = [page_ids(known, sort="id", descending=False, limit=4, offset=o) for o in (0, 4, 8)]
    assert pages == [[1, 2, 3, 4], [5, 6], []]


def test_unknown_sort_is_refused(known):
    with pytest.raises(ValueError, match="Cannot sort by"):
        page_ids(known, sort="password_hash")


def test_a_row_has_the_shape_of_the_cli_contract(known):
    (row,) = [r for r in listing.page(known, SYSTEM, BookingFilter(), today=TODAY) if r["id"] == 3]
    assert row["services"] == [
        {"id": 10, "title": "Haircut", "cost": 500, "discount": 0, "to_pay": 500},
        {"id": 20, "title": "Manicure", "cost": 300, "discount": 0, "to_pay": 300}]
    assert row["categories"] == [{"id": 3, "title": "This specialist only", "color": "#1565c0"}]
    assert (row["status"], row["source"], row["online"], row["created_by"]) == (
        "Pending", "mobile app", True, None)
    assert (row["total_to_pay"], row["paid"], row["paid_full"]) == (800, 300, False)
    assert (row["deleted"], row["deleted_by"]) == (True, "admin")
    assert row["client_phone"] == "380501112233"
    for key in ("id", "visit_at", "length_s", "staff_id", "staff_name", "client_name",
                "attendance", "created_at", "comment", "deleted_at"):
        assert key in row


def test_summary_totals_and_facets(known):
    summary = listing.summary(known, SYSTEM, BookingFilter(), TODAY)
    # Money counts the bookings not cancelled: 1, 2, 4, 6.
    assert (summary["total"], summary["to_pay"], summary["paid"]) == (6, 1300, 950)
    # Payable and not cancelled: 1 (paid), 2 (not), 6 (partly) -> 1 of 3.
    assert summary["paid_full_share"] == pytest.approx(0.3333, abs=1e-4)
    facets = {name: {e["value"]: e["count"] for e in entries}
              for name, entries in summary["facets"].items()}
    assert facets["source"] == {"admin": 2, "online widget": 1, "mobile app": 1, "api": 1,
                                "social link": 1}
    assert facets["payment"] == {"paid in full": 2, "not paid in full": 3, "nothing to pay": 1}
    assert facets["status"] == {"Arrived": 3, "No-Show": 1, "Pending": 1, "Confirmed": 1}
    assert facets["staff"] == {"Anna Smith": 3, "Ben Brown": 3}


def test_facets_follow_the_filter(known):
    summary = listing.summary(known, SYSTEM, BookingFilter(staff=(1,)), TODAY)
    assert summary["total"] == 3
    assert {e["value"]: e["count"] for e in summary["facets"]["staff"]} == {"Anna Smith": 3}


def test_an_empty_result_has_zero_totals(known):
    summary = listing.summary(known, SYSTEM, BookingFilter(client="nobody at all"), TODAY)
    assert (summary["total"], summary["to_pay"], summary["paid_full_share"]) == (0, 0, None)


# The list's timeline is the cross-tab's (pivot.timeline; more in tests/test_timeline.py):
# the splits the list's chart had, source, payment and online, are its source_detail,
# payment and source.
@pytest.mark.parametrize("grain, split, expected", [
    ("month", "source_detail", {("2024-05-01", "admin"): 1, ("2024-05-01", "online widget"): 1}),
    ("month", "payment", {("2024-05-01", "paid in full"): 1,
                          ("2024-05-01", "not paid in full"): 1}),
    ("day", "source", {("2024-05-01", "offline"): 1, ("2024-05-15", "online"): 1}),
])
def test_timeline(known, grain, split, expected):
    points = pivot.timeline(known, SYSTEM, BookingFilter(visit_to=TODAY.replace(year=2024,
                            month=5, day=31)), grain=grain, split=split, today=TODAY)
    assert {(str(p["period"]), p["series"]): p["value"] for p in points} == expected


def test_the_employee_sees_the_viewing_period_only(known):
    employee = get_user(known, "employee")
    assert [r["id"] for r in listing.page(known, employee, BookingFilter(), today=TODAY)] == [6]
    assert listing.summary(known, employee, BookingFilter(), TODAY)["total"] == 1
    assert sum(p["value"] for p in pivot.timeline(known, employee, BookingFilter(),
                                                  today=TODAY)) == 1


@pytest.mark.parametrize("phone, masked", [("12123445678", "12*******78"), ("1234", "****")])
def test_mask_phone(phone, masked):
    assert listing.mask_phone(phone) == masked


def test_cli_summary_json_shape(known_path, known, capsys):
    assert main(["--db", str(known_path), "summary", "--staff", "1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"total", "to_pay", "paid", "paid_full_share", "facets"}
    assert document["total"] == 3
    assert set(document["facets"]) == {"source", "payment", "status", "staff"}
    assert document["facets"]["staff"] == [{"value": "Anna Smith", "count": 3, "id": 1}]


def test_cli_list_pages_and_sorts(known_path, known, capsys):
    assert main(["--db", str(known_path), "list", "--sort", "id", "--limit", "2", "--offset",
                 "2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["total"] == 6
    assert [r["id"] for r in document["rows"]] == [3, 4]
    assert document["rows"][0]["visit_at"] == "2024-06-02T09:00:00"
