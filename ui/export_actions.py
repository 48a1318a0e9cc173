"""Download as Excel, from the Bookings list: ask, confirm, and return at once.

The confirmation shows the filter in words and the row count. What waits for
confirmation is kept in the session (the dialog opens on every run while it
waits, as in row_actions) and spent when confirmed: a second click finds
nothing waiting and requests nothing. The file is written in the background;
the Data log shows its progress and offers it when ready.
"""

from __future__ import annotations

import streamlit as st

from bookings.errors import Refused
from bookings.exports import jobs
from bookings.filters import BookingFilter
from bookings.model import Right, User
from ui import common

_CONFIRMING = common.Confirmation("confirming_export")
_OUTCOME = "export_outcome"
FORMAT_LABELS = {"xlsx": "Excel (.xlsx)", "csv": "CSV (.csv)"}


def _request(user: User, fmt: str) -> None:
    # Spent before it runs: a second click finds nothing waiting and requests nothing.
    pending = _CONFIRMING.spend()
    if pending is None:
        return
    try:
        log_id = jobs.request_export(common.cursor(), user, pending["filter"], fmt,
                                     email=user.email or None)
    except Refused as refused:
        st.error(str(refused))
        return
    st.session_state[_OUTCOME] = (log_id, fmt, user.email)
    st.rerun()


@st.dialog("Download as Excel", on_dismiss=_CONFIRMING.forget)
def _confirm(pending: dict) -> None:
    # The dialog's buttons rerun only the dialog: the sign-in and the right are checked
    # again here, not taken from when it opened.
    user = common.require(Right.EXPORT)
    st.markdown(f"Download **{pending['total']:,}** booking{'s' if pending['total'] != 1 else ''}"
                f" matching: *{pending['words']}*")
    fmt = st.radio("Format", list(FORMAT_LABELS), format_func=FORMAT_LABELS.get,
                   horizontal=True)
    notes = ["The file is prepared in the background: you can keep working."]
    notes.append(f"When it is ready, a link goes to **{user.email}**; the file is in the "
                 "Data log too." if user.email else
                 "You have no email address on file: find the file in the Data log.")
    if not user.can(Right.SEE_PHONES):
        notes.append("Phone numbers are masked in the file, as in the list.")
    st.caption(" ".join(notes))
    confirm, cancel = st.columns(2)
    if confirm.button("Request download", type="primary", icon=":material/download:",
                      width="stretch"):
        _request(user, fmt)
    if cancel.button("Cancel", width="stretch"):
        _CONFIRMING.forget()
        st.rerun()


def _show_outcome() -> None:
    outcome = st.session_state.pop(_OUTCOME, None)
    if outcome is None:
        return
    log_id, fmt, email = outcome
    where = f" and email a link to {email}" if email else ""
    st.success(f"Download requested (Data log entry {log_id}, .{fmt}). We prepare it in the "
               f"background{where}; follow it in the Data log.")
    st.page_link("pages/data_log.py", label="Open the Data log", icon=":material/history:")


def export_button(user: User, bfilter: BookingFilter, words: str, total: int) -> None:
    """The Download as Excel button (export right only) and its confirmation."""
    if not user.can(Right.EXPORT):
        return
    _show_outcome()
    if st.button("Download as Excel", icon=":material/download:", disabled=total == 0,
                 help="The bookings of this filter, as the list shows them, in a file"):
        _CONFIRMING.ask(filter=bfilter, words=words, total=total)
    pending = _CONFIRMING.waiting()
    if pending is not None:
        _confirm(pending)
