"""Deleting bookings: rights booking by booking, history, the Data log, and
safety under concurrency and crashes. On a fresh copy of the known store."""

import json
import threading
from dataclasses import replace

import pytest

from bookings import deletion, history
from bookings.auth import get_user
from bookings.errors import Forbidden, Refused
from bookings.filters import BookingFilter
from bookings.model import Right
from tests import known_store

PAID = "paid in full: you may not delete paid bookings"
ARRIVED = "status Arrived: you may not delete Arrived bookings"
ALREADY = "already deleted by admin"


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


def as_user(con, login, *, plus=(), minus=()):
    user = get_user(con, login)
    return replace(user, rights=(user.rights | set(plus)) - set(minus))


# Known store: 1 Arrived + paid in full, 2 No-Show unpaid, 3 deleted, 4 Confirmed
# nothing to pay, 5 deleted (Arrived, paid), 6 Arrived partly paid.
MATRIX = [
    # (login, extra rights, booking, expected: None = deleted, else the reason's start)
    ("owner", (), 1, None), ("owner", (), 2, None), ("owner", (), 3, ALREADY),
    ("owner", (), 4, None), ("owner", (), 5, ALREADY), ("owner", (), 6, None),
    ("admin", (), 1, PAID), ("admin", (), 2, None), ("admin", (), 3, ALREADY),
    ("admin", (), 4, None), ("admin", (), 5, ALREADY), ("admin", (), 6, ARRIVED),
    ("admin", (Right.DELETE_PAID,), 1, ARRIVED),
    ("admin", (Right.DELETE_ARRIVED,), 1, PAID),
    ("admin", (Right.DELETE_ARRIVED,), 6, None),
    ("admin", (Right.DELETE_PAID, Right.DELETE_ARRIVED), 1, None),
    ("admin", (), 99, "no such booking"),
    ("employee", (Right.DELETE_BOOKINGS, Right.DELETE_PAID, Right.DELETE_ARRIVED), 1,
     "no such booking"),  # outside the 30-day viewing period
    ("employee", (Right.DELETE_BOOKINGS, Right.DELETE_ARRIVED), 6, None),
]


@pytest.mark.parametrize("login, extra, booking, expected", MATRIX)
def test_rights_are_checked_booking_by_booking(store, login, extra, booking, expected):
    result = deletion.delete_bookings(store, as_user(store, login, plus=extra), [booking])
    if expected is None:
        assert result.deleted == [booking] and result.skipped == []
    else:
        assert result.deleted == []
        (skipped,) = result.skipped
        assert skipped["id"] == booking and skipped["reason"].startswith(expected)


def test_without_the_delete_right_nothing_is_deleted(store):
    with pytest.raises(Forbidden, match="^employee may not delete bookings: ") as refused:
        deletion.delete_bookings(store, get_user(store, "employee"), [6])
    assert refused.value.right == Right.DELETE_BOOKINGS  # the name, for the CLI to add


def test_a_bulk_deletion_deletes_what_it_may_and_explains_the_rest(store):
    admin = get_user(store, "admin")
    result = deletion.delete_bookings(store, admin, [1, 2, 3, 4, 5, 6])
    assert result.deleted == [2, 4]
    assert [s["id"] for s in result.skipped] == [1, 3, 5, 6]
    assert result.summary() == "2 bookings deleted; 4 left as they were."
    deleted = store.execute("SELECT id, deleted_by, delete_operation FROM bookings "
                            "WHERE id IN (2, 4) ORDER BY id").fetchall()
    assert deleted == [(2, admin.id, result.operation_id), (4, admin.id, result.operation_id)]


def test_deletion_keeps_the_booking_writes_history_and_one_log_entry(store):
    owner = get_user(store, "owner")
    result = deletion.delete_bookings(store, owner, [1, 2])
    assert store.execute("SELECT count(*) FROM bookings").fetchone()[0] == 6
    rows = store.execute("SELECT booking_id, actor_login, action, operation_id, snapshot "
                         "FROM booking_history ORDER BY booking_id").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, "owner", "deleted", result.operation_id), (2, "owner", "deleted", result.operation_id)]
    snapshot = json.loads(rows[0][4])
    assert (snapshot["staff_name"], snapshot["client_name"], snapshot["deleted"]) == (
        "Anna Smith", "Kate Smith", False)
    (log,) = store.execute("SELECT kind, user_login, what, rows, rows_left_out, state, "
                           "operation_id FROM data_log").fetchall()
    assert log == ("delete", "owner", "bookings 1, 2", 2, 0, "done", result.operation_id)


