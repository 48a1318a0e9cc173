"""The appointment calendar: a day (or week) of bookings per employee, and the
booking form. Edit in the Bookings list lands here with that booking open.

The day, view, employees and open booking live in the URL, like the list's view.
"""

from datetime import date, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from bookings import catalog, editing, listing
from bookings.auth import Forbidden
from bookings.model import Attendance, Right
from bookings.store import StoreError, booking_interval_min
from pages import common

user = common.require(Right.VIEW_BOOKINGS)
con = common.cursor()
interval = booking_interval_min(con)
STATUS_COLOURS = {"Pending": "#90a4ae", "Confirmed": "#42a5f5", "Arrived": "#66bb6a",
                  "No-Show": "#ef5350"}


st.title("Calendar")
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


def param(key: str, parse, default, what: str):
    """A URL parameter, or the default with a word on why (never a traceback)."""
    if key not in st.query_params:
        return default
    text = st.query_params[key]
    try:
        return parse(text)
    except (ValueError, OverflowError):
        st.warning(f"{key}={text!r} in the address is not {what}: it is ignored.")
        return default


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


day = within_calendar(param("day", date.fromisoformat, date.today(), "a day (YYYY-MM-DD)"))
week = param("view", view_of, False, "a view (day or week)")
open_id = param("booking", int, None, "a booking number")
staff_names = {s["id"]: s["name"] for s in catalog.staff(con) if s["active"]}
if listing.sees_own_only(user):  # offer only the employee whose bookings they see
    staff_names = {i: name for i, name in staff_names.items() if i == user.staff_id}
    st.caption(f"You see only {listing.scope_in_words(con, user)} (your scope: own bookings).")
back, picked_day, forward, view_col, staff_col = st.columns([0.5, 1.5, 0.5, 1.5, 4],
                                                           vertical_alignment="bottom")
step = timedelta(days=7 if week else 1)
if back.button("←", help="Earlier"):
    day = moved(day, -step)
if forward.button("→", help="Later"):
    day = moved(day, step)
day = picked_day.date_input("Day", value=day, min_value=FIRST_DAY, max_value=LAST_DAY,
                            format="DD.MM.YYYY")
week = view_col.segmented_control("View", ["Day", "Week"],
                                  default="Week" if week else "Day") == "Week"
chosen_staff = staff_col.multiselect("Employees", list(staff_names), format_func=staff_names.get,
                                     placeholder="All employees")
st.query_params.update({"day": day.isoformat(), "view": "week" if week else "day"})

start = datetime.combine(day - timedelta(days=day.weekday()) if week else day, time.min)
bookings = editing.day(con, user, start, days=7 if week else 1, staff=tuple(chosen_staff))


def blocks(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": r["id"],
        "employee": r["staff_name"],
        "day": f"{r['visit_at']:%a %d.%m}",
        "from": r["visit_at"].hour + r["visit_at"].minute / 60,
        "to": r["visit_at"].hour + r["visit_at"].minute / 60 + r["length_s"] / 3600,
        "status": r["status"],
        "made": "online" if r["online"] else "by the salon",
        "label": f"{r['visit_at']:%H:%M} {r['client_name']}\n"
                 + (", ".join(s["title"] for s in r["services"]) or "no services"),
        "services": ", ".join(s["title"] for s in r["services"]) or "no services",
    } for r in rows])


if not bookings:
    st.info("No bookings on this " + ("week." if week else "day."))
