"""Every filter of the seed, alone and together, against the known store:
through the filter object and through the `bookings` command."""

import json
from dataclasses import replace
from datetime import date

import pytest

from bookings import listing
from bookings.auth import get_user, list_users
from bookings.cli import main
from bookings.errors import Forbidden
from bookings.filters import BookingFilter, FilterError, Names
from bookings.model import SYSTEM, Attendance, Right, Role, Source
from tests.known_store import ALL, RECENT, TODAY

# Visits' weekdays (Monday 1): 1 and 2 Wednesday, 3 Sunday, 4 Thursday, 5 Monday; 6 varies.
ON_WEDNESDAY = {1, 2} | ({6} if RECENT.isoweekday() == 3 else set())
ON_MONDAY_OR_SUNDAY = {3, 5} | ({6} if RECENT.isoweekday() in (1, 7) else set())


def ids(con, bfilter, user=SYSTEM):
    where, params = listing.scoped_where(user, bfilter, TODAY)
    rows = con.execute(f"SELECT id FROM bookings b WHERE {where}", params).fetchall()
    return {i for (i,) in rows}


# (filter fields, CLI flags, the bookings it must find)
CASES = [
    ({}, [], ALL),
    ({"created_from": date(2024, 5, 1)}, ["--created-from", "2024-05-01"], {2, 3, 4, 5, 6}),
    ({"created_to": date(2024, 5, 30)}, ["--created-to", "2024-05-30"], {1, 2, 3}),
    ({"created_from": date(2024, 5, 10), "created_to": date(2024, 6, 1)},
     ["--created-from", "2024-05-10", "--created-to", "2024-06-01"], {2, 3, 4}),
    ({"visit_from": date(2024, 5, 1), "visit_to": date(2024, 5, 31)},
     ["--visit-from", "2024-05-01", "--visit-to", "2024-05-31"], {1, 2}),
    ({"visit_to": date(2024, 6, 2)}, ["--visit-to", "2024-06-02"], {1, 2, 3}),
    ({"visit_from": date(2024, 6, 2), "visit_to": date(2024, 6, 2)},
     ["--visit-from", "2024-06-02", "--visit-to", "2024-06-02"], {3}),
    ({"staff": (1,)}, ["--staff", "1"], {1, 3, 5}),
    ({"staff": (1, 2)}, ["--staff", "1", "--staff", "2"], ALL),
    ({"created_by": ("admin",)}, ["--created-by", "admin"], {1, 6}),
    ({"created_by": ("client",)}, ["--created-by", "client"], {2, 3, 5}),
    ({"created_by": ("owner", "client")}, ["--created-by", "owner", "--created-by", "client"],
     {2, 3, 4, 5}),
    ({"cancelled": "yes"}, ["--cancelled", "yes"], {3, 5}),
    ({"cancelled": "no"}, ["--cancelled", "no"], {1, 2, 4, 6}),
    ({"status": (Attendance.ARRIVED,)}, ["--status", "arrived"], {1, 5, 6}),
    ({"status": (Attendance.NO_SHOW, Attendance.PENDING)},
     ["--status", "no-show", "--status", "pending"], {2, 3}),
    ({"client": "smith"}, ["--client", "smith"], {1, 4}),
    ({"client": "ANNA"}, ["--client", "ANNA"], {3, 6}),
    ({"client": "+1 (212) 344-5678"}, ["--client", "+1 (212) 344-5678"], {1, 4}),
    ({"client": "0900"}, ["--client", "0900"], {2, 5}),
    ({"client": "o'brien %_"}, ["--client", "o'brien %_"], {2, 5}),
    ({"client": "%"}, ["--client", "%"], {2, 5}),
    ({"client": "_"}, ["--client", "_"], {2, 5}),
    ({"client": "'; drop table bookings; --"}, ["--client", "'; drop table bookings; --"], set()),
    ({"service_category": (1,)}, ["--service-category", "1"], {1, 3, 6}),
    ({"service_category": (2,)}, ["--service-category", "2"], {2, 3, 5}),
    ({"booking_category": (1,)}, ["--booking-category", "1"], {2, 5}),
    ({"booking_category": (3, 4)}, ["--booking-category", "3", "--booking-category", "4"],
     {3, 5}),
    ({"source": "online"}, ["--source", "online"], {2, 3, 5}),
    ({"source": "offline"}, ["--source", "offline"], {1, 4, 6}),
    ({"source_detail": (Source.API, Source.SOCIAL)},
     ["--source-detail", "api", "--source-detail", "social link"], {4, 5}),
    ({"payment": "paid"}, ["--payment", "paid"], {1, 5}),
    ({"payment": "unpaid"}, ["--payment", "unpaid"], {2, 3, 6}),
    ({"services": "with"}, ["--services", "with"], {1, 2, 3, 5, 6}),
    ({"services": "without"}, ["--services", "without"], {4}),
    # The new list filters (shared/CLI.md, "New list filters").
    ({"weekday": (3,)}, ["--weekday", "3"], ON_WEDNESDAY),
    ({"weekday": (1, 7)}, ["--weekday", "1", "--weekday", "7"], ON_MONDAY_OR_SUNDAY),
    ({"weekday": (RECENT.isoweekday(),)}, ["--weekday", str(RECENT.isoweekday())],
     {6} | {b for b, day in ((1, 3), (2, 3), (3, 7), (4, 4), (5, 1))
            if day == RECENT.isoweekday()}),
    ({"hour": (10,)}, ["--hour", "10"], {1}),
    ({"hour": (9, 15)}, ["--hour", "9", "--hour", "15"], {3, 4}),
    ({"hour": (0,)}, ["--hour", "0"], set()),
    ({"payment": "nothing"}, ["--payment", "nothing"], {4}),
    ({"service_category": (None,)}, ["--service-category", "none"], {4}),
    ({"service_category": (None, 2)}, ["--service-category", "none", "--service-category", "2"],
     {2, 3, 4, 5}),
    ({"booking_category": (None,)}, ["--booking-category", "none"], {1, 4, 6}),
    ({"booking_category": (None, 4)}, ["--booking-category", "NONE", "--booking-category", "4"],
     {1, 4, 5, 6}),
    ({"weekday": (3,), "hour": (12,), "payment": "unpaid"},
     ["--weekday", "3", "--hour", "12", "--payment", "unpaid"], {2}),
    # Together.
    ({"staff": (1,), "cancelled": "no"}, ["--staff", "1", "--cancelled", "no"], {1}),
    ({"source": "online", "payment": "unpaid"}, ["--source", "online", "--payment", "unpaid"],
     {2, 3}),
    ({"client": "anna", "status": (Attendance.ARRIVED,), "service_category": (1,)},
     ["--client", "anna", "--status", "arrived", "--service-category", "1"], {6}),
    ({"visit_from": date(2024, 5, 1), "visit_to": date(2024, 7, 31), "payment": "paid",
      "booking_category": (1,)},
     ["--visit-from", "2024-05-01", "--visit-to", "2024-07-31", "--payment", "paid",
      "--booking-category", "1"], {5}),
    ({"created_by": ("client",), "services": "with", "cancelled": "yes", "source": "online"},
     ["--created-by", "client", "--services", "with", "--cancelled", "yes", "--source",
      "online"], {3, 5}),
]


