"""A booking's Info in people's words: what the Info dialog and `bookings info`
(without --json) show.

`history.booking_info` keeps the store's record: field names, ids, codes, ISO
timestamps (`--json` gives exactly that). Here each recorded change becomes a
line a person reads, "Visit status: Confirmed → Arrived", with names instead of
ids and dates as the list shows them, and the "as it was when deleted" snapshot
becomes labelled fields. Phones arrive masked for whom the list masks them
(`history.booking_info` does it), and nothing here looks them up again.

An id is named as it was at that moment where the history knows it (the
snapshot before a change names the old employee, the next state the new one),
else by the catalogue's current name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bookings import catalog
from bookings.model import Attendance
from bookings.store import Connection

DATE_TIME = "%d.%m.%Y %H:%M"  # as the list shows dates
ARROW = " → "
EMPTY = "(empty)"
NONE = "(none)"

ACTIONS = {"created": "Created", "edited": "Changed", "deleted": "Deleted",
           "imported": "Uploaded"}


@dataclass(frozen=True)
class Names:
    """Names by id: staff, services, booking categories."""

    staff: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)

    def over(self, fallback: Names) -> Names:
        """These names, and FALLBACK's for the ids these do not know."""
        return Names({**fallback.staff, **self.staff}, {**fallback.services, **self.services},
                     {**fallback.categories, **self.categories})


@dataclass(frozen=True)
class Entry:
    """One history row: when, who, what, and each change as a line."""

    when: str
    who: str
    what: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class InfoWords:
    heading: tuple[str, ...]  # "Booking 4", its visit, employee, client, status, source
    deletion: str | None  # who deleted it, when, with how many others
    as_it_was: tuple[tuple[str, str], ...]  # (label, value) when it was deleted
    history: tuple[Entry, ...]  # oldest first


def in_words(con: Connection, info: dict) -> InfoWords:
    """INFO (from `history.booking_info`, masked as it is) in people's words."""
    catalogue = catalogue_names(con)
    booking, history = info["booking"], info["history"]
    deletion = info.get("deletion")
    return InfoWords(
        heading=heading(booking),
        deletion=deletion_sentence(deletion) if deletion else None,
        as_it_was=fields(deletion.get("as_it_was"), catalogue) if deletion else (),
        history=entries(history, booking, catalogue))


def catalogue_names(con: Connection) -> Names:
    """Today's names, for ids the history itself does not name."""
    return Names(catalog.staff_names(con), catalog.service_titles(con),
                 catalog.booking_category_titles(con))


def heading(booking: dict) -> tuple[str, ...]:
    client = booking["client_name"] or ""
    if booking.get("client_phone"):
        client += f" ({booking['client_phone']})"
    return (f"Booking {booking['id']}", when(booking["visit_at"]), booking["staff_name"] or "",
            client, booking["status"], booking["source"] or "")


def deletion_sentence(deletion: dict) -> str:
    others = deletion["bookings_in_operation"] - 1
    together = (f", with {others:,} other booking{'s' if others != 1 else ''} in the same "
                "deletion" if others > 0 else "")
    return f"Deleted by {deletion['by'] or 'someone'} on {when(deletion['at'])}{together}."


def entries(history: list[dict], booking: dict, catalogue: Names) -> tuple[Entry, ...]:
    """Each history row in words; the state after a row is the next row's snapshot
    (taken before its own change), or the booking as it is now after the last one."""
    states = [h.get("snapshot") for h in history]
    out = []
    for position, row in enumerate(history):
        after = next((s for s in states[position + 1:] if s), booking)
        out.append(Entry(when(row["at"]), row["actor"] or "someone",
                         ACTIONS.get(row["action"], str(row["action"]).capitalize()),
                         change_lines(row, names_in(row.get("snapshot")).over(catalogue),
                                      names_in(after).over(catalogue))))
    return tuple(out)


def names_in(state: dict | None) -> Names:
    """The names a snapshot (or the booking) gives its own ids."""
    if not state:
        return Names()
    staff = ({state["staff_id"]: state["staff_name"]}
             if state.get("staff_id") is not None and state.get("staff_name") else {})
    return Names(staff, {s["id"]: s["title"] for s in state.get("services") or []
                         if isinstance(s, dict)},
                 {c["id"]: c["title"] for c in state.get("categories") or []
                  if isinstance(c, dict)})


# --- one change --------------------------------------------------------------------

# Recorded by the action itself: the entry's "Deleted" says it.
_SAID_BY_THE_ACTION = {"deleted", "deleted_at"}


def change_lines(row: dict, before: Names, after: Names) -> tuple[str, ...]:
    """A history row's changes, a line each: "Label: old → new"."""
    changes = row.get("changes") or {}
    if row["action"] == "imported":
        return (upload_line(changes),)
    return tuple(change_line(key, value, before, after) for key, value in changes.items()
                 if key not in _SAID_BY_THE_ACTION)


