"""A user linked to an employee, and the viewing scope: all bookings, or own ones
(made to the linked employee). Every way bookings are seen or changed honours it,
on the known store (tests/known_store.py: Anna Smith is staff 1 with bookings
1, 3, 5; Ben Brown staff 2 with 2, 4, 6; 3 and 5 are deleted).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest

from bookings import auth, deletion, editing, history, listing, pivot
from bookings.admin import changelog, settings, users
from bookings.admin.changelog import SettingsRefused
from bookings.errors import Forbidden, NotFound
from bookings.exports import jobs
from bookings.exports.files import HEADER
from bookings.filters import BookingFilter
from bookings.model import ROLE_SCOPES, Right, Role, Scope, User
from bookings.store import migrate, open_store
from tests import known_store
from tests.helpers import bookings_table, table_ids, xlsx_rows
from tests.known_store import ALL, RECENT

ROOT = Path(__file__).resolve().parent.parent
CALENDAR = str(ROOT / "pages" / "calendar.py")
DELETED = {3, 5}
OUTSIDE = "outside what you may see"

# login: (scope, linked employee, the bookings that user sees)
VIEWERS = {
    "sees-all": ("all", None, ALL),
    "sees-anna": ("own", 1, {1, 3, 5}),
    "sees-ben": ("own", 2, {2, 4, 6}),
    "sees-none": ("own", None, set()),
}


def add_viewers(con) -> None:
    """The four viewers: every right and no viewing period, so the scope alone limits."""
    owner = auth.get_user(con, "owner")
    for login, (scope, staff_id, _) in VIEWERS.items():
        users.add_user(con, owner, login, Role.ADMINISTRATOR)
        users.set_rights(con, owner, login, set(Right), None)
        users.link(con, owner, login, staff_id)
        users.set_scope(con, owner, login, scope)


@pytest.fixture(scope="session")
def viewers_path(tmp_path_factory) -> Path:
    """The known store with the four viewers, built once (users take a while to add)."""
    path = tmp_path_factory.mktemp("viewers") / "bookings.duckdb"
    con = open_store(path)
    known_store.build(con)
    add_viewers(con)
    con.close()
    return path


@pytest.fixture
def scoped(viewers_path, store_path):
    """A fresh copy of the store with the viewers, at store_path: a test may change it."""
    shutil.copyfile(viewers_path, store_path)
    con = open_store(store_path)
    yield con
    con.close()


@pytest.fixture(params=list(VIEWERS))
def viewer(request, scoped) -> tuple[User, set[int]]:
    """(a viewer, the bookings they see), once per scope and link."""
    return auth.get_user(scoped, request.param), VIEWERS[request.param][2]


# --- seeing: list, summary, timeline, export, calendar, info ---------------------------


def test_the_list_shows_only_what_the_scope_allows(scoped, viewer):
    user, seen = viewer
    result = listing.listing(scoped, user, BookingFilter(), limit=100)
    assert {row["id"] for row in result["rows"]} == seen
    assert result["total"] == len(seen)


def test_a_filter_cannot_reach_past_the_scope(scoped, viewer):
    user, seen = viewer
    both = BookingFilter(staff=(1, 2))
    assert {row["id"] for row in listing.page(scoped, user, both)} == seen


def test_the_summary_and_its_facets_count_only_what_the_scope_allows(scoped, viewer):
    user, seen = viewer
    summary = listing.summary(scoped, user, BookingFilter())
    assert summary["total"] == len(seen)
    staff = {entry["id"]: entry["count"] for entry in summary["facets"]["staff"]}
    assert sum(staff.values()) == len(seen)
    if user.scope == Scope.OWN:
        assert set(staff) <= {user.staff_id}


def test_the_timeline_counts_only_what_the_scope_allows(scoped, viewer):
    user, seen = viewer
    points = pivot.timeline(scoped, user, BookingFilter(), grain="day")
    assert sum(point["value"] for point in points) == len(seen)


def test_an_export_file_holds_only_what_the_scope_allows(scoped, viewer):
    user, seen = viewer
    outcome = jobs.export_now(scoped, user, BookingFilter(), "xlsx")
    assert outcome.state == "ready"
    _, rows = xlsx_rows(outcome.file)
    assert {row[HEADER.index("ID")] for row in rows} == seen


def test_the_export_cover_says_whose_bookings_it_holds(scoped):
    outcome = jobs.export_now(scoped, auth.get_user(scoped, "sees-ben"), BookingFilter())
    cover = openpyxl.load_workbook(outcome.file).worksheets[0]
    texts = [str(value) for row in cover.iter_rows(values_only=True) for value in row]
    assert any("Only bookings made to Ben Brown" in text for text in texts)


def test_the_calendar_shows_only_what_the_scope_allows(scoped, viewer):
    user, seen = viewer
    first = datetime(2024, 5, 1)
    days = (date.today() - first.date()).days + 1
    shown = {row["id"] for row in editing.day(scoped, user, first, days=days)}
    assert shown == seen - DELETED


@pytest.mark.parametrize("booking_id", sorted(ALL))
def test_info_shows_a_booking_only_within_the_scope(scoped, viewer, booking_id):
    user, seen = viewer
    if booking_id in seen:
        assert history.booking_info(scoped, booking_id, user)["booking"]["id"] == booking_id
    else:
        with pytest.raises(NotFound, match=OUTSIDE):
            history.booking_info(scoped, booking_id, user)


# --- changing: delete, edit, create ------------------------------------------------------


def test_delete_by_ids_deletes_only_within_the_scope(scoped, viewer):
    user, seen = viewer
    result = deletion.delete_bookings(scoped, user, sorted(ALL))
    assert set(result.deleted) == seen - DELETED
    outside = {s["id"] for s in result.skipped if OUTSIDE in s["reason"]}
    assert outside == ALL - seen
    left = {i for (i,) in scoped.execute("SELECT id FROM bookings WHERE NOT deleted").fetchall()}
    assert left == ALL - DELETED - seen


def test_delete_matching_deletes_only_within_the_scope(scoped, viewer):
    user, seen = viewer
    if not seen - DELETED:
        with pytest.raises(NotFound, match="No bookings match"):
            deletion.delete_matching(scoped, user, BookingFilter())
        return
    assert set(deletion.delete_matching(scoped, user, BookingFilter()).deleted) == seen - DELETED


@pytest.mark.parametrize("booking_id", sorted(ALL - DELETED))
def test_edit_opens_and_saves_a_booking_only_within_the_scope(scoped, viewer, booking_id):
    user, seen = viewer
    draft, version = editing.current(scoped, booking_id)  # as whoever may see everything
    changed = editing.with_changes(draft, comment="changed")
    if booking_id in seen:
        assert editing.current(scoped, booking_id, user)[1] == version
        saved = editing.save(scoped, user, booking_id, changed, started_from=draft,
                             version=version)
        assert saved.booking["comment"] == "changed"
        return
    with pytest.raises(editing.EditRefused, match=OUTSIDE):
        editing.current(scoped, booking_id, user)
    with pytest.raises(editing.EditRefused, match=OUTSIDE):  # even past the form
        editing.save(scoped, user, booking_id, changed, started_from=draft, version=version)
    assert editing.current(scoped, booking_id)[0].comment == draft.comment


def test_own_bookings_cannot_be_moved_or_made_to_another_employee(scoped):
    anna = auth.get_user(scoped, "sees-anna")
    draft, version = editing.current(scoped, 1, anna)
    with pytest.raises(editing.EditRefused, match="only the bookings made to your own"):
        editing.save(scoped, anna, 1, editing.with_changes(draft, staff_id=2),
                     started_from=draft, version=version)
    assert editing.current(scoped, 1)[0].staff_id == 1
    in_three_days = datetime.combine(date.today() + timedelta(days=3), time(10))
    new = editing.with_changes(draft, visit_at=in_three_days, services=())
    with pytest.raises(editing.EditRefused, match="only the bookings made to your own"):
        editing.create(scoped, anna, editing.with_changes(new, staff_id=2))
    made = editing.create(scoped, anna, new).booking
    assert made["staff_id"] == 1


# --- the notice: own, and no employee linked -----------------------------------------------


def test_own_without_an_employee_is_told_why_it_sees_nothing(scoped):
    assert listing.scope_notice(auth.get_user(scoped, "sees-none")) == listing.NO_EMPLOYEE_NOTICE
    for login in ("sees-all", "sees-anna", "owner"):
        assert listing.scope_notice(auth.get_user(scoped, login)) is None
    assert "not linked to an employee" in listing.NO_EMPLOYEE_NOTICE


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def app(scoped, store_path, app_as):
    return app_as(store_path)


@pytest.mark.parametrize("login", list(VIEWERS))
def test_the_list_page_shows_what_the_scope_allows_or_says_why_not(app, login):
    at = app(login, sort="visit_at")  # the whole history, not the opening view
    assert not at.exception
    seen = VIEWERS[login][2]
    assert set(table_ids(at)) == seen
    warnings = [w.value for w in at.warning]
    if seen:
        assert listing.NO_EMPLOYEE_NOTICE not in warnings
    else:
        assert listing.NO_EMPLOYEE_NOTICE in warnings
        assert bookings_table(at) is None


def calendar(app, login: str, **params):
    at = app(login)
    at.switch_page(CALENDAR)
    at.query_params.update(params)
    return at.run()


@pytest.mark.parametrize("login", list(VIEWERS))
def test_the_calendar_page_shows_what_the_scope_allows_or_says_why_not(app, login):
    at = calendar(app, login, day=RECENT.date().isoformat(), booking="6")  # Ben's
    assert not at.exception
    seen = VIEWERS[login][2]
    nothing = [i.value for i in at.info if i.value.startswith("No bookings on this day")]
    if login == "sees-none":
        assert listing.NO_EMPLOYEE_NOTICE in [w.value for w in at.warning]
        assert not at.subheader
    elif 6 in seen:
        assert not nothing
        assert at.subheader[0].value == "Booking 6"
    else:
        assert nothing
        assert any(OUTSIDE in e.value for e in at.error)


def test_settings_link_and_scope_are_saved_and_recorded(open_settings, con):
    at = open_settings("Users and rights")
    at.selectbox(key="settings_user").set_value("admin").run()
    employee = next(s for s in at.selectbox if s.label == "Employee")
    employee.set_value(1)
    next(r for r in at.radio if r.label == "Sees").set_value(Scope.OWN)
    next(b for b in at.button if b.label == "Save employee and scope").click().run()
    assert not at.exception, at.exception
    admin = auth.get_user(con, "admin")
    assert (admin.staff_id, admin.scope) == (1, Scope.OWN)
    assert any("admin: employee Anna Smith; sees own bookings" in s.value for s in at.success)
    actions = [e["action"] for e in changelog.entries(con, subject="user")]
    assert actions[:2] == ["scope changed", "employee linked"]


@pytest.fixture
def open_settings(store, store_path, app_as):
    open_as = app_as(store_path)

    def on_tab(tab: str):
        at = open_as("owner")
        at.switch_page(str(ROOT / "pages" / "settings.py"))
        at.query_params["tab"] = tab
        return at.run()

    return on_tab


# --- administering: bookings.users -----------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_a_new_user_starts_with_the_role_s_scope_unlinked(store, owner, role):
    user, _ = users.add_user(store, owner, "kate", role)
    assert (user.scope, user.staff_id) == (ROLE_SCOPES[role], None)
    assert ROLE_SCOPES[Role.EMPLOYEE] == Scope.OWN


def test_a_user_of_an_older_store_keeps_seeing_every_booking(store_path):
    old = duckdb.connect(str(store_path))
    migrate(old, upto=5)
    old.execute("INSERT INTO users (id, login, name, role, password_hash, created_at) "
                "VALUES (1, 'kate', 'Kate', 'employee', 'x', now())")
    old.close()
    con = open_store(store_path)
    kate = auth.get_user(con, "kate")
    con.close()
    assert (kate.scope, kate.staff_id) == ("all", None)


def test_link_and_scope_are_recorded_in_the_change_log(store, owner):
    users.link(store, owner, "employee", 1)
    users.set_scope(store, owner, "employee", "all")
    users.link(store, owner, "employee", None)
    users.set_scope(store, owner, "employee", "all")  # no change, no record
    entries = [(e["actor"], e["subject_id"], e["action"], e["old"], e["new"])
               for e in reversed(changelog.entries(store, subject="user"))]
    assert entries == [
        ("owner", "employee", "employee linked", {"staff_id": 2}, {"staff_id": 1}),
        ("owner", "employee", "scope changed", {"scope": "own"}, {"scope": "all"}),
        ("owner", "employee", "employee unlinked", {"staff_id": 1}, {"staff_id": None}),
    ]


def test_a_role_change_applies_the_role_s_scope_and_keeps_the_employee(store, owner):
    user = users.set_role(store, owner, "employee", Role.ADMINISTRATOR)
    assert (user.scope, user.staff_id) == (Scope.ALL, 2)
    user = users.set_role(store, owner, "employee", Role.EMPLOYEE)
    assert (user.scope, user.staff_id) == (Scope.OWN, 2)


REFUSALS = [
    pytest.param(lambda con, a: users.link(con, a, "employee", 99), SettingsRefused,
                 "There is no employee 99", id="unknown employee"),
    pytest.param(lambda con, a: users.link(con, a, "nobody", 1), SettingsRefused,
                 "There is no user 'nobody'", id="link unknown login"),
    pytest.param(lambda con, a: users.set_scope(con, a, "employee", "mine"), SettingsRefused,
                 "Unknown scope 'mine'", id="unknown scope"),
    pytest.param(lambda con, a: users.set_scope(con, a, "nobody", "all"), SettingsRefused,
                 "There is no user 'nobody'", id="scope unknown login"),
    pytest.param(lambda con, a: users.link(con, auth.get_user(con, "admin"), "employee", 1),
                 Forbidden, "may not manage users, rights", id="link without the settings right"),
    pytest.param(lambda con, a: users.set_scope(con, auth.get_user(con, "admin"), "employee",
                                                "all"),
                 Forbidden, "may not manage users, rights",
                 id="scope without the settings right"),
]


@pytest.mark.parametrize(("change", "refusal", "message"), REFUSALS)
def test_link_and_scope_refusals_in_plain_words(store, owner, change, refusal, message):
    with pytest.raises(refusal, match=message):
        change(store, owner)
    employee = auth.get_user(store, "employee")
    assert (employee.staff_id, employee.scope) == (2, Scope.OWN)
    assert changelog.entries(store, subject="user") == []


def test_an_employee_a_user_is_linked_to_is_deactivated_not_deleted(store, owner):
    cleo = settings.add_staff(store, owner, "Cleo New")  # no bookings
    users.link(store, owner, "admin", cleo["id"])
    # Deleted, her id would go to the next employee added, and admin would see theirs.
    assert settings.remove_staff(store, owner, cleo["id"]) == "deactivated"
    users.link(store, owner, "admin", None)
    assert settings.remove_staff(store, owner, cleo["id"]) == "deleted"


# --- the command: `python -m bookings.cli` ---------------------------------------------------


@pytest.fixture
def cli_db(viewers_path, tmp_path) -> Path:
    """A copy of the store with the four viewers, for the commands to open."""
    db = tmp_path / "cli" / "bookings.duckdb"
    db.parent.mkdir()
    shutil.copyfile(viewers_path, db)
    return db


def bookings(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bookings.cli", "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("login", list(VIEWERS))
def test_the_command_lists_summarises_and_shows_what_the_scope_allows(cli_db, login):
    seen = VIEWERS[login][2]
    listed = bookings(cli_db, "list", "--user", login, "--json")
    assert listed.returncode == 0, listed.stderr
    assert {row["id"] for row in json.loads(listed.stdout)["rows"]} == seen
    summed = bookings(cli_db, "summary", "--user", login, "--json")
    assert json.loads(summed.stdout)["total"] == len(seen)
    shown = bookings(cli_db, "info", "6", "--user", login)
    assert shown.returncode == (0 if 6 in seen else 1)
    told = listing.NO_EMPLOYEE_NOTICE in listed.stderr
    assert told == (not seen)
    if not seen:
        assert listing.NO_EMPLOYEE_NOTICE in shown.stderr


def test_the_command_deletes_exports_and_edits_only_within_the_scope(cli_db):
    deleted = bookings(cli_db, "delete", "1", "2", "--user", "sees-ben", "--json")
    assert deleted.returncode == 0, deleted.stderr
    document = json.loads(deleted.stdout)
    assert document["deleted"] == [2]
    assert [(s["id"], OUTSIDE in s["reason"]) for s in document["skipped"]] == [(1, True)]
    edited = bookings(cli_db, "edit", "1", "--user", "sees-ben", "--set", "comment=x")
    assert edited.returncode == 1 and OUTSIDE in edited.stderr
    moved = bookings(cli_db, "edit", "4", "--user", "sees-ben", "--set", "staff_id=1")
    assert moved.returncode == 1 and "only the bookings made to your own" in moved.stderr
    exported = bookings(cli_db, "export", "--user", "sees-ben", "--format", "csv", "--json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["rows"] == 3  # 2 (deleted now), 4, 6


def test_users_link_unlink_scope_and_list(cli_db):
    linked = bookings(cli_db, "users", "link", "sees-none", "1", "--user", "owner", "--json")
    assert linked.returncode == 0, linked.stderr
    assert json.loads(linked.stdout)["user"]["staff_id"] == 1
    listed = bookings(cli_db, "list", "--user", "sees-none", "--json")
    assert {row["id"] for row in json.loads(listed.stdout)["rows"]} == {1, 3, 5}
    scoped = bookings(cli_db, "users", "scope", "sees-none", "all", "--user", "owner")
    assert scoped.returncode == 0 and "sees-none now sees all bookings" in scoped.stdout
    unlinked = bookings(cli_db, "users", "unlink", "sees-none", "--user", "owner", "--json")
    assert json.loads(unlinked.stdout)["user"]["staff_id"] is None
    again = bookings(cli_db, "users", "scope", "sees-none", "own", "--user", "owner")
    assert "not linked to an employee" in again.stdout
    everyone = json.loads(bookings(cli_db, "users", "list", "--json").stdout)["users"]
    assert all({"staff_id", "scope"} <= set(user) for user in everyone)
    by_login = {user["login"]: (user["staff_id"], user["scope"]) for user in everyone}
    assert by_login["employee"] == (2, "own") and by_login["owner"] == (None, "all")
    assert by_login["sees-none"] == (None, "own")
    table = bookings(cli_db, "users", "list").stdout
    assert "employee" in table.splitlines()[0] and "scope" in table.splitlines()[0]
    assert "Ben Brown (2)" in table
    changes = json.loads(bookings(cli_db, "changes", "--subject", "user", "--json").stdout)
    assert [c["action"] for c in changes["changes"][:4]] == [
        "scope changed", "employee unlinked", "scope changed", "employee linked"]


CLI_REFUSALS = [
    # (arguments, exit code, a part of the message)
    (("users", "link", "nobody", "1", "--user", "owner"), 1, "There is no user 'nobody'"),
    (("users", "link", "employee", "99", "--user", "owner"), 1, "There is no employee 99"),
    (("users", "link", "employee", "Ben", "--user", "owner"), 2, "'Ben' is not an ID"),
    (("users", "link", "employee", "1", "--user", "admin"), 1, "manage_settings"),
    (("users", "unlink", "nobody", "--user", "owner"), 1, "There is no user 'nobody'"),
    (("users", "scope", "employee", "mine", "--user", "owner"), 2, "invalid choice: 'mine'"),
    (("users", "scope", "nobody", "own", "--user", "owner"), 1, "There is no user 'nobody'"),
    (("users", "scope", "employee", "all", "--user", "ghost"), 1, "There is no user 'ghost'"),
    (("users", "scope", "employee"), 2, "the following arguments are required: all|own"),
]


@pytest.mark.parametrize(("args", "code", "message"), CLI_REFUSALS,
                         ids=[" ".join(args) for args, _, _ in CLI_REFUSALS])
def test_users_link_and_scope_refusals(cli_db, args, code, message):
    done = bookings(cli_db, *args)
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    if code == 1:
        as_json = bookings(cli_db, *args, "--json")
        assert as_json.returncode == 1 and message in json.loads(as_json.stdout)["error"]
    con = open_store(cli_db)
    employee = auth.get_user(con, "employee")
    con.close()
    assert (employee.staff_id, employee.scope) == (2, Scope.OWN)


def test_the_demo_employee_sees_their_own_bookings(tmp_path):
    from bookings.demo import fill_demo

    con = open_store(tmp_path / "demo.duckdb")
    fill_demo(con, 2000, today=known_store.TODAY)
    employee = auth.get_user(con, "employee")
    anna = con.execute("SELECT id FROM staff WHERE name = 'Anna Smith'").fetchone()[0]
    assert (employee.staff_id, employee.scope) == (anna, Scope.OWN)
    staff = {row["staff_id"] for row in listing.page(con, employee, BookingFilter(), limit=500)}
    assert staff == {anna}
    con.close()
