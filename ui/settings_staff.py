"""Settings > Staff: employees with their IDs (the upload file's Employee ID),
adding, renaming, deactivating; deleting only one no booking refers to."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings.admin import settings
from bookings.model import User
from bookings.store import Connection
from ui import settings_forms as forms

SELECTED = "settings_employee"


def render(con: Connection, actor: User) -> None:
    forms.show_messages()
    staff = settings.staff_overview(con)
    staff_table(staff)
    add_form(con, actor)
    if not staff:
        return
    st.divider()
    st.subheader("Change an employee")
    by_id = {s["id"]: s for s in staff}
    chosen = forms.choose("Employee", list(by_id), lambda i: _describe(by_id[i]), SELECTED)
    employee = by_id[chosen]
    edit_column, actions_column = st.columns([3, 2], gap="large")
    with edit_column:
        rename_form(con, actor, employee)
    with actions_column:
        actions(con, actor, employee)


def _describe(employee: dict) -> str:
    return f"{employee['id']} · {employee['name']}" + ("" if employee["active"] else
                                                      " (deactivated)")


def staff_table(staff: list[dict]) -> None:
    table = pd.DataFrame(staff, columns=["id", "name", "specialization", "active", "bookings"])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "id": st.column_config.NumberColumn("Employee ID", format="%d"),
        "name": "Name", "specialization": "Specialization",
        "active": st.column_config.CheckboxColumn("Active"),
        "bookings": st.column_config.NumberColumn("Bookings", format="localized")})
    st.caption("The Employee ID is what the bookings upload file's Employee ID column takes.")


def add_form(con: Connection, actor: User) -> None:
    with st.form(forms.key("add-employee")):
        st.markdown("**Add an employee**")
        name_column, specialization_column = st.columns(2)
        name = name_column.text_input("Name", help="As the upload file's Employee name gives it")
        specialization = specialization_column.text_input("Specialization")
        submitted = st.form_submit_button("Add employee", type="primary")
    if submitted:
        added = forms.attempt(settings.add_staff, con, actor, name, specialization)
        if added:
            st.session_state[SELECTED] = added["id"]
            forms.finish("add-employee", f"Employee {added['name']} added with ID {added['id']}.")


def rename_form(con: Connection, actor: User, employee: dict) -> None:
    with st.form(forms.key(f"employee-{employee['id']}")):
        name = st.text_input("Name", value=employee["name"])
        specialization = st.text_input("Specialization", value=employee["specialization"])
        submitted = st.form_submit_button("Save")
    if submitted and forms.attempt(settings.rename_staff, con, actor, employee["id"], name,
                                   specialization):
        forms.finish(f"employee-{employee['id']}", f"Employee {employee['id']} saved.")


def actions(con: Connection, actor: User, employee: dict) -> None:
    label = "Deactivate" if employee["active"] else "Reactivate"
    if st.button(label, key=forms.key(f"employee-active-{employee['id']}"),
                 help="A deactivated employee keeps their ID and bookings"):
        if forms.attempt(settings.set_staff_active, con, actor, employee["id"],
                         not employee["active"]):
            forms.finish(f"employee-active-{employee['id']}",
                         f"{employee['name']} {label.lower()}d.")
    if employee["bookings"]:
        st.caption(f"{employee['name']} has {employee['bookings']:,} booking(s), so they are "
                   "deactivated, never deleted: the bookings keep their employee.")
        return
    if st.button("Delete", icon=":material/delete:",
                 key=forms.key(f"employee-delete-{employee['id']}"),
                 help="Only an employee no booking refers to"):
        outcome = forms.attempt(settings.remove_staff, con, actor, employee["id"])
        if outcome:
            forms.finish(f"employee-delete-{employee['id']}", f"{employee['name']} {outcome}.")
