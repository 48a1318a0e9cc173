"""The Bookings page's filter form: widgets in, a `BookingFilter` out.

The form starts from the filter in the URL; Show turns the widgets into a new
filter. Nothing here touches the store beyond the names for the choices.
"""

from __future__ import annotations

import streamlit as st

from bookings.filters import CLIENT, BookingFilter
from bookings.model import Attendance, Source

CANCELLED_LABELS = {"all": "Both", "yes": "Canceled", "no": "Not canceled"}
# Short enough to read whole in a third of the form at 800 px.
SOURCE_LABELS = {"all": "All sources", "online": "Online", "offline": "Offline"}
PAYMENT_LABELS = {"all": "Any payment", "paid": "Paid in full", "unpaid": "Not paid in full"}
SERVICES_LABELS = {"all": "Any", "with": "With services", "without": "Without services"}


def _pick(label: str, labels: dict[str, str], current: str, key: str) -> str:
    options = list(labels)
    return st.selectbox(label, options, index=options.index(current),
                        format_func=labels.__getitem__, key=key)


def _date_range(label: str, start, end, key: str):
    """A date-range picker; (None, None) when left empty, (start, None) for a start
    date alone: "from that day on"."""
    value = (start, end) if start and end else ((start,) if start else ())
    picked = st.date_input(label, value=value, format="DD.MM.YYYY", key=key)
    picked = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    if not picked:
        return None, None
    if len(picked) == 1:
        return picked[0], None
    return picked[0], picked[1]


def filter_form(current: BookingFilter, choices: dict, revision: int) -> BookingFilter | None:
    """Draw the form; the new filter when Show was clicked, else None.

    `choices` holds staff, creators, service_categories and booking_categories
    as {id: name}. `revision` changes the widgets' keys so that a filter
    changed elsewhere (a facet click, the URL) shows in the form.
    """
    k = f"-{revision}"
    with st.form("filters", border=True):
        # Three columns, wide enough for the chips of the pickers of many values
        # (employees' names) to read whole at 1400 and 800 px.
        first, second, third = st.columns([1.4, 1.4, 1.2])
        with first:
            created_from, created_to = _date_range(
                "Date of creation", current.created_from, current.created_to, "created" + k)
            visit_from, visit_to = _date_range(
                "Date of visit", current.visit_from, current.visit_to, "visit" + k)
            client = st.text_input("Client's name or phone number", current.client,
                                   key="client" + k, placeholder="e.g. Kate or +1 212 344")
            payment = _pick("Payment", PAYMENT_LABELS, current.payment, "payment" + k)
            shown = st.form_submit_button("Show", type="primary", icon=":material/search:",
                                          width="stretch")
        with second:
            staff = st.multiselect("Employees", list(choices["staff"]), default=current.staff,
                                   format_func=choices["staff"].get, key="staff" + k,
                                   placeholder="All employees", wrap=True)
            status = st.multiselect("Visit status", list(Attendance), default=current.status,
                                    format_func=lambda s: s.label, key="status" + k,
                                    placeholder="Any status", wrap=True)
            creators = {CLIENT: "The client (online)", **{u: u for u in choices["creators"]}}
            created_by = st.multiselect("User", list(creators),
                                        default=[c for c in current.created_by if c in creators],
                                        format_func=creators.get, key="created_by" + k,
                                        placeholder="Any user", wrap=True)
            services = _pick("Services", SERVICES_LABELS, current.services, "services" + k)
        with third:
            service_category = st.multiselect(
                "Service category", list(choices["service_categories"]),
                default=current.service_category, format_func=choices["service_categories"].get,
                key="service_category" + k, placeholder="Any", wrap=True)
            booking_category = st.multiselect(
                "Booking category", list(choices["booking_categories"]),
                default=current.booking_category, format_func=choices["booking_categories"].get,
                key="booking_category" + k, placeholder="Any", wrap=True)
            source_detail = st.multiselect("Finer source", list(Source),
                                           default=current.source_detail,
                                           format_func=lambda s: s.value,
                                           key="source_detail" + k, placeholder="Any",
                                           wrap=True)
            source = _pick("Booking source", SOURCE_LABELS, current.source, "source" + k)
            cancelled = _pick("Canceled", CANCELLED_LABELS, current.cancelled, "cancelled" + k)
    if not shown:
        return None
    return BookingFilter(
        created_from=created_from, created_to=created_to, visit_from=visit_from,
        visit_to=visit_to, staff=tuple(staff), created_by=tuple(created_by),
        cancelled=cancelled, status=tuple(status), client=client,
        service_category=tuple(service_category), booking_category=tuple(booking_category),
        source=source, payment=payment, services=services, source_detail=tuple(source_detail),
    )
