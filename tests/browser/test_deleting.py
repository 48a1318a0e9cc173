"""Deleting in the real app: tick rows, Delete selected, confirm, see the result."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    app_of_its_own,
    bookings_count,
    bookings_metric,
    rerun,
    sign_in,
    tick_rows,
    wait_for_render,
)

# Pending and unpaid: an administrator may delete every one of them.
DELETABLE = "?payment=unpaid&status=pending&cancelled=no&sort=id&asc=1"


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("deleting")) as served:
        yield served


def test_tick_rows_delete_selected_confirm(page, own_app):
    url, store = own_app
    login, password = store.credentials["administrator"]
    sign_in(page, url, login, password, path=DELETABLE)
    wait_for_render(page)
    before = bookings_count(page)
    grid = page.get_by_test_id("stDataFrame").last

    tick_rows(page, grid, [0, 2])
    delete = page.get_by_role("button", name=re.compile(r"Delete selected \(2\)"))
    expect(delete).to_be_enabled()
    delete.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Delete 2 selected bookings?")).to_be_visible()
    with rerun(page):
        dialog.get_by_role("button", name="Delete 2").click()
    wait_for_render(page)

    expect(page.get_by_text("2 bookings deleted.")).to_be_visible()
    expect(bookings_metric(page)).to_have_text(f"{before - 2:,}")  # they left this filter
    expect(page.get_by_role("button", name=re.compile(r"Delete selected \(0\)"))).to_be_disabled()