def test_info_shows_who_deleted_when_and_the_booking_as_it_was(store):
    owner = get_user(store, "owner")
    result = deletion.delete_bookings(store, owner, [1, 2])
    store.execute("UPDATE staff SET name = 'Anna Renamed' WHERE id = 1")
    info = history.booking_info(store, 1)
    assert info["booking"]["deleted_by"] == "owner"
    assert info["booking"]["staff_name"] == "Anna Renamed"
    deletion_info = info["deletion"]
    assert (deletion_info["by"], deletion_info["operation"],
            deletion_info["bookings_in_operation"]) == ("owner", result.operation_id, 2)
    assert deletion_info["as_it_was"]["staff_name"] == "Anna Smith"  # names as they were


def test_info_masks_the_phone_for_a_user_without_the_phone_right(store):
    deletion.delete_bookings(store, get_user(store, "owner"), [6])
    info = history.booking_info(store, 6, get_user(store, "employee"))
    assert info["booking"]["client_phone"] == "38********33"
    assert info["deletion"]["as_it_was"]["client_phone"] == "38********33"


def test_nothing_restores_a_deleted_booking(store):
    owner = get_user(store, "owner")
    deletion.delete_bookings(store, owner, [2])
    again = deletion.delete_bookings(store, owner, [2])
    assert again.deleted == [] and again.skipped[0]["reason"].startswith("already deleted by")
    assert not [name for name in dir(deletion) if "restore" in name or "undelete" in name]


def test_delete_everything_matching_a_filter(store):
    owner = get_user(store, "owner")
    result = deletion.delete_matching(store, owner, BookingFilter(staff=(2,)))
    assert result.deleted == [2, 4, 6]
    (what,) = store.execute("SELECT what FROM data_log").fetchone()
    assert what == "employee Ben Brown"


def test_delete_matching_respects_the_viewing_period(store):
    employee = as_user(store, "employee", plus={Right.DELETE_BOOKINGS, Right.DELETE_ARRIVED})
    result = deletion.delete_matching(store, employee, BookingFilter())
    assert result.deleted == [6]


def test_an_empty_selection_is_refused(store):
    with pytest.raises(Refused, match="No bookings selected"):
        deletion.delete_bookings(store, get_user(store, "owner"), [])


def test_a_crash_halfway_leaves_nothing_half_deleted(store, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(deletion, "_log", crash)  # after the update, before the commit
    with pytest.raises(RuntimeError, match="power cut"):
        deletion.delete_bookings(store, get_user(store, "owner"), [1, 2, 4])
    assert store.execute("SELECT count(*) FROM bookings WHERE deleted").fetchone()[0] == 2
    assert store.execute("SELECT count(*) FROM booking_history").fetchone()[0] == 0
    assert store.execute("SELECT count(*) FROM data_log").fetchone()[0] == 0


@pytest.mark.parametrize("attempt", range(5))
def test_two_users_deleting_overlapping_sets_delete_each_booking_once(con, attempt):
    from bookings.demo import fill_demo

    fill_demo(con, 3000, seed=attempt)
    ids = [i for (i,) in con.execute(
        "SELECT id FROM bookings WHERE NOT deleted ORDER BY id LIMIT 400").fetchall()]
    owner, admin = get_user(con, "owner"), replace(get_user(con, "admin"),
                                                   rights=frozenset(Right))
    results, errors = {}, []

    def run(user, selection):
        try:
            results[user.login] = deletion.delete_bookings(con.cursor(), user, selection)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(owner, ids[:300])),
               threading.Thread(target=run, args=(admin, ids[100:]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    deleted = results["owner"].deleted + results["admin"].deleted
    assert sorted(deleted) == ids  # each exactly once
    for result in results.values():
        for skipped in result.skipped:
            assert skipped["reason"].startswith("already deleted by")
    history_rows = con.execute(
        "SELECT booking_id, count(*) FROM booking_history WHERE booking_id IN "
        "(SELECT unnest(?::BIGINT[])) AND action = 'deleted' GROUP BY ALL HAVING count(*) > 1",
        [ids]).fetchall()
    assert history_rows == []


def test_cli_delete_and_info(store, store_path, capsys):
    from bookings.cli import main

    args = ["--db", str(store_path)]
    assert main([*args, "delete", "1", "2", "3", "--user", "admin", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["deleted"] == [2]
    assert [s["id"] for s in document["skipped"]] == [1, 3]
    assert document["skipped"][0]["reason"] == PAID
    assert main([*args, "info", "2", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["booking"]["deleted_by"] == "admin"
    assert info["history"][0]["actor"] == "admin" and info["history"][0]["action"] == "deleted"
    assert info["deletion"]["bookings_in_operation"] == 1


def test_cli_delete_needs_a_user_with_the_right(store, store_path, capsys):
    from bookings.cli import main

    assert main(["--db", str(store_path), "delete", "6", "--user", "employee", "--json"]) == 1
    assert "delete_bookings" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(SystemExit) as usage:
        main(["--db", str(store_path), "delete", "6"])
    assert usage.value.code == 2
