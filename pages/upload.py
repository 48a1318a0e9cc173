"""Upload from Excel: the template, a preview of every row, then one commit.

The preview is kept in the session by the file's hash; the commit's
exactly-once guarantee lives in the store (`bookings.upload`), not in this
page: a second click, a rerun or a second tab is refused there.
"""

import pandas as pd
import streamlit as st

from bookings import upload
from bookings.model import Right
from bookings.store import booking_interval_min
from bookings.upload_file import failed_rows_xlsx, template_xlsx
from pages import common

user = common.require(Right.UPLOAD)
con = common.cursor()
ROWS_SHOWN = 2000

st.title("Upload bookings from Excel")
st.markdown(
    "Uploaded bookings appear in the Bookings list and in the appointment calendar. "
    "Every booking needs the **client's phone number and name**. Add all services and "
    "employees first, and don't change them during the upload. An upload sends no "
    "notifications."
)
st.download_button("Download the template", template_xlsx(booking_interval_min(con)),
                   file_name="bookings-upload-template.xlsx", icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

outcome = st.session_state.pop("upload_outcome", None)
if outcome is not None:
    st.success(outcome.summary())
    if outcome.left_out:
        shown = ", ".join(str(r) for r in outcome.left_out[:30])
        st.caption(f"Left out, rows: {shown}{' ...' if len(outcome.left_out) > 30 else ''}")
    st.page_link("pages/bookings_list.py", label="See them in the Bookings list",
                 icon=":material/list_alt:", query_params={"source_detail": "excel upload"})

file = st.file_uploader("Choose an .xlsx file", type=["xlsx"],
                        key=f"upload-file-{st.session_state.get('upload_round', 0)}")
if file is None:
    st.stop()


data = file.getvalue()
previews = st.session_state.setdefault("upload_previews", {})
key = (file.name, file.size, file.file_id)
if key not in previews:
    with st.spinner(f"Checking every row of {file.name} ..."):
        try:
            previews.clear()
            previews[key] = upload.preview(con, user, data, file.name)
        except upload.UploadRefused as refused:
            st.error(str(refused))
            st.stop()
result: upload.Preview = previews[key]
counts = result.counts()

for notice in result.notices:
    st.info(notice)
columns = st.columns(4)
columns[0].metric("Rows", f"{counts['rows']:,}")
columns[1].metric("Ready", f"{counts['ready']:,}")
columns[2].metric("With warnings", f"{counts['with_warnings']:,}")
columns[3].metric("With errors", f"{counts['with_errors']:,}")

issues = pd.DataFrame([{"Row": i.row, "Column": i.column, "Level": i.level,
                        "Message": i.message} for i in result.issues],
                      columns=["Row", "Column", "Level", "Message"])
problems_tab, rows_tab = st.tabs([f"Problems ({len(issues):,})", "All rows"])
with problems_tab:
    if issues.empty:
        st.success("No problems found.")
    else:
        st.dataframe(issues, hide_index=True, width="stretch", height=min(38 + 35 * len(issues),
                                                                           420))
    if result.error_rows:
        st.download_button(
            f"Download the {len(result.error_rows):,} rows with errors, marked, to fix",
            failed_rows_xlsx(result.sheet, result.issues, result.error_rows),
            file_name=f"to-fix-{file.name}", icon=":material/download:")
with rows_tab:
    messages = issues.groupby("Row")["Message"].apply("; ".join) if not issues.empty else {}
    outcome_of = {**{r: "warning" for r in result.warning_rows},
                  **{r: "error" for r in result.error_rows}}
    shown_rows = result.sheet.rows[:ROWS_SHOWN]
    st.dataframe(pd.DataFrame([{
        "Row": number,
        "Outcome": outcome_of.get(number, "ready"),
        "Date": str(result.sheet.value(cells, "date") or ""),
        "Client": str(result.sheet.value(cells, "client_name") or ""),
        "Phone": str(result.sheet.value(cells, "phone") or ""),
        "Employee ID": str(result.sheet.value(cells, "staff_id") or ""),
        "Messages": messages.get(number, "") if len(messages) else "",
    } for number, cells in shown_rows]), hide_index=True, width="stretch")
    if len(result.sheet.rows) > ROWS_SHOWN:
        st.caption(f"The first {ROWS_SHOWN:,} rows; every problem is on the Problems tab.")

# --- commit -------------------------------------------------------------------

if result.previous:
    p = result.previous
    st.warning(f"This file was imported before: batch {p['batch']} by {p['by']} on "
               f"{p['at']:%d.%m.%Y %H:%M}, {p['imported']:,} bookings.")
force = bool(result.previous) and st.checkbox("Import this file again anyway")
skip_invalid = False
if counts["with_errors"]:
    skip_invalid = st.radio(
        "Rows with errors", [False, True], horizontal=True,
        format_func=lambda skip: "Fix them and upload again" if not skip else
        f"Import the {counts['ready']:,} valid rows and leave {counts['with_errors']:,} out",
    )
can_commit = counts["ready"] > 0 and (not counts["with_errors"] or skip_invalid) and (
    not result.previous or force)
go, cancel = st.columns([1, 4])
plural = "" if counts["ready"] == 1 else "s"
if go.button(f"Import {counts['ready']:,} booking{plural}", type="primary", disabled=not can_commit,
             icon=":material/upload:"):
    try:
        with st.spinner("Importing ..."):
            done = upload.commit(con, user, result, skip_invalid=skip_invalid,
                                 force_duplicate_file=force)
    except upload.UploadRefused as refused:
        st.error(str(refused))
    else:
        st.session_state["upload_outcome"] = done
        st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
        previews.clear()
        st.rerun()
if cancel.button("Cancel"):
    upload.cancel(con, result)
    previews.clear()
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()
