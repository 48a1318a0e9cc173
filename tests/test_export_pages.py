"""Download as Excel on the Bookings page, and the Data log page, through AppTest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bookings import auth, deletion
from bookings.admin import users
from bookings.exports import jobs, links
from bookings.filters import BookingFilter
from bookings.model import SYSTEM, Right
from tests import known_store
from tests.helpers import DATA_LOG_PAGE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(con, store_path, app_as):
    known_store.build(con)
    return app_as(store_path)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def exports_logged(con) -> list[tuple]:
    return con.execute("SELECT user_login, state, what, rows, format, filter FROM data_log "
                       "WHERE kind = 'export' ORDER BY id").fetchall()


def test_request_shows_the_filter_and_count_then_queues_at_once(app, con):
    at = app("admin", staff="2")
    button(at, "Download as Excel").click().run()
    assert not at.exception
    assert any("Download **3** bookings matching: *employee Ben Brown*" in m.value
               for m in at.markdown)
    at.radio[0].set_value("csv")
    button(at, "Request download").click().run()
    assert not at.exception
    ((login, state, what, rows, fmt, details),) = exports_logged(con)
    assert (login, state, what, rows, fmt) == ("admin", "queued", "employee Ben Brown", 3, "csv")
    assert json.loads(details)["filter"] == {"staff": ["2"]}
    assert "Download requested (Data log entry 1, .csv)" in at.success[0].value
    assert not [b for b in at.button if b.label == "Request download"]  # the dialog closed


def test_a_second_click_on_the_same_confirmation_requests_nothing_more(app, con):
    at = app("admin", sort="visit_at")
    button(at, "Download as Excel").click().run()
    at.radio[0].set_value("xlsx")  # held by this (soon stale) dialog, as a browser would
    confirm = button(at, "Request download")
    confirm.click().run()
    confirm.click().run()  # the same confirmation again: a double click arriving late
    assert len(exports_logged(con)) == 1


def test_cancel_requests_nothing(app, con):
    at = app("admin", sort="visit_at")
    button(at, "Download as Excel").click().run()
    button(at, "Cancel").click().run()
    assert exports_logged(con) == []
    assert not [b for b in at.button if b.label == "Request download"]


def test_no_download_button_without_the_export_right(app):
    at = app("employee", sort="visit_at")
    assert not at.exception
    assert not [b for b in at.button if b.label == "Download as Excel"]


def test_the_masked_phone_note_for_a_user_without_phones(app, con):
    users.grant(con, SYSTEM, "employee", {Right.EXPORT})
    at = app("employee", sort="visit_at")
    button(at, "Download as Excel").click().run()
    assert any("Phone numbers are masked" in c.value for c in at.caption)


# --- the Data log page -------------------------------------------------------------------


@pytest.fixture
def logged(con):
    """After the app fixture built the store: a ready download and a bulk delete by admin,
    a download by the owner."""

    def make():
        admin, owner = auth.get_user(con, "admin"), auth.get_user(con, "owner")
        ready = jobs.export_now(con, admin, BookingFilter(staff=(2,)))
        deletion.delete_bookings(con, admin, [2])
        jobs.export_now(con, owner, BookingFilter(), "csv")
        return ready.log_id

    return make


def log_page(app, login: str) -> AppTest:
    at = app(login)
    at.switch_page(DATA_LOG_PAGE).run()
    assert not at.exception
    return at


def log_table(at: AppTest):
    return next(df.value for df in at.dataframe if "What" in df.value.columns)


def test_the_owner_sees_everyones_entries(app, logged):
    logged()
    at = log_page(app, "owner")
    assert at.title[0].value == "Data log"
    table = log_table(at)
    assert list(table["ID"]) == [3, 2, 1]
    assert list(table["Who"]) == ["owner", "admin", "admin"]
    assert list(table["Kind"]) == ["Download", "Bulk delete", "Download"]
    assert len(at.download_button) == 2


def test_others_see_their_own_entries(app, logged):
    logged()
    table = log_table(log_page(app, "admin"))
    assert list(table["ID"]) == [2, 1] and set(table["Who"]) == {"admin"}
    assert table.set_index("ID").loc[1, "What"] == "employee Ben Brown"


def test_without_the_export_right_no_file_is_offered(app, con, logged):
    logged()
    users.revoke(con, SYSTEM, "admin", {Right.EXPORT})
    at = log_page(app, "admin")
    assert list(log_table(at)["ID"]) == [2, 1]
    assert len(at.download_button) == 0


def test_an_employee_without_entries_sees_an_empty_log(app, logged):
    logged()
    at = log_page(app, "employee")
    assert [i.value for i in at.info] == ["Nothing logged yet."]


def test_a_fetch_from_the_page_is_recorded(app, con, logged):
    log_id = logged()
    at = log_page(app, "admin")
    (fetch,) = at.download_button
    assert fetch.label == "Download .xlsx"
    fetch.click().run()  # the click is no fetch; the bytes leaving are (AppTest never asks)
    assert not at.exception
    assert con.execute("SELECT count(*) FROM data_log_fetches").fetchone() == (0,)
    links.fetch_for_page(con, "admin", log_id)  # what the button's callable runs
    at.run()
    assert con.execute("SELECT log_id, user_login, via FROM data_log_fetches").fetchall() == [
        (log_id, "admin", "page")]
    assert log_table(at).set_index("ID").loc[log_id, "Fetches"] == 1
    fetches = next(df.value for df in at.dataframe if "How" in df.value.columns)
    assert fetches[["Entry", "Who", "How"]].values.tolist() == [[log_id, "admin", "this page"]]


def test_filter_the_log_by_kind_and_user(app, logged):
    logged()
    at = log_page(app, "owner")
    at.selectbox(key="log_kind").set_value("delete").run()
    assert list(log_table(at)["ID"]) == [2]
    at.selectbox(key="log_kind").set_value(None).run()
    at.selectbox(key="log_user").set_value("owner").run()
    assert list(log_table(at)["ID"]) == [3]


def test_a_queued_download_shows_its_state(app, con):
    jobs.request_export(con, auth.get_user(con, "admin"), BookingFilter())
    table = log_table(log_page(app, "admin"))
    assert list(table["State"]) == ["queued"]
