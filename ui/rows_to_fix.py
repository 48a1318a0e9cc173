"""What both uploads (bookings, services) offer once a file has rows with errors:
the rows to fix as a marked .xlsx, before the import and for the rows it left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import PurePath

import streamlit as st

from ui import common
from ui.common import counted

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEFT_OUT_SHOWN = 30  # row numbers named in the sentence; the file has every one


def fix_file_name(file_name: str) -> str:
    return f"to-fix-{PurePath(file_name).stem}.xlsx"


def download_button(label: str, rows_to_fix: Callable, result, key: str) -> None:
    """RESULT's rows with errors as they were, an Error column, the bad cells marked;
    made on the click, which reruns nothing (see common.made_on_click)."""
    st.download_button(label, common.made_on_click(partial(rows_to_fix, result=result)),
                       file_name=fix_file_name(result.file_name), mime=XLSX,
                       icon=":material/download:", key=key, on_click="ignore")


def before_import(result, rows_to_fix: Callable, key: str) -> None:
    if result.error_rows:
        download_button(f"Download the {counted(len(result.error_rows), 'row')} with errors, "
                        "marked, to fix", rows_to_fix, result, key)


def left_out(done, preview, rows_to_fix: Callable, key: str) -> None:
    """After an import that skipped rows: which, and the file with only those."""
    if not done.left_out:
        return
    shown = ", ".join(f"{row:,}" for row in done.left_out[:LEFT_OUT_SHOWN])
    more = len(done.left_out) - LEFT_OUT_SHOWN
    if more > 0:
        shown += f" and {counted(more, 'more', 'more')}"
    st.caption(f"Left out: {'row' if len(done.left_out) == 1 else 'rows'} {shown}. "
               "Fix them in the file below and upload it: only those rows are in it.")
    skipped = set(done.left_out)
    only_left_out = replace(preview, issues=[i for i in preview.issues if i.row in skipped])
    download_button(f"Download the {counted(len(done.left_out), 'row')} left out, marked, "
                    "to fix", rows_to_fix, only_left_out, key)
