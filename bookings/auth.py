"""Users, their rights, and signing in.

Passwords are kept only as argon2id hashes (argon2-cffi). Failed sign-ins
are remembered per login and client address: past a few failures within a
quarter of an hour, that client waits before its next try, doubling each time,
so guessing is slow while the real user elsewhere is never locked out.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bookings.errors import Refused, SignInRefused
from bookings.exports import mail
from bookings.model import ROLE_PRESETS, ROLE_SCOPES, Right, Role, Scope, User
from bookings.store import Connection, exclusive, next_id, transaction

_hasher = PasswordHasher()

FAILURE_WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3  # tries of one login from one client before the waits start
FIRST_WAIT_S = 5
FREE_CLIENT_FAILURES = 10  # logins one client may fail before its waits start
FIRST_CLIENT_WAIT_S = 2
MAX_WAIT_S = 15 * 60
LOCAL_CLIENT = "local"  # the command line, and a browser on this machine


def generate_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def parse_rights(names: Iterable[str]) -> set[Right]:
    known = {r.value: r for r in Right}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise Refused(
            f"Unknown right {', '.join(unknown)}. Rights are: {', '.join(sorted(known))}."
        )
    return {known[n] for n in names}


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        raise Refused(
            f"Unknown role {name!r}. Roles are: {', '.join(r.value for r in Role)}."
        ) from None


# --- reading ----------------------------------------------------------------

_USER_COLUMNS = "id, login, name, email, role, active, viewing_period_days, staff_id, scope"


def _user_from_row(con: Connection, row: tuple) -> User:
    user_id, login, name, email, role, active, period, staff_id, scope = row
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
        staff_id=staff_id,
        scope=Scope(scope),
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
        raise Refused(f"There is no user {login!r}.")
    if not user.active:
        raise Refused(f"The user {login!r} is deactivated.")
    return user


def list_users(con: Connection) -> list[User]:
    rows = con.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY id").fetchall()
    return [_user_from_row(con, row) for row in rows]


# --- changing ---------------------------------------------------------------


def add_user(con: Connection, login: str, role: Role, *, name: str = "", email: str = "",
             password: str | None = None, then: Callable[[str], None] | None = None
             ) -> tuple[User, str | None]:
    """The one way a user is made, with the rights of the role's preset: Settings and
    `bookings users add` through `admin.users.add_user` (the settings right, the change
    log: THEN, run with the login in the same transaction), the demo and tests directly.

    Returns the user and, when no password was given, the generated one: the
    only moment it is ever seen in clear.
    """
    login = check_new_login(con, login)
    email = check_email(email)
    generated = None
    if password is None:
        password = generated = generate_password()
    check_password(password)
    with transaction(con):
        insert_user(con, login, role, name=name.strip(), email=email, password=password)
        if then is not None:
            then(login)
    return get_user(con, login), generated


def check_email(text: str) -> str:
    """A user's email as typed: empty (none), or exactly one plain address."""
    if not (text or "").strip():
        return ""
    try:
        return mail.single_address(text).strip()
    except ValueError as exc:
        raise Refused(f"Email: {exc}") from None


def check_new_login(con: Connection, login: str) -> str:
    """The login, stripped, if it is one free word; else refused."""
    login = login.strip()
    if not login or any(c.isspace() for c in login):
        raise Refused("A login is one word without spaces.")
    if get_user(con, login) is not None:
        raise Refused(f"The login {login!r} is taken.")
    return login


def check_password(password: str) -> None:
    if len(password) < 8:
        raise Refused("A password needs at least 8 characters.")


def insert_user(con: Connection, login: str, role: Role, *, name: str, email: str,
                password: str) -> int:
    """Write a checked new user with the role's preset; inside the caller's transaction.

    Not linked to an employee yet: an employee (scope 'own') sees nothing until linked.
    """
    rights, period = ROLE_PRESETS[role]
    user_id = next_id(con, "users")
    con.execute(
        "INSERT INTO users (id, login, name, email, role, active, password_hash, "
        "viewing_period_days, scope, created_at) VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?, "
        "current_localtimestamp())",
        [user_id, login, name or login, email, role.value, hash_password(password), period,
         ROLE_SCOPES[role].value],
    )
    con.executemany(
        'INSERT INTO user_rights (user_id, "right") VALUES (?, ?)',
        [[user_id, r.value] for r in sorted(rights)],
    )
    return user_id


# --- signing in ---------------------------------------------------------------


