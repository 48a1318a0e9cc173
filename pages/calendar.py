"""The appointment calendar: a day of bookings per employee, or one employee's
week, and the booking form beside it. Edit in the Bookings list lands here with
that booking open: outlined, in view (the chart shows the hours around it), its
form in a panel next to the chart (under it when the screen is too narrow).

The day, view and open booking live in the URL, like the list's view.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from bookings import catalog, editing, listing
from bookings.errors import Refused
from bookings.model import Attendance, Right
from bookings.store import booking_interval_min
from ui import calendar_chart, common

user = common.require(Right.VIEW_BOOKINGS)
con = common.cursor()
interval = booking_interval_min(con)
FORM_PX = 420  # the form's panel
CHART_LEAST_PX = 460  # a chart narrower than this beside the form puts the form under it


st.title("Calendar")
# No query: the list brings back its last view of this session.
st.page_link("pages/bookings_list.py", label="Back to the list",
             icon=":material/arrow_back:")
notice = listing.scope_notice(user)
if notice:
    st.warning(notice, icon=":material/person_off:")
    st.stop()  # an empty calendar would read as a free day

# The days the calendar can show: a week (and the day after it) must stay a date.
# 01.01.0001 is a Monday; the last whole week ends on Sunday 26.12.9999.
FIRST_DAY, LAST_DAY = date.min, date(9999, 12, 26)


def shown(on: date) -> str:
    """A day as the page writes it (strftime leaves years below 1000 unpadded)."""
    return f"{on.day:02}.{on.month:02}.{on.year:04}"


def view_of(text: str) -> bool:
    if text not in ("day", "week"):
        raise ValueError(text)
    return text == "week"


def within_calendar(on: date) -> date:
    """The day, or the nearest day the calendar can show, saying so."""
    if FIRST_DAY <= on <= LAST_DAY:
        return on
    nearest = min(max(on, FIRST_DAY), LAST_DAY)
    st.info(f"The calendar shows days from {shown(FIRST_DAY)} to {shown(LAST_DAY)}: "
            f"{shown(on)} is outside them, so it shows {shown(nearest)}.")
    return nearest


def moved(on: date, step: timedelta) -> date:
    try:
        return within_calendar(on + step)
    except OverflowError:  # past year 1 or 9999
        return within_calendar(date.min if step < timedelta(0) else date.max)


day = within_calendar(common.url_param("day", date.fromisoformat, date.today(),
                                       "a day (YYYY-MM-DD)"))
week = common.url_param("view", view_of, False, "a view (day or week)")
open_id = common.url_param("booking", int, None, "a booking number")
staff_names = {s["id"]: s["name"] for s in catalog.staff(con) if s["active"]}
if listing.sees_own_only(user):  # offer only the employee whose bookings they see
    staff_names = {i: name for i, name in staff_names.items() if i == user.staff_id}
    st.caption(f"You see only {listing.scope_in_words(con, user)} (your scope: own bookings).")


def load_open(booking_id: int | None) -> tuple[editing.Draft, int] | None:
    """The open booking as its form starts from (draft, version), or None, saying why."""
    if booking_id is None:
        return None
    try:
        return editing.current(con, booking_id, user)
    except Refused as refused:
        st.error(str(refused))
        return None


def staff_control(week: bool, opened: editing.Draft | None) -> tuple[int, ...]:
    """Day: any employees (none chosen is all). Week: one employee's week, the open
    booking's by default."""
    if not week:
        return tuple(st.multiselect("Employees", list(staff_names), format_func=staff_names.get,
                                    placeholder="All employees", wrap=True))
    options = list(staff_names)
    if not options:
        return ()
    mine = opened.staff_id if opened else user.staff_id
    return (st.selectbox("Whose week", options, index=options.index(mine) if mine in options
                         else 0, format_func=staff_names.get, key=f"week-of-{open_id}"),)


opened = load_open(open_id)
draft = opened[0] if opened else None
with st.container(horizontal=True, vertical_alignment="bottom", key="calendar-controls"):
    step = timedelta(days=7 if week else 1)
    earlier = st.button("←", help="Earlier")
    picker = st.empty()  # the day, drawn after the arrows are read
    later = st.button("→", help="Later")
    if earlier or later:
        day = moved(day, step if later else -step)
    day = picker.date_input("Day", value=day, min_value=FIRST_DAY, max_value=LAST_DAY,
                            format="DD.MM.YYYY", width=170)
    week = st.segmented_control("View", ["Day", "Week"],
                                default="Week" if week else "Day") == "Week"
    chosen_staff = staff_control(week, draft)
st.query_params.update({"day": day.isoformat(), "view": "week" if week else "day"})

days = 7 if week else 1
start = datetime.combine(day - timedelta(days=day.weekday()) if week else day, time.min)
if draft and not start <= draft.visit_at < start + timedelta(days=days):
    opened = draft = open_id = None  # another day: the booking's form closes
    st.query_params.pop("booking", None)
