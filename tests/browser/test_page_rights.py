"""Issue 12: a signed-in user who asks for a page by its address without its right
lands on their first page, and that page says which right the page needs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    build_store,
    open_app,
    serving_store,
    sidebar,
    submit_sign_in,
    wait_for_app,
)

SETTINGS_REFUSAL = ("The page Settings needs the right 'manage users, rights, staff, services, "
                    "categories, interval', which your account does not "
                    "have. Ask the salon's owner.")
UPLOAD_REFUSAL = ("The page Upload from Excel needs the right 'upload bookings from Excel "
                  "(full access)', which your account does not have. "
                  "Ask the salon's owner.")


def heading(page: Page, text: str):
    return page.get_by_test_id("stMain").get_by_role("heading", name=text, exact=True, level=1)


def refusal(page: Page):
    return page.get_by_test_id("stMain").get_by_test_id("stAlert")


@pytest.mark.parametrize(("path", "message"), [
    ("settings", SETTINGS_REFUSAL),
    ("upload", UPLOAD_REFUSAL),
])
def test_a_deep_link_without_the_right_says_which_right(path, message, page, app_url,
                                                        credentials):
    """Signed out at BASE/PATH: the sign-in form; signed in there as an employee:
    Bookings, with the refusal naming the right."""
    open_app(page, app_url, path)
    submit_sign_in(page, *credentials["employee"])
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    wait_for_app(page)

    expect(heading(page, "Bookings")).to_be_visible()
    expect(refusal(page)).to_contain_text(message)
    # The address is the page landed on: the list's opening view.
    expect(page).to_have_url(re.compile(re.escape(app_url) + r"/\?visit_from="))
    expect(heading(page, "Settings")).to_have_count(0)
    expect(page.get_by_text("Users and rights")).to_have_count(0)


@pytest.mark.parametrize(("path", "message"), [
    ("settings", SETTINGS_REFUSAL),
    ("upload", UPLOAD_REFUSAL),
])
def test_asking_for_a_page_while_signed_in_says_which_right(path, message, page_requests,
                                                           sign_in_as):
    """Already signed in, the session asks the server for the page (as typing its
    address in a running session, or a hand-made client, does)."""
    page = sign_in_as("employee")
    expect(refusal(page)).to_have_count(0)  # nothing asked for yet: no refusal

    page_requests.ask_for(path)

    expect(heading(page, "Bookings")).to_be_visible()
    expect(refusal(page)).to_contain_text(message)
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    expect(sidebar(page).get_by_text("Settings")).to_have_count(0)  # still not in the menu


def test_the_owner_opens_upload_by_address_without_a_word(page, app_url, credentials):
    open_app(page, app_url, "upload")
    submit_sign_in(page, *credentials["owner"])
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    wait_for_app(page)
    expect(heading(page, "Upload bookings from Excel")).to_be_visible()
    expect(page.get_by_text("needs the right")).to_have_count(0)


def test_a_deep_link_as_the_first_request_after_a_start_runs_the_app(page, tmp_path):
    """pages/ holds st.navigation's pages. Streamlit takes a pages/ folder for its old
    multipage kind until app.py first calls st.navigation, and would run
    pages/settings.py alone for /settings as the first request after a start;
    server.py tells it otherwise (PagesManager.uses_pages_directory, Streamlit has no
    supported switch). A Streamlit upgrade that breaks this fails here."""
    store = build_store(tmp_path, demo_bookings=0)
    with serving_store(store) as url:
        open_app(page, url, "settings")  # nothing has run yet in this process
        expect(page.get_by_label("Login", exact=True)).to_be_visible()
        login, password = store.credentials["owner"]
        submit_sign_in(page, login, password)
        expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
        expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
