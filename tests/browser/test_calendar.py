"""Editing in the real app, at 1400 and 800 px wide: from the list, Edit; the
calendar opens with that booking outlined and in view, its form beside it (under
it when the screen is narrow), names apart and labels inside their blocks; change
the status, save (no overlap warning the user did not cause), and the list shows
it. Screenshots go to docs/."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    PROJECT_DIR,
    app_of_its_own,
    bookings_count,
    bookings_metric,
    choose,
    full_page_screenshot,
    open_app,
    rerun,
    sign_in,
    tick_rows,
    wait_for_render,
)
from ui.calendar_chart import OPEN_STROKE

# Today's first pending visit: a full day, every employee at work.
PENDING = (f"?status=pending&cancelled=no&payment=unpaid&visit_from={date.today().isoformat()}"
           "&sort=visit_at&asc=1")
SCREENSHOTS = {1400: "calendar.png", 800: "calendar-800.png"}
CHART = '[data-testid="stVegaLiteChart"]'


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory.mktemp("editing")) as served:
        yield served


@pytest.fixture(params=list(SCREENSHOTS), ids=[f"{w}px" for w in SCREENSHOTS])
def width(request, page: Page) -> int:
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def box(locator: Locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return {**found, "right": found["x"] + found["width"],
            "bottom": found["y"] + found["height"]}


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["right"] <= outer["right"] + slack
            and inner["y"] >= outer["y"] - slack and inner["bottom"] <= outer["bottom"] + slack)


def viewport(page: Page) -> dict:
    size = page.viewport_size
    return {"x": 0, "y": 0, "right": size["width"], "bottom": size["height"]}


def block(page: Page, booking: str) -> Locator:
    return page.locator(f'{CHART} .mark-rect path[aria-label^="Booking {booking}:"]')


def expect_outlined_alone(page: Page, booking: str) -> None:
    """The open booking, and no other, has the outline."""
    outlined = page.locator(f'{CHART} .mark-rect path[stroke="{OPEN_STROKE}"]')
    expect(outlined).to_have_count(1)
    expect(outlined).to_have_attribute("aria-label",
                                       re.compile(rf"^Booking {booking}: .*\(open\)$"))


def expect_form_next_to(page: Page, booking: str, width: int) -> None:
    """Beside the chart, level with the booking; or, narrow, right under the chart;
    its heading in view either way."""
    shown, chart = box(block(page, booking)), box(page.locator(CHART))
    form = box(page.locator(".st-key-calendar-form"))
    heading = page.get_by_role("heading", name=f"Booking {booking}", exact=True)
    assert inside(box(heading), viewport(page)), "the form's heading is off screen"
    if width >= 1000:
        assert form["x"] >= chart["right"] and form["y"] <= shown["y"], (form, chart, shown)
    else:
        assert 0 <= form["y"] - chart["bottom"] <= 80 and form["x"] < chart["right"], (
            form, chart)


def expect_names_apart(page: Page) -> None:
    """Employee names (or days) are each within their own column, none over another,
    and above the blocks."""
    names = page.locator(f'{CHART} g[aria-label^="X-axis"] .role-axis-label text')
    # The plot's own frame: a block cut to the first hour shown starts at its top.
    plot_top = box(page.locator(f"{CHART} .role-frame path.background").first)["y"]
    columns = sorted((box(n) for n in names.all()), key=lambda b: b["x"])
    assert len(columns) >= 2
    for left, right in zip(columns, columns[1:], strict=False):
        assert left["right"] <= right["x"], (left, right)
    assert all(n["bottom"] <= plot_top + 1 for n in columns)


def expect_labels_inside_blocks(page: Page) -> None:
    labels = page.locator(f'{CHART} .mark-text.role-mark text[aria-label^="Label of booking"]')
    assert labels.count() > 0
    for label in labels.all():
        booking = label.get_attribute("aria-label").split()[-1]
        if label.text_content().strip():
            assert inside(box(label), box(block(page, booking))), booking


def expect_controls_whole(page: Page) -> None:
    """The day, the view, the employees, the page of them and the hours shown read
    whole (a row too narrow for them wraps)."""
    cut = page.evaluate("""() => [...document.querySelectorAll(
            '.st-key-calendar-controls *, .st-key-calendar-view *')]
        .filter(e => e.children.length === 0 && e.innerText && e.innerText.trim()
                && e.scrollWidth > e.clientWidth + 1
                && getComputedStyle(e).overflowX !== 'visible')
        .map(e => e.innerText.trim())""")
    assert cut == []


def expect_open_booking_readable(page: Page, booking: str, width: int) -> None:
    expect(block(page, booking)).to_have_count(1)
    expect_controls_whole(page)
    assert inside(box(block(page, booking)), viewport(page)), "the booking is off screen"
    expect_outlined_alone(page, booking)
    expect_form_next_to(page, booking, width)
    expect_names_apart(page)
    expect_labels_inside_blocks(page)


def test_edit_from_the_list_in_the_calendar(page, own_app, width):
    url, store = own_app
    login, password = store.credentials["administrator"]
    sign_in(page, url, login, password, path=PENDING)
    wait_for_render(page)
    before = bookings_count(page)

    tick_rows(page, page.get_by_test_id("stDataFrame").last, [0])
    with rerun(page):
        page.get_by_role("button", name="Edit", exact=True).click()
    wait_for_render(page)
    expect(page.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"^Booking \d+$"))
    expect(heading).to_be_visible()
    booking = heading.inner_text().split()[-1]
    expect_open_booking_readable(page, booking, width)
    full_page_screenshot(page, PROJECT_DIR / "docs" / SCREENSHOTS[width])

    with rerun(page):
        page.get_by_text("Week", exact=True).click()  # the booking's employee's week
    wait_for_render(page)
    expect_open_booking_readable(page, booking, width)

    choose(page, "Visit status", "Confirmed")
    with rerun(page):
        page.get_by_role("button", name="Save", exact=True).click()
    wait_for_render(page)
    expect(page.get_by_text(f"Booking {booking} saved.")).to_be_visible()
    expect(page.get_by_text(re.compile("overlaps"))).to_have_count(0)  # it moved nowhere

    open_app(page, url, PENDING)  # a fresh load: still signed in (the session cookie)
    wait_for_render(page)
    expect(bookings_metric(page)).to_have_text(f"{before - 1:,}")  # no longer pending


def test_the_whole_day_is_readable(page, own_app, width):
    """No booking open: the whole day, the first employees of it, names apart."""
    url, store = own_app
    login, password = store.credentials["administrator"]
    sign_in(page, url, login, password, path="calendar")
    wait_for_render(page)
    expect(page.locator(f"{CHART} .mark-rect path").first).to_be_attached()
    expect(page.locator(".st-key-calendar-form")).to_have_count(0)
    expect_names_apart(page)
    expect_labels_inside_blocks(page)
