"""Settings rules: users and rights (bookings.users), staff, services, booking
categories and the interval (bookings.settings), each change in the log."""

from __future__ import annotations

import pytest

from bookings import auth
from bookings.admin import changelog, settings, users
from bookings.admin.changelog import SettingsRefused
from bookings.admin.users import LastOwner
from bookings.errors import Forbidden, SignInRefused
from bookings.model import BUILTIN_BOOKING_CATEGORIES, ROLE_PRESETS, Right, Role
from bookings.uploads import bookings_import
from tests import known_store
from tests.helpers import GOOD, xlsx


@pytest.fixture
def owner(make_user):
    return make_user(Role.OWNER, "owner")[0]


@pytest.fixture
def known(con):
    """The hand-built store (owner, admin, employee; staff 1-2 with bookings)."""
    known_store.build(con)
    return con


def log(con) -> list[tuple]:
    return [(e["actor"], e["subject"], e["subject_id"], e["action"], e["old"], e["new"])
            for e in reversed(changelog.entries(con))]


# --- users ----------------------------------------------------------------------------


def test_add_user_generates_a_password_once_and_records_who_added_whom(con, owner):
    user, password = users.add_user(con, owner, "kate", Role.EMPLOYEE, name="Kate Jones")
    assert auth.sign_in(con, "kate", password).login == "kate"
    assert (user.rights, user.viewing_period_days) == ROLE_PRESETS[Role.EMPLOYEE]
    ((actor, subject, target, action, old, new),) = log(con)
    assert (actor, subject, target, action, old) == ("owner", "user", "kate", "added", None)
    assert new == {"role": "employee", "active": True, "rights": ["view_bookings"],
                   "viewing_period_days": 30, "staff_id": None, "scope": "own"}
    assert password not in str(con.execute("SELECT * FROM settings_changes").fetchall())


def test_add_user_with_a_chosen_password(con, owner):
    _, generated = users.add_user(con, owner, "anna", Role.ADMINISTRATOR,
                                  password="a long secret")
    assert generated is None
    assert auth.sign_in(con, "anna", "a long secret").login == "anna"


def test_rights_changes_are_recorded_who_whose_what(con, owner, make_user):
    make_user(Role.EMPLOYEE, "kate")
    users.set_rights(con, owner, "kate", {Right.VIEW_BOOKINGS, Right.EXPORT}, None)
    users.set_rights(con, owner, "kate", {Right.VIEW_BOOKINGS, Right.EXPORT}, None)  # no-op
    ((actor, subject, target, action, old, new),) = log(con)
    assert (actor, subject, target, action) == ("owner", "user", "kate", "rights changed")
    assert old == {"rights": ["view_bookings"], "viewing_period_days": 30}
    assert new == {"rights": ["export", "view_bookings"], "viewing_period_days": None}
    assert changelog.entries(con)[0]["at"] is not None


def test_a_role_change_applies_the_role_preset(con, owner, make_user):
    make_user(Role.EMPLOYEE, "kate")
    user = users.set_role(con, owner, "kate", Role.ADMINISTRATOR)
    assert (user.role, user.rights, user.viewing_period_days) == (
        Role.ADMINISTRATOR, *ROLE_PRESETS[Role.ADMINISTRATOR])


def test_a_viewing_period_is_days_or_unlimited(con, owner, make_user):
    make_user(Role.EMPLOYEE, "kate")
    assert users.set_viewing_period(con, owner, "kate", 7).viewing_period_days == 7
    assert users.set_viewing_period(con, owner, "kate", None).viewing_period_days is None
    with pytest.raises(SettingsRefused, match="0 to 36500"):
        users.set_viewing_period(con, owner, "kate", -1)


LOSING_OWNERSHIP = [
    pytest.param(lambda con, a: users.set_role(con, a, "owner", Role.ADMINISTRATOR), id="role"),
    pytest.param(lambda con, a: users.revoke(con, a, "owner", {Right.MANAGE_SETTINGS}),
                 id="settings right"),
    pytest.param(lambda con, a: users.set_active(con, a, "owner", False), id="deactivated"),
]


@pytest.mark.parametrize("change", LOSING_OWNERSHIP)
def test_the_last_active_owner_stays_owner(con, owner, change):
    with pytest.raises(LastOwner, match="owner is the last active owner"):
        change(con, owner)
    assert auth.get_user(con, "owner") == owner
    assert log(con) == []


@pytest.mark.parametrize("change", LOSING_OWNERSHIP)
def test_with_another_active_owner_an_owner_may_step_down(con, owner, make_user, change):
    second, _ = make_user(Role.OWNER, "second")
    change(con, second)
    assert not users.Access.of(auth.get_user(con, "owner")).keeps_the_salon_owned()


def test_a_deactivated_second_owner_does_not_count(con, owner, make_user):
    make_user(Role.OWNER, "second")
    users.set_active(con, owner, "second", False)
    with pytest.raises(LastOwner):
        users.set_active(con, owner, "owner", False)


