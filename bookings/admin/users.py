"""Administering users: add, role, rights and viewing period, the employee a
user is and the bookings they see (scope), password reset, deactivation. What
Settings > Users and rights and `bookings users` do.

Rules:
- only a user with the settings right may do it (`actor`; None is the command
  line without --user, trusted like whoever can open the file);
- the salon keeps an active owner: the last active user with the owner role
  and the settings right cannot lose either, nor be deactivated;
- every change is recorded in the settings change log, in its transaction;
- a deactivated user cannot sign in; their bookings and history stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from bookings import auth, sessions
from bookings.admin import changelog
from bookings.admin.changelog import SettingsRefused
from bookings.model import ROLE_PRESETS, ROLE_SCOPES, Right, Role, Scope, User
from bookings.store import Connection

KEEP = object()  # "leave the viewing period as it is"
MAX_VIEWING_PERIOD_DAYS = 36500  # a hundred years: beyond it, say unlimited


class LastOwner(SettingsRefused):
    pass


@dataclass(frozen=True)
class Access:
    """What Settings may change of a user, besides the password."""

    role: Role
    active: bool
    rights: frozenset[Right]
    viewing_period_days: int | None
    staff_id: int | None = None
    scope: Scope = Scope.ALL

    @classmethod
    def of(cls, user: User) -> Access:
        return cls(user.role, user.active, user.rights, user.viewing_period_days,
                   user.staff_id, Scope(user.scope))

    def keeps_the_salon_owned(self) -> bool:
        """An active owner who can manage settings: what the salon must keep one of."""
        return self.active and self.role == Role.OWNER and Right.MANAGE_SETTINGS in self.rights

    def as_json(self) -> dict:
        return {"role": self.role.value, "active": self.active,
                "rights": sorted(r.value for r in self.rights),
                "viewing_period_days": self.viewing_period_days,
                "staff_id": self.staff_id, "scope": self.scope.value}


def _target(con: Connection, login: str) -> User:
    user = auth.get_user(con, login)
    if user is None:
        raise SettingsRefused(f"There is no user {login!r}.")
    return user


# --- adding -------------------------------------------------------------------


def add_user(con: Connection, actor: User, login: str, role: Role, *, name: str = "",
             email: str = "", password: str | None = None) -> tuple[User, str | None]:
    """A new user with the role's preset (`auth.add_user`), by someone with the settings
    right, recorded in the change log; returns the generated password, if any, once."""
    changelog.allowed(actor)
    rights, period = ROLE_PRESETS[role]

    def record(login: str) -> None:
        changelog.record(con, actor, "user", login, name.strip() or login, "added",
                         new=Access(role, True, rights, period, None,
                                    ROLE_SCOPES[role]).as_json())

    with changelog.races_refused():
        return auth.add_user(con, login, role, name=name, email=email, password=password,
                             then=record)


# --- access: role, rights, viewing period, employee, scope, active --------------


def set_role(con: Connection, actor: User, login: str, role: Role) -> User:
    """The role, with its preset's rights, viewing period and scope (the owner may adjust
    after). The linked employee stays: it is who the user is, not what the role allows."""
    rights, period = ROLE_PRESETS[role]
    return _change(con, actor, login, "role changed",
                   lambda a: replace(a, role=role, rights=rights, viewing_period_days=period,
                                     scope=ROLE_SCOPES[role]))


def set_rights(con: Connection, actor: User, login: str, rights: Iterable[Right],
               viewing_period_days=KEEP) -> User:
    """Exactly these rights (and this viewing period, unless KEEP)."""
    rights = frozenset(rights)
    if viewing_period_days is not KEEP and viewing_period_days is not None and not (
            0 <= viewing_period_days <= MAX_VIEWING_PERIOD_DAYS):
        raise SettingsRefused(f"A viewing period is a number of days, 0 to "
                              f"{MAX_VIEWING_PERIOD_DAYS}, or unlimited.")

    def new_access(access: Access) -> Access:
        period = (access.viewing_period_days if viewing_period_days is KEEP
                  else viewing_period_days)
        return replace(access, rights=rights, viewing_period_days=period)

    return _change(con, actor, login, "rights changed", new_access)


def grant(con: Connection, actor: User, login: str, rights: Iterable[Right]) -> User:
    return set_rights(con, actor, login, _target(con, login).rights | set(rights))


def revoke(con: Connection, actor: User, login: str, rights: Iterable[Right]) -> User:
    return set_rights(con, actor, login, _target(con, login).rights - set(rights))


def set_viewing_period(con: Connection, actor: User, login: str,
                       days: int | None) -> User:
    return set_rights(con, actor, login, _target(con, login).rights, days)


def link(con: Connection, actor: User, login: str, staff_id: int | None) -> User:
    """The employee the user is (None: not linked); with scope 'own' they see the
    bookings made to that employee. A deactivated employee may be linked: their
    bookings stay."""
    def linked(access: Access) -> Access:
        # Checked in the change's transaction, after the right: an employee removed
        # meanwhile is not linked, and a user without the right learns nothing.
        if staff_id is not None:
            _require_employee(con, staff_id)
        return replace(access, staff_id=staff_id)

    action = "employee unlinked" if staff_id is None else "employee linked"
    return _change(con, actor, login, action, linked)


def _require_employee(con: Connection, staff_id: int) -> None:
    if not con.execute("SELECT 1 FROM staff WHERE id = ?", [staff_id]).fetchall():
        raise SettingsRefused(f"There is no employee {staff_id}: see the staff and their "
                              "IDs in Settings > Staff (or `bookings catalog`).")


def set_scope(con: Connection, actor: User, login: str, scope: str) -> User:
    """Which bookings the user sees: 'all', or 'own' (made to their linked employee)."""
    try:
        chosen = Scope(scope)
    except ValueError:
        raise SettingsRefused(f"Unknown scope {scope!r}: a user sees 'all' bookings or "
                              "'own' (only the bookings made to their employee).") from None
    return _change(con, actor, login, "scope changed", lambda a: replace(a, scope=chosen))


def set_active(con: Connection, actor: User, login: str, active: bool) -> User:
    """Deactivated: sign-in refused, signed out at the next click; bookings and history kept."""
    return _change(con, actor, login, "reactivated" if active else "deactivated",
                   lambda a: replace(a, active=active))


def _change(con: Connection, actor: User, login: str, action: str,
            new_access: Callable[[Access], Access]) -> User:
    changelog.allowed(actor)
    with changelog.change(con):
        # Written first: two changes that could each remove an owner conflict here.
        con.execute("UPDATE settings SET value = ? WHERE key = 'owner_guard'", [login])
        user = _target(con, login)
        before = Access.of(user)
        after = new_access(before)
        if after == before:
            return user
        _keep_an_owner(con, user, before, after)
        _write_access(con, user.id, after)
        if before.active and not after.active:
            sessions.end_all(con, user.id, why=sessions.DEACTIVATED)
        old, new = changelog.differences(before.as_json(), after.as_json())
        changelog.record(con, actor, "user", login, user.name, action, old=old, new=new)
    return auth.get_user(con, login)


def _keep_an_owner(con: Connection, user: User, before: Access, after: Access) -> None:
    if not before.keeps_the_salon_owned() or after.keeps_the_salon_owned():
        return
    (others,) = con.execute("""
        SELECT count(*) FROM users u
        JOIN user_rights r ON r.user_id = u.id AND r."right" = ?
        WHERE u.active AND u.role = ? AND u.id <> ?
    """, [Right.MANAGE_SETTINGS.value, Role.OWNER.value, user.id]).fetchall()[0]
    if not others:
        raise LastOwner(
            f"{user.login} is the last active owner: the salon would have nobody to manage "
            "users and settings. Make another user owner first.")


def _write_access(con: Connection, user_id: int, access: Access) -> None:
    con.execute("UPDATE users SET role = ?, active = ?, viewing_period_days = ?, staff_id = ?, "
                "scope = ? WHERE id = ?",
                [access.role.value, access.active, access.viewing_period_days, access.staff_id,
                 access.scope.value, user_id])
    con.execute("DELETE FROM user_rights WHERE user_id = ?", [user_id])
    if access.rights:
        con.executemany('INSERT INTO user_rights (user_id, "right") VALUES (?, ?)',
                        [[user_id, r.value] for r in sorted(access.rights)])


# --- password -------------------------------------------------------------------


def reset_password(con: Connection, actor: User, login: str,
                   password: str | None = None) -> str | None:
    """A new password; returns it when generated (shown once, never stored in clear).

    Failed sign-ins are forgotten: the reset is how a locked-out user gets back in.
    """
    changelog.allowed(actor)
    user = _target(con, login)
    generated = None
    if password is None:
        password = generated = auth.generate_password()
    auth.check_password(password)
    with changelog.change(con):
        con.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                    [auth.hash_password(password), user.id])
        auth.clear_throttle(con, login)
        sessions.end_all(con, user.id, why=sessions.PASSWORD_RESET)
        changelog.record(con, actor, "user", login, user.name, "password reset",
                         new={"password": "generated" if generated else "set"})
    return generated


# --- sessions and throttling ------------------------------------------------------


def sign_out_everywhere(con: Connection, actor: User, login: str) -> int:
    """End every session of LOGIN (their own account menu, or the owner's Settings);
    each of their browsers is signed out at its next click. How many were live.

    Users may do it for themselves without the settings right."""
    user = _target(con, login)
    if actor.id != user.id:
        changelog.allowed(actor)
    with changelog.change(con):
        ended = sessions.end_all(con, user.id, why=sessions.EVERYWHERE)
        changelog.record(con, actor, "user", login, user.name, "signed out everywhere",
                         new={"sessions ended": ended})
    return ended


def unthrottle(con: Connection, actor: User, login: str,
               client: str | None = None) -> int:
    """Forget LOGIN's failed sign-ins (from CLIENT only, if given), so it may try again
    at once; how many failures were forgotten. Recorded in the change log."""
    changelog.allowed(actor)
    if auth.get_user(con, login) is None and not con.execute(
            "SELECT count(*) FROM sign_in_failures WHERE login = ? AND failed_at > ?",
            [login, datetime.now() - auth.FAILURE_WINDOW]).fetchone()[0]:
        raise SettingsRefused(f"There is no user {login!r}, and no failed sign-ins as "
                              f"{login!r} to forget.")
    with changelog.change(con):
        cleared = auth.clear_throttle(con, login, client)
        changelog.record(con, actor, "user", login, login, "sign-in throttle cleared",
                         new={"failures forgotten": cleared, "client": client or "all"})
    return cleared
