"""Settings > Users and rights: the users, adding one, and changing one's role,
rights, viewing period, employee and scope, password or whether they may sign in
at all."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bookings import auth, catalog
from bookings.admin import users
from bookings.exports import mail
from bookings.model import ROLE_PRESETS, ROLE_SCOPES, Right, Role, Scope, User
from bookings.store import Connection
from ui import settings_forms as forms

# DOMAIN.md's names of the rights; the help text says what each allows.
RIGHT_LABELS = {
    Right.VIEW_BOOKINGS: "View the bookings list",
    Right.SEE_PHONES: "See phone numbers",
    Right.EXPORT: "Export to Excel",
    Right.EDIT_BOOKINGS: "Edit bookings",
    Right.DELETE_BOOKINGS: "Delete bookings",
    Right.DELETE_PAID: "Delete paid bookings",
    Right.DELETE_ARRIVED: "Delete Arrived bookings",
    Right.UPLOAD: "Upload bookings (full access)",
    Right.MANAGE_SETTINGS: "Manage settings",
}
GENERATE, SET = "Generate one (shown once)", "Set one"
SELECTED = "settings_user"


def render(con: Connection, actor: User) -> None:
    forms.show_messages()
    everyone = auth.list_users(con)
    staff = {s["id"]: s for s in catalog.staff(con)}
    users_table(everyone, staff)
    add_user_form(con, actor)
    st.divider()
    st.subheader("Change a user")
    login = forms.choose("User", [u.login for u in everyone], _describe(everyone), SELECTED)
    user = next(u for u in everyone if u.login == login)
    rights_column, role_column = st.columns([3, 2], gap="large")
    with rights_column:
        rights_form(con, actor, user)
        scope_form(con, actor, user, staff)
    with role_column:
        role_form(con, actor, user)
        password_and_access(con, actor, user)


def _period(days: int | None) -> str:
    return "unlimited" if days is None else f"{days} days"


def users_table(everyone: list[User], staff: dict[int, dict]) -> None:
    table = pd.DataFrame([{**u.as_json(), "viewing_period": _period(u.viewing_period_days),
                           "employee": _employee(staff, u.staff_id),
                           "sees": SCOPE_LABELS[Scope(u.scope)],
                           "rights": [RIGHT_LABELS[r] for r in Right if r in u.rights]}
                          for u in everyone])
    st.dataframe(table[["login", "name", "email", "role", "active", "viewing_period", "employee",
                        "sees", "rights"]],
                 hide_index=True, width="stretch", column_config={
                     "login": "Login", "name": "Name", "email": "Email", "role": "Role",
                     "active": st.column_config.CheckboxColumn("Active"),
                     "viewing_period": "Viewing period", "employee": "Employee", "sees": "Sees",
                     "rights": st.column_config.ListColumn("Rights", width="large")})


SCOPE_LABELS = {Scope.ALL: "All bookings", Scope.OWN: "Own bookings"}


def _employee(staff: dict[int, dict], staff_id: int | None) -> str:
    if staff_id is None:
        return "not linked"
    employee = staff.get(staff_id)
    if employee is None:
        return f"#{staff_id} (gone)"
    return employee["name"] + ("" if employee["active"] else " (deactivated)")


def _describe(everyone: list[User]):
    by_login = {u.login: u for u in everyone}

    def describe(login: str) -> str:
        user = by_login[login]
        return f"{login} · {user.name} ({user.role.value}" + (
            ")" if user.active else ", deactivated)")

    return describe


def add_user_form(con: Connection, actor: User) -> None:
    with st.expander("Add a user", icon=":material/person_add:"), st.form(forms.key("add-user")):
        login_column, name_column, email_column = st.columns(3)
        login = login_column.text_input("Login", help="One word; what the user signs in with")
        name = name_column.text_input("Name")
        email = email_column.text_input("Email", help="Where their download links go")
        role = st.selectbox("Role", list(Role), index=list(Role).index(Role.EMPLOYEE),
                            format_func=lambda r: r.value.capitalize(),
                            help="Starts the user with the role's rights; change them after.")
        choice = st.radio("Password", [GENERATE, SET], horizontal=True)
        password = st.text_input("Password to set", type="password",
                                 help=f"Only with '{SET}': at least 8 characters")
        submitted = st.form_submit_button("Add user", type="primary")
    if not submitted:
        return
    if email.strip():
        try:
            email = mail.single_address(email)
        except ValueError as exc:
            st.error(f"Email: {exc}")
            return
    added = forms.attempt(users.add_user, con, actor, login, role, name=name, email=email,
                          password=password if choice == SET else None)
    if added:
        user, generated = added
        st.session_state[SELECTED] = user.login  # ready to adjust their rights below
        forms.finish("add-user", f"User {user.login} added as {user.role.value}."
                     + (f" The password of {user.login}:" if generated else ""),
                     secret=generated)


def rights_form(con: Connection, actor: User, user: User) -> None:
    with st.form(forms.key(f"rights-{user.login}")):
        st.markdown(f"**Rights of {user.login}**")
        chosen = {right for right in Right
                  if st.checkbox(RIGHT_LABELS[right], value=right in user.rights,
                                 help=f"May {right.description}")}
        unlimited = st.checkbox("Sees bookings of any date (unlimited viewing period)",
                                value=user.viewing_period_days is None)
        days = st.number_input("Otherwise: days back from today the user may see", min_value=0,
                               max_value=users.MAX_VIEWING_PERIOD_DAYS, step=1,
                               value=min(user.viewing_period_days or 30,
                                         users.MAX_VIEWING_PERIOD_DAYS))
        submitted = st.form_submit_button("Save rights", type="primary")
    if submitted and forms.attempt(users.set_rights, con, actor, user.login, chosen,
                                   None if unlimited else int(days)):
        forms.finish(f"rights-{user.login}", f"Rights of {user.login} saved.")


def scope_form(con: Connection, actor: User, user: User, staff: dict[int, dict]) -> None:
    """The employee the user is, and whether they see all bookings or their own only."""
    # The active employees, and the linked one even if deactivated: the select must show it.
    options = [None, *(i for i, s in staff.items() if s["active"] or i == user.staff_id)]
    with st.form(forms.key(f"scope-{user.login}")):
        st.markdown(f"**Employee and bookings {user.login} sees**")
        staff_id = st.selectbox("Employee", options, index=options.index(user.staff_id)
                                if user.staff_id in options else 0,
                                format_func=lambda i: _employee(staff, i),
                                help="The salon's employee this user is")
        scope = st.radio("Sees", list(Scope), index=list(Scope).index(Scope(user.scope)),
                         format_func=lambda s: SCOPE_LABELS[s] + (
                             ": only bookings made to their employee" if s == Scope.OWN else ""),
                         horizontal=True)
        submitted = st.form_submit_button("Save employee and scope")
    if not submitted:
        return
    if staff_id != user.staff_id and not forms.attempt(users.link, con, actor, user.login,
                                                       staff_id):
        return
    if scope != user.scope and not forms.attempt(users.set_scope, con, actor, user.login, scope):
        return
    saved = auth.get_user(con, user.login)
    forms.finish(f"scope-{user.login}", f"{user.login}: employee "
                 f"{_employee(staff, saved.staff_id)}; sees {Scope(saved.scope).description}."
                 + (" They see no bookings until linked to an employee."
                    if saved.scope == Scope.OWN and saved.staff_id is None else ""))


def role_form(con: Connection, actor: User, user: User) -> None:
    with st.form(forms.key(f"role-{user.login}")):
        role = st.selectbox(f"Role of {user.login}", list(Role), index=list(Role).index(user.role),
                            format_func=lambda r: r.value.capitalize())
        _, period = ROLE_PRESETS[role]
        submitted = st.form_submit_button("Apply the role",
                                          help="Sets the role and its preset: rights, "
                                               "viewing period and scope")
    if submitted and forms.attempt(users.set_role, con, actor, user.login, role):
        forms.finish(f"role-{user.login}", f"{user.login} is now {role.value}, with the "
                     f"{role.value}'s rights; viewing period {_period(period)}; sees "
                     f"{ROLE_SCOPES[role].description}.")


def password_and_access(con: Connection, actor: User, user: User) -> None:
    reset_column, active_column = st.columns(2)
    if reset_column.button("Reset password", icon=":material/key:",
                           key=forms.key(f"reset-{user.login}")):
        password = forms.attempt(users.reset_password, con, actor, user.login)
        if password:
            forms.finish(f"reset-{user.login}", f"New password of {user.login}:",
                         secret=password)
    label = "Deactivate" if user.active else "Reactivate"
    if active_column.button(label, icon=":material/person_off:" if user.active else
                            ":material/person:", key=forms.key(f"active-{user.login}"),
                            help="A deactivated user cannot sign in; their bookings and "
                                 "history stay"):
        if forms.attempt(users.set_active, con, actor, user.login, not user.active):
            forms.finish(f"active-{user.login}", f"{user.login} {label.lower()}d.")
