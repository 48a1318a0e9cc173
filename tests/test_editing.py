"""Changing and creating bookings: rules, rights, the version check, history."""

import json
from datetime import datetime

import pytest

from bookings import editing, history
from bookings.auth import get_user
from bookings.cli import main
from bookings.errors import Forbidden
from tests import known_store


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


def edit(con, login, booking_id, **changes):
    draft, version = editing.current(con, booking_id)
    return editing.save(con, get_user(con, login), booking_id,
                        editing.with_changes(draft, **changes), started_from=draft,
                        version=version)


def test_a_change_is_saved_versioned_and_in_the_history(store):
    saved = edit(store, "admin", 2, attendance=2, comment="called back")
    assert (saved.booking["status"], saved.booking["comment"]) == ("Confirmed", "called back")
    assert saved.booking["version"] == 2
    (entry,) = history.booking_info(store, 2)["history"]
    assert (entry["actor"], entry["action"]) == ("admin", "edited")
    assert entry["changes"] == {"attendance": [-1, 2], "comment": ["", "called back"]}
    assert entry["snapshot"]["attendance"] == -1  # the booking as it was: No-Show


def test_services_and_money_follow_the_lines(store):
    saved = edit(store, "owner", 4, services=((10, 500.0, 50.0), (20, 300.0, 0.0)), paid=750.0)
    row = saved.booking
    assert (row["total_to_pay"], row["paid"], row["paid_full"]) == (750, 750, True)
    assert [s["title"] for s in row["services"]] == ["Haircut", "Manicure"]


def test_someone_elses_change_is_never_overwritten(store):
    draft, version = editing.current(store, 2)
    edit(store, "owner", 2, attendance=1)  # someone else saves first
    with pytest.raises(editing.EditConflict, match="changed by owner while you edited") as conflict:
        editing.save(store, get_user(store, "admin"), 2,
                     editing.with_changes(draft, comment="mine"), started_from=draft,
                     version=version)
    assert conflict.value.changed == {"attendance": [-1, 1]}
    assert store.execute("SELECT comment FROM bookings WHERE id = 2").fetchone() == ("",)


def test_a_deleted_booking_cannot_be_edited(store):
    with pytest.raises(editing.EditRefused, match="deleted"):
        edit(store, "owner", 3, comment="bring it back")


@pytest.mark.parametrize("login, booking_id, allowed", [
    ("owner", 1, True), ("owner", 6, True),
    ("admin", 1, False),  # Arrived and paid in full
    ("admin", 6, False),  # Arrived
    ("admin", 2, True), ("admin", 4, True),
    ("employee", 6, False),  # no edit right at all
])
def test_rights(store, login, booking_id, allowed):
    if allowed:
        assert edit(store, login, booking_id, comment="ok").booking["comment"] == "ok"
    else:
        with pytest.raises(Forbidden):
            edit(store, login, booking_id, comment="no")


@pytest.mark.parametrize("changes, message", [
    ({"client_phone": "12"}, "Customer phone number: 12 has 2 digits"),
    ({"client_name": ""}, "Client name: is mandatory"),
    ({"staff_id": 99}, "Employee ID: employee 99 does not exist"),
    ({"services": ((99, 1.0, 0.0),)}, "Service ID: service 99 does not exist"),
    ({"services": ((10, 100.0, 200.0),)}, "above the price"),
    ({"paid": -1.0}, "Paid: -1 is not an amount from 0"),
])
def test_the_upload_rules_and_messages_apply(store, changes, message):
    with pytest.raises(editing.EditRefused, match=message):
        edit(store, "owner", 2, **changes)


def test_an_overlap_is_a_warning_not_a_block(store):
    other = store.execute("SELECT visit_at FROM bookings WHERE id = 4").fetchone()[0]
    saved = edit(store, "owner", 2, visit_at=other)  # Ben Brown's booking 4, same time
    assert any("overlaps booking 4" in w.message for w in saved.warnings)


def overlapping(con, staff_id, at, count, length_s=3600):
    """COUNT more bookings of STAFF_ID at AT (as an overbooked salon has them)."""
    first = con.execute("SELECT max(id) + 1 FROM bookings").fetchone()[0]
    con.executemany(
        "INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance, online, "
        "source, created_at, last_change_at) VALUES (?, ?, ?, ?, 1, 0, FALSE, 'admin', ?, ?)",
        [[first + i, at, length_s, staff_id, at, at] for i in range(count)])
    return list(range(first, first + count))


