"""Info in people's words: each recorded change as "Visit status: Confirmed → Arrived",
names instead of ids, dates as the list shows them, the deleted booking as labelled
fields; the same words in the Info dialog and in `bookings info`; `--json` unchanged."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from bookings import deletion, editing, history, history_words, listing
from bookings.auth import get_user
from bookings.cli import main
from bookings.history_words import Names
from bookings.model import SYSTEM
from tests import known_store

NAMES = Names(staff={1: "Anna Smith", 2: "Ben Brown"}, services={10: "Haircut", 30: "Colour"},
              categories={1: "Full online payment", 3: "This specialist only"})
NEW_PHONE = "447700900987"


@pytest.mark.parametrize("key, value, words", [
    ("attendance", [2, 1], "Visit status: Confirmed → Arrived"),
    ("attendance", [0, -1], "Visit status: Pending → No-Show"),
    ("staff_id", [1, 2], "Employee: Anna Smith → Ben Brown"),
    ("staff_id", [1, 9], "Employee: Anna Smith → employee #9"),
    ("paid", [0.0, 450.0], "Paid: 0.00 → 450.00"),
    ("paid", [1000, 1234.5], "Paid: 1,000.00 → 1,234.50"),
    ("services", [[[10, 500.0, 0.0]], [[10, 500.0, 0.0], [30, 900.0, 0.0]]],
     "Services: Haircut (500) → Haircut (500), Colour (900)"),
    ("services", [[], [[10, 500.0, 50.0]]], "Services: (none) → Haircut (500, discount 50)"),
    ("services", [[[10, 499.5, 0.0]], []], "Services: Haircut (499.50) → (none)"),
    ("comment", ["", "late"], "Comment: (empty) → 'late'"),
    ("comment", ["late", ""], "Comment: 'late' → (empty)"),
    ("visit_at", ["2024-06-20T15:00", "2024-06-21T09:30"],
     "Visit: 20.06.2024 15:00 → 21.06.2024 09:30"),
    ("length_s", [3600, 5400], "Length: 60 min → 90 min"),
    ("client_name", ["Kate", "Kate Smith"], "Client: Kate → Kate Smith"),
    ("client_phone", ["12*******78", "44********87"], "Phone: 12*******78 → 44********87"),
    ("categories", [[], [1, 3]], "Categories: (none) → Full online payment, This specialist only"),
    ("a_new_field", [None, True], "A new field: (none) → yes"),
], ids=lambda v: v if isinstance(v, str) and " " not in v else None)
def test_each_kind_of_change_in_words(key, value, words):
    assert history_words.change_line(key, value, NAMES, NAMES) == words


def test_an_employee_is_named_as_they_were_before_and_are_after():
    row = {"at": "2024-06-01 09:00:00", "actor": "owner", "action": "edited",
           "changes": {"staff_id": [1, 2]},
           "snapshot": {"staff_id": 1, "staff_name": "Anna Jones", "services": []}}
    now = {"staff_id": 2, "staff_name": "Ben Brown-Smith", "services": []}
    (entry,) = history_words.entries([row], now, NAMES)
    assert entry == history_words.Entry("01.06.2024 09:00", "owner", "Changed",
                                        ("Employee: Anna Jones → Ben Brown-Smith",))


def test_an_upload_and_a_deletion_say_what_they_did():
    upload = {"action": "imported", "changes": {"batch": 3, "file": "may.xlsx"}}
    deleted = {"action": "deleted", "changes": {"deleted": [False, True]}}
    assert history_words.change_lines(upload, NAMES, NAMES) == (
        "From the file may.xlsx (upload batch 3)",)
    assert history_words.change_lines(deleted, NAMES, NAMES) == ()


def test_a_demo_deletions_shorter_snapshot_as_labelled_fields():
    snapshot = {"visit_at": "2024-05-01T10:00:00", "staff_id": 2, "staff_name": "Ben Brown",
                "client_id": 7, "client_name": "Kate", "attendance": 2,
                "source": "online widget", "to_pay": 500.0, "paid": 0}
    assert history_words.fields(snapshot, NAMES) == (
        ("Visit", "01.05.2024 10:00"), ("Employee", "Ben Brown"), ("Client", "Kate"),
        ("Visit status", "Confirmed"), ("Source", "online widget"), ("To pay", "500.00"),
        ("Paid", "0.00"))


# --- on a store: an edited, then deleted booking --------------------------------------


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


def edit(con, booking_id: int, **changes) -> None:
    draft, version = editing.current(con, booking_id)
    editing.save(con, get_user(con, "owner"), booking_id,
                 editing.with_changes(draft, **changes), started_from=draft, version=version)


def edit_and_delete_4(con) -> None:
    """Booking 4 (Confirmed, Ben Brown, no services, unpaid): changed, then deleted."""
    edit(con, 4, attendance=1, staff_id=1, paid=450.0, comment="late",
         services=((10, 500.0, 0.0), (20, 300.0, 50.0)))
    assert deletion.delete_bookings(con, get_user(con, "owner"), [4]).deleted == [4]


CHANGED_4 = ("Employee: Ben Brown → Anna Smith", "Visit status: Confirmed → Arrived",
             "Services: (none) → Haircut (500), Manicure (300, discount 50)",
             "Paid: 0.00 → 450.00", "Comment: (empty) → 'late'")


def test_info_in_words(store):
    edit_and_delete_4(store)
    words = history_words.in_words(store, history.booking_info(store, 4, SYSTEM))
    assert words.heading == ("Booking 4", "20.06.2024 15:00", "Anna Smith",
                             "Kate Smith (12123445678)", "Arrived", "api")
    assert words.deletion.startswith("Deleted by owner on ")
    assert dict(words.as_it_was) == {
        "Visit": "20.06.2024 15:00", "Length": "60 min", "Employee": "Anna Smith",
        "Client": "Kate Smith", "Phone": "12123445678", "Visit status": "Arrived",
        "Source": "offline · api", "Created at": "01.06.2024 09:00", "Created by": "owner",
        "Services": "Haircut (500), Manicure (300, discount 50)", "To pay": "750.00",
        "Paid": "450.00", "Categories": "(none)", "Comment": "'late'"}
    changed, deleted = words.history
    assert (changed.who, changed.what, changed.lines) == ("owner", "Changed", CHANGED_4)
    assert (deleted.who, deleted.what, deleted.lines) == ("owner", "Deleted", ())
    assert all(len(e.when) == 16 and e.when[2] == "." for e in words.history)  # dd.mm.yyyy HH:MM


def test_a_deletion_with_others_says_how_many():
    sentence = history_words.deletion_sentence(
        {"by": "admin", "at": "2024-06-01 09:05:00", "bookings_in_operation": 3})
    assert sentence == ("Deleted by admin on 01.06.2024 09:05, with 2 other bookings in the "
                        "same deletion.")


def test_phones_stay_masked_in_the_words(store):
    old = known_store.CLIENTS[2][2]
    edit(store, 6, client_phone=NEW_PHONE)  # recent: within the employee's viewing period
    employee = get_user(store, "employee")
    said = repr(history_words.in_words(store, history.booking_info(store, 6, employee)))
    assert NEW_PHONE not in said and old not in said
    assert f"Phone: {listing.mask_phone(old)} → {listing.mask_phone(NEW_PHONE)}" in said


# --- the command ---------------------------------------------------------------------


def test_bookings_info_says_it_in_words(store, store_path, capsys):
    edit_and_delete_4(store)
    store.close()
    assert main(["--db", str(store_path), "info", "4"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Booking 4 · 20.06.2024 15:00 · Anna Smith · Kate Smith (12123445678) · " \
                       "Arrived · api"
    assert lines[1].startswith("Deleted by owner on ")
    assert "As it was when deleted" in lines
    assert "  Visit status  Arrived" in lines
    for change in CHANGED_4:
        assert f"  {change}" in lines
    assert "{" not in out and "T15:00" not in out  # no raw record, no ISO timestamps


def test_bookings_info_json_stays_the_record(store, store_path, capsys):
    edit_and_delete_4(store)
    store.close()
    assert main(["--db", str(store_path), "info", "4", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"booking", "history", "deletion"}
    changed = document["history"][0]
    assert set(changed) == {"at", "actor", "action", "operation", "changes"}
    assert changed["changes"]["attendance"] == [2, 1]
    assert changed["changes"]["staff_id"] == [2, 1]
    assert document["deletion"]["as_it_was"]["attendance"] == 1


def test_bookings_info_as_an_employee_masks_in_words(store, store_path, capsys):
    edit(store, 6, client_phone=NEW_PHONE)
    store.close()
    assert main(["--db", str(store_path), "info", "6", "--user", "employee"]) == 0
    out = capsys.readouterr().out
    assert NEW_PHONE not in out
    assert listing.mask_phone(NEW_PHONE) in out


# --- the Info dialog -------------------------------------------------------------------


def _info_dialog(login: str, booking_id: int) -> None:
    from bookings.auth import get_user
    from ui import booking_info, common

    booking_info.booking_info(get_user(common.cursor(), login), booking_id)


def open_info(store_path, monkeypatch, login: str, booking_id: int) -> AppTest:
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    at = AppTest.from_function(_info_dialog, args=(login, booking_id), default_timeout=30)
    at.run()
    assert not at.exception
    return at


def test_the_info_dialog_in_words(store, store_path, monkeypatch):
    edit_and_delete_4(store)
    at = open_info(store_path, monkeypatch, "owner", 4)
    assert at.markdown[0].value.startswith(r"**Booking 4** · 20\.06\.2024 15\:00 · Anna Smith")
    assert at.error[0].value.startswith(r"Deleted by owner on ")
    fields = next(df.value for df in at.dataframe if "Field" in df.value.columns)
    assert dict(zip(fields["Field"], fields["Value"], strict=True))["Visit status"] == "Arrived"
    assert [t.value for t in at.text] == ["\n".join(CHANGED_4)]
    shown = " ".join(m.value for m in at.markdown)
    assert "Changed" in shown and "Deleted" in shown
    assert not at.get("json")  # no raw JSON block


def test_the_info_dialog_masks_phones_for_an_employee(store, store_path, monkeypatch):
    old = known_store.CLIENTS[2][2]
    edit(store, 6, client_phone=NEW_PHONE)
    at = open_info(store_path, monkeypatch, "employee", 6)
    said = " ".join(e.value for e in [*at.markdown, *at.text])
    assert NEW_PHONE not in said and old not in said
    assert f"Phone: {listing.mask_phone(old)} → {listing.mask_phone(NEW_PHONE)}" in said


def test_the_info_dialog_of_a_booking_never_changed(store, store_path, monkeypatch):
    at = open_info(store_path, monkeypatch, "owner", 2)
    assert not at.error and not at.text
    assert [c.value for c in at.caption] == ["Nothing recorded since the booking was made."]


def test_markup_in_users_text_is_shown_as_typed():
    from ui.booking_info import literal

    assert literal("O'Brien %_ *x* :red[y] $z$") == r"O'Brien %\_ \*x\* \:red\[y\] \$z\$"
