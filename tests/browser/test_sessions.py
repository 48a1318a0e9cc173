"""Sign-in that survives a reload, a second tab, a bookmark and an emailed link; and
ends, in every open browser, when signed out, deactivated or given a new password.

Each browser context is one browser with its cookie jar: its tabs share the session
cookie. The app and its store are this module's own (users are changed here).
"""

from __future__ import annotations

import re
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    build_store,
    new_context,
    rerun,
    run_cli,
    serving_store,
    sidebar,
    sign_in,
    submit_sign_in,
    tick_rows,
    wait_for_app,
    wait_for_render,
)

CALENDAR_WEEK = "calendar?day=2026-05-04&view=week"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A store with an export mailed before the app starts, then the app serving it."""
    store = build_store(tmp_path_factory.mktemp("sessions"), demo_bookings=300)
    login = store.credentials["administrator"][0]
    run_cli(store.path, "export", "--user", login, "--status", "no-show",
            "--email", "front-desk@example.com")
    with serving_store(store, "streamlit.log") as url:
        yield url, store


def new_browser(browser: Browser):
    return new_context(browser)


def signed_in_as(page: Page, name: str) -> None:
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    expect(sidebar(page).get_by_text(name)).to_be_visible()


def expect_signed_out(page: Page, why: str | None = None) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    if why:
        expect(page.get_by_text(why)).to_be_visible()


def session_cookie(page: Page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "bookings_session"]
    return cookie


def click_something(page: Page) -> None:
    """A click that reruns the page (the next click after a change elsewhere)."""
    with rerun(page):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Data log").click()


def test_reload_second_tab_and_bookmark_open_signed_in(page, own_app):
    url, store = own_app
    login, password = store.credentials["owner"]
    sign_in(page, url, login, password, path=CALENDAR_WEEK)
    # Sign-in went through the route that set the cookie, back to the view asked for.
    assert page.url == f"{url}/{CALENDAR_WEEK}"
    cookie = session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert page.evaluate("document.cookie").find("bookings_session") == -1  # not for scripts

    page.reload()
    wait_for_render(page)
    signed_in_as(page, login)
    assert page.url == f"{url}/{CALENDAR_WEEK}"
    expect(page.get_by_role("heading", name="Calendar", level=1)).to_be_visible()

    second = page.context.new_page()  # a new tab: the same browser, its cookie
    second.goto(f"{url}/data-log")  # a bookmark
    wait_for_app(second)
    signed_in_as(second, login)
    expect(second.get_by_role("heading", name="Data log", level=1)).to_be_visible()
    second.close()


def test_the_emailed_data_log_link_opens_signed_in(browser, own_app):
    url, store = own_app
    (message,) = (store.data_dir / "outbox").glob("export-*.eml")
    body = message_from_bytes(message.read_bytes()).get_payload(decode=True).decode()
    link = re.search(r"https?://\S+/data-log\?entry=\d+", body).group(0)
    path = urlsplit(link).path + "?" + urlsplit(link).query  # the host is the test's
    assert path == "/data-log?entry=1"
    login, password = store.credentials["administrator"]

    context = new_browser(browser)
    try:
        page = context.new_page()
        page.goto(url + path)  # signed out: the form, at the link's address
        wait_for_app(page)
        submit_sign_in(page, login, password)
        wait_for_render(page)
        assert page.url == url + path
        expect(page.get_by_text("Showing entry #1, as linked from your email.")).to_be_visible()
        expect(page.get_by_role("button", name="Download .xlsx")).to_be_visible()

        again = context.new_page()  # the link clicked again later: signed in at once
        again.goto(url + path)
        wait_for_render(again)
        signed_in_as(again, login)
        expect(again.get_by_text("Showing entry #1")).to_be_visible()
    finally:
        context.close()


def test_signing_out_ends_the_session_in_every_tab(page, own_app):
    url, store = own_app
    login, password = store.credentials["owner"]
    sign_in(page, url, login, password)
    token = session_cookie(page)["value"]
    other = page.context.new_page()
    other.goto(url)
    wait_for_app(other)
    signed_in_as(other, login)

    with rerun(page):  # the sign-in form, on a new page load
        sidebar(page).get_by_role("button", name="Sign out", exact=True).click()
    expect_signed_out(page)
    assert not [c for c in page.context.cookies() if c["name"] == "bookings_session"]

    click_something(other)  # its websocket still carries the old cookie: ended
    expect_signed_out(other)
    # The old token is worth nothing, even presented again.
    page.context.add_cookies([{"name": "bookings_session", "value": token, "url": url}])
    page.goto(url)
    wait_for_app(page)
    expect_signed_out(page)


def pick_user(page: Page, login: str, *, in_form: bool) -> None:
    """Choose LOGIN in the "User" select box. Outside a form (Users and rights) a
    change of choice reruns the app; in a form (Sign-ins) nothing runs until submit."""
    wait_for_app(page)
    page.get_by_label("User", exact=True).click()
    option = page.get_by_role("option", name=re.compile(re.escape(login)))
    expect(option).to_be_visible()
    if in_form or option.get_attribute("aria-selected") == "true":
        option.click()  # in a form, or already chosen: no rerun
    else:
        with rerun(page):
            option.click()
    expect(page.get_by_role("listbox")).to_have_count(0)


@pytest.mark.parametrize("action, message", [
    ("Reset password", "your password was reset"),
    ("Sign out everywhere", "all sessions of your account were ended"),
    ("Deactivate", "your account was deactivated"),  # last: they stay deactivated
])
def test_what_the_owner_does_ends_the_users_open_sessions(browser, page, own_app, action,
                                                           message):
    url, store = own_app
    owner, owner_password = store.credentials["owner"]
    login, password = store.credentials["employee"]
    staff = new_browser(browser)
    try:
        theirs = staff.new_page()
        sign_in(theirs, url, login, password)

        sign_in(page, url, owner, owner_password, path="settings?tab=Users+and+rights"
                if action != "Sign out everywhere" else "settings?tab=Sign-ins")
        wait_for_render(page)
        if action == "Sign out everywhere":
            pick_user(page, login, in_form=True)
            with rerun(page):
                page.get_by_test_id("stMain").get_by_role("button", name="Sign out everywhere"
                                                          ).click()
            expect(page.get_by_text(re.compile(rf"{login}: 1 signed-in browser signed out")
                                    )).to_be_visible()
        else:
            pick_user(page, login, in_form=False)
            with rerun(page):
                page.get_by_role("button", name=action).click()
            wait_for_render(page)
            if action == "Reset password":  # the next cases sign in with the new one
                new_password = page.get_by_test_id("stCode").inner_text().strip()
                store.credentials["employee"] = (login, new_password)

        click_something(theirs)
        expect_signed_out(theirs, message)
    finally:
        staff.close()


def open_list_then_sign_out_elsewhere(context, url: str, login: str, password: str,
                                      get_ready) -> Page:
    """The list in one tab, made ready to act (GET_READY: a tick, an open dialog),
    then Sign out in a second tab of the same browser, which ends the first one's
    session too. The first tab, which has not been told yet."""
    listing = context.new_page()
    sign_in(listing, url, login, password, path="?cancelled=no&sort=visit_at")
    wait_for_render(listing)
    get_ready(listing)
    other = context.new_page()
    other.goto(url)
    wait_for_app(other)
    sidebar(other).get_by_role("button", name="Sign out", exact=True).click()
    expect_signed_out(other)
    other.close()
    return listing


def test_a_delete_after_the_sign_in_ended_opens_the_sign_in_form(browser, own_app):
    """Ticks and the action bar rerun only their part of the page, without app.py: the
    sign-in is checked there too, so a tab left open cannot act once it has ended."""
    url, store = own_app
    login, password = store.credentials["administrator"]
    context = new_browser(browser)
    try:
        def tick(page: Page) -> None:
            tick_rows(page, page.get_by_test_id("stDataFrame").last, [0])
            expect(page.get_by_role("button", name="Delete selected (1)")).to_be_enabled()

        listing = open_list_then_sign_out_elsewhere(context, url, login, password, tick)
        delete = listing.get_by_role("button", name="Delete selected (1)")
        delete.click()
        expect_signed_out(listing)
        expect(listing.get_by_role("dialog")).to_have_count(0)
    finally:
        context.close()


def ready_downloads(page: Page, url: str) -> int:
    """How many ready files the Data log offers its viewer (downloads only)."""
    page.goto(f"{url}/data-log?kind=export")
    wait_for_render(page)
    return page.get_by_role("button", name=re.compile(r"Download \.(xlsx|csv)$")).count()


def test_a_download_confirmed_after_the_sign_in_ended_is_not_requested(browser, own_app):
    """The download's dialog reruns alone when confirmed: it checks the sign-in too, so
    no file is made for a session that has ended."""
    url, store = own_app
    login, password = store.credentials["administrator"]
    context = new_browser(browser)
    try:
        before = []

        def open_dialog(page: Page) -> None:
            before.append(ready_downloads(context.new_page(), url))  # the same sign-in
            page.get_by_role("button", name="Download as Excel").click()
            expect(page.get_by_role("dialog").get_by_role("button", name="Request download")
                   ).to_be_visible()

        listing = open_list_then_sign_out_elsewhere(context, url, login, password, open_dialog)
        request = listing.get_by_role("dialog").get_by_role("button", name="Request download")
        request.click()
        expect_signed_out(listing)

        other = context.new_page()
        sign_in(other, url, login, password)
        # Absence takes a while to show: the worker writes a 300-booking file in well
        # under a second of being woken by a request.
        for _ in range(6):
            assert ready_downloads(other, url) == before[0]
            other.wait_for_timeout(1000)
    finally:
        context.close()
