"""Data log: downloads (of the list, of a cross-tab), uploads and bulk deletions; fetch
ready files.

Everyone with the list right opens it and sees their own entries; the owner
(the settings right) sees everyone's. Fetching a file needs the export right.
Both are checked again in `bookings/` (datalog, downloads), on the server; a
file's bytes are checked and recorded as they leave (`links.fetch_for_page`,
in the download callable), not in the button's on_click, which a client may skip.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from bookings import datalog
from bookings.errors import Refused
from bookings.exports import links
from bookings.model import Right, User
from ui import common

REFRESH_S = 2  # while a download is queued or running
KIND_LABELS = {"export": "Download", "crosstab": "Cross-tab download", "upload": "Upload",
               "delete": "Bulk delete", "sign-in": "Refused sign-in"}
# What an entry's Rows count, where it is not the rows of a file
ROWS_WORDS = {"crosstab": "bookings counted"}

user = common.require(Right.VIEW_BOOKINGS)
con = common.cursor()

st.title("Data log")
everyone = datalog.sees_everyone(user)
st.caption("Every download, upload and bulk deletion: who, when, what, and who fetched the "
           "files" + (", and every refused sign-in. You see everyone's entries." if everyone
                      else ". You see your own entries.")
           + ("" if user.can(Right.EXPORT) else " Fetching files needs the export right."))

kind_col, user_col, dates_col = st.columns([2, 2, 3])
kind = kind_col.selectbox("Kind", [None, *datalog.KINDS], key="log_kind",
                          format_func=lambda k: "All" if k is None else KIND_LABELS[k])
by = None
if everyone:
    by = user_col.selectbox("User", [None, *datalog.logins(con, user)], key="log_user",
                            format_func=lambda login: "Everyone" if login is None else login)
picked = dates_col.date_input("Requested between", value=(), key="log_dates",
                              format="DD.MM.YYYY", max_value=date.today())
date_from, date_to = (tuple(picked) + (None, None))[:2] if picked else (None, None)
# ?entry=N: the entry an email linked to (the export's "ready" message).
asked_entry = st.query_params.get("entry", "")
log_id = int(asked_entry) if asked_entry.isdigit() and len(asked_entry) < 10 else None
if log_id is not None:
    note_col, all_col = st.columns([5, 1.3], vertical_alignment="center")
    note_col.info(f"Showing entry #{log_id}, as linked from your email.")
    if all_col.button("Show all entries", icon=":material/list:"):
        del st.query_params["entry"]
        st.rerun()


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""


# The order and widths let Kind, State, Progress and Fetches show without a sideways
# scroll even at 800 px with the sidebar open, and every column at 1400 px but Note,
# shown only when an entry has one; What is cut short (a double click opens it whole).
LOG_COLUMNS = {
    "ID": st.column_config.NumberColumn(format="%d", width=45, pinned=True),
    "Kind": st.column_config.TextColumn(width=100),
    "State": st.column_config.TextColumn(width=65),
    "Progress": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent",
                                                width=75),
    "Fetches": st.column_config.NumberColumn(
        format="localized", width=60,
        help="How many times the file was fetched; who and when: the Fetches table below"),
    "When": st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm", width=125),
    "Who": st.column_config.TextColumn(width=75),
    "What": st.column_config.TextColumn(width=150),
    "Rows": st.column_config.NumberColumn(
        format="localized", width=70,
        help="Rows of the file, of the upload or deleted; of a cross-tab, the bookings it "
             "counts"),
    "Left out": st.column_config.NumberColumn(format="localized", width=65),
    "File": st.column_config.TextColumn(width=95, help="Format and size of the file"),
    "Note": st.column_config.TextColumn(),
}


def as_table(entries: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame([{
        "ID": e["id"],
        "Kind": KIND_LABELS.get(e["kind"], e["kind"]),
        "State": e["state"],
        "Progress": e["progress"] if e["kind"] in datalog.FILE_KINDS else None,
        "Fetches": len(e["fetches"]) if e["kind"] in datalog.FILE_KINDS else None,
        "When": e["at"],
        "Who": e["user"] or "",
        "What": e["what"] or "",
        "Rows": e["rows"],
        "Left out": e["rows_left_out"],
        "File": " ".join(part for part in (e["format"], size_text(e["size"])) if part),
        "Note": e["error"] or "",
    } for e in entries], columns=list(LOG_COLUMNS))
    # Whole numbers stay whole where some are missing (no "200000.0"), shown as blanks.
    return table.astype({"ID": "Int64", "Fetches": "Int64", "Rows": "Int64",
                         "Left out": "Int64"})


def fetches_table(entries: list[dict]) -> pd.DataFrame:
    """Every fetch of the files shown, newest first: the Fetches column's details."""
    rows = [{"Entry": e["id"], "Who": "someone with the link" if f["via"] == "link"
             and f["by"] == "link" else f["by"], "When": f["at"],
             "How": "emailed link" if f["via"] == "link" else "this page"}
            for e in entries for f in e["fetches"]]
    return pd.DataFrame(sorted(rows, key=lambda row: row["When"], reverse=True),
                        columns=["Entry", "Who", "When", "How"])


