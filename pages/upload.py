"""Upload from Excel: the template, a preview of every row, then one commit.

The session keeps only what the page shows: the preview without its rows
(`Preview.slim()`) and the first rows as a table. The commit and the file of
rows to fix read the copy of the file that `bookings.upload` keeps, and the
commit checks every row again. Its exactly-once guarantee lives in the store
too: a second click, a rerun or a second tab is refused there, not here.
"""


import pandas as pd
import streamlit as st

from bookings.errors import Refused
from bookings.model import Right
from bookings.store import booking_interval_min
from bookings.uploads import bookings_import
from bookings.uploads.sheet import template_xlsx
from ui import common, rows_to_fix
from ui.common import counted

user = common.require(Right.UPLOAD)
con = common.cursor()
ROWS_SHOWN = 2000
PROBLEMS_SHOWN = 5000
FILE_TYPES = ["xlsx", "xls", "ods", "csv"]
VIEW = "upload_view"  # the chosen file, how it was read, its slim preview, its first rows
OUTCOME = "upload_outcome"  # the last commit and its slim preview, until a new file
ROUND = "upload_round"  # a fresh file input after a commit or a cancel
PROBLEM_COLUMNS = {"Row": st.column_config.NumberColumn(width="small"),
                   "Level": st.column_config.TextColumn(width="small")}  # the rest: Message


def forget_preview() -> None:
    """The file was taken away or replaced: its previewed batch is cancelled."""
    view = st.session_state.pop(VIEW, None)
    if view is not None and isinstance(view["preview"], bookings_import.Preview):
        bookings_import.cancel(con, view["preview"])


def start_again() -> None:
    st.session_state.pop(VIEW, None)
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1


def rows_table(result: bookings_import.Preview) -> pd.DataFrame:
    """The first rows as the All rows tab shows them: made once, from the full preview."""
    messages: dict[int, list[str]] = {}
    for issue in result.issues:
        messages.setdefault(issue.row, []).append(issue.message)
    outcome_of = {**{r: "warning" for r in result.warning_rows},
                  **{r: "error" for r in result.error_rows}}
    sheet = result.sheet
    return pd.DataFrame([{
        "Row": number,
        "Outcome": outcome_of.get(number, "ready"),
        "Date": str(sheet.value(cells, "date") or ""),
        "Client": str(sheet.value(cells, "client_name") or ""),
        "Phone": str(sheet.value(cells, "phone") or ""),
        "Employee ID": str(sheet.value(cells, "staff_id") or ""),
        "Messages": "; ".join(messages.get(number, [])),
    } for number, cells in sheet.rows[:ROWS_SHOWN]],
        columns=["Row", "Outcome", "Date", "Client", "Phone", "Employee ID", "Messages"])


def read_file(view: dict, file, sheet: str | None, unit: str) -> None:
    """Preview the file (again): the batch before is cancelled, the full preview
    is used here and dropped; the view keeps its slim copy and the first rows."""
    if isinstance(view["preview"], bookings_import.Preview):
        bookings_import.cancel(con, view["preview"])
    view.update(preview=None, rows=None, sheet=sheet, unit=unit)
    # the first matching sheet is the file's own choice: asked for so, the preview
    # names the other matching sheets again
    asked = None if sheet in view["sheets"][:1] else sheet
    with st.spinner(f"Checking every row of {file.name} ..."):
        try:
            result = bookings_import.preview(con, user, file.getvalue(), file.name, sheet=asked,
                                             duration_unit=unit)
        # kept: the reason stays while the file does
        except Refused as refused:
            view["preview"] = str(refused)
            return
        if not view["sheets"]:
            view["sheets"] = [result.options["sheet"], *result.other_sheets]
        view.update(preview=result.slim(), rows=rows_table(result),
                    sheet=result.options["sheet"])


def show_outcome(kept: dict) -> None:
    done, preview = kept["done"], kept["preview"]
    st.success(done.summary(), icon=":material/check_circle:")
    rows_to_fix.left_out(done, preview, bookings_import.rows_to_fix, f"left-out-{done.batch_id}")
    st.page_link("pages/bookings_list.py", label="See them in the Bookings list",
                 icon=":material/list_alt:", query_params={"source_detail": "excel upload"})


# --- the page ------------------------------------------------------------------------

st.title("Upload bookings from Excel")
st.markdown(
    "Uploaded bookings appear in the Bookings list and in the appointment calendar. "
    "Every booking needs the **client's phone number and name**. Add all services and "
    "employees first, and don't change them during the bookings_import. An upload sends no "
    "notifications."
)
st.download_button("Download the template", template_xlsx(booking_interval_min(con)),
                   file_name="bookings-upload-template.xlsx", icon=":material/download:",
                   mime=rows_to_fix.XLSX)
