"""The pages through Streamlit's AppTest, against a temporary store."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bookings.admin import users as user_admin
from bookings.model import SYSTEM, Right, Role
from tests.helpers import sign_in, sign_in_app

ROOT = Path(__file__).resolve().parent.parent
BOOKINGS_PAGE = str(ROOT / "pages" / "bookings_list.py")
SETTINGS_PAGE = str(ROOT / "pages" / "settings.py")
UPLOAD_PAGE = str(ROOT / "pages" / "upload.py")


@pytest.fixture
def users(con, make_user, store_path, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    return {role: make_user(role) for role in Role}


def open_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()


def can_open(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(page)
    except ValueError:  # not registered in the navigation
        return False
    return True


def test_signed_out_only_the_sign_in_form(users):
    at = open_app()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Login", "Password"]
    assert not can_open(at, BOOKINGS_PAGE)


@pytest.mark.parametrize("role, pages", [
    (Role.OWNER, {BOOKINGS_PAGE, SETTINGS_PAGE, UPLOAD_PAGE}),
    (Role.ADMINISTRATOR, {BOOKINGS_PAGE}),
    (Role.EMPLOYEE, {BOOKINGS_PAGE}),
])
def test_each_role_sees_only_its_pages(users, role, pages):
    user, password = users[role]
    at = sign_in(open_app(), user.login, password)
    assert not at.exception
    assert f"`{user.login}` · {role.value}" in at.sidebar.markdown[0].value
    assert at.title[0].value == "Bookings"
    for page in (BOOKINGS_PAGE, SETTINGS_PAGE, UPLOAD_PAGE):
        assert can_open(at, page) == (page in pages), page


def test_the_owner_opens_settings(users):
    user, password = users[Role.OWNER]
    at = sign_in(open_app(), user.login, password)
    at.switch_page(SETTINGS_PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Settings"
    assert set(at.dataframe[0].value["login"]) == {"owner", "administrator", "employee"}


def test_a_wrong_password_is_refused(users):
    user, _ = users[Role.OWNER]
    at = sign_in(open_app(), user.login, "not-the-password")
    assert [e.value for e in at.error] == ["Wrong login or password."]
    assert not can_open(at, BOOKINGS_PAGE)


def test_sign_out(users):
    user, password = users[Role.EMPLOYEE]
    at = sign_in(open_app(), user.login, password)
    at.sidebar.button[0].click().run()
    assert [t.label for t in at.text_input] == ["Login", "Password"]


def test_a_page_checks_the_right_itself(users):
    """Even when run directly, bypassing the navigation, the page refuses."""
    user, _ = users[Role.EMPLOYEE]
    at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
    sign_in_app(at, user.login)
    at.run()
    assert "may not manage users" in at.error[0].value
    assert not at.dataframe


def test_revoked_rights_apply_at_the_next_action(users, con):
    user, password = users[Role.ADMINISTRATOR]
    at = sign_in(open_app(), user.login, password)
    user_admin.revoke(con, SYSTEM, user.login, {Right.VIEW_BOOKINGS})
    at.run()
    assert not can_open(at, BOOKINGS_PAGE)
    assert "no pages" in at.info[0].value


def test_a_deactivated_user_is_signed_out(users, con):
    user, password = users[Role.ADMINISTRATOR]
    at = sign_in(open_app(), user.login, password)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [user.id])
    at.run()
    assert [t.label for t in at.text_input] == ["Login", "Password"]


def test_the_employee_sees_only_the_viewing_period(users):
    user, password = users[Role.EMPLOYEE]
    at = sign_in(open_app(), user.login, password)
    assert "your viewing period" in at.caption[0].value


def test_a_busy_store_gets_a_readable_message(tmp_path, monkeypatch, held_store):
    path = tmp_path / "held.duckdb"
    monkeypatch.setenv("BOOKINGS_DB", str(path))
    with held_store(path):
        at = open_app()
    assert not at.exception
    assert "busy" in at.error[0].value and str(path) in at.error[0].value
