"""Settings > Services > Upload a list from Excel: the bookings upload's flow
(template, preview of every row, rows to fix, one commit) for services.

The session keeps only the slim preview (`slim()`: no rows); the commit and
the file of rows to fix read the copy of the file `bookings.services_upload`
keeps. The exactly-once commit lives in the store (`bookings.upload_batch`), so
a second click, a rerun or a second tab is refused there, not here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings.errors import Refused
from bookings.model import User
from bookings.store import Connection
from bookings.uploads import services_import
from ui import rows_to_fix
from ui import settings_forms as forms
from ui.common import counted

VIEW = "services_upload_view"  # the chosen file, the sheet read, its slim preview
OUTCOME = "services_upload_outcome"  # the last commit and its slim preview, until a new file
ROUND = "services_upload_round"
FILE_TYPES = ["xlsx", "xls", "ods", "csv"]
Preview = services_import.ServicesPreview
PROBLEM_COLUMNS = {"Row": st.column_config.NumberColumn(width="small"),
                   "Level": st.column_config.TextColumn(width="small")}  # the rest: Message


def render(con: Connection, actor: User) -> None:
    st.subheader("Upload a list of services from Excel")
    st.markdown("Columns: **Title, Category, Price, Duration (minutes)**. A title already "
                "here updates that service; a category not here yet is created.")
    st.download_button("Download the services template", services_import.template_xlsx(),
                       file_name="services-upload-template.xlsx", mime=rows_to_fix.XLSX,
                       icon=":material/download:")
    outcome_box = st.container()
    file = st.file_uploader("Choose a file of services: .xlsx, .xls, .ods or .csv",
                            type=FILE_TYPES,
                            key=f"services-file-{st.session_state.get(ROUND, 0)}")
    if file is None:
        _forget(con)
        if OUTCOME in st.session_state:
            with outcome_box:
                show_outcome(st.session_state[OUTCOME])
        return
    st.session_state.pop(OUTCOME, None)  # a new file: the last import is done with
    result = _preview(con, actor, file)
    if result is not None:
        show_preview(result)
        commit_controls(con, actor, result)


def _preview(con: Connection, actor: User, file) -> Preview | None:
    """The file's slim preview, read again when another sheet is chosen."""
    view = st.session_state.get(VIEW)
    if view is None or view["file"] != (file.name, file.size, file.file_id):
        _forget(con)
        view = {"file": (file.name, file.size, file.file_id), "sheets": [], "sheet": None,
                "preview": None}
        st.session_state[VIEW] = view
    picker = f"services-sheet-{file.file_id}"
    wanted = st.session_state.get(picker, view["sheet"])
    if view["preview"] is None or wanted != view["sheet"]:
        _read(con, actor, view, file, wanted)
    if len(view["sheets"]) > 1:
        st.selectbox("Sheet to read", view["sheets"], key=picker, width=320,
                     help="These sheets of the file all have the services' columns; one is "
                          "read.")
    if isinstance(view["preview"], str):
        st.error(view["preview"])
        return None
    return view["preview"]


def _read(con: Connection, actor: User, view: dict, file, sheet: str | None) -> None:
    if isinstance(view["preview"], Preview):
        services_import.cancel(con, view["preview"])
    view.update(preview=None, sheet=sheet)
    # the first matching sheet is the file's own choice: asked for so, the preview
    # names the other matching sheets again
    asked = None if sheet in view["sheets"][:1] else sheet
    with st.spinner(f"Checking every row of {file.name} ..."):
        try:
            result = services_import.preview(con, actor, file.getvalue(), file.name,
                                             sheet=asked)
        except Refused as refused:  # kept: the reason stays while the file does
            view["preview"] = str(refused)
            return
    if not view["sheets"]:
        view["sheets"] = [result.options["sheet"], *result.other_sheets]
    view.update(preview=result.slim(), sheet=result.options["sheet"])


def show_preview(result: Preview) -> None:
    counts = result.counts()
    for notice in result.notices:
        st.info(notice)
    columns = st.columns(4)
    for column, (label, name) in zip(columns, [("Rows", "rows"), ("Ready", "ready"), (
            "With warnings", "with_warnings"), ("With errors", "with_errors")], strict=True):
        column.metric(label, f"{counts[name]:,}")
    issues = pd.DataFrame([{"Row": i.row, "Column": i.column, "Level": i.level,
                            "Message": i.message} for i in result.issues],
                          columns=["Row", "Column", "Level", "Message"])
    if issues.empty:
        st.success("No problems found.")
    else:
        st.dataframe(issues, hide_index=True, width="stretch", column_config=PROBLEM_COLUMNS)
    rows_to_fix.before_import(result, services_import.rows_to_fix,
                              f"services-to-fix-{result.batch_id}")


def commit_controls(con: Connection, actor: User, result: Preview) -> None:
    counts = result.counts()
    if result.previous:
        p = result.previous
        st.warning(f"This file was imported before: batch {p['batch']} by {p['by']} on "
                   f"{p['at']:%d.%m.%Y %H:%M}.")
    force = bool(result.previous) and st.checkbox("Import this file again anyway")
    if counts["with_errors"] and not counts["ready"]:
        st.caption("No row is ready to import: fix the rows with errors and upload the file "
                   "again.")
    skip_invalid = bool(counts["with_errors"] and counts["ready"]) and st.radio(
        "Rows with errors", [False, True], horizontal=True,
        format_func=lambda skip: "Fix them and upload again" if not skip else
        f"Import the {counted(counts['ready'], 'valid row')} and leave "
        f"{counts['with_errors']:,} out")
    can_commit = result.can_commit(skip_invalid=skip_invalid, force_duplicate_file=force)
    actions = st.container(horizontal=True)
    if actions.button(f"Import {counted(counts['ready'], 'service')}", type="primary",
                 disabled=not can_commit, icon=":material/upload:",
                 key=f"services-import-{result.batch_id}"):
        done = forms.attempt(services_import.commit, con, actor, result,
                             skip_invalid=skip_invalid, force_duplicate_file=force)
        if done:
            st.session_state[OUTCOME] = {"done": done, "preview": result}
            _start_again()
            st.rerun()
    if actions.button("Cancel", key=f"services-cancel-{result.batch_id}"):
        _forget(con)
        _start_again()
        st.rerun()


def show_outcome(kept: dict) -> None:
    """The last import, and its rows left out to fix, until a new file is chosen."""
    done, preview = kept["done"], kept["preview"]
    st.success(done.summary(), icon=":material/check_circle:")
    rows_to_fix.left_out(done, preview, services_import.rows_to_fix,
                         f"services-left-out-{done.batch_id}")


def _forget(con: Connection) -> None:
    """The file was taken away or replaced: its previewed batch is cancelled."""
    view = st.session_state.pop(VIEW, None)
    if view is not None and isinstance(view["preview"], Preview):
        services_import.cancel(con, view["preview"])


def _start_again() -> None:
    """A fresh file input and no kept preview: the committed file is not shown again."""
    st.session_state.pop(VIEW, None)
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
