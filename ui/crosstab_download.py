"""Download as Excel, for the cross-tab on a page: the file at once, and in the Data log.

A user without the export right sees the button disabled, its help naming the right.
A click writes the file (`exports.crosstab.export_crosstab`, which checks the right
again on the server and records the Data log entry) and offers it here straight away;
its bytes leave through the Data log's own checked and recorded path
(`links.fetch_for_page`, in the download's callable: `common.fetched_download`), not
in a click handler a client may skip.

A double click makes one file. The click that makes it spends the button: the
button's key carries a round number kept in the session, moved on before the file is
made, and the page reruns at once. A second click on the spent button (sent before
the rerun, or from a page drawn before it) is for a widget no longer there and does
nothing; the button drawn after it asks for a new file, on purpose.
"""

from __future__ import annotations

import streamlit as st

from bookings.errors import Refused
from bookings.exports import crosstab, links
from bookings.filters import BookingFilter
from bookings.model import Right, User
from ui import common

LABEL = "Download as Excel"
_ROUND = "crosstab_download_round"  # the round of the button: spent by each file made
_MADE = "crosstab_download_made"  # the last file made: {"log_id": ..., "asked": {...}}


def crosstab_download(user: User, bfilter: BookingFilter, words: str, rows: str, cols: str,
                      measure: str, compare: str | None = None) -> None:
    """The Download as Excel button of the cross-tab of BFILTER (in words: WORDS) by ROWS
    and COLS with MEASURE (and COMPARE: pivot's "previous", "year" or None), and the file
    it made, offered until the cross-tab asked for changes."""
    if not user.can(Right.EXPORT):
        st.button(LABEL, icon=":material/download:", disabled=True,
                  key="crosstab-download-disabled",
                  help=f"Needs the right '{Right.EXPORT.description}' ({Right.EXPORT.value}), "
                       "which your account does not have. Ask the salon's owner.")
        return
    asked = {"filter": bfilter, "rows": rows, "cols": cols, "measure": measure,
             "compare": compare}
    spent = st.session_state.get(_ROUND, 0)
    if st.button(LABEL, icon=":material/download:", key=f"crosstab-download-{spent}",
                 help=f"This cross-tab ({words}) as an .xlsx file, numbers as numbers; it "
                      "is recorded in the Data log"):
        # Spent before the file is made: a second click on this button does nothing.
        st.session_state[_ROUND] = spent + 1
        _make(user, asked)
    _offer(user, asked)


def _make(user: User, asked: dict) -> None:
    try:
        outcome = crosstab.export_crosstab(
            common.cursor(), user, asked["filter"], asked["rows"], asked["cols"],
            asked["measure"], asked["compare"])
    except Refused as refused:
        st.error(str(refused))
        return
    st.session_state[_MADE] = {"log_id": outcome.log_id, "asked": asked}
    st.rerun()  # draws the next round's button, and the file


def _offer(user: User, asked: dict) -> None:
    """The file made for this very cross-tab, if one was: saved from here, kept in the log."""
    made = st.session_state.get(_MADE)
    if made is None or made["asked"] != asked:
        return  # another cross-tab's file: it stays in the Data log
    log_id = made["log_id"]
    try:
        ready = links.for_page(common.cursor(), user, log_id)  # checked, not yet fetched
    except Refused as refused:
        st.warning(str(refused))
        return
    text_col, button_col = st.columns([3, 1.3], vertical_alignment="center")
    text_col.success(f"The cross-tab is written (Data log entry {log_id}). Save it here; "
                     "it is also in the Data log.", icon=":material/check:")
    button_col.download_button(
        "Save the .xlsx", common.fetched_download(user.login, log_id),
        file_name=ready.file_name, mime=ready.media_type, key=f"crosstab-file-{log_id}",
        icon=":material/download:", on_click="ignore", type="primary")
    st.page_link("pages/data_log.py", label="Open the Data log", icon=":material/history:")
