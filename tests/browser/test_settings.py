"""Settings in the real app: the owner adds a user with chosen rights; that user
signs in with the password shown once and sees exactly the pages they allow."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bookings.model import Right
from tests.browser.conftest import (
    PROJECT_DIR,
    build_store,
    navigation_links,
    rerun,
    serving_store,
    sidebar,
    sign_in,
    submit_sign_in,
    wait_for_render,
)

CHOSEN = {Right.VIEW_BOOKINGS, Right.EXPORT}  # the list and downloads; no settings


def pages_allowed(rights: set[Right]) -> list[str]:
    """The titles of app.py's PAGES whose right is among RIGHTS, in menu order."""
    entries = re.findall(r'\(Right\.(\w+),\s*"[^"]+",\s*"([^"]+)"',
                         (PROJECT_DIR / "app.py").read_text())
    return [title for right, title in entries if Right[right] in rights]


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """Its own store and app: this test adds a user and changes rights."""
    store = build_store(tmp_path_factory.mktemp("settings"), demo_bookings=300)
    with serving_store(store, "streamlit.log") as url:
        yield url, store


def tick(page, label: str) -> None:
    box = page.get_by_test_id("stCheckbox").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    box.locator("label").click()


def test_owner_adds_a_user_who_then_sees_only_the_allowed_pages(page, page_requests, own_app):
    url, store = own_app
    login, password = store.credentials["owner"]
    sign_in(page, url, login, password, path="settings")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    page.get_by_test_id("stExpander").get_by_text("Add a user").click()
    page.get_by_label("Login", exact=True).fill("stylist")
    page.get_by_label("Name", exact=True).fill("Sam Stylist")
    with rerun(page):  # its run, and the run it asks for (st.rerun), over and drawn
        page.get_by_role("button", name="Add user").click()  # role: Employee, the default
    expect(page.get_by_text("User stylist added as employee.")).to_be_visible()
    new_password = page.get_by_test_id("stCode").inner_text().strip()
    assert len(new_password) >= 16

    expect(page.get_by_text("Rights of stylist")).to_be_visible()  # selected for us
    tick(page, "Export to Excel")
    with rerun(page):
        page.get_by_role("button", name="Save rights").click()
    expect(page.get_by_text("Rights of stylist saved.")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_have_count(0)  # the password was shown once

    with rerun(page):  # the sign-in form, on a new page load
        sidebar(page).get_by_role("button", name="Sign out", exact=True).click()
    submit_sign_in(page, "stylist", new_password)
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    wait_for_render(page)
    allowed = pages_allowed(CHOSEN)
    assert "Settings" not in allowed and "Upload from Excel" not in allowed
    # A link's text is its icon's ligature name, then its title.
    expect(navigation_links(page)).to_have_text([re.compile(f"{re.escape(t)}$") for t in allowed])

    # A hand-made request for the page not offered runs the user's default page.
    page_requests.ask_for("settings")
    expect(page.get_by_role("heading", name="Bookings", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Settings")).to_have_count(0)
    expect(page.get_by_role("button", name="Add user")).to_have_count(0)
