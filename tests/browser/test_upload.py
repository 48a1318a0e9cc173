"""Upload in the real app: choose the file in the real file input, see the
preview, commit, find the bookings in the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bookings.upload_file import template_xlsx
from tests.browser.conftest import app_of_its_own, sign_in, wait_for_app, wait_for_render
from tests.browser.test_sign_in import bookings_metric


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("uploading")) as served:
        yield served


def test_choose_file_preview_commit_and_find_in_list(page, own_app, tmp_path):
    url, store = own_app
    file = tmp_path / "old-bookings.xlsx"
    file.write_bytes(template_xlsx(15))  # its example row fits the demo salon
    login, password = store.credentials["owner"]
    sign_in(page, url, login, password, path="upload")
    expect(page.get_by_role("heading", name="Upload bookings from Excel")).to_be_visible()

    page.locator('input[type="file"]').set_input_files(str(file))
    wait_for_app(page)  # (the All rows tab's grid is not drawn until the tab is opened)
    ready = page.get_by_test_id("stMetric").filter(has_text="Ready")
    expect(ready.get_by_test_id("stMetricValue")).to_have_text("1")
    page.get_by_role("button", name="Import 1 booking").click()
    wait_for_app(page)
    expect(page.get_by_text("1 booking imported (batch 1).")).to_be_visible()

    page.get_by_role("link", name="See them in the Bookings list").click()
    wait_for_render(page)
    expect(page.get_by_text("Showing: source excel upload")).to_be_visible()
    expect(bookings_metric(page)).to_have_text("1")