outcome_box = st.container()

unit = st.radio("Durations in the file are in", bookings_import.DURATION_UNITS, horizontal=True,
                key="upload_duration_unit",
                help="The template's Duration is in seconds (3600 = an hour). Choose minutes "
                     "for a file whose durations read 60, 90 and the like.")
file = st.file_uploader("Choose a file: .xlsx, .xls, .ods or .csv", type=FILE_TYPES,
                        key=f"upload-file-{st.session_state.get(ROUND, 0)}")
if file is None:
    forget_preview()
    if OUTCOME in st.session_state:
        with outcome_box:
            show_outcome(st.session_state[OUTCOME])
    st.stop()
st.session_state.pop(OUTCOME, None)  # a new file: the last import is done with

view = st.session_state.get(VIEW)
if view is None or view["file"] != (file.name, file.size, file.file_id):
    forget_preview()
    view = {"file": (file.name, file.size, file.file_id), "sheets": [], "sheet": None,
            "unit": None, "preview": None, "rows": None}
    st.session_state[VIEW] = view
picker = f"upload-sheet-{file.file_id}"
wanted_sheet = st.session_state.get(picker, view["sheet"])
if view["preview"] is None or (wanted_sheet, unit) != (view["sheet"], view["unit"]):
    read_file(view, file, wanted_sheet, unit)
if len(view["sheets"]) > 1:
    st.selectbox("Sheet to read", view["sheets"], key=picker, width=320,
                 help="These sheets of the file all have the upload's columns; one is read.")
result = view["preview"]
if isinstance(result, str):
    st.error(result)
    st.stop()
counts = result.counts()

for notice in result.notices:
    st.info(notice)
columns = st.columns(4)
columns[0].metric("Rows", f"{counts['rows']:,}")
columns[1].metric("Ready", f"{counts['ready']:,}")
columns[2].metric("With warnings", f"{counts['with_warnings']:,}")
columns[3].metric("With errors", f"{counts['with_errors']:,}")

problems_tab, rows_tab = st.tabs([f"Problems ({len(result.issues):,})", "All rows"])
with problems_tab:
    if not result.issues:
        st.success("No problems found.")
    else:
        issues = pd.DataFrame([{"Row": i.row, "Column": i.column, "Level": i.level,
                                "Message": i.message} for i in result.issues[:PROBLEMS_SHOWN]],
                              columns=["Row", "Column", "Level", "Message"])
        st.dataframe(issues, hide_index=True, width="stretch",
                     height=min(38 + 35 * len(issues), 420), column_config=PROBLEM_COLUMNS)
        if len(result.issues) > PROBLEMS_SHOWN:
            st.caption(f"The first {PROBLEMS_SHOWN:,} problems; the file of rows to fix "
                       "has every row with an error, each error said in it.")
    rows_to_fix.before_import(result, bookings_import.rows_to_fix, f"to-fix-{result.batch_id}")
with rows_tab:
    st.dataframe(view["rows"], hide_index=True, width="stretch")
    if counts["rows"] > ROWS_SHOWN:
        st.caption(f"The first {ROWS_SHOWN:,} rows of {counts['rows']:,}; every problem is on "
                   "the Problems tab.")

# --- commit -------------------------------------------------------------------

if result.previous:
    p = result.previous
    st.warning(f"This file was imported before: batch {p['batch']} by {p['by']} on "
               f"{p['at']:%d.%m.%Y %H:%M}, {counted(p['imported'], 'booking')}.")
force = bool(result.previous) and st.checkbox("Import this file again anyway")
skip_invalid = False
if counts["with_errors"] and not counts["ready"]:
    st.caption("No row is ready to import: fix the rows with errors and upload the file again.")
elif counts["with_errors"]:
    skip_invalid = st.radio(
        "Rows with errors", [False, True], horizontal=True,
        format_func=lambda skip: "Fix them and upload again" if not skip else
        f"Import the {counted(counts['ready'], 'valid row')} and leave "
        f"{counts['with_errors']:,} out",
    )
can_commit = result.can_commit(skip_invalid=skip_invalid, force_duplicate_file=force)
actions = st.container(horizontal=True)
if actions.button(f"Import {counted(counts['ready'], 'booking')}", type="primary",
             disabled=not can_commit, icon=":material/upload:"):
    try:
        with st.spinner("Importing ..."):
            done = bookings_import.commit(con, user, result, skip_invalid=skip_invalid,
                                          force_duplicate_file=force)
    except Refused as refused:
        st.error(str(refused))
    else:
        st.session_state[OUTCOME] = {"done": done, "preview": result}
        start_again()
        st.rerun()
if actions.button("Cancel"):
    forget_preview()
    start_again()
    st.rerun()
