"""Bad input gets a clear answer, never a traceback (issue 12).

Each case: the exit code (1 refused or bad input, 2 wrong usage) and a part of
the message, on stderr; with --json a refusal is the `{"error": ...}` document.
"""

from __future__ import annotations

import json
import shutil

import pytest

from bookings.exports import mail
from bookings.store import open_store
from tests.helpers import sign_in_app

EDIT = ("edit", "4", "--user", "admin", "--set")  # booking 4: Confirmed, unpaid, not deleted


@pytest.fixture
def run(cli):
    return cli


CASES = [
    # (arguments, exit code, a part of the message)
    (("list", "--limit", "0"), 2, "--limit: '0' is not a number of rows"),
    (("list", "--limit", "-1"), 2, "from 1 to 10,000,000"),
    (("list", "--limit", "99999999999999999999"), 2, "is not a number of rows"),
    (("list", "--offset", "-5"), 2, "--offset: '-5' is not a number of rows to skip"),
    (("list", "--visit-from", "2026-02-30"), 2, "--visit-from: '2026-02-30' is not a date: "
                                                "give one as YYYY-MM-DD"),
    (("summary", "--created-to", "31.03.2026"), 2, "'31.03.2026' is not a date"),
    (("log", "--from", "2026-13-01"), 2, "--from: '2026-13-01' is not a date"),
    (("log", "--limit", "-1"), 2, "--limit: '-1' is not a number of rows"),
    (("delete", "99999999999999999999", "--user", "admin"), 2, "is not a booking ID"),
    (("users", "period", "L", "99999999999999999999"), 1, "is not a number of days"),
    (("users", "period", "employee", "99999999999999999999"), 1, "from 0 to 36,500"),
    ((*EDIT, "paid=nan"), 1, "'nan' is not an amount"),
    ((*EDIT, "paid=inf"), 1, "'inf' is not an amount"),
    ((*EDIT, "paid=1e30"), 1, "Paid: 1e+30 is not an amount"),
    ((*EDIT, "services=10:nan:0"), 1, "'nan' is not an amount"),
    ((*EDIT, "length_s=99999999999"), 1, "longer than a day"),
    ((*EDIT, "visit_at=9999-12-31T23:59"), 1, "not a possible visit date"),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES,
                         ids=[" ".join(args) for args, _, _ in CASES])
def test_bad_input_is_answered_in_words(run, args, code, message):
    got, out, err = run(*args)
    assert got == code
    assert message in err
    assert "Traceback" not in err + out
    if code == 1:  # a refusal: with --json, the error document on stdout
        got, out, err = run(*args, "--json")
        assert got == 1
        assert message in json.loads(out)["error"]


def test_nothing_changed_after_the_refused_edits(run):
    for args, _, _ in CASES:
        run(*args)
    _, out, _ = run("info", "4", "--json")
    booking = json.loads(out)["booking"]
    assert booking["paid"] == 0 and booking["deleted"] is False
    assert f"{booking['visit_at']}".startswith("2024-06-20")


# --- email addresses -------------------------------------------------------------

A_LIST = "a@salon.example, b@salon.example"
A_NAMED_LIST = '"a@salon.example, b@salon.example" <c@salon.example>'


@pytest.mark.parametrize("address", [A_LIST, A_NAMED_LIST])
def test_export_email_refuses_more_than_one_address(run, store_path, address):
    code, out, err = run("export", "--user", "admin", "--format", "csv", "--email", address)
    assert code == 1
    assert "more than one email address" in err
    assert mail.outbox_messages(store_path.parent, "export") == []
    _, out, _ = run("log", "--kind", "export", "--json")
    assert json.loads(out)["entries"] == []  # refused before anything was asked for


def test_export_email_mails_one_plain_address(run, store_path):
    code, out, _ = run("export", "--user", "admin", "--format", "csv",
                       "--email", " kate@salon.example ", "--json")
    assert code == 0
    assert json.loads(out)["state"] == "ready"
    (message,) = mail.outbox_messages(store_path.parent, "export")
    assert message["To"] == "kate@salon.example"


@pytest.mark.parametrize("address", [A_LIST, A_NAMED_LIST])
def test_users_add_refuses_more_than_one_address(run, address):
    code, out, _ = run("users", "add", "kate", "--role", "employee", "--email", address,
                       "--json")
    assert code == 1
    assert "more than one email address" in json.loads(out)["error"]
    _, out, _ = run("users", "list", "--json")
    assert "kate" not in {u["login"] for u in json.loads(out)["users"]}


def test_users_add_keeps_one_plain_address(run):
    code, out, _ = run("users", "add", "kate", "--role", "employee",
                       "--email", "kate@salon.example", "--json")
    assert code == 0
    assert json.loads(out)["user"]["email"] == "kate@salon.example"


@pytest.mark.parametrize("text", ["kate@salon.example", "  kate@salon.example\n",
                                  "k.jones+bookings@mail.salon.example"])
def test_single_address_accepts_one_plain_address(text):
    assert mail.single_address(text) == text.strip()


@pytest.mark.parametrize(("text", "why"), [
    ("a@x.example, b@y.example", "more than one"),
    ("a@x.example; b@y.example", "more than one"),
    ("a@x.example b@y.example", "more than one"),
    ("a@x.example,", "more than one"),
    ('"a@x.example, b@y.example" <c@z.example>', "more than one"),
    ("a@x.example <b@y.example>", "more than one"),
    ("kate@x.example\nBcc: eve@y.example", "more than one"),
    ("Kate <kate@x.example>", "without a name"),
    ("<kate@x.example>", "without a name"),
    ("kate", "not an email address"),
    ("kate@", "not an email address"),
    ("@salon.example", "not an email address"),
    ("a@b@salon.example", "not an email address"),
    ('"kate jones"@salon.example', "not an email address"),
    ("kate@salon..example", "not an email address"),
    ("kate@salon\u00a0example", "not an email address"),
    ("", "No email address"),
    ("   ", "No email address"),
])
def test_single_address_refuses_in_words(text, why):
    with pytest.raises(ValueError, match=why):
        mail.single_address(text)


def test_the_settings_page_refuses_a_list_of_emails(known_path, store_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from bookings import auth
    from tests.test_settings_page import SETTINGS_PAGE, labelled, messages

    shutil.copyfile(known_path, store_path)
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
    sign_in_app(at, "owner")
    at.query_params["tab"] = "Users and rights"
    at.run()
    labelled(at.text_input, "Login").input("kate")
    labelled(at.text_input, "Email").input(A_LIST)
    labelled(at.button, "Add user").click().run()
    assert not at.exception
    assert any("more than one email address" in m for m in messages(at))
    labelled(at.text_input, "Email").input("kate@salon.example")
    labelled(at.button, "Add user").click().run()
    assert at.success[0].value.startswith("User kate added")
    connection = open_store(store_path)
    try:
        assert auth.get_user(connection, "kate").email == "kate@salon.example"
    finally:
        connection.close()
