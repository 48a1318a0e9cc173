"""Info's history shows phones as the list does: masked for whom phones are hidden.

A phone change is recorded in full (the history is the store's record); Info,
on the page and through `bookings info --user`, masks it for a user without
the phone right: in the booking, in each change, in each snapshot, in the
deletion's "as it was".
"""

import json

import pytest

from bookings import deletion, editing, history, listing
from bookings.auth import get_user
from bookings.cli import main
from bookings.model import SYSTEM
from tests import known_store

OLD = known_store.CLIENTS[2][2]  # booking 6's client, Anna-Maria
NEW = "447700900987"


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


def change_phone(con, booking_id):
    draft, version = editing.current(con, booking_id)
    editing.save(con, get_user(con, "owner"), booking_id,
                 editing.with_changes(draft, client_phone=NEW), started_from=draft,
                 version=version)


def test_a_phone_change_is_masked_for_an_employee(store):
    change_phone(store, 6)  # recent: within the employee's viewing period
    employee = get_user(store, "employee")
    assert not listing.can_see_phones(employee)
    seen = json.dumps(history.booking_info(store, 6, employee), default=str)
    for phone in (OLD, NEW):
        assert phone not in seen
        assert listing.mask_phone(phone) in seen
    info = history.booking_info(store, 6, employee)
    (edit,) = [h for h in info["history"] if h["action"] == "edited"]
    assert edit["changes"]["client_phone"] == [listing.mask_phone(OLD), listing.mask_phone(NEW)]
    assert edit["snapshot"]["client_phone"] == listing.mask_phone(OLD)


def test_the_owner_and_the_cli_without_a_user_see_them_in_full(store):
    change_phone(store, 6)
    for user in (get_user(store, "owner"), SYSTEM):
        seen = json.dumps(history.booking_info(store, 6, user), default=str)
        assert OLD in seen and NEW in seen


def test_a_deleted_bookings_as_it_was_is_masked_too(store):
    change_phone(store, 6)
    assert deletion.delete_bookings(store, get_user(store, "owner"), [6]).deleted == [6]
    info = history.booking_info(store, 6, get_user(store, "employee"))
    assert info["booking"]["deleted"]
    seen = json.dumps(info, default=str)
    assert NEW not in seen and OLD not in seen
    assert info["deletion"]["as_it_was"]["client_phone"] == listing.mask_phone(NEW)
    assert NEW in json.dumps(history.booking_info(store, 6, get_user(store, "owner")),
                             default=str)


def test_bookings_info_as_an_employee(store, store_path, capsys):
    change_phone(store, 6)
    store.close()
    assert main(["--db", str(store_path), "info", "6", "--user", "employee", "--json"]) == 0
    out = capsys.readouterr().out
    assert NEW not in out and OLD not in out
    assert listing.mask_phone(NEW) in out
    assert main(["--db", str(store_path), "info", "6", "--user", "owner", "--json"]) == 0
    assert NEW in capsys.readouterr().out