@pytest.mark.parametrize("fields, flags, expected", CASES)
def test_filter_object(known, fields, flags, expected):
    assert ids(known, BookingFilter(**fields)) == expected


@pytest.mark.parametrize("fields, flags, expected", CASES)
def test_cli_list_gives_the_same_answer(known_path, known, capsys, fields, flags, expected):
    assert main(["--db", str(known_path), "list", *flags, "--limit", "500", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in document["rows"]} == expected
    assert document["total"] == len(expected)


@pytest.mark.parametrize("fields, flags, expected", CASES)
def test_the_url_round_trip_keeps_the_filter(fields, flags, expected):
    bfilter = BookingFilter(**fields)
    assert BookingFilter.from_params(bfilter.to_params()) == (bfilter, [])


def test_hostile_search_harms_nothing(known):
    ids(known, BookingFilter(client="'; drop table bookings; --"))
    ids(known, BookingFilter(client='"); DELETE FROM bookings; --'))
    assert known.execute("SELECT count(*) FROM bookings").fetchone()[0] == 6


@pytest.mark.parametrize("fields, words", [
    ({}, "all bookings"),
    ({"visit_from": date(2024, 5, 1), "visit_to": date(2024, 5, 31), "staff": (1,),
      "payment": "paid"}, "visits 1-31 May 2024, employee Anna Smith, paid in full"),
    ({"created_from": date(2024, 5, 1)}, "created from 1 May 2024 on"),
    ({"visit_from": date(2024, 5, 30), "visit_to": date(2024, 6, 2)},
     "visits 30 May - 2 June 2024"),
    ({"staff": (1, 2, 9)}, "employees Anna Smith, Ben Brown, #9"),
    ({"created_by": ("admin", "client")}, "created by admin, the client online"),
    ({"cancelled": "no", "status": (Attendance.ARRIVED, Attendance.NO_SHOW)},
     "not cancelled, status No-Show or Arrived"),
    ({"client": "Kate"}, 'client "Kate"'),
    ({"client": "+1 212"}, "client phone containing 1212"),
    ({"service_category": (2,), "booking_category": (1,), "source": "online",
      "services": "with"},
     "service category Nails, booking category Full online payment, online, with services"),
    ({"weekday": (1, 7), "hour": (9,), "payment": "nothing"},
     "visits on Mondays or Sundays, visits at 09:00-09:59, nothing to pay"),
    ({"service_category": (None, 1), "booking_category": (None,)},
     "no service category or service category Hair, no booking category"),
])
def test_the_filter_in_words(known, fields, words):
    assert BookingFilter(**fields).words(listing.names(known)) == words


@pytest.mark.parametrize("fields, message", [
    ({"cancelled": "maybe"}, "cancelled must be one of"),
    ({"payment": "free"}, "payment must be one of"),
    ({"visit_from": date(2024, 6, 1), "visit_to": date(2024, 5, 1)}, "run backwards"),
    ({"weekday": (0,)}, "weekday must be from 1 to 7"),
    ({"hour": (24,)}, "hour must be from 0 to 23"),
])
def test_nonsense_is_refused_with_the_reason(fields, message):
    with pytest.raises(FilterError, match=message):
        BookingFilter(**fields)


def test_a_stale_url_is_read_as_far_as_it_makes_sense():
    bfilter, notices = BookingFilter.from_params(
        {"staff": ["1", "x"], "payment": "bogus", "source": "online", "status": ["arrived"]})
    assert bfilter == BookingFilter(source="online", status=(Attendance.ARRIVED,))
    assert notices == ["ignored staff=1, x", "ignored payment=bogus"]


def test_the_viewing_period_hides_older_bookings_whatever_the_filter(known):
    employee = get_user(known, "employee")
    assert ids(known, BookingFilter(), employee) == {6}
    assert ids(known, BookingFilter(visit_from=date(2024, 1, 1)), employee) == {6}
    assert listing.count(known, employee, BookingFilter(), today=TODAY) == 1


def test_masked_phones_and_no_phone_search_without_the_right(known):
    employee = get_user(known, "employee")
    (row,) = listing.page(known, employee, BookingFilter(), today=TODAY)
    assert row["client_phone"] == "38********33"
    with pytest.raises(Forbidden, match="phone"):
        listing.count(known, employee, BookingFilter(client="3805"), today=TODAY)
    assert listing.count(known, employee, BookingFilter(client="anna"), today=TODAY) == 1


def test_no_list_right_no_list(known):
    admin = get_user(known, "admin")
    without = replace(admin, rights=admin.rights - {Right.VIEW_BOOKINGS})
    with pytest.raises(Forbidden, match="may not open the Overview > Bookings list") as refused:
        listing.count(known, without, BookingFilter())
    assert refused.value.right == Right.VIEW_BOOKINGS


def test_the_cli_refuses_phone_search_for_a_user_without_the_right(known_path, known, capsys):
    code = main(["--db", str(known_path), "list", "--client", "380", "--user", "employee",
                 "--json"])
    assert code == 1
    assert "phone" in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.parametrize("flags, words", [
    (["--weekday", "8"], "not a weekday"),
    (["--hour", "24"], "not an hour"),
    (["--service-category", "nothing"], "not a category ID or 'none'"),
    (["--payment", "free"], "invalid choice"),
])
def test_the_cli_says_what_a_new_filter_takes(known_path, capsys, flags, words):
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(known_path), "list", *flags])
    assert exit_.value.code == 2
    assert words in capsys.readouterr().err


def test_a_stale_url_with_a_bad_weekday_or_hour_leaves_it_out():
    assert BookingFilter.from_params({"weekday": ["9"], "hour": ["x"], "payment": "nothing"}) == (
        BookingFilter(payment="nothing"), ["ignored weekday=9", "ignored hour=x"])


def test_names_default_to_ids():
    assert BookingFilter(staff=(4,)).words(Names()) == "employee #4"


def test_the_known_store_has_a_user_of_each_role(known):
    assert {u.role for u in list_users(known)} == set(Role)