bookings = editing.day(con, user, start, days=days, staff=chosen_staff)


def day_columns(rows: list[dict]) -> dict[int, str]:
    """The employees a day shows, by name: those chosen, else those with bookings
    that day; the page of them that holds the open booking's employee."""
    names = {**staff_names, **{r["staff_id"]: r["staff_name"] for r in rows}}
    ids = set(chosen_staff) or {r["staff_id"] for r in rows}
    if draft:
        ids.add(draft.staff_id)
    ordered = sorted((i for i in ids if i in names), key=lambda i: (names[i], i))
    size = (calendar_chart.EMPLOYEES_PER_PAGE_BESIDE_FORM if draft
            else calendar_chart.EMPLOYEES_PER_PAGE)
    pages = calendar_chart.pages_of(ordered, size)
    at = next((n for n, page in enumerate(pages) if draft and draft.staff_id in page), 0)
    if len(pages) > 1:
        at = st.selectbox(
            f"Employees shown, of {len(ordered)}", range(len(pages)), index=at,
            key=f"employees-{day}-{open_id}", width=320,
            format_func=lambda n: f"{n * size + 1}–{n * size + len(pages[n])}: "
                                  f"{names[pages[n][0]]} – {names[pages[n][-1]]}")
    return {i: names[i] for i in pages[at]}


def columns_of_view(rows: list[dict]) -> tuple[list[str], Callable[[dict], int | None]]:
    """The chart's column titles, and which column a booking goes in."""
    if week:
        return ([f"{start + timedelta(days=n):%a %d.%m}" for n in range(7)],
                lambda r: (r["visit_at"].date() - start.date()).days)
    staff_shown = day_columns(rows)
    position = {staff_id: n for n, staff_id in enumerate(staff_shown)}
    return list(staff_shown.values()), lambda r: position.get(r["staff_id"])


def hours_to_show(rows: list[dict]) -> tuple[int, int]:
    """The whole day; with a booking open, the hours around it unless "Whole day" is on."""
    if not draft:
        return calendar_chart.hours_shown(rows, None, whole_day=False)
    with st.container(horizontal=True, vertical_alignment="center"):
        whole_day = st.toggle("Whole day", key=f"whole-day-{open_id}")
        hours = calendar_chart.hours_shown(rows, vars(draft), whole_day)
        if not whole_day:
            st.caption(f"{hours[0]}:00–{hours[1]}:00, around booking {open_id}",
                       width="content")
    return hours


def show_calendar(rows: list[dict]) -> None:
    """The chart; a click on a booking opens it."""
    # One row over the chart: the page of employees shown (once the day's are known)
    # and the hours around the open booking; it wraps rather than cut them.
    with st.container(horizontal=True, vertical_alignment="bottom", key="calendar-view"):
        columns, column_of = columns_of_view(rows)
        hours = hours_to_show(rows) if rows else None
    if not rows:
        st.info("No bookings on this " + ("week." if week else "day."))
        return
    frame = calendar_chart.blocks(rows, column_of, open_id, hours)
    if frame.empty:
        st.info("No bookings of these employees in these hours.")
        return
    event = st.altair_chart(calendar_chart.chart(frame, columns, hours, interval),
                            width="stretch", on_select="rerun", selection_mode="booking",
                            key=f"calendar-{day}-{week}-{chosen_staff}-{open_id}-{columns}")
    selected = event.selection.get("booking") if event else None
    if selected and int(selected[0]["id"]) != open_id:
        st.query_params["booking"] = str(int(selected[0]["id"]))
        st.rerun()


# --- the form ----------------------------------------------------------------------


