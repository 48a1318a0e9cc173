"""Sign-in sessions: what keeps a browser signed in across reloads, tabs and bookmarks.

A session is a random token (32 bytes) in an HttpOnly cookie; the store keeps only
its sha256. The cookie cannot be set over Streamlit's websocket, so signing in is
two steps:

1. the sign-in form (a websocket run) checks the password and `open_session`s: a
   session row with a single-use ticket, valid for TICKET_SECONDS. The page then
   opens at once on the websocket connection that signed in (`user_of_session`: the
   UI binds the session to that connection, never to the Streamlit session id),
   and has the browser fetch the /auth/session route with the ticket;
2. that route (`server.py`) `redeem`s the ticket, atomically, for a new token and
   sets the cookie: reloads, other tabs and bookmarks are signed in by it. (A client
   whose connection cannot be told apart is sent to the route instead, which then
   opens the page asked for.)

Every script run then reads the cookie and asks `user_for` who it belongs to: the
Streamlit session id alone signs nobody in. A session ends when signed out, when
idle longer than the idle time, past its absolute lifetime, or at once for all of
a user's sessions (`end_all`: deactivation, a password reset, "sign out
everywhere"): the next click of any of their browsers finds it ended.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from bookings.auth import user_by_id
from bookings.model import User
from bookings.store import Connection

COOKIE = "bookings_session"
TICKET_SECONDS = 30
# last_seen_at is written at most this often: a click is a read, not a write.
SEEN_EVERY = timedelta(seconds=60)
IDLE_HOURS_VAR = "BOOKINGS_SESSION_IDLE_HOURS"
LIFETIME_DAYS_VAR = "BOOKINGS_SESSION_MAX_DAYS"
DEFAULT_IDLE_HOURS = 12
DEFAULT_LIFETIME_DAYS = 7

# Why a session ended, as the next page of that browser says it.
SIGNED_OUT = "signed out"
EVERYWHERE = "signed out everywhere"
DEACTIVATED = "deactivated"
PASSWORD_RESET = "password reset"
IDLE = "idle"
EXPIRED = "expired"
_ENDED_WORDS = {
    EVERYWHERE: "You were signed out: all sessions of your account were ended.",
    DEACTIVATED: "You were signed out: your account was deactivated.",
    PASSWORD_RESET: "You were signed out: your password was reset. Sign in with the new one.",
    IDLE: "You were signed out after {idle} without use. Please sign in again.",
    EXPIRED: "Your sign-in is older than {lifetime}. Please sign in again.",
}


def _hours_setting(var: str, default: float) -> float:
    try:
        value = float(os.environ.get(var, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def idle_time() -> timedelta:
    """How long a session may go unused (BOOKINGS_SESSION_IDLE_HOURS, default 12 h)."""
    return timedelta(hours=_hours_setting(IDLE_HOURS_VAR, DEFAULT_IDLE_HOURS))


def lifetime() -> timedelta:
    """How long a session lasts however used (BOOKINGS_SESSION_MAX_DAYS, default 7 days)."""
    return timedelta(days=_hours_setting(LIFETIME_DAYS_VAR, DEFAULT_LIFETIME_DAYS))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret() -> str:
    return secrets.token_urlsafe(32)  # 32 random bytes


def open_session(con: Connection, user: User, client: str, *,
                 now: datetime | None = None) -> tuple[int, str]:
    """A new session of USER: its id and a single-use ticket, good for TICKET_SECONDS,
    that the route swaps for the session cookie. Only the ticket's hash is stored."""
    now = now or datetime.now()
    session_id, ticket = secrets.randbits(62), _secret()
    con.execute("""
        INSERT INTO sessions (id, user_id, ticket_sha256, ticket_expires_at, client,
                              created_at, last_seen_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
    """, [session_id, user.id, digest(ticket), now + timedelta(seconds=TICKET_SECONDS),
          client, now, now])
    return session_id, ticket


def redeem(con: Connection, ticket: str, *, now: datetime | None = None) -> str | None:
    """The new session token for a live ticket, once; None for any other ticket.

    One UPDATE with its condition in the statement: two requests with the same
    ticket cannot both get a token.
    """
    now = now or datetime.now()
    if not 20 <= len(ticket) <= 200:
        return None
    token = _secret()
    row = con.execute("""
        UPDATE sessions SET token_sha256 = ?, ticket_sha256 = NULL, ticket_expires_at = NULL,
                            created_at = ?, last_seen_at = ?
        WHERE ticket_sha256 = ? AND ticket_expires_at > ? AND ended_at IS NULL
        RETURNING user_id
    """, [digest(token), now, now, digest(ticket), now]).fetchone()
    if row is None:
        return None
    user = user_by_id(con, row[0])
    if user is None or not user.active:
        end(con, token, why=DEACTIVATED, now=now)
        return None
    return token


