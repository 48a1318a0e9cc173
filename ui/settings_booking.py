"""Settings > Booking categories and > Booking interval."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from bookings import catalog
from bookings.admin import settings
from bookings.model import BOOKING_INTERVALS_MIN, User
from bookings.store import Connection, booking_interval_min
from bookings.uploads.rules import round_to_interval
from ui import settings_forms as forms

SELECTED = "settings_booking_category"
EXAMPLE = datetime(2016, 1, 4, 10, 37)


def render_categories(con: Connection, actor: User) -> None:
    forms.show_messages()
    categories = catalog.booking_categories(con)
    uses = settings.booking_category_uses(con)
    categories_table(categories, uses)
    add_column, change_column = st.columns(2, gap="large")
    with add_column:
        add_form(con, actor)
    with change_column:
        change(con, actor, categories, uses)


def categories_table(categories: list[dict], uses: dict[int, int]) -> None:
    table = pd.DataFrame([{**c, "bookings": uses.get(c["id"], 0)} for c in categories],
                         columns=["id", "title", "color", "builtin", "bookings"])
    st.dataframe(table.style.map(lambda color: f"background-color: {color}; color: white",
                                 subset=["color"]),
                 hide_index=True, width="stretch", column_config={
                     "id": st.column_config.NumberColumn("ID", format="%d"), "title": "Title",
                     "color": "Colour", "builtin": st.column_config.CheckboxColumn("Built in"),
                     "bookings": st.column_config.NumberColumn("Bookings", format="localized")})
    st.caption("The four built-in categories exist in every salon: their colour may change, "
               "not their title, and they cannot be removed.")


def add_form(con: Connection, actor: User) -> None:
    with st.form(forms.key("add-booking-category")):
        st.markdown("**Add a booking category**")
        title = st.text_input("Title")
        color = st.color_picker("Colour", "#00897b")
        submitted = st.form_submit_button("Add category", type="primary")
    if submitted:
        added = forms.attempt(settings.add_booking_category, con, actor, title, color)
        if added:
            st.session_state[SELECTED] = added["id"]
            forms.finish("add-booking-category", f"Booking category {added['title']} added.")


def change(con: Connection, actor: User, categories: list[dict], uses: dict[int, int]) -> None:
    st.markdown("**Change a booking category**")
    by_id = {c["id"]: c for c in categories}
    chosen = forms.choose("Booking category", list(by_id),
                          lambda i: f"{i} · {by_id[i]['title']}", SELECTED)
    category = by_id[chosen]
    with st.form(forms.key(f"booking-category-{chosen}")):
        title = st.text_input("Title", value=category["title"], disabled=category["builtin"],
                              help="Built in: the title stays" if category["builtin"] else None)
        color = st.color_picker("Colour", category["color"])
        submitted = st.form_submit_button("Save")
    if submitted and forms.attempt(settings.update_booking_category, con, actor, chosen,
                                   title=None if category["builtin"] else title, color=color):
        forms.finish(f"booking-category-{chosen}", f"Booking category {chosen} saved.")
    if category["builtin"]:
        return
    if uses.get(chosen):
        st.caption(f"On {uses[chosen]:,} booking(s): it stays, so their record is kept. "
                   "Rename it instead.")
        return
    if st.button(f"Remove {category['title']}", icon=":material/delete:",
                 key=forms.key(f"booking-category-remove-{chosen}")):
        if forms.attempt(settings.remove_booking_category, con, actor, chosen):
                forms.finish(f"booking-category-remove-{chosen}",
                         f"Booking category {category['title']} removed.")


def render_interval(con: Connection, actor: User) -> None:
    forms.show_messages()
    current = booking_interval_min(con)
    with st.form(forms.key("interval")):
        minutes = st.radio("Booking interval", BOOKING_INTERVALS_MIN, horizontal=True,
                           index=BOOKING_INTERVALS_MIN.index(current),
                           format_func=lambda m: f"{m} minutes")
        submitted = st.form_submit_button("Save", type="primary")
    st.caption(f"The slot length of the calendar. Uploaded visit times are rounded to the "
               f"nearest slot: now {EXAMPLE:%H:%M} becomes "
               f"{round_to_interval(EXAMPLE, current):%H:%M}.")
    if submitted and forms.attempt(settings.set_booking_interval, con, actor, minutes):
        forms.finish("interval", f"The booking interval is {minutes} minutes.")
