"""The list as the front desk uses it all day, at 1400 and 800 px wide: it opens on
today's and the coming visits, keeps its view across pages, puts the actions where
the ticked row is, and shows numbers whole. Screenshots go to docs/."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    PROJECT_DIR,
    full_page_screenshot,
    rerun,
    tick_rows,
    wait_for_render,
)
from ui.common import NARROW_PX

WIDTHS = [1400, 800]


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def width(request, page: Page) -> int:
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def showing(page: Page) -> str:
    """The "Showing: ..." sentence, whole (its first word is bold)."""
    return page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^Showing:")).inner_text().strip()


def in_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
            and box["x"] >= 0 and box["x"] + box["width"] <= size["width"])


def open_sidebar(page: Page, *, first: bool) -> None:
    """Narrower than NARROW_PX the sidebar starts collapsed: a script in the page
    collapses it after the first run, so the FIRST time wait for that; later it is
    as Streamlit left it (the app is idle by then): open it if it is closed."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if first and page.viewport_size["width"] < NARROW_PX:
        expect(expand).to_be_visible()
    if expand.is_visible():
        expand.click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_in_viewport()


def wait_for_the_whole_width(page: Page) -> None:
    """Narrower than NARROW_PX a script collapses the sidebar after the first run: wait
    until it has, and its slide is over (the page has the whole width), before what
    measures the layout."""
    width = page.viewport_size["width"]
    if width < NARROW_PX:
        expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()
        page.wait_for_function("""w => document.querySelector('[data-testid="stMain"]')
            .getBoundingClientRect().width >= w - 20""", arg=width)


def grid(page: Page):
    return page.get_by_test_id("stDataFrame").last


def test_a_bare_address_opens_today_and_the_coming_visits(sign_in_as, width):
    page = sign_in_as("owner")
    wait_for_render(page)
    wait_for_the_whole_width(page)
    today = date.today()
    assert showing(page) == f"Showing: visits from {today.day} {today:%B %Y} on"
    assert f"visit_from={today.isoformat()}" in page.url and "asc=1" in page.url
    full_page_screenshot(page, PROJECT_DIR / "docs" / f"list-opening-{width}.png")

    with rerun(page):
        page.get_by_role("button", name="Whole history").click()
    wait_for_render(page)
    assert showing(page) == "Showing: all bookings"


def test_the_view_comes_back_through_the_sidebar(sign_in_as, width):
    page = sign_in_as("owner", "?staff=1&payment=paid")
    wait_for_render(page)
    words = showing(page)
    assert "employee" in words and "paid in full" in words
    nav = page.get_by_test_id("stSidebarNav")
    open_sidebar(page, first=True)
    with rerun(page):
        nav.get_by_role("link", name="Data log").click()
    expect(page.get_by_role("heading", name="Data log", level=1)).to_be_visible()
    open_sidebar(page, first=False)
    with rerun(page):
        nav.get_by_role("link", name="Bookings").click()
    wait_for_render(page)
    assert showing(page) == words
    assert "staff=1" in page.url and "payment=paid" in page.url

    with rerun(page):
        page.get_by_role("button", name="Reset filters").click()
    wait_for_render(page)
    assert showing(page).startswith("Showing: visits from ")


def test_after_a_tick_the_actions_are_in_view(sign_in_as, width):
    page = sign_in_as("administrator", "?sort=visit_at")
    wait_for_render(page)
    wait_for_the_whole_width(page)
    tick_rows(page, grid(page), [0])
    delete = page.get_by_role("button", name="Delete selected (1)")
    expect(delete).to_be_enabled()
    assert in_viewport(page, delete), "the action bar is off screen after a tick"
    assert in_viewport(page, page.get_by_role("button", name="Info"))
    full_page_screenshot(page, PROJECT_DIR / "docs" / f"list-ticked-{width}.png")


def test_narrow_screens_start_with_the_sidebar_collapsed(sign_in_as, width):
    page = sign_in_as("owner", "?sort=visit_at")
    wait_for_render(page)
    if width < NARROW_PX:
        wait_for_the_whole_width(page)
    else:
        expect(page.get_by_test_id("stSidebarNav")).to_be_in_viewport()


def test_metrics_and_buttons_read_whole(sign_in_as, width):
    page = sign_in_as("owner", "?sort=visit_at")
    wait_for_render(page)
    wait_for_the_whole_width(page)
    cut = page.evaluate("""() => [...document.querySelector('[data-testid="stMain"]')
            .querySelectorAll('[data-testid="stMetricValue"] div,'
            + ' [data-testid="stMetricValue"], [data-testid="stButton"] button p')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert cut == [], f"cut at {width} px: {cut}"


def cut_texts(page: Page, scope: str) -> list[str]:
    """Texts under SCOPE (a test id) that the page ellipsizes or clips: wider than
    their box."""
    return page.evaluate("""(scope) => [...document.querySelector(`[data-testid="${scope}"]`)
            .querySelectorAll('*')]
        .filter(e => e.children.length === 0 && e.innerText && e.innerText.trim()
                && e.scrollWidth > e.clientWidth + 1
                && getComputedStyle(e).overflowX !== 'visible')
        .map(e => e.innerText.trim())""", scope)


def test_the_filter_form_reads_whole(sign_in_as, width):
    """Chosen employees, statuses, weekdays and hours and the plain choices, at their
    longest, read whole."""
    page = sign_in_as("owner", "?staff=1&staff=2&staff=3&status=1&status=2"
                               "&weekday=3&weekday=6&hour=9&hour=18"
                               "&source_detail=online+widget&cancelled=no&payment=unpaid"
                               "&services=without&source=offline&sort=visit_at")
    wait_for_render(page)
    wait_for_the_whole_width(page)
    chips = page.get_by_test_id("stMultiSelectTagsContainer")
    expect(chips.first).to_be_visible()
    assert cut_texts(page, "stForm") == [], f"cut at {width} px"
    page.get_by_test_id("stForm").screenshot(
        path=PROJECT_DIR / "docs" / f"filters-{width}.png")
