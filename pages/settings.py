"""Settings: users and their rights, staff, services and their categories,
booking categories, the booking interval, sign-ins (sessions, throttling), and the
log of every change.

One page of tabs, each drawn by its own module and only when open (the tab is
in the address: `settings?tab=Staff`). Every change goes through
`bookings.users` / `bookings.settings`, which check the settings right again.
"""

import pandas as pd
import streamlit as st

from bookings.admin import changelog
from bookings.model import Right
from ui import (
    common,
    settings_booking,
    settings_services,
    settings_sign_ins,
    settings_staff,
    settings_users,
)

user = common.require(Right.MANAGE_SETTINGS)
con = common.cursor()


def change_log(con, actor) -> None:
    subject = st.selectbox("Show", ["everything", *changelog.SUBJECTS])
    entries = changelog.entries(con, subject=None if subject == "everything" else subject)
    st.dataframe(pd.DataFrame([{
        "at": e["at"], "by": e["actor"] or "command line", "subject": e["subject"],
        "which": e["subject_name"] + (f" ({e['subject_id']})" if e["subject_id"] and
                                      e["subject_id"] != e["subject_name"] else ""),
        "action": e["action"], "change": changelog.in_words(e),
    } for e in entries], columns=["at", "by", "subject", "which", "action", "change"]),
        hide_index=True, width="stretch", column_config={
            "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
            "by": "By", "subject": "What", "which": "Which", "action": "Change",
            "change": st.column_config.TextColumn("Details", width="large")})
    st.caption(f"The newest {len(entries):,} changes. Passwords are never recorded, only that "
               "one was reset.")


TABS = {
    "Users and rights": settings_users.render,
    "Staff": settings_staff.render,
    "Services": settings_services.render,
    "Booking categories": settings_booking.render_categories,
    "Booking interval": settings_booking.render_interval,
    "Sign-ins": settings_sign_ins.render,
    "Change log": change_log,
}

st.title("Settings")
for tab, render in zip(st.tabs(list(TABS), key="tab", on_change="rerun", bind="query-params"),
                       TABS.values(), strict=True):
    if tab.open:
        with tab:
            render(con, user)