def test_a_deactivated_user_cannot_sign_in_and_their_history_stays(known):
    owner = auth.get_user(known, "owner")
    password = "admin's new pass"
    users.reset_password(known, owner, "admin", password)
    users.set_active(known, owner, "admin", False)
    with pytest.raises(SignInRefused, match="deactivated"):
        auth.sign_in(known, "admin", password)
    created = known.execute("SELECT count(*) FROM bookings b JOIN users u ON u.id = b.created_by"
                            " WHERE u.login = 'admin'").fetchone()[0]
    assert created == 2  # bookings 1 and 6 still say admin made them
    users.set_active(known, owner, "admin", True)
    assert auth.sign_in(known, "admin", password).login == "admin"
    assert [e["action"] for e in changelog.entries(known)] == [
        "reactivated", "deactivated", "password reset"]


def test_a_password_reset_generates_one_and_forgets_failed_sign_ins(con, owner, make_user):
    _, old = make_user(Role.EMPLOYEE, "kate")
    for _ in range(3):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, "kate", "wrong")
    new = users.reset_password(con, owner, "kate")
    with pytest.raises(SignInRefused, match="Wrong login"):
        auth.sign_in(con, "kate", old)
    assert auth.sign_in(con, "kate", new).login == "kate"
    assert changelog.entries(con)[0]["new"] == {"password": "generated"}


SETTINGS_ACTIONS = [
    pytest.param(lambda con, a: users.add_user(con, a, "x", Role.OWNER), id="add user"),
    pytest.param(lambda con, a: users.set_role(con, a, "administrator", Role.OWNER), id="role"),
    pytest.param(lambda con, a: users.grant(con, a, "administrator", {Right.UPLOAD}),
                 id="grant"),
    pytest.param(lambda con, a: users.reset_password(con, a, "owner"), id="password"),
    pytest.param(lambda con, a: users.set_active(con, a, "owner", False), id="deactivate"),
    pytest.param(lambda con, a: settings.add_staff(con, a, "Zoe"), id="staff"),
    pytest.param(lambda con, a: settings.add_service_category(con, a, "Spa"), id="category"),
    pytest.param(lambda con, a: settings.add_booking_category(con, a, "VIP", "#123456"),
                 id="booking category"),
    pytest.param(lambda con, a: settings.set_booking_interval(con, a, 5), id="interval"),
]


@pytest.mark.parametrize("action", SETTINGS_ACTIONS)
def test_without_the_settings_right_every_change_is_refused(con, owner, make_user, action):
    administrator, _ = make_user(Role.ADMINISTRATOR, "administrator")
    with pytest.raises(Forbidden, match="may not manage users, rights"):
        action(con, administrator)
    assert log(con) == []


# --- staff ------------------------------------------------------------------------------


def test_staff_add_rename_deactivate_each_recorded(con, owner):
    anna = settings.add_staff(con, owner, "  Anna   Smith ", "Hair")
    assert anna == {"id": 1, "name": "Anna Smith", "specialization": "Hair", "active": True}
    settings.rename_staff(con, owner, 1, "Anna Jones")
    assert settings.set_staff_active(con, owner, 1, False)["active"] is False
    assert [(e[3], e[4], e[5]) for e in log(con)] == [
        ("added", None, {"name": "Anna Smith", "specialization": "Hair"}),
        ("renamed", {"name": "Anna Smith"}, {"name": "Anna Jones"}),
        ("deactivated", {"active": True}, {"active": False}),
    ]


@pytest.mark.parametrize("name", ["anna smith", "ANNA  SMITH"])
def test_employee_names_are_unique_as_uploads_match_them(con, owner, name):
    settings.add_staff(con, owner, "Anna Smith")
    with pytest.raises(SettingsRefused, match="named 'Anna Smith' already"):
        settings.add_staff(con, owner, name)


@pytest.mark.parametrize("staff_id, outcome, left", [(1, "deactivated", 3), (3, "deleted", 2)])
def test_an_employee_with_bookings_is_deactivated_never_deleted(known, staff_id, outcome, left):
    owner = auth.get_user(known, "owner")
    settings.add_staff(known, owner, "Cleo New")  # id 3, no bookings
    assert settings.remove_staff(known, owner, staff_id) == outcome
    assert known.execute("SELECT count(*) FROM staff").fetchone()[0] == left
    if outcome == "deactivated":
        assert known.execute("SELECT active FROM staff WHERE id = 1").fetchone() == (False,)
        assert known.execute("SELECT count(*) FROM bookings WHERE staff_id = 1"
                             ).fetchone()[0] == 3


# --- services ---------------------------------------------------------------------------


@pytest.fixture
def hair(con, owner):
    return settings.add_service_category(con, owner, "Hair")["id"]


