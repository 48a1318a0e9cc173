"""The Settings page through AppTest, tab by tab, against the known store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bookings import auth, catalog
from bookings.admin import changelog
from bookings.errors import SignInRefused
from bookings.model import Right
from bookings.store import booking_interval_min
from tests import known_store
from tests.helpers import CUT, NAILS, file_of, sign_in_app

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_PAGE = str(ROOT / "pages" / "settings.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def open_tab(con, store_path, monkeypatch):
    """open_tab(tab, login="owner") -> the Settings page on that tab."""
    known_store.build(con)
    monkeypatch.setenv("BOOKINGS_DB", str(store_path))

    def open_as(tab: str, login: str = "owner") -> AppTest:
        at = AppTest.from_file(SETTINGS_PAGE, default_timeout=30)
        sign_in_app(at, login)
        at.query_params["tab"] = tab
        return at.run()

    return open_as


def labelled(elements, label: str, position: int = 0):
    return [e for e in elements if e.label == label][position]


def messages(at) -> list[str]:
    return [e.value for e in at.error] + [s.value for s in at.success]


# --- users and rights -------------------------------------------------------------------


def test_add_a_user_and_see_the_password_once(open_tab, con):
    at = open_tab("Users and rights")
    labelled(at.text_input, "Login").input("kate")
    labelled(at.text_input, "Name").input("Kate Jones")
    labelled(at.button, "Add user").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("User kate added as employee.")
    (password,) = [c.value for c in at.code]
    assert auth.sign_in(con, "kate", password).name == "Kate Jones"
    assert at.selectbox(key="settings_user").value == "kate"  # ready for their rights
    at.run()
    assert not at.code and not at.success  # shown once


def test_add_a_user_with_a_set_password_and_a_refusal_in_words(open_tab, con):
    at = open_tab("Users and rights")
    labelled(at.text_input, "Login").input("admin")  # taken
    labelled(at.button, "Add user").click().run()
    assert "The login 'admin' is taken." in messages(at)
    labelled(at.text_input, "Login").input("lena")
    labelled(at.radio, "Password").set_value("Set one")
    labelled(at.text_input, "Password to set").input("lena's secret")
    labelled(at.button, "Add user").click().run()
    assert not at.code
    assert auth.sign_in(con, "lena", "lena's secret").login == "lena"


def test_change_rights_and_the_viewing_period(open_tab, con):
    at = open_tab("Users and rights")
    at.selectbox(key="settings_user").set_value("employee").run()
    labelled(at.checkbox, "Export to Excel").check()
    labelled(at.checkbox, "See phone numbers").check()
    labelled(at.number_input, "Otherwise: days back from today the user may see").set_value(7)
    labelled(at.button, "Save rights").click().run()
    assert "Rights of employee saved." in messages(at)
    user = auth.get_user(con, "employee")
    assert user.rights == {Right.VIEW_BOOKINGS, Right.EXPORT, Right.SEE_PHONES}
    assert user.viewing_period_days == 7
    (entry,) = changelog.entries(con)
    assert (entry["actor"], entry["subject_id"], entry["action"]) == (
        "owner", "employee", "rights changed")
    assert labelled(at.checkbox, "Export to Excel").value  # the form shows what is saved


def test_change_role_applies_the_preset(open_tab, con):
    at = open_tab("Users and rights")
    at.selectbox(key="settings_user").set_value("employee").run()
    labelled(at.selectbox, "Role of employee").set_value(auth.Role.ADMINISTRATOR)
    labelled(at.button, "Apply the role").click().run()
    assert auth.get_user(con, "employee").can(Right.DELETE_BOOKINGS)
    assert any("employee is now administrator" in m for m in messages(at))


def test_reset_a_password_deactivate_and_reactivate(open_tab, con):
    at = open_tab("Users and rights")
    at.selectbox(key="settings_user").set_value("admin").run()
    labelled(at.button, "Reset password").click().run()
    (password,) = [c.value for c in at.code]
    labelled(at.button, "Deactivate").click().run()
    assert "admin deactivated." in messages(at)
    with pytest.raises(SignInRefused, match="deactivated"):
        auth.sign_in(con, "admin", password)
    labelled(at.button, "Reactivate").click().run()
    assert auth.sign_in(con, "admin", password).login == "admin"


def test_the_last_owner_cannot_deactivate_themself(open_tab, con):
    at = open_tab("Users and rights")
    labelled(at.button, "Deactivate").click().run()  # the owner is selected first
    assert any("owner is the last active owner" in m for m in messages(at))
    assert auth.get_user(con, "owner").active


# --- staff, services, categories, interval ------------------------------------------------


def test_add_and_deactivate_staff(open_tab, con):
    at = open_tab("Staff")
    labelled(at.text_input, "Name").input("Cleo Novak")
    labelled(at.button, "Add employee").click().run()
    assert "Employee Cleo Novak added with ID 3." in messages(at)
    assert at.selectbox(key="settings_employee").value == 3
    at.selectbox(key="settings_employee").set_value(1).run()
    assert any("has 3 booking(s)" in c.value for c in at.caption)  # no Delete offered
    assert not [b for b in at.button if b.label == "Delete"]
    labelled(at.button, "Deactivate").click().run()
    assert [s["active"] for s in catalog.staff(con)] == [False, True, True]
    assert list(at.dataframe[0].value["active"]) == [False, True, True]


def test_an_employee_without_bookings_can_be_deleted(open_tab, con):
    at = open_tab("Staff")
    labelled(at.text_input, "Name").input("Temp")
    labelled(at.button, "Add employee").click().run()
    labelled(at.button, "Delete").click().run()
    assert "Temp deleted." in messages(at)
    assert [s["name"] for s in catalog.staff(con)] == ["Anna Smith", "Ben Brown"]


def test_add_a_service(open_tab, con):
    at = open_tab("Services")
    labelled(at.text_input, "Title").input("Beard trim")
    labelled(at.selectbox, "Category").set_value(1)
    labelled(at.number_input, "Price").set_value(25.5)
    labelled(at.number_input, "Duration (minutes)").set_value(20)
    labelled(at.button, "Add service").click().run()
    assert "Service Beard trim added with ID 21." in messages(at)
    added = catalog.services(con)[-1]
    assert (added["title"], added["price"], added["duration_s"]) == ("Beard trim", 25.5, 1200)


def test_edit_and_deactivate_a_service(open_tab, con):
    at = open_tab("Services")
    at.selectbox(key="settings_service").set_value(20).run()
    labelled(at.number_input, "Price", 1).set_value(320)
    labelled(at.button, "Save").click().run()
    assert "Service 20 saved." in messages(at)
    labelled(at.button, "Deactivate Manicure").click().run()
    manicure = catalog.services(con)[1]
    assert (manicure["price"], manicure["active"]) == (320, False)


def test_services_upload_preview_then_commit(open_tab, con):
    at = open_tab("Services")
    at.get("file_uploader")[0].upload("price-list.xlsx", file_of(
        {**CUT, "Price": 550}, {**NAILS, "Title": "Gel nails", "Category": "Spa"},
        {**NAILS, "Title": "Pedicure", "Price": "free"}), XLSX)
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Rows": "3", "Ready": "2", "With warnings": "2", "With errors": "1"}
    problems = at.dataframe[-1].value
    assert "'Spa' is a new category: the upload creates it" in set(problems["Message"])
    assert labelled(at.button, "Import 2 services").disabled  # errors: the user chooses
    labelled(at.radio, "Rows with errors").set_value(True).run()
    labelled(at.button, "Import 2 services").click().run()
    assert not at.exception
    assert ("1 service added, 1 updated; new categories: Spa; 1 row left out (batch 1)."
            in messages(at))
    assert {s["title"]: s["price"] for s in catalog.services(con)} == {
        "Haircut": 550, "Manicure": 300, "Gel nails": 300.5}
    assert not at.metric  # a fresh file input; the committed file is not shown again


def test_add_a_booking_category_and_a_built_in_keeps_its_title(open_tab, con):
    at = open_tab("Booking categories")
    labelled(at.text_input, "Title").input("VIP")
    labelled(at.color_picker, "Colour").pick("#c2185b")
    labelled(at.button, "Add category").click().run()
    assert "Booking category VIP added." in messages(at)
    assert catalog.booking_categories(con)[-1]["color"] == "#c2185b"
    at.selectbox(key="settings_booking_category").set_value(1).run()
    assert labelled(at.text_input, "Title", 1).disabled
    assert not [b for b in at.button if b.label.startswith("Remove")]


def test_the_booking_interval(open_tab, con):
    at = open_tab("Booking interval")
    assert "10:37 becomes 10:30" in at.caption[0].value
    labelled(at.radio, "Booking interval").set_value(5)
    labelled(at.button, "Save").click().run()
    assert "The booking interval is 5 minutes." in messages(at)
    assert booking_interval_min(con) == 5
    assert "10:37 becomes 10:35" in at.caption[0].value


def test_the_change_log_shows_who_changed_what(open_tab, con):
    owner = auth.get_user(con, "owner")
    from bookings.admin import settings, users

    users.grant(con, owner, "employee", {Right.EXPORT})
    settings.set_booking_interval(con, owner, 10)
    at = open_tab("Change log")
    log = at.dataframe[0].value
    assert list(log["by"]) == ["owner", "owner"]
    assert list(log["action"]) == ["changed", "rights changed"]
    assert log["change"][0] == "minutes: 15 → 10"
    at.selectbox[0].set_value("user").run()
    assert list(at.dataframe[0].value["which"]) == ["employee"]


def test_without_the_settings_right_no_tab_opens(open_tab):
    at = open_tab("Staff", login="admin")
    assert "may not manage users" in at.error[0].value
    assert not at.dataframe and not at.button
