"""The Analysis page in chromium, on the session's demo store, as an analyst uses it:
choose what the rows, the columns and the numbers are, then open a cell's bookings
in the list, where the count is the cell's. Screenshots at 1400 and 800 px go to docs/."""

from __future__ import annotations

import re
from datetime import date, timedelta

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import (
    PROJECT_DIR,
    bookings_metric,
    click_cell,
    full_page_screenshot,
    grid_cells,
    rerun,
    reruns_sent,
    wait_for_render,
    wait_for_sent,
)

WIDTHS = [1400, 800]


def pick(page: Page, label: str, option: str) -> None:
    """Choose OPTION in the select box labelled LABEL (outside the filter form: a rerun)."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    box.locator("input").click()
    box.locator("input").fill(option)
    with rerun(page):
        page.get_by_role("listbox").get_by_role("option", name=option, exact=True).click()
    wait_for_render(page)


def open_cell(page: Page, row: int, column: str) -> None:
    """Select a cross-tab cell and wait for the list it opens. The grid may take the
    first click on a canvas it has just drawn as focus only, sending nothing: then
    click again. Once a click has sent its selection, never again: a second click on
    the selected cell would clear it while the first one's run (slow on a loaded
    machine) is still opening the list."""
    for _ in range(3):
        wait_for_render(page)  # the grid the click lands on is the one drawn last
        before = reruns_sent(page)
        click_cell(page, crosstab(page), row, column)
        try:
            wait_for_sent(page, before, timeout_ms=3000)
        except PlaywrightTimeout:
            continue  # taken as focus: nothing was sent
        break
    page.wait_for_function("() => !location.pathname.includes('analysis')")
    wait_for_render(page)


def crosstab(page: Page):
    return page.get_by_test_id("stDataFrame").first


def test_choose_dimensions_and_measure_then_drill_into_a_cell(sign_in_as, page: Page):
    sign_in_as("owner", "analysis?rows=source&cols=status&measure=to_pay")
    wait_for_render(page)
    pick(page, "Rows", "Employee")
    pick(page, "Columns", "Payment")
    pick(page, "Measure", "Bookings")
    expect(page.get_by_role("heading", name="Bookings by employee and payment")).to_be_visible()
    assert re.search(r"[?&]rows=staff", page.url) and re.search(r"[?&]measure=bookings", page.url)

    headers = crosstab(page).locator('[role="columnheader"]')
    expect(headers.first).to_have_text("Employee")  # the new grid's table is drawn
    header = headers.all_inner_texts()
    assert header[0] == "Employee" and "paid in full" in header and header[-1] == "Total"
    first_row = grid_cells(crosstab(page))[0]
    employee, paid = first_row[0], int(first_row[header.index("paid in full")])
    assert paid > 0

    open_cell(page, 0, "paid in full")
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    address = page.evaluate("location.href")  # the list's own: one to bookmark or share
    assert "analysis" not in address and "payment=paid" in address and "staff=" in address
    expect(bookings_metric(page)).to_have_text(f"{paid:,}")
    showing = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile("^Showing:"))
    expect(showing).to_contain_text(f"employee {employee}")
    expect(showing).to_contain_text("paid in full")


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def test_the_page_at_two_widths(sign_in_as, page: Page, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    last = date.today().replace(day=1) - timedelta(days=1)  # last month, against the one
    first = last.replace(day=1)  # before it: the small demo store has both
    sign_in_as("owner", f"analysis?rows=staff&cols=payment&measure=unpaid&heat=1"
                        f"&visit_from={first}&visit_to={last}&compare=previous")
    wait_for_render(page)
    metrics = page.get_by_test_id("stMetricValue")
    expect(metrics).to_have_count(6)
    for value in metrics.all():  # whole numbers, not "194,2…"
        assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), value.inner_text()
    expect(page.get_by_test_id("stMetricDelta")).to_have_count(6)
    full_page_screenshot(page, PROJECT_DIR / "docs" / f"analysis-{width}.png")


def test_download_the_cross_tab_as_shown(sign_in_as, page: Page, tmp_path):
    sign_in_as("administrator", "analysis?rows=source&cols=payment&measure=bookings")
    wait_for_render(page)
    shown = grid_cells(crosstab(page))
    with rerun(page):
        page.get_by_role("button", name="Download as Excel").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("also in the Data log")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save the .xlsx").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path)["Cross-tab"]
    rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    # the file's numbers are numbers, and the page's: label, cells, total per row
    assert [[row[0], *map(int, row[1:])] for row in rows] == [
        [cells[0], *map(int, cells[1:])] for cells in shown]
    assert all(isinstance(v, int) for row in rows for v in row[1:])
