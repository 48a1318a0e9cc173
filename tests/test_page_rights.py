"""A page asked for by its address without its right (issue 12): the user lands on
their first page, and that page says which right the page asked for needs."""

from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from bookings import auth
from bookings.admin import users as user_admin
from bookings.model import RIGHT_DESCRIPTIONS, SYSTEM, Right, Role
from tests.helpers import sign_in_app
from ui.common import refusal

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PAGE = "pages/settings.py"
UPLOAD_PAGE = "pages/upload.py"


@pytest.fixture
def users(con, make_user, store_path, monkeypatch):
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))
    as_served(monkeypatch)
    made = {role: make_user(role)[0].login for role in Role}
    # Rights are what is tested here: the employee sees all bookings, so that the
    # list they land on says nothing of a missing employee (tests/test_user_scope.py).
    user_admin.set_scope(con, SYSTEM, made[Role.EMPLOYEE], "all")
    return {role: auth.get_user(con, login) for role, login in made.items()}


def as_served(monkeypatch) -> None:
    """pages/ is not an old-style multipage folder: server.py tells Streamlit so
    before the first run. AppTest resets that flag every run, and would then run
    pages/settings.py alone for the address /settings: tell it again each run."""
    init = PagesManager.__init__

    def init_as_served(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_as_served)


def open_at(login: str, url_path: str) -> AppTest:
    """The app signed in as LOGIN, at BASE/URL_PATH (typed in the address bar).

    AppTest has no URL: a browser at /settings asks for the page whose script hash
    is st.Page's hash of its url_path, which is what this sets.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    sign_in_app(at, login)
    at._page_hash = calc_hash(url_path)
    return at.run()


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_every_right_has_a_description():
    assert set(RIGHT_DESCRIPTIONS) == set(Right)
    assert all(RIGHT_DESCRIPTIONS[right].strip() for right in Right)


def test_the_refusal_names_the_page_and_the_right():
    assert refusal("Settings", Right.MANAGE_SETTINGS) == (
        "The page Settings needs the right 'manage users, rights, staff, services, "
        "categories, interval', which your account does not have. "
        "Ask the salon's owner.")


@pytest.mark.parametrize("role, url_path, title, right", [
    (Role.EMPLOYEE, "settings", "Settings", Right.MANAGE_SETTINGS),
    (Role.EMPLOYEE, "upload", "Upload from Excel", Right.UPLOAD),
    (Role.ADMINISTRATOR, "settings", "Settings", Right.MANAGE_SETTINGS),
    (Role.ADMINISTRATOR, "upload", "Upload from Excel", Right.UPLOAD),
])
def test_a_page_without_its_right_says_which_right(users, role, url_path, title, right):
    at = open_at(users[role].login, url_path)
    assert not at.exception
    assert at.title[0].value == "Bookings"  # landed on the user's first page
    assert warnings(at) == [refusal(title, right)]
    assert f"'{right.description}'," in warnings(at)[0]
    assert f"({right.value})" not in warnings(at)[0]
    assert "Users and rights" not in [h.value for h in at.subheader]


def test_a_part_of_a_page_is_no_address(users):
    """pages/settings_users.py is a part of Settings, not a page: its name as an
    address opens the first page, with neither its content nor a refusal."""
    at = open_at(users[Role.EMPLOYEE].login, "settings_users")
    assert not at.exception
    assert at.title[0].value == "Bookings"
    assert warnings(at) == []
    assert not at.error


def test_the_refusal_shows_once(users):
    at = open_at(users[Role.EMPLOYEE].login, "settings")
    assert warnings(at)
    at._page_hash = ""  # a later run on the page landed on (a widget, a rerun)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Bookings"
    assert warnings(at) == []


def test_a_page_with_its_right_opens_without_a_word(users):
    owner = users[Role.OWNER].login
    for url_path, title in [("settings", "Settings"), ("upload", "Upload bookings from Excel")]:
        at = open_at(owner, url_path)
        assert not at.exception
        assert at.title[0].value == title
        assert warnings(at) == []


def test_the_data_log_without_the_list_right(con, users):
    """No page at all: the Welcome page says what the Data log needs."""
    login = users[Role.EMPLOYEE].login
    user_admin.revoke(con, SYSTEM, login, [Right.VIEW_BOOKINGS])
    at = open_at(login, "data-log")
    assert not at.exception
    assert at.title[0].value == "Bookings Overview"
    assert warnings(at) == [refusal("Data log", Right.VIEW_BOOKINGS)]


def test_an_upload_only_user_lands_on_upload(con, users):
    login = users[Role.EMPLOYEE].login
    user_admin.grant(con, SYSTEM, login, [Right.UPLOAD])
    user_admin.revoke(con, SYSTEM, login, [Right.VIEW_BOOKINGS])
    at = open_at(login, "bookings")
    assert not at.exception
    assert at.title[0].value == "Upload bookings from Excel"
    assert warnings(at)[0] == refusal("Bookings", Right.VIEW_BOOKINGS)


def test_the_refused_pages_are_known_by_address_but_never_run_their_script(users):
    """Placeholders: the address is routable (no "page not found"), yet neither
    AppTest nor the server can reach the real script of a refused page."""
    at = open_at(users[Role.EMPLOYEE].login, "bookings")
    by_address = {info["url_pathname"]: info for info in at._registered_pages.values()}
    assert {"", "calendar", "data-log", "settings", "upload"} <= set(by_address)  # "": Bookings
    for url_path in ("settings", "upload"):
        assert not by_address[url_path].get("script_path"), url_path
    for page in (SETTINGS_PAGE, UPLOAD_PAGE):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_the_page_itself_still_checks_its_right(users):
    """Run on its own (as a forged request could), Settings refuses an employee."""
    at = AppTest.from_file(str(ROOT / SETTINGS_PAGE), default_timeout=30)
    sign_in_app(at, users[Role.EMPLOYEE].login)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"You may not {Right.MANAGE_SETTINGS.description}."]
