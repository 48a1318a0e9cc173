"""The Data log: downloads (of the list, of a cross-tab), uploads, bulk deletions and
refused sign-ins, with who fetched which file.

Who sees what (checked here, on the server side):
- the Data log is part of the bookings section: it needs the list right;
- the owner, i.e. whoever holds the settings right, sees everyone's entries;
  everyone else sees their own;
- fetching a file needs the export right too (`downloads`).
The CLI without --user sees everything, as it does for the list.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bookings.errors import NotFound, Refused
from bookings.model import Right, User
from bookings.store import Connection, next_id

# export: a download of the list; crosstab: a download of a cross-tab (written at once);
# sign-in: a refused sign-in (user_id NULL, so only the settings right sees it)
KINDS = ("export", "crosstab", "upload", "delete", "sign-in")
FILE_KINDS = ("export", "crosstab")  # entries with a file to fetch (`exports.links`)


def sees_everyone(viewer: User) -> bool:
    return viewer.can(Right.MANAGE_SETTINGS)


def _scope(viewer: User) -> tuple[str, list]:
    viewer.require(Right.VIEW_BOOKINGS)
    if sees_everyone(viewer):
        return "TRUE", []
    return "d.user_id = ?", [viewer.id]


def entries(con: Connection, viewer: User, *, kind: str | None = None,
            by: str | None = None, date_from: date | None = None, date_to: date | None = None,
            log_id: int | None = None, limit: int = 500) -> list[dict]:
    """The entries this viewer may see, newest first, each with its fetches."""
    where, params = _scope(viewer)
    conditions = [where]
    if log_id is not None:
        conditions.append("d.id = ?")
        params.append(log_id)
    if kind is not None:
        if kind not in KINDS:
            raise Refused(f"The kind is one of {', '.join(KINDS)}, not {kind!r}.")
        conditions.append("d.kind = ?")
        params.append(kind)
    if by:
        conditions.append("d.user_login = ?")
        params.append(by)
    if date_from is not None:
        conditions.append("d.requested_at >= ?")
        params.append(datetime.combine(date_from, time.min))
    if date_to is not None:
        conditions.append("d.requested_at < ?")
        params.append(datetime.combine(date_to + timedelta(days=1), time.min))
    cur = con.execute(f"""
        SELECT d.id, d.requested_at AS at, d.user_login AS user, d.kind, d.what, d.rows,
               d.rows_left_out, d.format, d.state, d.progress, d.file_size AS size,
               d.error, d.finished_at, d.token_expires_at AS link_expires_at
        FROM data_log d
        WHERE {" AND ".join(f"({c})" for c in conditions)}
        ORDER BY d.requested_at DESC, d.id DESC
        LIMIT ?
    """, [*params, limit])
    names = [column[0] for column in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    fetches = _fetches(con, [row["id"] for row in rows])
    for row in rows:
        row["fetches"] = fetches.get(row["id"], [])
    return rows


def _fetches(con: Connection, log_ids: list[int]) -> dict[int, list[dict]]:
    """Each entry's fetches, oldest first (one query, plain rows: the same on every engine)."""
    if not log_ids:
        return {}
    found: dict[int, list[dict]] = {}
    for log_id, at, by, via in con.execute(f"""
        SELECT log_id, fetched_at, coalesce(user_login, 'link'), via FROM data_log_fetches
        WHERE log_id IN ({", ".join("?" for _ in log_ids)})
        ORDER BY log_id, fetched_at
    """, log_ids).fetchall():
        found.setdefault(log_id, []).append({"at": at, "by": by, "via": via})
    return found


def entry(con: Connection, viewer: User, log_id: int) -> dict:
    """One entry this viewer may see; refused as unknown otherwise (no hint it exists)."""
    found = entries(con, viewer, log_id=log_id, limit=1)
    if not found:
        raise NotFound(f"There is no Data log entry {log_id} (or it is not yours).")
    return found[0]


def has_pending(con: Connection, viewer: User) -> bool:
    """Downloads of this viewer still queued or running (the page refreshes meanwhile)."""
    where, params = _scope(viewer)
    return con.execute(f"""
        SELECT count(*) > 0 FROM data_log d
        WHERE ({where}) AND d.kind = 'export' AND d.state IN ('queued', 'running')
    """, params).fetchone()[0]


def logins(con: Connection, viewer: User) -> list[str]:
    """Who appears in the entries this viewer may see (the page's user filter)."""
    where, params = _scope(viewer)
    return [login for (login,) in con.execute(f"""
        SELECT DISTINCT d.user_login FROM data_log d
        WHERE ({where}) AND d.user_login IS NOT NULL ORDER BY 1
    """, params).fetchall()]


def record_fetch(con: Connection, log_id: int, *, via: str, user: User | None = None,
                 at: datetime | None = None) -> None:
    """One fetch of an entry's file: by a user from the page, or through the emailed link."""
    con.execute("""
        INSERT INTO data_log_fetches (log_id, fetched_at, user_id, user_login, via)
        VALUES (?, ?, ?, ?, ?)
    """, [log_id, at or datetime.now(), user.id if user else None,
          user.login if user else None, via])


def add_entry(con: Connection, **columns) -> int:
    """A new entry; its id."""
    names = ", ".join(["id", *columns])
    marks = ", ".join("?" * (len(columns) + 1))
    log_id = next_id(con, "data_log")
    con.execute(f"INSERT INTO data_log ({names}) VALUES ({marks})", [log_id, *columns.values()])
    return log_id


def record_refused_sign_in(con: Connection, login: str, client: str, why: str,
                           now: datetime | None = None) -> int:
    """A refused sign-in: which login, from where, why. No user_id: only those who see
    everyone's entries (the settings right) see it."""
    now = now or datetime.now()
    return add_entry(con, requested_at=now, user_login=login, kind="sign-in",
                     what=f"Sign-in as {login!r} from {client} refused: {why}",
                     state="done", finished_at=now)