def ready_files(cursor, entries: list[dict], viewer: User) -> None:
    ready = [e for e in entries if e["kind"] in datalog.FILE_KINDS and e["state"] == "ready"]
    if not ready or not viewer.can(Right.EXPORT):
        return
    st.subheader("Ready files")
    for e in ready[:20]:
        try:
            ready_file = links.for_page(cursor, viewer, e["id"])
        except Refused as gone:
            st.caption(f"#{e['id']}: {gone}")
            continue
        text_col, button_col = st.columns([5, 1.3], vertical_alignment="center")
        text_col.markdown(f"**#{e['id']}** · {e['at']:%d.%m.%Y %H:%M} · {e['user']} · "
                          f"{e['what']} · {e['rows']:,} {ROWS_WORDS.get(e['kind'], 'rows')} · "
                          f"{e['format']} · "
                          f"{size_text(e['size'])}")
        button_col.download_button(
            # the bytes checked and the fetch recorded as they leave; a refusal: the
            # rerun after the click shows why (signed out, or no file offered)
            f"Download .{e['format']}", common.fetched_download(viewer.login, e["id"]),
            file_name=ready_file.file_name, mime=ready_file.media_type,
            key=f"fetch-{e['id']}", icon=":material/download:")


pending = datalog.has_pending(con, user)


@st.fragment(run_every=REFRESH_S if pending else None)
def log_view() -> None:
    cursor = common.cursor()
    if pending and not datalog.has_pending(cursor, user):
        st.rerun(scope="app")  # done: stop refreshing
    entries = datalog.entries(cursor, user, kind=kind, by=by, date_from=date_from,
                              date_to=date_to, log_id=log_id)
    if not entries:
        st.info("No entries match." if (kind or by or picked) else "Nothing logged yet.")
        return
    table = as_table(entries)
    st.dataframe(table, hide_index=True, width="stretch", placeholder="",
                 column_config=LOG_COLUMNS, column_order=[
                     name for name in LOG_COLUMNS if name != "Note" or table["Note"].any()])
    show_fetches(entries)
    ready_files(cursor, entries, user)


def show_fetches(entries: list[dict]) -> None:
    fetches = fetches_table(entries)
    if fetches.empty:
        return
    st.markdown("**Fetches** · who fetched the files above, and when")
    st.dataframe(fetches, hide_index=True, width="content", placeholder="", column_config={
        "Entry": st.column_config.NumberColumn(format="%d", width=60),
        "Who": st.column_config.TextColumn(width=160),
        "When": st.column_config.DatetimeColumn(format="DD.MM.YYYY HH:mm", width=125),
        "How": st.column_config.TextColumn(width=110),
    })


log_view()
