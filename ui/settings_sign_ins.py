"""Settings > Sign-ins: who is signed in where, ending a user's sessions, and the
sign-in throttles the owner may clear. The rules and the records are in
`bookings.users` (it checks the settings right again) and `bookings.auth`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings import auth, sessions
from bookings.admin import users as user_admin
from bookings.model import User
from bookings.store import Connection
from ui import settings_forms as forms
from ui.common import counted


def render(con: Connection, actor: User) -> None:
    forms.show_messages()
    _sessions(con, actor)
    _throttles(con, actor)


def _sessions(con: Connection, actor: User) -> None:
    st.subheader("Signed-in browsers")
    users = auth.list_users(con)
    st.dataframe(pd.DataFrame([{
        "Login": u.login, "Name": u.name, "Active": u.active,
        "Signed-in browsers": sessions.live_count(con, u.id),
    } for u in users]), hide_index=True, width="stretch")
    st.caption(f"A session ends after {sessions.span(sessions.idle_time())} without use and "
               f"{sessions.span(sessions.lifetime())} after sign-in at the latest.")
    with st.form(forms.key("everywhere"), border=False):
        login = st.selectbox("User", [u.login for u in users],
                             format_func=lambda x: _named(users, x))
        if st.form_submit_button("Sign out everywhere", icon=":material/devices:"):
            ended = forms.attempt(user_admin.sign_out_everywhere, con, actor, login)
            if ended is not None:
                forms.finish("everywhere", f"{login}: {counted(ended, 'signed-in browser')} "
                                           "signed out. Each is signed out at its next click.")


def _throttles(con: Connection, actor: User) -> None:
    st.subheader("Sign-in throttling")
    found = auth.throttles(con)
    if not found:
        st.caption(f"No failed sign-ins in the last "
                   f"{int(auth.FAILURE_WINDOW.total_seconds() // 60)} minutes.")
        return
    st.dataframe(pd.DataFrame([{
        "Login": t.login, "From": t.client, "Failures": t.failures,
        "Last failure": t.last_failed_at,
        "Must wait": f"{t.wait_s:,} s" if t.wait_s else "",
    } for t in found]), hide_index=True, width="stretch", column_config={
        "Last failure": st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm:ss")})
    st.caption("Failed sign-ins slow down the next tries of that login from that address, "
               "and of an address that fails many logins. Refused sign-ins are in the Data "
               "log.")
    with st.form(forms.key("unthrottle"), border=False):
        login = st.selectbox("Login", sorted({t.login for t in found}))
        if st.form_submit_button("Clear throttling", icon=":material/lock_open:"):
            cleared = forms.attempt(user_admin.unthrottle, con, actor, login)
            if cleared is not None:
                forms.finish("unthrottle", f"{login} may sign in again at once "
                                           f"({cleared:,} failed sign-ins forgotten).")


def _named(users: list[User], login: str) -> str:
    user = next(u for u in users if u.login == login)
    return f"{user.name} ({login})" if user.name != login else login
