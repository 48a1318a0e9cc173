"""The Bookings page's filter form: widgets in, a `BookingFilter` out.

The form starts from the filter in the URL; Show turns the widgets into a new
filter. Nothing here touches the store beyond the names for the choices; the
labels are the filters' own (bookings.filters.FILTER_LABELS).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from bookings.filters import CLIENT, FILTER_LABELS, WEEKDAYS, BookingFilter
from bookings.model import Attendance, Source

CANCELLED_LABELS = {"all": "Both", "yes": "Canceled", "no": "Not canceled"}
# Short enough to read whole in a third of the form at 800 px.
SOURCE_LABELS = {"all": "All sources", "online": "Online", "offline": "Offline"}
PAYMENT_LABELS = {"all": "Any payment", "paid": "Paid in full", "unpaid": "Not paid in full",
                  "nothing": "Nothing to pay"}
SERVICES_LABELS = {"all": "Any", "with": "With services", "without": "Without services"}


def _pick(current: BookingFilter, name: str, labels: dict[str, str], k: str) -> str:
    """One of the few values of the filter NAME, shown in LABELS' words."""
    options = list(labels)
    return st.selectbox(FILTER_LABELS[name], options, index=options.index(getattr(current, name)),
                        format_func=labels.__getitem__, key=name + k)


def _date_range(current: BookingFilter, dates: str, k: str):
    """A picker of the range DATES_from-DATES_to ("created", "visit"); (None, None) when
    left empty, (start, None) for a start date alone: "from that day on"."""
    start, end = getattr(current, f"{dates}_from"), getattr(current, f"{dates}_to")
    value = (start, end) if start and end else ((start,) if start else ())
    picked = st.date_input(FILTER_LABELS[f"{dates}_from"], value=value, format="DD.MM.YYYY",
                           key=dates + k)
    picked = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    if not picked:
        return None, None
    if len(picked) == 1:
        return picked[0], None
    return picked[0], picked[1]


# Drawn only while "More filters" is open (or one of them is set): seventeen pickers
# cost the list about a third of a second in the browser (bench/bench_browser.py).
# One picker each; the creation dates are one range.
MORE_PICKERS = (("created_from", "created_to"), ("services",), ("cancelled",), ("weekday",),
                ("hour",), ("created_by",), ("service_category",), ("booking_category",),
                ("source_detail",))


def more_filters_set(current: BookingFilter) -> int:
    """How many of the pickers under "More filters" narrow the list."""
    unset = BookingFilter()
    return sum(any(getattr(current, name) != getattr(unset, name) for name in picker)
               for picker in MORE_PICKERS)


def filter_form(current: BookingFilter, choices: dict, revision: int) -> BookingFilter | None:
    """Draw the form; the new filter when Show was clicked, else None.

    `choices` holds staff, creators, service_categories and booking_categories
    as {id: name}. `revision` changes the widgets' keys so that a filter
    changed elsewhere (a facet click, the URL) shows in the form. The filters under
    "More filters" keep their values from CURRENT while closed.
    """
    k = f"-{revision}"
    with st.form("filters", border=True):
        # Three columns, wide enough for the chips of the pickers of many values
        # (employees' names) to read whole at 1400 and 800 px.
        first, second, third = st.columns([1.4, 1.4, 1.2])
        with first:
            visit_from, visit_to = _date_range(current, "visit", k)
            client = st.text_input(FILTER_LABELS["client"], current.client,
                                   key="client" + k, placeholder="e.g. Kate or +1 212 344")
        with second:
            staff = st.multiselect(FILTER_LABELS["staff"], list(choices["staff"]),
                                   default=current.staff, format_func=choices["staff"].get,
                                   key="staff" + k, placeholder="All employees", wrap=True)
            payment = _pick(current, "payment", PAYMENT_LABELS, k)
        with third:
            status = st.multiselect(FILTER_LABELS["status"], list(Attendance),
                                    default=current.status, format_func=lambda s: s.label,
                                    key="status" + k, placeholder="Any status", wrap=True)
            source = _pick(current, "source", SOURCE_LABELS, k)
        set_below = more_filters_set(current)
        more = st.expander("More filters" + (f" ({set_below} set)" if set_below else ""),
                           key="more_filters" + k, on_change="rerun",
                           expanded=bool(set_below))
        with more:
            more_values = _more_filters(current, choices, k) if more.open else {}
        shown = st.form_submit_button("Show", type="primary", icon=":material/search:")
    if not shown:
        return None
    return replace(
        current, visit_from=visit_from, visit_to=visit_to, staff=tuple(staff),
        status=tuple(status), client=client, source=source, payment=payment, **more_values,
    )


def _more_filters(current: BookingFilter, choices: dict, k: str) -> dict:
    """The filters under "More filters", drawn, as BookingFilter's fields."""
    first, second, third = st.columns([1.4, 1.4, 1.2])
    with first:
        created_from, created_to = _date_range(current, "created", k)
        services = _pick(current, "services", SERVICES_LABELS, k)
        cancelled = _pick(current, "cancelled", CANCELLED_LABELS, k)
    with second:
        # of the visit: ISO weekdays (Monday 1) and hours of the day
        weekday = st.multiselect(FILTER_LABELS["weekday"], range(1, 8),
                                 default=current.weekday,
                                 format_func=lambda d: WEEKDAYS[d - 1], key="weekday" + k,
                                 placeholder="Any day", wrap=True)
        hour = st.multiselect(FILTER_LABELS["hour"], range(24), default=current.hour,
                              format_func=lambda h: f"{h:02d}:00", key="hour" + k,
                              placeholder="Any hour", wrap=True)
        creators = {CLIENT: "The client (online)", **{u: u for u in choices["creators"]}}
        created_by = st.multiselect(FILTER_LABELS["created_by"], list(creators),
                                    default=[c for c in current.created_by if c in creators],
                                    format_func=creators.get, key="created_by" + k,
                                    placeholder="Any user", wrap=True)
    with third:
        service_categories = {None: "(none)", **choices["service_categories"]}
        service_category = st.multiselect(
            FILTER_LABELS["service_category"], list(service_categories),
            default=current.service_category, format_func=service_categories.get,
            key="service_category" + k, placeholder="Any", wrap=True)
        booking_categories = {None: "(none)", **choices["booking_categories"]}
        booking_category = st.multiselect(
            FILTER_LABELS["booking_category"], list(booking_categories),
            default=current.booking_category, format_func=booking_categories.get,
            key="booking_category" + k, placeholder="Any", wrap=True)
        source_detail = st.multiselect(FILTER_LABELS["source_detail"], list(Source),
                                       default=current.source_detail,
                                       format_func=lambda s: s.value,
                                       key="source_detail" + k, placeholder="Any",
                                       wrap=True)
    return {"created_from": created_from, "created_to": created_to, "services": services,
            "cancelled": cancelled, "weekday": tuple(weekday), "hour": tuple(hour),
            "created_by": tuple(created_by), "service_category": tuple(service_category),
            "booking_category": tuple(booking_category),
            "source_detail": tuple(source_detail)}