def sign_in(con: Connection, login: str, password: str, *, client: str = LOCAL_CLIENT,
            now: datetime | None = None) -> User:
    """The user, if the password is right and this client is not waiting out failures.

    Throttled per client address and per (login, client): guessing from one place
    slows down, while the login's owner elsewhere is never locked out. The check and
    a provisional failure are one exclusive step, so parallel attempts are counted
    before their passwords are checked; a right password takes its failure back.
    Every refusal is recorded in the Data log (seen with the settings right).
    """
    now = now or datetime.now()
    client = (client or LOCAL_CLIENT)[:100]
    with exclusive(con, "sign-in"):
        wait = seconds_to_wait(con, login, client, now)
        if not wait:
            con.execute("INSERT INTO sign_in_failures (login, failed_at, client) VALUES (?, ?, ?)",
                        [login, now, client])
    if wait:
        _refused(con, login, client, f"waiting out failed sign-ins ({wait} s left)")
        raise SignInRefused(f"Too many failed sign-ins. Try again in {wait} seconds.", wait)
    row = con.execute(
        "SELECT password_hash, active FROM users WHERE login = ?", [login]
    ).fetchone()
    stored_hash, active = row if row else (_DUMMY_HASH, False)
    if not _verify(stored_hash, password) or row is None:
        _refused(con, login, client, "wrong login or password")
        raise SignInRefused("Wrong login or password.")
    if not active:
        _refused(con, login, client, "the user is deactivated")
        raise SignInRefused(f"The user {login!r} is deactivated. Ask the owner.")
    con.execute("DELETE FROM sign_in_failures WHERE login = ? AND client = ?", [login, client])
    if _hasher.check_needs_rehash(stored_hash):
        con.execute(
            "UPDATE users SET password_hash = ? WHERE login = ?", [hash_password(password), login]
        )
    return get_user(con, login)


def seconds_to_wait(con: Connection, login: str, client: str, now: datetime) -> int:
    """How long this client must wait before trying LOGIN again: the longer of the
    (login, client) pair's wait and the client's own (by how many logins it failed)."""
    since = now - FAILURE_WINDOW
    pair = con.execute(
        "SELECT count(*), max(failed_at) FROM sign_in_failures "
        "WHERE login = ? AND client = ? AND failed_at > ?", [login, client, since]).fetchone()
    # Distinct logins: a salon behind one address mistyping its own few logins is not
    # slowed; one client going through login after login is.
    anywhere = con.execute(
        "SELECT count(DISTINCT login), max(failed_at) FROM sign_in_failures "
        "WHERE client = ? AND failed_at > ?", [client, since]).fetchone()
    return max(_wait(*pair, FREE_FAILURES, FIRST_WAIT_S, now),
               _wait(*anywhere, FREE_CLIENT_FAILURES, FIRST_CLIENT_WAIT_S, now))


def _wait(failures: int, last: datetime | None, free: int, first_s: int, now: datetime) -> int:
    """Seconds left of the wait after LAST: FREE tries go at once; from then on each
    try waits FIRST_S after the last failure, doubling with each further failure, at
    most MAX_WAIT_S."""
    if failures < free or last is None:
        return 0
    wait = min(first_s * 2 ** min(failures - free, 20), MAX_WAIT_S)
    remaining = (last + timedelta(seconds=wait) - now).total_seconds()
    return max(0, int(remaining + 0.999))


@dataclass(frozen=True)
class Throttle:
    """A (login, client) pair with recent failed sign-ins, as Settings lists them."""

    login: str
    client: str
    failures: int
    last_failed_at: datetime
    wait_s: int


def throttles(con: Connection, *, now: datetime | None = None) -> list[Throttle]:
    """The pairs with failures in the window, the ones waiting first."""
    now = now or datetime.now()
    rows = con.execute("""
        SELECT login, client, count(*), max(failed_at) FROM sign_in_failures
        WHERE failed_at > ? GROUP BY login, client ORDER BY max(failed_at) DESC
    """, [now - FAILURE_WINDOW]).fetchall()
    found = [Throttle(login, client, n, last, seconds_to_wait(con, login, client, now))
             for login, client, n, last in rows]
    return sorted(found, key=lambda t: -t.wait_s)


def clear_throttle(con: Connection, login: str, client: str | None = None) -> int:
    """Forget LOGIN's failed sign-ins (from CLIENT only, if given); how many."""
    where, params = ("login = ?", [login]) if client is None else (
        "login = ? AND client = ?", [login, client])
    return len(con.execute(f"DELETE FROM sign_in_failures WHERE {where} RETURNING login",
                           params).fetchall())


def _refused(con: Connection, login: str, client: str, why: str) -> None:
    from bookings import datalog  # datalog reads users: imported here, not at the top

    datalog.record_refused_sign_in(con, login[:100], client, why)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the login does not exist, so that an unknown login
# takes as long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