def form(booking_id: int, draft: editing.Draft, version: int) -> None:
    """The open booking's form; saving it shows the day it is saved on."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"Booking {booking_id}")
        if st.button("Close", icon=":material/close:", help="Close the form: the whole day"):
            st.query_params.pop("booking", None)
            st.rerun()
    changed = form_fields(booking_id, draft, version)
    if changed is None:
        return
    try:
        result = editing.save(con, user, booking_id, changed, started_from=draft, version=version)
    except Refused as refused:
        st.error(str(refused))
        return
    st.session_state["calendar_saved"] = (booking_id, [w.message for w in result.warnings])
    st.query_params["day"] = changed.visit_at.date().isoformat()
    st.rerun()


def form_fields(booking_id: int, draft: editing.Draft, version: int) -> editing.Draft | None:
    """The fields, as the booking is now; the changed draft once Save is pressed."""
    services = {s["id"]: s for s in catalog.services(con)}
    categories = {c["id"]: c["title"] for c in catalog.booking_categories(con)}
    with st.form(f"booking-{booking_id}-{version}", border=False):
        left, right = st.columns(2)
        on_day = left.date_input("Date", value=draft.visit_at.date(), min_value=date.min,
                                 max_value=date.max, format="DD.MM.YYYY")
        at = right.time_input("Time", value=draft.visit_at.time(), step=interval * 60)
        staff_id = left.selectbox("Employee", list(staff_names) or [draft.staff_id],
                                  index=list(staff_names).index(draft.staff_id)
                                  if draft.staff_id in staff_names else 0,
                                  format_func=lambda i: staff_names.get(i, f"#{i}"))
        step = editing.LENGTH_STEP_MIN
        minutes = right.number_input("Duration (minutes)", min_value=step, step=step,
                                     value=max(step, draft.length_s // 60))
        client_name = left.text_input("Client name", draft.client_name)
        phone = right.text_input("Client phone", draft.client_phone
                                 if user.can(Right.SEE_PHONES) else "", disabled=not user.can(
                                     Right.SEE_PHONES), help="Hidden without the phone right")
        status = left.selectbox("Visit status", [a.value for a in Attendance],
                                index=[a.value for a in Attendance].index(draft.attendance),
                                format_func=lambda v: Attendance(v).label)
        paid = right.number_input("Paid", min_value=0.0, value=float(draft.paid), step=1.0)
        lines = st.data_editor(
            pd.DataFrame([{"service": sid, "price": cost, "discount": discount}
                          for sid, cost, discount in draft.services],
                         columns=["service", "price", "discount"]),
            num_rows="dynamic", width="stretch", key=f"lines-{booking_id}-{version}",
            column_config={"service": st.column_config.SelectboxColumn(
                "Service", options=list(services), required=True,
                format_func=lambda i: services[i]["title"] if i in services else str(i)),
                "price": st.column_config.NumberColumn("Price", min_value=0),
                "discount": st.column_config.NumberColumn("Discount", min_value=0)})
        labels = st.multiselect("Booking categories", list(categories),
                                default=list(draft.categories), format_func=categories.get)
        comment = st.text_area("Comment", draft.comment)
        saved = st.form_submit_button("Save", type="primary", disabled=not user.can(
            Right.EDIT_BOOKINGS))
    if not saved:
        return None
    return editing.with_changes(
        draft, visit_at=datetime.combine(on_day, at), staff_id=staff_id, length_s=minutes * 60,
        client_name=client_name, client_phone=phone if user.can(Right.SEE_PHONES)
        else draft.client_phone, attendance=status, paid=paid, comment=comment,
        categories=tuple(labels),
        services=editing.with_list_prices(con, [
            (int(r["service"]), float(r["price"]) if pd.notna(r["price"]) else None,
             float(r["discount"] if pd.notna(r["discount"]) else 0))
            for r in lines.to_dict("records") if pd.notna(r["service"])]))


notice = st.session_state.pop("calendar_saved", None)
if notice:
    st.success(f"Booking {notice[0]} saved.")
    for warning in notice[1]:
        st.warning(warning)
if opened is None:
    with st.container(key="calendar-chart"):
        show_calendar(bookings)
else:
    # The form beside the chart while the chart keeps CHART_LEAST_PX; on a narrower
    # screen the row wraps and the form comes right under the chart.
    st.html("<style>[data-testid=stLayoutWrapper]:has(> .st-key-calendar-chart) "
            f"{{min-width: min(100%, {CHART_LEAST_PX}px)}}</style>")
    with st.container(horizontal=True, gap="medium"):
        with st.container(key="calendar-chart"):
            show_calendar(bookings)
        with st.container(width=FORM_PX, border=True, key="calendar-form"):
            form(open_id, *opened)


def new_booking_form() -> None:
    services = {s["id"]: s for s in catalog.services(con) if s["active"]}
    with st.expander("New booking", icon=":material/add:"), st.form("new-booking"):
        left, right = st.columns(2)
        staff_id = left.selectbox("Employee", list(staff_names), format_func=staff_names.get)
        on_day = right.date_input("Date", value=day, min_value=date.min, max_value=date.max,
                                  format="DD.MM.YYYY")
        at = left.time_input("Time", value=time(10, 0), step=interval * 60)
        chosen = right.multiselect("Services", list(services),
                                   format_func=lambda i: services[i]["title"])
        client_name = left.text_input("Client name")
        phone = right.text_input("Client phone")
        created = st.form_submit_button("Create", type="primary")
    if not created:
        return
    draft = editing.Draft(
        visit_at=datetime.combine(on_day, at), staff_id=staff_id,
        length_s=editing.new_booking_length(con, chosen),
        client_name=client_name, client_phone=phone,
        services=editing.with_list_prices(con, [(i, None, 0.0) for i in chosen]))
    try:
        result = editing.create(con, user, draft)
    except Refused as refused:
        st.error(str(refused))
        return
    st.session_state["calendar_saved"] = (result.booking["id"],
                                          [w.message for w in result.warnings])
    st.query_params.update({"booking": str(result.booking["id"]), "day": on_day.isoformat()})
    st.rerun()


if user.can(Right.EDIT_BOOKINGS):
    new_booking_form()