@pytest.mark.parametrize("minutes, ok", [
    (5, True), (60, True), (1440, True), ("45", True), (45.0, True),
    (0, False), (-5, False), (7, False), (1445, False), ("an hour", False), (45.5, False),
])
def test_a_service_lasts_a_positive_multiple_of_5_minutes(con, owner, hair, minutes, ok):
    if ok:
        service = settings.add_service(con, owner, "Cut", hair, 500, minutes)
        assert service["duration_min"] == int(float(minutes))
    else:
        with pytest.raises(SettingsRefused, match="minutes"):
            settings.add_service(con, owner, "Cut", hair, 500, minutes)


@pytest.mark.parametrize("price, ok", [
    (0, True), ("12,50", True), (499.99, True), (-1, False), ("free", False), ("1.005", False),
])
def test_a_price_is_a_number_of_0_or_more(con, owner, hair, price, ok):
    if ok:
        settings.add_service(con, owner, "Cut", hair, price, 30)
    else:
        with pytest.raises(SettingsRefused, match="price"):
            settings.add_service(con, owner, "Cut", hair, price, 30)


def test_editing_a_service_records_old_and_new(con, owner, hair):
    nails = settings.add_service_category(con, owner, "Nails")["id"]
    service = settings.add_service(con, owner, "Cut", hair, 500, 60)
    changed = settings.update_service(con, owner, service["id"], price="550", category_id=nails)
    assert (float(changed["price"]), changed["category_id"]) == (550, nails)
    assert log(con)[-1][3:] == ("changed", {"category_id": hair, "price": 500.0},
                                {"category_id": nails, "price": 550.0})
    settings.set_service_active(con, owner, service["id"], False)
    assert log(con)[-1][3] == "deactivated"


def test_a_service_needs_an_existing_category_and_a_free_title(con, owner, hair):
    with pytest.raises(SettingsRefused, match="no service category 9"):
        settings.add_service(con, owner, "Cut", 9, 500, 60)
    settings.add_service(con, owner, "Cut", hair, 500, 60)
    with pytest.raises(SettingsRefused, match="named 'Cut' already"):
        settings.add_service(con, owner, "cut", hair, 100, 30)


# --- booking categories --------------------------------------------------------------------


@pytest.mark.parametrize("category_id, title, color", BUILTIN_BOOKING_CATEGORIES)
def test_built_in_categories_are_kept_and_may_be_recoloured(con, owner, category_id, title,
                                                            color):
    with pytest.raises(SettingsRefused, match="cannot be removed"):
        settings.remove_booking_category(con, owner, category_id)
    with pytest.raises(SettingsRefused, match="its title may not"):
        settings.update_booking_category(con, owner, category_id, title="Something else")
    recoloured = settings.update_booking_category(con, owner, category_id, color="#ABCDEF")
    assert (recoloured["title"], recoloured["color"]) == (title, "#abcdef")


def test_a_salons_own_category_is_removed_only_when_no_booking_carries_it(known):
    owner = auth.get_user(known, "owner")
    used = settings.add_booking_category(known, owner, "VIP", "#ff0000")
    unused = settings.add_booking_category(known, owner, "Old label", "#00ff00")
    known.execute("INSERT INTO booking_category_links VALUES (1, ?)", [used["id"]])
    with pytest.raises(SettingsRefused, match="is on 1 booking"):
        settings.remove_booking_category(known, owner, used["id"])
    settings.remove_booking_category(known, owner, unused["id"])
    titles = {c["title"] for c in settings.catalog.booking_categories(known)}
    assert "VIP" in titles and "Old label" not in titles


@pytest.mark.parametrize("color", ["red", "#12345", "#12345g", ""])
def test_a_colour_is_a_hex_code(con, owner, color):
    with pytest.raises(SettingsRefused, match="colour"):
        settings.add_booking_category(con, owner, "VIP", color)


# --- the booking interval -------------------------------------------------------------------


@pytest.mark.parametrize("interval, rounded", [(5, "10:35"), (10, "10:40"), (15, "10:30")])
def test_the_interval_sets_how_uploads_round_visit_times(known, interval, rounded):
    owner = auth.get_user(known, "owner")
    settings.set_booking_interval(known, owner, interval)
    result = bookings_import.preview(known, owner, xlsx([{**GOOD, "Date": "04.01.2026 10:37"}]),
                                     "x.xlsx")
    (issue,) = result.issues
    assert issue.message.startswith(f"10:37 rounded to {rounded} (booking interval {interval}")
    assert f"{result.bookings[0].visit_at:%H:%M}" == rounded


@pytest.mark.parametrize("minutes", [0, 7, 20, 30])
def test_the_interval_is_5_10_or_15(con, owner, minutes):
    with pytest.raises(SettingsRefused, match="5, 10, 15"):
        settings.set_booking_interval(con, owner, minutes)


def test_an_interval_change_is_recorded(con, owner):
    settings.set_booking_interval(con, owner, 10)
    assert log(con) == [("owner", "booking interval", None, "changed", {"minutes": 15},
                         {"minutes": 10})]
    assert changelog.in_words(changelog.entries(con)[0]) == "minutes: 15 → 10"
