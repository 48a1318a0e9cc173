"""Serving export files: through the emailed link, or from the Data log page (there
the cross-tab's downloads too, `crosstab.py`: they have no link).

The link's route (`/download/{token}`, web/downloads.py) is a thin
Starlette adapter over `by_link`, which answers with a status, a plain text for a refusal, or the
file to send. A refusal says why in plain words and nothing more: 404 for a
token nobody issued, 410 for one that expired, was withdrawn or whose file is
gone. Every fetch, by link or from the page, is recorded in `data_log_fetches`.

The rights are checked where the bytes leave, on every fetch, with the user as
stored now: the export right (an active user), and the phone right when the file
shows phone numbers unmasked (`exports.made_with_phones`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bookings import datalog, sessions
from bookings.auth import get_user, user_by_id
from bookings.errors import Forbidden, NotFound
from bookings.exports.jobs import MEDIA_TYPES, made_with_phones, store_dir, token_hash
from bookings.model import Right, User
from bookings.store import Connection

PLAIN = "text/plain; charset=utf-8"
# A download is private: no cache keeps it, no page it links to learns the token.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                   "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Reply:
    """What the route answers: a file to send, or a status with a plain text."""

    status: int
    text: str = ""
    path: Path | None = None
    file_name: str | None = None
    media_type: str = PLAIN
    headers: dict[str, str] = field(default_factory=lambda: dict(PRIVATE_HEADERS))


@dataclass(frozen=True)
class ReadyFile:
    log_id: int
    path: Path
    file_name: str
    media_type: str


def by_link(con: Connection, token: str, *, record: bool = True,
            now: datetime | None = None) -> Reply:
    """The file behind an emailed link, or a plain refusal. RECORD: a GET, not a HEAD."""
    now = now or datetime.now()
    row = con.execute("""
        SELECT id, user_id, state, token_expires_at FROM data_log
        WHERE kind = 'export' AND token_sha256 = ?
    """, [token_hash(token)]).fetchone() if 20 <= len(token) <= 200 else None
    if row is None:
        return Reply(404, "This download link is not known. Check that the whole link "
                          "was copied, or request the download again.\n")
    log_id, user_id, state, expires_at = row
    if expires_at is None or now >= expires_at:
        when = f" on {expires_at:%d.%m.%Y %H:%M}" if expires_at else ""
        return Reply(410, f"This download link expired{when}. "
                          "Request the download again from the Bookings list.\n")
    requester = user_by_id(con, user_id)
    if requester is None or not requester.can(Right.EXPORT):
        return Reply(410, "This download link was withdrawn: its owner may no longer "
                          "download bookings.\n")
    if made_with_phones(con, log_id) and not requester.can(Right.SEE_PHONES):
        return Reply(410, "This download link was withdrawn: the file shows clients' phone "
                          "numbers, which its owner may no longer see.\n")
    try:
        ready = _ready_file(con, log_id)
    except NotFound as gone:
        return Reply(410, f"{gone}\n")
    if record:
        datalog.record_fetch(con, log_id, via="link", at=now)
    return Reply(200, path=ready.path, file_name=ready.file_name, media_type=ready.media_type)


def for_page(con: Connection, user: User, log_id: int) -> ReadyFile:
    """The file of an entry this user may fetch (export right, an entry they see, and
    the phone right when the file shows phone numbers)."""
    if not user.can(Right.EXPORT):  # false for a deactivated user too
        raise Forbidden(f"{user.login} may not {Right.EXPORT.description}.")
    datalog.entry(con, user, log_id)  # refuses entries the user may not see
    if made_with_phones(con, log_id) and not user.can(Right.SEE_PHONES):
        raise Forbidden(f"The file of download {log_id} shows clients' phone numbers, which "
                        f"{user.login} may not see.")
    return _ready_file(con, log_id)


def fetch_for_page(con: Connection, login: str, log_id: int, *,
                   session: str | None = None) -> tuple[bytes, str]:
    """The bytes and file name of a Data log download, checked and recorded as they leave.

    The page's download callable runs this when the bytes are asked for (a client
    may skip the button's on_click): the user is read afresh by LOGIN, so a right
    withdrawn or an account deactivated while the page is open refuses the file.
    SESSION, the sign-in token the page was drawn under, must still be LOGIN's live
    session: Streamlit serves a deferred file to whoever presents its id, so once
    that sign-in has ended the id is worth nothing.
    Refused (Forbidden, StoreError): nothing is read, nothing is recorded.
    """
    if session is not None:
        signed_in = sessions.user_for(con, session).user
        if signed_in is None or signed_in.login != login:
            raise Forbidden("That sign-in has ended: sign in again to download the file.")
    user = get_user(con, login)
    if user is None or not user.active:
        raise Forbidden(f"{login} is no longer an active user: the file is not handed out.")
    ready = for_page(con, user, log_id)
    data = ready.path.read_bytes()
    datalog.record_fetch(con, log_id, via="page", user=user)
    return data, ready.file_name


def fetch_from_page(con: Connection, user: User, log_id: int) -> ReadyFile:
    """Checked and recorded: a user fetched this file from the Data log page."""
    ready = for_page(con, user, log_id)
    datalog.record_fetch(con, log_id, via="page", user=user)
    return ready


# The name a fetched file is given, by the entry's kind: bookings-9-2026-05-01.xlsx
FILE_NAMES = {"export": "bookings", "crosstab": "crosstab"}


def _ready_file(con: Connection, log_id: int) -> ReadyFile:
    row = con.execute(f"""
        SELECT state, file_path, format, requested_at, kind FROM data_log
        WHERE id = ? AND kind IN ({", ".join("?" * len(datalog.FILE_KINDS))})
    """, [log_id, *datalog.FILE_KINDS]).fetchone()
    if row is None or row[0] != "ready" or row[1] is None:
        raise NotFound(f"Download {log_id} has no file (yet).")
    _, file_path, fmt, requested_at, kind = row
    path = store_dir(con) / file_path
    if not path.is_file():
        raise NotFound(f"The file of download {log_id} is no longer kept. "
                         "Request the download again.")
    return ReadyFile(log_id, path, f"{FILE_NAMES[kind]}-{log_id}-{requested_at:%Y-%m-%d}.{fmt}",
                     MEDIA_TYPES[fmt])
