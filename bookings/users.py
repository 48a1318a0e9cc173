"""Administering users: add, role, rights and viewing period, password reset,
deactivation. What Settings > Users and rights and `bookings users` do.

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

from bookings import auth, changelog, mail
from bookings.auth import User
from bookings.changelog import SettingsRefused
from bookings.model import ROLE_PRESETS, Right, Role
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

    @classmethod
    def of(cls, user: User) -> Access:
        return cls(user.role, user.active, user.rights, user.viewing_period_days)

    def keeps_the_salon_owned(self) -> bool:
        """An active owner who can manage settings: what the salon must keep one of."""
        return self.active and self.role == Role.OWNER and Right.MANAGE_SETTINGS in self.rights

    def as_json(self) -> dict:
        return {"role": self.role.value, "active": self.active,
                "rights": sorted(r.value for r in self.rights),
                "viewing_period_days": self.viewing_period_days}


def _allowed(actor: User | None) -> None:
    if actor is not None:
        actor.require(Right.MANAGE_SETTINGS)


def _target(con: Connection, login: str) -> User:
    user = auth.get_user(con, login)
    if user is None:
        raise SettingsRefused(f"There is no user {login!r}.")
    return user


# --- adding -------------------------------------------------------------------


def add_user(con: Connection, actor: User | None, login: str, role: Role, *, name: str = "",
             email: str = "", password: str | None = None) -> tuple[User, str | None]:
    """A new user with the role's preset; returns the generated password, if any, once."""
    _allowed(actor)
    login = auth.check_new_login(con, login)
    email = user_email(email)
    generated = None
    if password is None:
        password = generated = auth.generate_password()
    auth.check_password(password)
    with changelog.change(con):
        auth.insert_user(con, login, role, name=name.strip(), email=email.strip(),
                         password=password)
        rights, period = ROLE_PRESETS[role]
        changelog.record(con, actor, "user", login, name.strip() or login, "added",
                         new=Access(role, True, rights, period).as_json())
    return auth.get_user(con, login), generated


def user_email(text: str) -> str:
    """A user's email as typed: empty (none), or exactly one plain address."""
    if not (text or "").strip():
        return ""
    try:
        return mail.single_address(text)
    except ValueError as exc:
        raise SettingsRefused(f"Email: {exc}") from None


# --- access: role, rights, viewing period, active --------------------------------


def set_role(con: Connection, actor: User | None, login: str, role: Role) -> User:
    """The role, with its preset's rights and viewing period (the owner may adjust after)."""
    rights, period = ROLE_PRESETS[role]
    return _change(con, actor, login, "role changed",
                   lambda a: replace(a, role=role, rights=rights, viewing_period_days=period))


def set_rights(con: Connection, actor: User | None, login: str, rights: Iterable[Right],
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


def grant(con: Connection, actor: User | None, login: str, rights: Iterable[Right]) -> User:
    return set_rights(con, actor, login, _target(con, login).rights | set(rights))


def revoke(con: Connection, actor: User | None, login: str, rights: Iterable[Right]) -> User:
    return set_rights(con, actor, login, _target(con, login).rights - set(rights))


def set_viewing_period(con: Connection, actor: User | None, login: str,
                       days: int | None) -> User:
    return set_rights(con, actor, login, _target(con, login).rights, days)


def set_active(con: Connection, actor: User | None, login: str, active: bool) -> User:
    """Deactivated: sign-in refused, signed out at the next click; bookings and history kept."""
    return _change(con, actor, login, "reactivated" if active else "deactivated",
                   lambda a: replace(a, active=active))


def _change(con: Connection, actor: User | None, login: str, action: str,
            new_access: Callable[[Access], Access]) -> User:
    _allowed(actor)
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
        old, new = _differences(before.as_json(), after.as_json())
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
    con.execute("UPDATE users SET role = ?, active = ?, viewing_period_days = ? WHERE id = ?",
                [access.role.value, access.active, access.viewing_period_days, user_id])
    con.execute("DELETE FROM user_rights WHERE user_id = ?", [user_id])
    if access.rights:
        con.executemany('INSERT INTO user_rights (user_id, "right") VALUES (?, ?)',
                        [[user_id, r.value] for r in sorted(access.rights)])


def _differences(old: dict, new: dict) -> tuple[dict, dict]:
    changed = [key for key in old if old[key] != new[key]]
    return {k: old[k] for k in changed}, {k: new[k] for k in changed}


# --- password -------------------------------------------------------------------


def reset_password(con: Connection, actor: User | None, login: str,
                   password: str | None = None) -> str | None:
    """A new password; returns it when generated (shown once, never stored in clear).

    Failed sign-ins are forgotten: the reset is how a locked-out user gets back in.
    """
    _allowed(actor)
    user = _target(con, login)
    generated = None
    if password is None:
        password = generated = auth.generate_password()
    auth.check_password(password)
    with changelog.change(con):
        con.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                    [auth.hash_password(password), user.id])
        con.execute("DELETE FROM sign_in_failures WHERE login = ?", [login])
        changelog.record(con, actor, "user", login, user.name, "password reset",
                         new={"password": "generated" if generated else "set"})
    return generated