def test_one_warning_and_only_about_the_booking_saved(store):
    """Moving booking 2 onto an overbooked hour: one warning, naming booking 2 and what
    it now overlaps (the others' overlaps among themselves are not its business)."""
    at = datetime(2024, 6, 20, 15)  # booking 4's hour, Ben Brown
    others = overlapping(store, 2, at, 5)
    saved = edit(store, "owner", 2, visit_at=at)
    (warning,) = saved.warnings
    assert warning.level == "warning"
    assert warning.message == (
        f"Booking 2 (20.06.2024 15:00–16:00) overlaps bookings 4 (15:00–16:00), {others[0]} "
        "(15:00–16:00), "
        f"{others[1]} (15:00–16:00) and 3 more of the same employee")


def test_overlaps_the_booking_had_before_the_save_are_not_warned_about(store):
    """An overbooked booking saved with a new status: the save changed no overlap."""
    overlapping(store, 2, datetime(2024, 6, 20, 15, 30), 5)
    assert edit(store, "owner", 4, attendance=0).warnings == []
    # moved within the same crowd: still nothing new; moved onto booking 2: that one only
    assert edit(store, "owner", 4, visit_at=datetime(2024, 6, 20, 15, 15)).warnings == []
    (warning,) = edit(store, "owner", 4, visit_at=datetime(2024, 5, 15, 12, 30)).warnings
    assert warning.message == ("Booking 4 (15.05.2024 12:30–13:30) overlaps booking 2 "
                               "(12:00–13:00) of the same employee")


def test_a_new_booking_is_warned_about_as_the_new_one(store):
    draft = editing.Draft(visit_at=datetime(2024, 6, 20, 15, 30), staff_id=2, length_s=900,
                          client_name="Walk In", client_phone="447700900999")
    (warning,) = editing.create(store, get_user(store, "admin"), draft).warnings
    assert warning.message == ("The new booking (20.06.2024 15:30–15:45) overlaps booking 4 "
                               "(15:00–16:00) of the same employee")


def test_create_a_booking_from_the_calendar(store):
    draft = editing.Draft(visit_at=datetime(2026, 12, 1, 10, 0), staff_id=1, length_s=3600,
                          client_name="Walk In", client_phone="447700900999",
                          services=((10, 500.0, 0.0),))
    saved = editing.create(store, get_user(store, "admin"), draft)
    row = saved.booking
    assert (row["source"], row["online"], row["created_by"], row["total_to_pay"]) == (
        "admin", False, "admin", 500)
    assert history.booking_info(store, row["id"])["history"][0]["action"] == "created"


def test_cli_edit(store, store_path, capsys):
    code = main(["--db", str(store_path), "edit", "2", "--user", "admin", "--set",
                 "attendance=confirmed", "--set", "comment=phoned", "--set",
                 "services=10:500:50,20", "--json"])
    assert code == 0, capsys.readouterr()
    row = json.loads(capsys.readouterr().out)
    assert (row["status"], row["comment"], row["total_to_pay"]) == ("Confirmed", "phoned", 750)
    code = main(["--db", str(store_path), "edit", "3", "--user", "owner", "--set",
                 "comment=x", "--json"])
    assert code == 1 and "deleted" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(SystemExit):
        main(["--db", str(store_path), "edit", "2", "--user", "owner", "--set", "colour=red"])


@pytest.mark.parametrize("cost, discount, paid", [(12345.67, 0.01, 12345.66),
                                                  (9999999.99, 0.0, 0.1)])
def test_amounts_are_saved_exactly_as_typed(store, cost, discount, paid):
    """The form's typed values go to the rules as numbers, never through text."""
    edit(store, "owner", 4, services=((10, cost, discount),), paid=paid)
    line = store.execute("SELECT cost, discount, to_pay FROM booking_services "
                         "WHERE booking_id = 4").fetchone()
    assert [str(v) for v in line] == [f"{cost:.2f}", f"{discount:.2f}",
                                      f"{cost - discount:.2f}"]
    assert str(store.execute("SELECT paid FROM bookings WHERE id = 4").fetchone()[0]) == \
        f"{paid:.2f}"


@pytest.mark.parametrize("changes, message", [
    ({"services": ((10, float("nan"), 0.0),)}, "nan is not a price"),
    ({"services": ((10, 500.0, float("inf")),)}, "inf is not a discount"),
    ({"services": ((10, 1e30, 0.0),)}, "is not a price"),
    ({"paid": float("nan")}, "Paid: nan is not an amount"),
    ({"length_s": 99999999999}, "longer than a day"),
    ({"visit_at": datetime(9999, 12, 31, 23, 59)}, "not a possible visit date"),
])
def test_impossible_values_are_refused_in_words(store, changes, message):
    with pytest.raises(editing.EditRefused, match=message):
        edit(store, "owner", 4, **changes)
