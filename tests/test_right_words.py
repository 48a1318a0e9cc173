"""A refusal names a right by its description, in words ('delete or change bookings
marked Arrived'), never by its internal value (`delete_arrived_bookings`). The command
adds the internal name after the words, in parentheses and as "right" in --json, for
whoever grants it with `bookings users grant`."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bookings import editing
from bookings.auth import get_user
from bookings.errors import MissingRight
from bookings.model import Right


@pytest.mark.parametrize("right", list(Right), ids=lambda r: r.value)
def test_require_says_the_right_in_words(store, right):
    nobody = replace(get_user(store, "employee"), rights=frozenset())
    with pytest.raises(MissingRight) as refused:
        nobody.require(right)
    assert str(refused.value) == (f"employee may not {right.description}: their account does "
                                  "not have that right.")
    assert right.value not in str(refused.value)
    assert refused.value.right is right


@pytest.mark.parametrize("booking_id, right, why", [
    (6, Right.DELETE_ARRIVED, "This booking is Arrived"),
    (1, Right.DELETE_ARRIVED, "This booking is Arrived"),  # Arrived first, paid in full too
])
def test_changing_an_arrived_booking_is_refused_in_words(store, booking_id, right, why):
    draft, version = editing.current(store, booking_id)
    with pytest.raises(MissingRight) as refused:
        editing.save(store, get_user(store, "admin"), booking_id,
                     editing.with_changes(draft, comment="no"), started_from=draft,
                     version=version)
    assert str(refused.value) == (f"{why}: changing it needs the right to delete or change "
                                  "bookings marked Arrived, which your account does not have.")
    assert refused.value.right is right


def test_changing_a_paid_booking_is_refused_in_words(store):
    store.execute("UPDATE bookings SET attendance = 2 WHERE id = 1")  # paid, not Arrived
    draft, version = editing.current(store, 1)
    with pytest.raises(MissingRight, match="^This booking is paid in full: changing it needs "
                                           "the right to delete or change bookings paid in full,"):
        editing.save(store, get_user(store, "admin"), 1,
                     editing.with_changes(draft, comment="no"), started_from=draft,
                     version=version)


def test_the_command_says_the_words_first_and_the_name_after(cli):
    code, out, err = cli("edit", "6", "--user", "admin", "--set", "comment=no")
    assert code == 1
    assert err.strip() == ("bookings: This booking is Arrived: changing it needs the right to "
                           "delete or change bookings marked Arrived, which your account does "
                           "not have. (right: delete_arrived_bookings)")
    code, out, _ = cli("delete", "6", "--user", "employee", "--json")
    assert code == 1
    assert json.loads(out) == {
        "error": "employee may not delete bookings: their account does not have that right. "
                 "(right: delete_bookings)", "right": "delete_bookings"}


def test_the_descriptions_say_what_the_delete_rights_also_guard():
    assert Right.DELETE_ARRIVED.description == "delete or change bookings marked Arrived"
    assert Right.DELETE_PAID.description == "delete or change bookings paid in full"
