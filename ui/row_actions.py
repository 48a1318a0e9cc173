"""What can be done to the bookings selected in the list: delete, Info.

Deleting asks for confirmation first. What waits for confirmation is kept in
the session and spent when confirmed: a second click (or a rerun) finds
nothing waiting and does nothing, and the store refuses a second deletion of
a booking anyway.
After a deletion the data revision changes, which clears the grid's selection
so no later click acts on rows that merely moved into the same positions.
"""

from __future__ import annotations

import streamlit as st

from bookings import deletion
from bookings.errors import Refused
from bookings.filters import BookingFilter
from bookings.model import Right, User
from ui import common
from ui.booking_info import booking_info

_CONFIRMING = common.Confirmation("confirming_delete")
_OUTCOME = "delete_outcome"


def data_revision() -> int:
    """Bumped by every change to the bookings made from this session."""
    return st.session_state.get("data_revision", 0)


def show_outcome() -> None:
    """The result of the last deletion, once, after the rerun it caused."""
    result: deletion.DeleteResult | None = st.session_state.pop(_OUTCOME, None)
    if result is None:
        return
    # Green only when all went as asked: skipped bookings deserve a second look.
    (st.warning if result.skipped or not result.deleted else st.success)(result.summary())
    if result.skipped:
        with st.expander(f"Why {common.counted(len(result.skipped), 'booking')} "
                         f"{'was' if len(result.skipped) == 1 else 'were'} left as "
                         f"{'it was' if len(result.skipped) == 1 else 'they were'}",
                         expanded=len(result.skipped) <= 10):
            st.dataframe([{"Booking": s["id"], "Reason": s["reason"]} for s in result.skipped],
                         hide_index=True, width="stretch")


def _run_delete(action) -> None:
    # Spent before it runs: a second click finds nothing waiting and does nothing.
    if _CONFIRMING.spend() is None:
        return
    try:
        st.session_state[_OUTCOME] = action()
    except Refused as refused:
        st.error(str(refused))
        return
    st.session_state["data_revision"] = data_revision() + 1
    st.rerun()


@st.dialog("Delete bookings", on_dismiss=_CONFIRMING.forget)
def _confirm_delete(pending: dict) -> None:
    # The dialog's buttons rerun only the dialog: the sign-in and rights are checked
    # again here, not taken from when the dialog opened.
    user = common.require(Right.DELETE_BOOKINGS)
    ids, bfilter = pending.get("ids"), pending.get("filter")
    if ids is not None:
        st.write(f"Delete **{common.counted(len(ids), 'selected booking')}**? "
                 "They leave the appointment calendar and stay in the list in pink.")
        label, action = f"Delete {len(ids):,}", lambda: deletion.delete_bookings(
            common.cursor(), user, ids)
    else:
        count = pending["count"]
        st.write(f"Delete **all {common.counted(count, 'booking')}** not yet canceled "
                 f"matching: *{pending['words']}*?")
        typed = st.text_input(f"To confirm, type the number of bookings: {count:,}",
                              key=f"typed-count-{count}")
        label, action = f"Delete all {count:,}", lambda: deletion.delete_matching(
            common.cursor(), user, bfilter)
        if typed.replace(",", "").replace(" ", "").strip() != str(count):
            label, action = None, None
    st.caption("A deleted booking cannot be restored. Bookings you may not delete (paid in "
               "full, Arrived) are left as they are; you will be told which.")
    confirm, cancel = st.columns(2)
    if confirm.button(label or "Delete all", type="primary", icon=":material/delete:",
                      width="stretch", disabled=action is None):
        _run_delete(action)
    if cancel.button("Cancel", width="stretch"):
        _CONFIRMING.forget()
        st.rerun()


def action_bar(user: User, rows: list[dict], selected: list[int], bfilter: BookingFilter,
               words: str, matching_count: int | None) -> None:
    """The buttons over the table: Info for one row, Delete for the selection or the filter."""
    ids = [rows[position]["id"] for position in selected]
    with st.container(horizontal=True, vertical_alignment="center"):
        if st.button("Info", icon=":material/info:", disabled=len(ids) != 1,
                     help="Select one booking to see its details and history"):
            booking_info(user, ids[0])
        one = next((r for r in rows if len(ids) == 1 and r["id"] == ids[0]), None)
        if user.can(Right.EDIT_BOOKINGS) and st.button(
                "Edit", icon=":material/edit:", disabled=one is None or one["deleted"],
                help="Select one booking (not a deleted one) to open it in the calendar"):
            st.switch_page("pages/calendar.py", query_params={
                "booking": str(one["id"]), "day": one["visit_at"].date().isoformat()})
        if user.can(Right.DELETE_BOOKINGS):
            if st.button(f"Delete selected ({len(ids):,})", icon=":material/delete:",
                         disabled=not ids):
                _CONFIRMING.ask(ids=ids)
            unfiltered = matching_count is None
            if st.button("Delete all matching" + ("" if unfiltered else
                                                  f" ({matching_count:,})"),
                         icon=":material/delete_sweep:", disabled=not matching_count,
                         help="Set a filter first: the whole list is never deleted at once."
                         if unfiltered else "Every not yet canceled booking this filter "
                         "shows; you type the count to confirm."):
                _CONFIRMING.ask(filter=bfilter, words=words, count=matching_count)
        st.caption(f"{len(ids):,} selected" if ids else "Tick rows to act on them")
    pending = _CONFIRMING.waiting() if user.can(Right.DELETE_BOOKINGS) else None
    if pending is not None:
        _confirm_delete(pending)
