"""Signing in and out in the real app, and who sees which page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from bookings import sessions
from tests.browser.conftest import (
    PROJECT_DIR,
    bookings_metric,
    full_page_screenshot,
    navigation_links,
    open_app,
    rerun,
    sidebar,
    submit_sign_in,
    wait_for_app,
    wait_for_warm_up,
    warm_up,
)
from ui.warm_up import KEY as WARM_UP

SCREENSHOT = PROJECT_DIR / "docs" / "screenshot.png"
NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$")


def owner_pages() -> int:
    """How many pages app.py's PAGES lists (one `(Right.X, ...` entry each)."""
    return len(re.findall(r"^\s*\(Right\.", (PROJECT_DIR / "app.py").read_text(), re.M))


def heading(page: Page, text: str):
    return page.get_by_test_id("stMain").get_by_role("heading", name=text, exact=True, level=1)


def expect_sign_in_form(page: Page) -> None:
    expect(page.get_by_label("Login", exact=True)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def expect_no_settings(page: Page) -> None:
    expect(heading(page, "Settings")).to_have_count(0)
    expect(page.get_by_text("Users and rights")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings", exact=True)).to_have_count(0)


def test_owner_sees_bookings_and_settings(sign_in_as, store):
    page = sign_in_as("owner")

    expect(heading(page, "Bookings")).to_be_visible()
    expect(navigation_links(page)).to_have_count(owner_pages())  # all rights: every page
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Bookings", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_be_visible()

    expect(bookings_metric(page)).to_have_text(NUMBER)
    if store.demo:
        expect(bookings_metric(page)).not_to_have_text("0")

    # The README's screenshot, once everything has rendered.
    full_page_screenshot(page, SCREENSHOT)


def test_owner_opens_settings_from_the_navigation(sign_in_as):
    page = sign_in_as("owner")
    with rerun(page):
        page.get_by_role("link", name="Settings", exact=True).click()
    expect(heading(page, "Settings")).to_be_visible()
    expect(page.get_by_text("Users and rights")).to_be_visible()


def test_employee_sees_bookings_but_no_settings(sign_in_as):
    page = sign_in_as("employee")

    expect(heading(page, "Bookings")).to_be_visible()
    expect(bookings_metric(page)).to_have_text(NUMBER)
    expect(sidebar(page).get_by_text("Settings")).to_have_count(0)
    expect_no_settings(page)


@pytest.mark.parametrize(("role", "allowed"), [
    ("owner", True),  # the control: the address does open the page for a user who may
    ("administrator", False),
    ("employee", False),
])
def test_the_settings_address_is_checked_on_the_server(role, allowed, page, app_url,
                                                       credentials):
    """Typing BASE/settings: signed out, the sign-in form; signed in there, the server
    decides with the user's rights which page runs."""
    open_app(page, app_url, "settings")
    expect_no_settings(page)
    expect_sign_in_form(page)

    submit_sign_in(page, *credentials[role])
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    wait_for_app(page)

    if allowed:
        expect(heading(page, "Settings")).to_be_visible()
        expect(page.get_by_text("Users and rights")).to_be_visible()
    else:
        expect(heading(page, "Bookings")).to_be_visible()
        expect_no_settings(page)


@pytest.mark.parametrize(("role", "allowed"), [
    ("owner", True),  # the control: a forged request does reach a page the user may see
    ("administrator", False),
    ("employee", False),
])
def test_a_forged_request_for_settings_is_refused(role, allowed, page_requests, sign_in_as):
    """A signed-in session asking the server for the settings page over the websocket,
    as a hand-made client could: the server runs only what the user's rights allow."""
    page = sign_in_as(role)
    page_requests.ask_for("settings")

    if allowed:
        expect(heading(page, "Settings")).to_be_visible()
        expect(page.get_by_text("Users and rights")).to_be_visible()
    else:
        expect(heading(page, "Bookings")).to_be_visible()
        expect_no_settings(page)
        expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()


def test_wrong_password_is_refused(page, app_url, credentials):
    login, password = credentials["administrator"]
    open_app(page, app_url)
    submit_sign_in(page, login, password + "x")

    expect(page.get_by_text("Wrong login or password.")).to_be_visible()
    expect_sign_in_form(page)
    expect(heading(page, "Bookings")).to_have_count(0)


def test_unknown_login_gets_the_same_answer(page, app_url):
    open_app(page, app_url)
    submit_sign_in(page, "nobody-here", "whatever-password")

    expect(page.get_by_text("Wrong login or password.")).to_be_visible()
    expect_sign_in_form(page)


def test_sign_out_returns_to_the_sign_in_form(sign_in_as):
    page = sign_in_as("owner")
    expect(heading(page, "Bookings")).to_be_visible()

    with rerun(page):  # the sign-in form, on a new page load
        sidebar(page).get_by_role("button", name="Sign out", exact=True).click()

    expect_sign_in_form(page)
    expect(heading(page, "Bookings")).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_sign_in_opens_the_list_in_the_same_page_with_its_code_run_before(
        page, app_url, credentials):
    """While the password is typed, the sign-in page draws the list's kinds of element
    out of sight (their code loaded and run): never seen, never reached with the Tab
    key. Sign in opens the list without loading a page (the code stays loaded), and
    the session cookie arrives in the background: a reload is signed in by it."""
    grid_code = "() => performance.getEntriesByType('resource').filter(e => " \
                "/\\/static\\/js\\/DataFrame\\.[^/]+\\.js$/.test(e.name))" \
                ".map(e => e.startTime)"
    open_app(page, app_url)
    page.wait_for_function(f"() => ({grid_code})().length")
    wait_for_warm_up(page)
    expect(warm_up(page)).to_be_hidden()
    page.get_by_label("Login", exact=True).focus()
    for reached in ("Password", "Show password", "Sign in"):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('aria-label') "
                             "|| document.activeElement.textContent.trim()") == reached
    page.keyboard.press("Tab")
    assert not page.evaluate(f"() => !!document.activeElement.closest('.st-key-{WARM_UP}')"), \
        "the Tab key reached a hidden element"
    page.evaluate("() => { window.sameDocument = true; }")
    login, password = credentials["owner"]
    clicked = page.evaluate("() => performance.now()")
    submit_sign_in(page, login, password)
    expect(heading(page, "Bookings")).to_be_visible()
    page.get_by_test_id("stDataFrame").last.locator("canvas").first.wait_for()
    assert page.evaluate("() => window.sameDocument === true"), "a page was loaded"
    expect(warm_up(page)).to_have_count(0)
    fetched = page.evaluate(grid_code)
    assert len(fetched) == 1 and fetched[0] < clicked, "the grid's code was fetched again"
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".some(e => e.name.includes('/auth/session?'))")
    assert any(c["name"] == sessions.COOKIE and c["httpOnly"] for c in page.context.cookies())
    page.reload()
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()


def test_the_warm_up_is_drawn_in_a_browser_without_request_idle_callback(page, app_url):
    """Safari has no requestIdleCallback: the page presses the warm-up's button all the
    same, a moment after the form."""
    page.add_init_script("delete window.requestIdleCallback")
    open_app(page, app_url)
    assert page.evaluate("() => window.requestIdleCallback === undefined")
    wait_for_warm_up(page)
    expect(warm_up(page)).to_be_hidden()
    expect(page.get_by_label("Login", exact=True)).to_be_visible()
