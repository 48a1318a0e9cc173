"""The settings change log: every change made in Settings, who made it, when,
and the values before and after.

One generic table (`settings_changes`) for users, staff, services, categories
and the booking interval, so the owner reads one log. A change is recorded in
the same transaction as the change itself: there is no change without its
record. Passwords are never recorded, only that one was reset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from bookings.errors import Refused
from bookings.model import Right, User
from bookings.store import Connection, next_id, transaction

SUBJECTS = ("user", "employee", "service", "service category", "booking category",
            "booking interval")


def allowed(actor: User) -> None:
    """Only a user with the settings right changes settings (users included); SYSTEM
    (the command line without --user) has it, trusted like whoever can open the file."""
    actor.require(Right.MANAGE_SETTINGS)


def differences(old: dict, new: dict) -> tuple[dict, dict]:
    """The keys whose values differ: (their old values, their new values), as recorded."""
    changed = [key for key in new if old.get(key) != new[key]]
    return {k: old.get(k) for k in changed}, {k: new[k] for k in changed}


def record(con: Connection, actor: User, subject: str, subject_id, subject_name: str,
           action: str, *, old: dict | None = None, new: dict | None = None,
           operation_id: str | None = None) -> int:
    """One change; call inside the transaction that makes it. SYSTEM's is recorded
    with no actor."""
    actor_id, actor_login = (None, None) if actor.is_system else (actor.id, actor.login)
    change_id = next_id(con, "settings_changes")
    con.execute("""
        INSERT INTO settings_changes (id, changed_at, actor_id, actor_login, subject, subject_id,
                                      subject_name, action, old, new, operation_id)
        VALUES (?, current_localtimestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?)
    """, [change_id, actor_id, actor_login, subject,
          None if subject_id is None else str(subject_id), subject_name, action,
          _json(old), _json(new), operation_id])
    return change_id


def _json(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, default=str, ensure_ascii=False)


def entries(con: Connection, *, subject: str | None = None, limit: int = 500) -> list[dict]:
    """The newest changes first; `actor` is None for the command line without --user."""
    rows = con.execute("""
        SELECT id, changed_at, actor_login, subject, subject_id, subject_name, action, old, new
        FROM settings_changes WHERE ? IS NULL OR subject = ?
        ORDER BY changed_at DESC, id DESC LIMIT ?
    """, [subject, subject, limit]).fetchall()
    return [{"id": change_id, "at": at, "actor": actor, "subject": subj, "subject_id": sid,
             "subject_name": name, "action": action,
             "old": json.loads(old) if old else None, "new": json.loads(new) if new else None}
            for change_id, at, actor, subj, sid, name, action, old, new in rows]


def in_words(entry: dict) -> str:
    """What changed, old -> new, for a person: 'price: 500 -> 550; duration_min: 60 -> 45'."""
    old, new = entry["old"] or {}, entry["new"] or {}
    parts = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key in old and key in new:
            parts.append(f"{key}: {_value(old[key])} → {_value(new[key])}")
        elif key in new:
            parts.append(f"{key}: {_value(new[key])}")
        else:
            parts.append(f"{key} was {_value(old[key])}")
    return "; ".join(parts)


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


class SettingsRefused(Refused):
    """A settings change is refused; the message says why."""


@contextmanager
def change(con: Connection) -> Iterator[Connection]:
    """The transaction of one settings change.

    Two tabs (or the CLI next to the page) writing the same rows at once: DuckDB
    lets the first commit and fails the other; say so instead of a traceback.
    """
    with races_refused(), transaction(con):
        yield con


@contextmanager
def races_refused() -> Iterator[None]:
    """DuckDB refusing the later of two writers of the same rows, in words."""
    try:
        yield
    except (duckdb.TransactionException, duckdb.ConstraintException):
        raise SettingsRefused("Someone else changed the same settings at this moment; "
                              "nothing was saved. Look again and retry.") from None
