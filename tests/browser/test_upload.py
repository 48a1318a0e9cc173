"""Upload in the real app: choose the file in the real file input, see the
preview, commit with a row left out, download that row to fix (made on the
click), find the bookings in the list."""

from __future__ import annotations

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from bookings.uploads.sheet import EXAMPLE_ROW, HEADERS
from tests.browser.conftest import (
    app_of_its_own,
    bookings_metric,
    rerun,
    sign_in,
    wait_for_app,
    wait_for_render,
)


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("uploading")) as served:
        yield served


def bookings_file(path) -> None:
    """The template's row made real (the demo salon has its employee and services),
    and a row for an employee the salon does not have."""
    good = [*EXAMPLE_ROW]
    good[0], good[2], good[3] = "05.01.2026 10:30", "12125550199", "Laura Palmer"
    unknown = [*good]
    unknown[0], unknown[1], unknown[4] = "05.01.2026 12:00", 99, None
    book = openpyxl.Workbook()
    book.active.append(list(HEADERS.values())[:len(good)])
    for row in (good, unknown):
        book.active.append(row)
    book.save(path)


def test_choose_file_preview_commit_and_find_in_list(page, own_app, tmp_path):
    url, store = own_app
    file = tmp_path / "old-bookings.xlsx"
    bookings_file(file)
    login, password = store.credentials["owner"]
    sign_in(page, url, login, password, path="upload")
    expect(page.get_by_role("heading", name="Upload bookings from Excel")).to_be_visible()

    with rerun(page):  # (the All rows tab's grid is not drawn until the tab is opened)
        page.locator('input[type="file"]').set_input_files(str(file))
    for label, value in (("Rows", "2"), ("Ready", "1"), ("With errors", "1")):
        metric = page.get_by_test_id("stMetric").filter(has_text=label)
        expect(metric.get_by_test_id("stMetricValue")).to_have_text(value)
    with rerun(page):
        page.get_by_text("Import the 1 valid row and leave 1 out").click()
    with rerun(page):  # the commit's run and the run it asks for: the button is the final one
        page.get_by_role("button", name="Import 1 booking").click()
    expect(page.get_by_text(re.compile(r"^1 booking imported.*\(batch 1\)\.$"))).to_be_visible()

    fix = page.get_by_role("button", name="Download the 1 row left out, marked, to fix")
    expect(fix).to_be_enabled()
    with page.expect_download() as download:  # made on the click; no rerun (made_on_click)
        fix.click()
    download = download.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == "to-fix-old-bookings.xlsx"
    rows = list(openpyxl.load_workbook(saved).active.values)
    assert len(rows) == 2 and "employee 99 does not exist" in rows[1][-1]
    wait_for_app(page)
    expect(fix).to_be_visible()  # still offered after the download

    with rerun(page):
        page.get_by_role("link", name="See them in the Bookings list").click()
    wait_for_render(page)
    expect(page.get_by_text("Showing: source excel upload")).to_be_visible()
    expect(bookings_metric(page)).to_have_text("1")
