"""The Data log: who sees which entries, its filters, and `bookings log`."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from bookings import auth, datalog, deletion
from bookings.admin import users
from bookings.cli import main
from bookings.errors import Forbidden
from bookings.exports import jobs, links
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right
from tests import known_store


@pytest.fixture
def logged(con):
    """A download by admin (fetched once), one by the owner, a bulk delete by admin."""
    known_store.build(con)
    admin, owner = auth.get_user(con, "admin"), auth.get_user(con, "owner")
    first = jobs.export_now(con, admin, BookingFilter(staff=(2,)))
    links.fetch_from_page(con, admin, first.log_id)
    jobs.request_export(con, owner, BookingFilter(), "csv", now=datetime(2024, 1, 5, 9))
    deletion.delete_bookings(con, admin, [2])
    return con


def ids(entries) -> list[int]:
    return [e["id"] for e in entries]


def test_the_owner_sees_everyone_others_their_own(logged):
    owner, admin = auth.get_user(logged, "owner"), auth.get_user(logged, "admin")
    assert ids(datalog.entries(logged, owner)) == [3, 1, 2]  # newest first
    assert ids(datalog.entries(logged, admin)) == [3, 1]
    assert datalog.entries(logged, auth.get_user(logged, "employee")) == []
    assert ids(datalog.entries(logged, SYSTEM)) == [3, 1, 2]  # the CLI without --user


def test_the_log_needs_the_list_right(logged):
    users.revoke(logged, SYSTEM, "employee", {Right.VIEW_BOOKINGS})
    with pytest.raises(Forbidden):
        datalog.entries(logged, auth.get_user(logged, "employee"))


def test_an_entry_says_who_when_what_rows_format_state_and_fetches(logged):
    (entry,) = datalog.entries(logged, SYSTEM, log_id=1)
    assert entry["user"] == "admin" and entry["kind"] == "export"
    assert entry["what"] == "employee Ben Brown" and entry["rows"] == 3
    assert entry["format"] == "xlsx" and entry["state"] == "ready" and entry["size"] > 0
    assert [(f["by"], f["via"]) for f in entry["fetches"]] == [("admin", "page")]
    (deleted,) = datalog.entries(logged, SYSTEM, kind="delete")
    assert (deleted["what"], deleted["rows"], deleted["state"]) == ("booking 2", 1, "done")


def test_filters_by_kind_user_and_date(logged):
    assert ids(datalog.entries(logged, SYSTEM, kind="export")) == [1, 2]
    assert ids(datalog.entries(logged, SYSTEM, by="owner")) == [2]
    assert ids(datalog.entries(logged, SYSTEM, date_from=date(2024, 1, 5),
                               date_to=date(2024, 1, 5))) == [2]
    assert ids(datalog.entries(logged, SYSTEM, date_from=date.today())) == [3, 1]


def test_pending_and_who_appears(logged):
    assert datalog.has_pending(logged, SYSTEM)  # the owner's csv is still queued
    assert not datalog.has_pending(logged, auth.get_user(logged, "admin"))
    assert datalog.logins(logged, SYSTEM) == ["admin", "owner"]
    assert datalog.logins(logged, auth.get_user(logged, "admin")) == ["admin"]


def run(store_path, capsys, *args) -> tuple[int, dict]:
    code = main(["--db", str(store_path), *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_log_command_prints_the_contract_shape(logged, store_path, capsys):
    code, document = run(store_path, capsys, "log")
    assert code == 0
    first = document["entries"][0]
    assert {"id", "at", "user", "kind", "what", "rows", "state", "fetches"} <= set(first)
    assert [e["id"] for e in document["entries"]] == [3, 1, 2]
    exported = next(e for e in document["entries"] if e["id"] == 1)
    assert exported["fetches"][0]["by"] == "admin"
    assert datetime.fromisoformat(exported["at"]) and "T" in exported["at"]


def test_the_log_command_filters_and_scopes(logged, store_path, capsys):
    assert [e["id"] for e in run(store_path, capsys, "log", "--kind", "delete")[1]["entries"]
            ] == [3]
    assert [e["id"] for e in run(store_path, capsys, "log", "--user", "admin")[1]["entries"]
            ] == [3, 1]
    assert [e["id"] for e in run(store_path, capsys, "log", "--by", "owner")[1]["entries"]
            ] == [2]


def test_the_log_command_in_words(logged, store_path, capsys):
    assert main(["--db", str(store_path), "log"]) == 0
    out = capsys.readouterr().out
    assert "employee Ben Brown" in out and "queued" in out
