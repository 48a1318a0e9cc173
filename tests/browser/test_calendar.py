"""Editing in the real app: from the list, Edit, the calendar opens with the
form, change the status, save, and the list shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PROJECT_DIR,
    app_of_its_own,
    full_page_screenshot,
    open_app,
    sign_in,
    tick_rows,
    wait_for_render,
)
from tests.browser.test_bookings_list import choose
from tests.browser.test_sign_in import bookings_metric

PENDING = "?status=pending&cancelled=no&payment=unpaid&sort=id&asc=1"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("editing")) as served:
        yield served


def test_edit_from_the_list_in_the_calendar(page, own_app):
    url, store = own_app
    login, password = store.credentials["administrator"]
    sign_in(page, url, login, password, path=PENDING)
    wait_for_render(page)
    before = int(bookings_metric(page).inner_text().replace(",", ""))

    tick_rows(page, page.get_by_test_id("stDataFrame").last, [0])
    page.get_by_role("button", name="Edit", exact=True).click()
    wait_for_render(page)
    expect(page.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"^Booking \d+$"))
    expect(heading).to_be_visible()
    booking = heading.inner_text().split()[-1]
    full_page_screenshot(page, PROJECT_DIR / "docs" / "calendar.png")

    choose(page, "Visit status", "Confirmed")
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_render(page)
    expect(page.get_by_text(f"Booking {booking} saved.")).to_be_visible()

    open_app(page, url, PENDING)  # a fresh load: still signed in (the session cookie)
    wait_for_render(page)
    expect(bookings_metric(page)).to_have_text(f"{before - 1:,}")  # no longer pending
