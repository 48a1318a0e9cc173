"""Users, their rights, and signing in.

Passwords are kept only as argon2id hashes (argon2-cffi). Failed sign-ins
are remembered per login: from the third failure within a quarter of an hour
the login is refused for a while, doubling each time, so guessing is slow.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bookings.model import ROLE_PRESETS, Right, Role
from bookings.store import Connection, next_id, transaction

_hasher = PasswordHasher()

FAILURE_WINDOW = timedelta(minutes=15)
FREE_FAILURES = 2  # failures allowed before the waits start
FIRST_WAIT_S = 5
MAX_WAIT_S = 15 * 60


class AuthError(Exception):
    """Refused: the message says why in plain words."""


class SignInRefused(AuthError):
    def __init__(self, message: str, retry_after_s: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Forbidden(AuthError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    email: str
    role: Role
    active: bool
    rights: frozenset[Right] = field(default_factory=frozenset)
    viewing_period_days: int | None = None

    def can(self, right: Right) -> bool:
        return self.active and right in self.rights

    def require(self, right: Right) -> None:
        if not self.can(right):
            raise Forbidden(
                f"{self.login} may not {right.description}: the right '{right.value}' is missing."
            )

    def as_json(self) -> dict:
        return {
            "login": self.login,
            "name": self.name,
            "email": self.email,
            "role": self.role.value,
            "active": self.active,
            "rights": sorted(r.value for r in self.rights),
            "viewing_period_days": self.viewing_period_days,
        }


def generate_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def parse_rights(names: Iterable[str]) -> set[Right]:
    known = {r.value: r for r in Right}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise AuthError(
            f"Unknown right {', '.join(unknown)}. Rights are: {', '.join(sorted(known))}."
        )
    return {known[n] for n in names}


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        raise AuthError(
            f"Unknown role {name!r}. Roles are: {', '.join(r.value for r in Role)}."
        ) from None


# --- reading ----------------------------------------------------------------

_USER_COLUMNS = "id, login, name, email, role, active, viewing_period_days"


def _user_from_row(con: Connection, row: tuple) -> User:
    user_id, login, name, email, role, active, period = row
    rights = con.execute(
        'SELECT "right" FROM user_rights WHERE user_id = ?', [user_id]
    ).fetchall()
    known = {r.value for r in Right}
    return User(
        id=user_id,
        login=login,
        name=name,
        email=email,
        role=Role(role),
        active=active,
        rights=frozenset(Right(r) for (r,) in rights if r in known),
        viewing_period_days=period,
    )


def get_user(con: Connection, login: str) -> User | None:
    row = con.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE login = ?", [login]).fetchone()
    return _user_from_row(con, row) if row else None


def user_by_id(con: Connection, user_id: int) -> User | None:
    row = con.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", [user_id]).fetchone()
    return _user_from_row(con, row) if row else None


def require_user(con: Connection, login: str) -> User:
    user = get_user(con, login)
    if user is None:
        raise AuthError(f"There is no user {login!r}.")
    if not user.active:
        raise AuthError(f"The user {login!r} is deactivated.")
    return user


def list_users(con: Connection) -> list[User]:
    rows = con.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id").fetchall()
    return [_user_from_row(con, row) for row in rows]


# --- changing ---------------------------------------------------------------


def add_user(
    con: Connection,
    login: str,
    role: Role,
    *,
    name: str = "",
    email: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user with the rights of the role's preset.

    Returns the user and, when no password was given, the generated one: the
    only moment it is ever seen in clear.
    """
    login = check_new_login(con, login)
    generated = None
    if password is None:
        password = generated = generate_password()
    check_password(password)
    with transaction(con):
        insert_user(con, login, role, name=name, email=email, password=password)
    return get_user(con, login), generated


def check_new_login(con: Connection, login: str) -> str:
    """The login, stripped, if it is one free word; else refused."""
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise AuthError("A login is one word without spaces.")
    if get_user(con, login) is not None:
        raise AuthError(f"The login {login!r} is taken.")
    return login


def check_password(password: str) -> None:
    if len(password) < 8:
        raise AuthError("A password needs at least 8 characters.")