else:
    frame = blocks(bookings)
    column = "day" if week else "employee"
    pick = alt.selection_point(fields=["id"], name="booking")
    base = alt.Chart(frame).encode(
        x=alt.X(f"{column}:N", title=None,
                axis=alt.Axis(orient="top", labelAngle=0, labelOverlap=False, labelLimit=140),
                sort=None if week else sorted(set(frame["employee"]))),
        # Grid lines every booking interval, labels every hour.
        y=alt.Y("from:Q", title=None, scale=alt.Scale(domain=[21, 8], nice=False),
                axis=alt.Axis(values=[8 + i * interval / 60
                                      for i in range(13 * 60 // interval + 1)],
                              labelExpr="datum.value % 1 == 0 ? datum.value + ':00' : ''",
                              gridOpacity=0.5)),
    )
    rects = base.mark_rect(cornerRadius=3, stroke="#37474f").encode(
        y2="to:Q",
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLOURS),
                                                    range=list(STATUS_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", title="Visit status")),
        strokeDash=alt.StrokeDash("made:N", legend=alt.Legend(orient="bottom", title="Made"),
                                  scale=alt.Scale(domain=["online", "by the salon"],
                                                  range=[[4, 2], [1, 0]])),
        strokeWidth=alt.value(1.5),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.85)),
        tooltip=["id", "label", "services", "status", "made", column],
    ).add_params(pick)
    # Text clipped to about a column's width so it never runs into the next one.
    columns_shown = max(1, frame[column].nunique())
    labels = base.mark_text(align="left", baseline="top", dx=-40, dy=3, fontSize=10,
                            lineBreak="\n", color="#102027",
                            limit=max(60, 1000 // columns_shown - 12)).encode(text="label:N")
    height = 80 * 13
    event = st.altair_chart((rects + labels).properties(height=height), width="stretch",
                            on_select="rerun", selection_mode="booking",
                            key=f"calendar-{day}-{week}-{chosen_staff}")
    selected = event.selection.get("booking") if event else None
    if selected:
        open_id = int(selected[0]["id"])
        st.query_params["booking"] = str(open_id)


# --- the form ----------------------------------------------------------------------


def form(booking_id: int) -> None:
    try:
        draft, version = editing.current(con, booking_id, user)
    except StoreError as refused:
        st.error(str(refused))
        return
    services = {s["id"]: s for s in catalog.services(con)}
    categories = {c["id"]: c["title"] for c in catalog.booking_categories(con)}
    with st.form(f"booking-{booking_id}-{version}"):
        st.subheader(f"Booking {booking_id}")
        left, right = st.columns(2)
        on_day = left.date_input("Date", value=draft.visit_at.date(), min_value=date.min,
                                max_value=date.max, format="DD.MM.YYYY")
        at = right.time_input("Time", value=draft.visit_at.time(), step=interval * 60)
        staff_id = left.selectbox("Employee", list(staff_names) or [draft.staff_id],
                                  index=list(staff_names).index(draft.staff_id)
                                  if draft.staff_id in staff_names else 0,
                                  format_func=lambda i: staff_names.get(i, f"#{i}"))
        minutes = right.number_input("Duration (minutes)", min_value=15, step=15,
                                     value=max(15, draft.length_s // 60))
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
        return
    changed = editing.with_changes(
        draft, visit_at=datetime.combine(on_day, at), staff_id=staff_id, length_s=minutes * 60,
        client_name=client_name, client_phone=phone if user.can(Right.SEE_PHONES)
        else draft.client_phone, attendance=status, paid=paid, comment=comment,
        categories=tuple(labels),
        services=tuple((int(r["service"]), float(r["price"] if pd.notna(r["price"]) else
                        services[int(r["service"])]["price"]),
                        float(r["discount"] if pd.notna(r["discount"]) else 0))
                       for r in lines.to_dict("records") if pd.notna(r["service"])))
    try:
        result = editing.save(con, user, booking_id, changed, started_from=draft, version=version)
    except (StoreError, Forbidden) as refused:
        st.error(str(refused))
        return
    st.session_state["calendar_saved"] = (booking_id, [w.message for w in result.warnings])
    st.rerun()


notice = st.session_state.pop("calendar_saved", None)
if notice:
    st.success(f"Booking {notice[0]} saved.")
    for warning in notice[1]:
        st.warning(warning)
if open_id is not None:
    form(open_id)


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
        length_s=max(900, sum(services[i]["duration_s"] for i in chosen)),
        client_name=client_name, client_phone=phone,
        services=tuple((i, float(services[i]["price"]), 0.0) for i in chosen))
    try:
        result = editing.create(con, user, draft)
    except (StoreError, Forbidden) as refused:
        st.error(str(refused))
        return
    st.session_state["calendar_saved"] = (result.booking["id"],
                                          [w.message for w in result.warnings])
    st.query_params.update({"booking": str(result.booking["id"]), "day": on_day.isoformat()})
    st.rerun()


if user.can(Right.EDIT_BOOKINGS):
    new_booking_form()