def change_line(key: str, value, before: Names, after: Names) -> str:
    label, show = FIELDS.get(key, (key.replace("_", " ").capitalize(), _plain))
    if isinstance(value, list) and len(value) == 2:
        return f"{label}: {show(value[0], before)}{ARROW}{show(value[1], after)}"
    return f"{label}: {show(value, after)}"


def upload_line(changes: dict) -> str:
    file = changes.get("file")
    batch = f" (upload batch {changes['batch']})" if changes.get("batch") is not None else ""
    return f"From the file {file}{batch}" if file else f"From a file{batch}"


# --- values as people read them ------------------------------------------------------


def when(value) -> str:
    """A moment as the list shows it: 25.11.2026 14:02 (the store's ISO text too)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return f"{value:{DATE_TIME}}"


def money(value) -> str:
    return NONE if value is None else f"{float(value):,.2f}"


def amount(value) -> str:
    """A price as typed: 500, or 450.50."""
    number = float(value or 0)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.2f}"


def text(value) -> str:
    """Quoted, so that leading spaces and an emptied text show."""
    return f"'{value}'" if value else EMPTY


def _plain(value, names: Names | None = None) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or NONE
    return str(value)


def _status(code, names: Names | None = None) -> str:
    try:
        return Attendance(int(code)).label
    except (TypeError, ValueError):
        return _plain(code)


def _minutes(seconds, names: Names | None = None) -> str:
    return NONE if seconds is None else f"{int(seconds) // 60} min"


def _employee(staff_id, names: Names) -> str:
    if staff_id is None:
        return NONE
    return names.staff.get(staff_id) or f"employee #{staff_id}"


def _services(lines, names: Names) -> str:
    """Service lines, as a change records them ([id, cost, discount]) or a snapshot
    does ({id, title, cost, discount}): "Haircut (500), Manicure (300, discount 50)"."""
    shown = []
    for line in lines or []:
        if isinstance(line, dict):
            sid, title, cost, discount = (line.get("id"), line.get("title"), line.get("cost"),
                                          line.get("discount"))
        else:
            sid, cost, discount = (list(line) + [None, None])[:3]
            title = None
        title = title or names.services.get(sid) or f"service #{sid}"
        off = f", discount {amount(discount)}" if discount else ""
        shown.append(f"{title} ({amount(cost)}{off})")
    return ", ".join(shown) or NONE


def _categories(ids, names: Names) -> str:
    titles = [c.get("title") if isinstance(c, dict) else
              names.categories.get(c) or f"category #{c}" for c in ids or []]
    return ", ".join(titles) or NONE


Show = Callable[..., str]

# A recorded field: its label and how its value reads.
FIELDS: dict[str, tuple[str, Show]] = {
    "visit_at": ("Visit", lambda v, n=None: when(v)),
    "length_s": ("Length", _minutes),
    "staff_id": ("Employee", _employee),
    "client_name": ("Client", lambda v, n=None: v or EMPTY),
    "client_phone": ("Phone", lambda v, n=None: v or EMPTY),
    "attendance": ("Visit status", _status),
    "services": ("Services", _services),
    "categories": ("Categories", _categories),
    "paid": ("Paid", lambda v, n=None: money(v)),
    "comment": ("Comment", lambda v, n=None: text(v)),
}


# --- a snapshot as labelled fields ------------------------------------------------------


def fields(snapshot: dict | None, catalogue: Names) -> tuple[tuple[str, str], ...]:
    """A snapshot as (label, value) pairs, in the list's order; what it lacks is left out
    (older snapshots hold fewer fields)."""
    if not snapshot:
        return ()
    names = names_in(snapshot).over(catalogue)
    s = snapshot
    pairs = [
        ("Visit", "visit_at", lambda: when(s["visit_at"])),
        ("Length", "length_s", lambda: _minutes(s["length_s"])),
        ("Employee", "staff_id", lambda: s.get("staff_name") or _employee(s["staff_id"], names)),
        ("Client", "client_name", lambda: s["client_name"] or EMPTY),
        ("Phone", "client_phone", lambda: s["client_phone"] or EMPTY),
        ("Visit status", "attendance", lambda: _status(s["attendance"])),
        ("Source", "source", lambda: _source(s)),
        ("Created at", "created_at", lambda: when(s["created_at"])),
        ("Created by", "created_by", lambda: s["created_by"] or _creator(s)),
        ("Services", "services", lambda: _services(s["services"], names)),
        ("To pay", "total_to_pay", lambda: money(s["total_to_pay"])),
        ("To pay", "to_pay", lambda: money(s["to_pay"])),
        ("Paid", "paid", lambda: money(s["paid"])),
        ("Categories", "categories", lambda: _categories(s["categories"], names)),
        ("Comment", "comment", lambda: text(s["comment"])),
    ]
    return tuple((label, show()) for label, key, show in pairs if key in s)


def _source(snapshot: dict) -> str:
    """As the list's Source column: "online · mobile app"."""
    source = snapshot["source"] or NONE
    if "online" not in snapshot:
        return source
    return ("online · " if snapshot["online"] else "offline · ") + source


def _creator(snapshot: dict) -> str:
    return "client" if snapshot.get("online") else NONE
