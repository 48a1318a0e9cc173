"""The Info dialog: one booking, who deleted it, and its history, in people's words.

The words come from `bookings.history_words` (the CLI's `bookings info` says the
same); here they are only laid out. Names, logins, comments are the users' own
text: they are escaped before Markdown sees them, and change lines go out as
plain text.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from bookings import history, history_words
from bookings.model import User
from ui import common

# Every character Markdown (and Streamlit's :directives[] and $math$) could read as markup.
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def literal(text: str) -> str:
    """TEXT shown as it is by st.markdown."""
    return _MARKUP.sub(r"\\\1", text)


@st.dialog("Booking info", width="large")
def booking_info(user: User, booking_id: int) -> None:
    cursor = common.cursor()
    words = history_words.in_words(cursor, history.booking_info(cursor, booking_id, user))
    show_heading(words)
    if words.deletion:
        st.error(literal(words.deletion), icon=":material/delete:")
    if words.as_it_was:
        st.markdown("**As it was when deleted**")
        st.dataframe(pd.DataFrame(words.as_it_was, columns=["Field", "Value"]),
                     hide_index=True, width="stretch", height="content", placeholder="",
                     column_config={"Field": st.column_config.TextColumn(width=120)})
    show_history(words.history)


def show_heading(words: history_words.InfoWords) -> None:
    first, *rest = [part for part in words.heading if part]
    st.markdown(" · ".join([f"**{literal(first)}**", *(literal(part) for part in rest)]))


def show_history(entries: tuple[history_words.Entry, ...]) -> None:
    st.markdown("**History**")
    if not entries:
        st.caption("Nothing recorded since the booking was made.")
        return
    for entry in entries:
        with st.container(border=True):
            st.markdown(f"**{literal(entry.when)}** · {literal(entry.who)} · "
                        f"{literal(entry.what)}")
            if entry.lines:
                st.text("\n".join(entry.lines))