@dataclass(frozen=True)
class Check:
    """Who a cookie's token signs in, or why nobody: `ended` is set when the token was
    a session that has ended (the page says why)."""

    user: User | None
    ended: str | None = None
    session: int | None = None  # the live session's id: whose page state this is

    @property
    def message(self) -> str | None:
        if self.ended not in _ENDED_WORDS:
            return None
        return _ENDED_WORDS[self.ended].format(idle=span(idle_time()),
                                               lifetime=span(lifetime()))


def user_for(con: Connection, token: str | None, *, now: datetime | None = None) -> Check:
    """The user a cookie's token belongs to, if its session is live; the session's last
    use is noted (at most once a minute), an outlived one is ended here."""
    if not token or len(token) > 200:
        return Check(None)
    return _checked(con, "token_sha256 = ?", digest(token), now or datetime.now())


def user_of_session(con: Connection, session_id: int, *,
                    now: datetime | None = None) -> Check:
    """As `user_for`, for the session of this id: the one a connection signed in to,
    before (or without) its cookie."""
    return _checked(con, "id = ?", session_id, now or datetime.now())


def _checked(con: Connection, where: str, key, now: datetime) -> Check:
    row = con.execute(f"""
        SELECT id, user_id, created_at, last_seen_at, ended_at, ended_why
        FROM sessions WHERE {where}
    """, [key]).fetchone()
    if row is None:
        return Check(None)
    session_id, user_id, created_at, last_seen_at, ended_at, ended_why = row
    if ended_at is not None:
        return Check(None, ended_why)
    why = (EXPIRED if now - created_at >= lifetime()
           else IDLE if now - last_seen_at >= idle_time() else None)
    user = user_by_id(con, user_id)
    if why is None and (user is None or not user.active):
        why = DEACTIVATED
    if why is not None:
        _end_where(con, "id = ?", [session_id], why, now)
        return Check(None, why)
    if now - last_seen_at >= SEEN_EVERY:
        try:
            con.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND ended_at IS NULL",
                        [now, session_id])
        except duckdb.TransactionException:
            pass  # another tab of this session noted it at the same moment
    return Check(user, session=session_id)


def end(con: Connection, token: str | None, *, why: str = SIGNED_OUT,
        now: datetime | None = None) -> None:
    """End the session of this token (signing out); nothing if there is none."""
    if token:
        _end_where(con, "token_sha256 = ?", [digest(token)], why, now or datetime.now())


def end_session(con: Connection, session_id: int, *, why: str = SIGNED_OUT,
                now: datetime | None = None) -> None:
    """End the session of this id (signing out a connection without its cookie)."""
    _end_where(con, "id = ?", [session_id], why, now or datetime.now())


def end_all(con: Connection, user_id: int, *, why: str = EVERYWHERE,
            now: datetime | None = None) -> int:
    """End every live session (and unredeemed ticket) of a user; how many were live."""
    return _end_where(con, "user_id = ?", [user_id], why, now or datetime.now())


def _end_where(con: Connection, where: str, params: list, why: str, now: datetime) -> int:
    rows = con.execute(f"""
        UPDATE sessions SET ended_at = ?, ended_why = ?, ticket_sha256 = NULL
        WHERE {where} AND ended_at IS NULL RETURNING id
    """, [now, why, *params]).fetchall()
    return len(rows)


def live_count(con: Connection, user_id: int, *, now: datetime | None = None) -> int:
    """How many signed-in browsers a user has now (Settings shows it)."""
    now = now or datetime.now()
    return con.execute("""
        SELECT count(*) FROM sessions
        WHERE user_id = ? AND ended_at IS NULL AND token_sha256 IS NOT NULL
          AND created_at > ? AND last_seen_at > ?
    """, [user_id, now - lifetime(), now - idle_time()]).fetchone()[0]


def safe_next(target: str | None) -> str:
    """Where to go after signing in or out: a path of this app only (no other host)."""
    target = (target or "/").strip()
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return f"{hours:g} hours" if hours != 1 else "1 hour"