def insert_user(con: Connection, login: str, role: Role, *, name: str, email: str,
                password: str) -> int:
    """Write a checked new user with the role's preset; inside the caller's transaction."""
    rights, period = ROLE_PRESETS[role]
    user_id = next_id(con, "users")
    con.execute(
        "INSERT INTO users (id, login, name, email, role, active, password_hash, "
        "viewing_period_days, created_at) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, "
        "current_localtimestamp())",
        [user_id, login, name or login, email, role.value, hash_password(password), period],
    )
    con.executemany(
        'INSERT INTO user_rights (user_id, "right") VALUES (?, ?)',
        [[user_id, r.value] for r in sorted(rights)],
    )
    return user_id


def change_rights(
    con: Connection,
    login: str,
    *,
    grant: Iterable[Right] = (),
    revoke: Iterable[Right] = (),
    actor: User | None = None,
) -> User:
    """Grant and revoke rights; an actor (when acting as a user) needs the settings right.

    The raw write (tests, the demo): Settings and the CLI go through
    `bookings.users`, which keeps an active owner and records the change.
    """
    if actor is not None:
        actor.require(Right.MANAGE_SETTINGS)
    user = get_user(con, login)
    if user is None:
        raise AuthError(f"There is no user {login!r}.")
    with transaction(con):
        for right in grant:
            con.execute(
                'INSERT INTO user_rights (user_id, "right") VALUES (?, ?) ON CONFLICT DO NOTHING',
                [user.id, right.value],
            )
        for right in revoke:
            con.execute(
                'DELETE FROM user_rights WHERE user_id = ? AND "right" = ?',
                [user.id, right.value],
            )
    return get_user(con, login)


def set_viewing_period(
    con: Connection, login: str, days: int | None, *, actor: User | None = None
) -> User:
    if actor is not None:
        actor.require(Right.MANAGE_SETTINGS)
    if days is not None and days < 0:
        raise AuthError("A viewing period is a number of days, 0 or more, or unlimited.")
    user = get_user(con, login)
    if user is None:
        raise AuthError(f"There is no user {login!r}.")
    con.execute("UPDATE users SET viewing_period_days = ? WHERE id = ?", [days, user.id])
    return get_user(con, login)


# --- signing in ---------------------------------------------------------------


def sign_in(con: Connection, login: str, password: str, *, now: datetime | None = None) -> User:
    """The user, if the password is right and the login is not waiting out failures."""
    now = now or datetime.now()
    wait = seconds_to_wait(con, login, now)
    if wait > 0:
        raise SignInRefused(
            f"Too many failed sign-ins for {login!r}. Try again in {wait} seconds.", wait
        )
    row = con.execute(
        "SELECT password_hash, active FROM users WHERE login = ?", [login]
    ).fetchone()
    stored_hash, active = row if row else (_DUMMY_HASH, False)
    if not _verify(stored_hash, password) or row is None:
        _record_failure(con, login, now)
        raise SignInRefused("Wrong login or password.")
    if not active:
        raise SignInRefused(f"The user {login!r} is deactivated. Ask the owner.")
    con.execute("DELETE FROM sign_in_failures WHERE login = ?", [login])
    if _hasher.check_needs_rehash(stored_hash):
        con.execute(
            "UPDATE users SET password_hash = ? WHERE login = ?", [hash_password(password), login]
        )
    return get_user(con, login)


def seconds_to_wait(con: Connection, login: str, now: datetime) -> int:
    failures, last = con.execute(
        "SELECT count(*), max(failed_at) FROM sign_in_failures WHERE login = ? AND failed_at > ?",
        [login, now - FAILURE_WINDOW],
    ).fetchone()
    if failures <= FREE_FAILURES:
        return 0
    wait = min(FIRST_WAIT_S * 2 ** (failures - FREE_FAILURES - 1), MAX_WAIT_S)
    remaining = (last + timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def _record_failure(con: Connection, login: str, now: datetime) -> None:
    con.execute("INSERT INTO sign_in_failures VALUES (?, ?)", [login, now])


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the login does not exist, so that an unknown login
# takes as long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
