"""Settings > Services > Upload a list from Excel: the bookings upload's flow
(template, preview of every row, rows to fix, one commit) for services.

The preview is kept in the session by the file; the exactly-once commit lives
in the store (`bookings.upload_batch`), so a second click, a rerun or a second
tab is refused there, not here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings import services_upload
from bookings.auth import User
from bookings.store import Connection
from bookings.upload_file import failed_rows_xlsx
from pages import settings_forms as forms

PREVIEWS = "services_upload_previews"
ROUND = "services_upload_round"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(con: Connection, actor: User) -> None:
    st.subheader("Upload a list of services from Excel")
    st.markdown("Columns: **Title, Category, Price, Duration (minutes)**. A title already "
                "here updates that service; a category not here yet is created.")
    st.download_button("Download the services template", services_upload.template_xlsx(),
                       file_name="services-upload-template.xlsx", mime=XLSX,
                       icon=":material/download:")
    file = st.file_uploader("Choose an .xlsx file of services", type=["xlsx"],
                            key=f"services-file-{st.session_state.get(ROUND, 0)}")
    if file is None:
        return
    result = _preview(con, actor, file)
    if result is not None:
        show_preview(result, file.name)
        commit_controls(con, actor, result)


def _preview(con: Connection, actor: User, file) -> services_upload.ServicesPreview | None:
    previews = st.session_state.setdefault(PREVIEWS, {})
    key = (file.name, file.size, file.file_id)
    if key not in previews:
        previews.clear()
        with st.spinner(f"Checking every row of {file.name} ..."):
            try:
                previews[key] = services_upload.preview(con, actor, file.getvalue(), file.name)
            except forms.REFUSALS as refused:  # kept: the reason stays while the file does
                previews[key] = str(refused)
    if isinstance(previews[key], str):
        st.error(previews[key])
        return None
    return previews[key]


def show_preview(result: services_upload.ServicesPreview, file_name: str) -> None:
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
        st.dataframe(issues, hide_index=True, width="stretch")
    if result.error_rows:
        st.download_button(
            f"Download the {len(result.error_rows):,} rows with errors, marked, to fix",
            failed_rows_xlsx(result.sheet, result.issues, result.error_rows),
            file_name=f"to-fix-{file_name}", mime=XLSX, icon=":material/download:")


def commit_controls(con: Connection, actor: User, result: services_upload.ServicesPreview
                    ) -> None:
    counts = result.counts()
    if result.previous:
        p = result.previous
        st.warning(f"This file was imported before: batch {p['batch']} by {p['by']} on "
                   f"{p['at']:%d.%m.%Y %H:%M}.")
    force = bool(result.previous) and st.checkbox("Import this file again anyway")
    skip_invalid = bool(counts["with_errors"]) and st.radio(
        "Rows with errors", [False, True], horizontal=True,
        format_func=lambda skip: "Fix them and upload again" if not skip else
        f"Import the {counts['ready']:,} valid rows and leave {counts['with_errors']:,} out")
    can_commit = counts["ready"] > 0 and (not counts["with_errors"] or skip_invalid) and (
        not result.previous or force)
    go, cancel = st.columns([1, 4])
    if go.button(f"Import {counts['ready']:,} services", type="primary", disabled=not can_commit,
                 icon=":material/upload:", key=f"services-import-{result.batch_id}"):
        done = forms.attempt(services_upload.commit, con, actor, result,
                             skip_invalid=skip_invalid, force_duplicate_file=force)
        if done:
            _start_again()
            forms.finish("services-upload", done.summary())
    if cancel.button("Cancel", key=f"services-cancel-{result.batch_id}"):
        services_upload.cancel(con, result)
        _start_again()
        st.rerun()


def _start_again() -> None:
    """A fresh file input and no kept preview: the committed file is not shown again."""
    st.session_state[PREVIEWS] = {}
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
