"""The salon's settings besides users: staff, services and their categories,
booking categories, the booking interval. The write side of `catalog`.

Every function takes the acting user (`actor`), who needs the settings right
(None: the command line without --user), and records the change in the
settings change log in the change's own transaction.

Rules:
- names identify things in upload files (an employee by name, a service by
  title, a category by title), so they are unique, ignoring case and spaces;
- what bookings refer to stays: an employee with bookings is deactivated,
  never deleted; a booking category used by bookings cannot be removed;
  services are deactivated, not deleted (booking lines refer to them);
- the four built-in booking categories keep their titles and cannot be
  removed; only their colour may change;
- a service lasts a positive multiple of 5 minutes, at most a day;
- the booking interval is 5, 10 or 15 minutes; uploads round visit times to it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bookings import catalog
from bookings.admin import changelog
from bookings.admin.changelog import SettingsRefused
from bookings.model import BOOKING_INTERVALS_MIN, User
from bookings.store import Connection, booking_interval_min, next_id
from bookings.values import fold, has_cents_only, to_cent  # names compare as the upload does

NAME_MAX = 100
DURATION_STEP_MIN = 5
DURATION_MAX_MIN = 24 * 60
PRICE_MAX = Decimal("9999999999.99")  # DECIMAL(12, 2)
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _name(text: str, what: str) -> str:
    name = " ".join(str(text or "").split())
    if not name:
        raise SettingsRefused(f"The {what} is mandatory.")
    if len(name) > NAME_MAX:
        raise SettingsRefused(f"The {what} has {len(name)} characters; at most {NAME_MAX}.")
    return name


def _unique(con: Connection, table: str, column: str, name: str, what: str,
            other_than: int | None = None) -> None:
    """Refuse a name another row of TABLE has already (tables and columns are ours)."""
    rows = con.execute(f"SELECT id, {column} FROM {table} WHERE id IS DISTINCT FROM ?",
                       [other_than]).fetchall()
    for row_id, existing in rows:
        if fold(existing) == fold(name):
            raise SettingsRefused(f"There is a {what} named {existing!r} already (ID {row_id}); "
                                  "names tell them apart in upload files.")


def _one(con: Connection, sql: str, row_id: int, what: str) -> dict:
    cur = con.execute(sql, [row_id])
    found = cur.fetchall()
    if not found:
        raise SettingsRefused(f"There is no {what} {row_id}.")
    return dict(zip([d[0] for d in cur.description], found[0], strict=True))


# --- staff ------------------------------------------------------------------------

_STAFF = "SELECT id, name, specialization, active FROM staff WHERE id = ?"


def staff_overview(con: Connection) -> list[dict]:
    """Every employee with how many bookings refer to them (what decides delete or not)."""
    cur = con.execute("""
        SELECT s.id, s.name, s.specialization, s.active, coalesce(b.n, 0) AS bookings
        FROM staff s LEFT JOIN (SELECT staff_id, count(*) AS n FROM bookings GROUP BY staff_id)
             b ON b.staff_id = s.id
        ORDER BY s.id
    """)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def add_staff(con: Connection, actor: User, name: str, specialization: str = "") -> dict:
    changelog.allowed(actor)
    name, specialization = _name(name, "employee's name"), " ".join(specialization.split())
    with changelog.change(con):
        _unique(con, "staff", "name", name, "employee")
        staff_id = next_id(con, "staff")
        con.execute("INSERT INTO staff (id, name, specialization, active) VALUES (?, ?, ?, TRUE)",
                    [staff_id, name, specialization])
        changelog.record(con, actor, "employee", staff_id, name, "added",
                         new={"name": name, "specialization": specialization})
    return _one(con, _STAFF, staff_id, "employee")


def rename_staff(con: Connection, actor: User, staff_id: int, name: str,
                 specialization: str | None = None) -> dict:
    changelog.allowed(actor)
    name = _name(name, "employee's name")
    with changelog.change(con):
        before = _one(con, _STAFF, staff_id, "employee")
        _unique(con, "staff", "name", name, "employee", other_than=staff_id)
        after = {"name": name, "specialization": before["specialization"]
                 if specialization is None else " ".join(specialization.split())}
        old, new = changelog.differences(before, after)
        if new:
            con.execute("UPDATE staff SET name = ?, specialization = ? WHERE id = ?",
                        [after["name"], after["specialization"], staff_id])
            changelog.record(con, actor, "employee", staff_id, before["name"], "renamed",
                             old=old, new=new)
    return _one(con, _STAFF, staff_id, "employee")


def set_staff_active(con: Connection, actor: User, staff_id: int, active: bool) -> dict:
    """A deactivated employee keeps their bookings and ID; they just stop being offered."""
    changelog.allowed(actor)
    with changelog.change(con):
        before = _one(con, _STAFF, staff_id, "employee")
        if before["active"] != active:
            con.execute("UPDATE staff SET active = ? WHERE id = ?", [active, staff_id])
            changelog.record(con, actor, "employee", staff_id, before["name"],
                             "reactivated" if active else "deactivated",
                             old={"active": before["active"]}, new={"active": active})
    return _one(con, _STAFF, staff_id, "employee")


def remove_staff(con: Connection, actor: User, staff_id: int) -> str:
    """'deleted' when no booking refers to the employee; else 'deactivated' (never deleted).

    A user linked to the employee counts too: deleted, the id could be given to the
    next employee added, whose bookings that user would then see.
    """
    changelog.allowed(actor)
    with changelog.change(con):
        before = _one(con, _STAFF, staff_id, "employee")
        (bookings,) = con.execute("SELECT count(*) FROM bookings WHERE staff_id = ?",
                                  [staff_id]).fetchall()[0]
        (linked,) = con.execute("SELECT count(*) FROM users WHERE staff_id = ?",
                                [staff_id]).fetchall()[0]
        if bookings or linked:
            con.execute("UPDATE staff SET active = FALSE WHERE id = ?", [staff_id])
            changelog.record(con, actor, "employee", staff_id, before["name"], "deactivated",
                             old={"active": before["active"]},
                             new={"active": False, "bookings": bookings,
                                  **({"linked users": linked} if linked else {})})
            return "deactivated"
        con.execute("DELETE FROM staff WHERE id = ?", [staff_id])
        changelog.record(con, actor, "employee", staff_id, before["name"], "deleted",
                         old={"name": before["name"],
                              "specialization": before["specialization"]})
    return "deleted"


# --- service categories ------------------------------------------------------------


def add_service_category(con: Connection, actor: User, title: str) -> dict:
    changelog.allowed(actor)
    title = _name(title, "category's title")
    with changelog.change(con):
        category_id = insert_service_category(con, actor, title)
    return {"id": category_id, "title": title}


def insert_service_category(con: Connection, actor: User, title: str,
                            operation_id: str | None = None) -> int:
    """Inside the caller's change (the services upload creates categories this way)."""
    _unique(con, "service_categories", "title", title, "service category")
    category_id = next_id(con, "service_categories")
    con.execute("INSERT INTO service_categories (id, title) VALUES (?, ?)", [category_id, title])
    changelog.record(con, actor, "service category", category_id, title, "added",
                     new={"title": title}, operation_id=operation_id)
    return category_id


def rename_service_category(con: Connection, actor: User, category_id: int,
                            title: str) -> dict:
    changelog.allowed(actor)
    title = _name(title, "category's title")
    with changelog.change(con):
        before = _one(con, "SELECT id, title FROM service_categories WHERE id = ?", category_id,
                      "service category")
        _unique(con, "service_categories", "title", title, "service category",
                other_than=category_id)
        if before["title"] != title:
            con.execute("UPDATE service_categories SET title = ? WHERE id = ?",
                        [title, category_id])
            changelog.record(con, actor, "service category", category_id, before["title"],
                             "renamed", old={"title": before["title"]}, new={"title": title})
    return {"id": category_id, "title": title}


def service_category_id(con: Connection, id_or_title) -> int | None:
    """A category by its ID or its title (any case); None when there is none."""
    for category in catalog.service_categories(con):
        if str(category["id"]) == str(id_or_title).strip() or (
                fold(category["title"]) == fold(id_or_title)):
            return category["id"]
    return None


# --- services ------------------------------------------------------------------------

_SERVICE = ("SELECT id, title, category_id, price, duration_s // 60 AS duration_min, active "
            "FROM services WHERE id = ?")


def price_of(value) -> Decimal:
    """A price: a number of 0 or more with at most 2 decimals (',' or '.')."""
    try:
        price = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise SettingsRefused(f"The price {value!r} is not a number.") from None
    if not price.is_finite() or price < 0 or price > PRICE_MAX:
        raise SettingsRefused(f"The price {value} is not between 0 and {PRICE_MAX:,}.")
    if not has_cents_only(price):
        raise SettingsRefused(f"The price {value} has more than 2 decimals.")
    return to_cent(price)


def duration_of(minutes) -> int:
    """A service's duration in minutes: a positive multiple of 5, at most a day."""
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise SettingsRefused(f"The duration {minutes!r} is not a number of minutes.") from None
    if value != minutes and str(value) != str(minutes).strip():
        raise SettingsRefused(f"The duration {minutes!r} is not a whole number of minutes.")
    if value <= 0 or value % DURATION_STEP_MIN or value > DURATION_MAX_MIN:
        raise SettingsRefused(f"A service lasts a multiple of {DURATION_STEP_MIN} minutes, "
                              f"from {DURATION_STEP_MIN} to {DURATION_MAX_MIN}; not {minutes}.")
    return value


def _service_values(con: Connection, title: str, category_id: int, price, duration_min) -> dict:
    values = {"title": _name(title, "service's title"), "category_id": int(category_id),
              "price": price_of(price), "duration_min": duration_of(duration_min)}
    if service_category_title(con, values["category_id"]) is None:
        raise SettingsRefused(f"There is no service category {category_id}.")
    return values


def service_category_title(con: Connection, category_id: int) -> str | None:
    return next((c["title"] for c in catalog.service_categories(con)
                 if c["id"] == category_id), None)


def add_service(con: Connection, actor: User, title: str, category_id: int, price,
                duration_min) -> dict:
    changelog.allowed(actor)
    values = _service_values(con, title, category_id, price, duration_min)
    with changelog.change(con):
        service_id = insert_service(con, actor, values)
    return _service(con, service_id)


def add_service_in_category(con: Connection, actor: User, title: str, category,
                            price, duration_min) -> tuple[dict, bool]:
    """A service in the category of this ID or title, created when the title is new
    (the command line's way); all in one change. Returns the service, and if the
    category was created."""
    changelog.allowed(actor)
    with changelog.change(con):
        category_id = service_category_id(con, category)
        created = category_id is None
        if created and str(category).strip().isdigit():
            raise SettingsRefused(f"There is no service category {category}.")
        if created:
            category_id = insert_service_category(con, actor, _name(category, "category's title"))
        service_id = insert_service(con, actor, _service_values(con, title, category_id, price,
                                                                duration_min))
    return _service(con, service_id), created


def insert_service(con: Connection, actor: User, values: dict,
                   operation_id: str | None = None) -> int:
    """Checked values, inside the caller's change (the services upload adds this way)."""
    _unique(con, "services", "title", values["title"], "service")
    service_id = next_id(con, "services")
    con.execute("INSERT INTO services (id, title, category_id, price, duration_s, active) "
                "VALUES (?, ?, ?, ?, ?, TRUE)",
                [service_id, values["title"], values["category_id"], values["price"],
                 values["duration_min"] * 60])
    changelog.record(con, actor, "service", service_id, values["title"], "added",
                     new=_loggable(values), operation_id=operation_id)
    return service_id


def update_service(con: Connection, actor: User, service_id: int, *, title=None,
                   category_id=None, price=None, duration_min=None) -> dict:
    """Change what is given; the booking lines made before keep their title and cost."""
    changelog.allowed(actor)
    with changelog.change(con):
        before = _service(con, service_id)
        values = _service_values(
            con, before["title"] if title is None else title,
            before["category_id"] if category_id is None else category_id,
            before["price"] if price is None else price,
            before["duration_min"] if duration_min is None else duration_min)
        write_service_update(con, actor, before, values)
    return _service(con, service_id)


def write_service_update(con: Connection, actor: User, before: dict, values: dict,
                         operation_id: str | None = None) -> bool:
    """Inside the caller's change; False when nothing differs."""
    _unique(con, "services", "title", values["title"], "service", other_than=before["id"])
    old, new = changelog.differences(before, values)
    if not new:
        return False
    con.execute("UPDATE services SET title = ?, category_id = ?, price = ?, duration_s = ? "
                "WHERE id = ?", [values["title"], values["category_id"], values["price"],
                                 values["duration_min"] * 60, before["id"]])
    changelog.record(con, actor, "service", before["id"], before["title"], "changed",
                     old=_loggable(old), new=_loggable(new), operation_id=operation_id)
    return True


def set_service_active(con: Connection, actor: User, service_id: int,
                       active: bool) -> dict:
    """A deactivated service stays on the bookings that have it, and keeps its ID."""
    changelog.allowed(actor)
    with changelog.change(con):
        before = _service(con, service_id)
        if before["active"] != active:
            con.execute("UPDATE services SET active = ? WHERE id = ?", [active, service_id])
            changelog.record(con, actor, "service", service_id, before["title"],
                             "reactivated" if active else "deactivated",
                             old={"active": before["active"]}, new={"active": active})
    return _service(con, service_id)


def _service(con: Connection, service_id: int) -> dict:
    service = _one(con, _SERVICE, service_id, "service")
    service["price"] = Decimal(service["price"])
    return service


def services_by_title(con: Connection) -> dict[str, dict]:
    """Every service by its folded title (what the services upload matches)."""
    cur = con.execute(_SERVICE.replace(" WHERE id = ?", ""))
    names = [d[0] for d in cur.description]
    services = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    return {fold(s["title"]): {**s, "price": Decimal(s["price"])} for s in services}


def _loggable(values: dict) -> dict:
    return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


# --- booking categories ----------------------------------------------------------------

_BOOKING_CATEGORY = "SELECT id, title, color, builtin FROM booking_categories WHERE id = ?"


def color_of(text: str) -> str:
    color = str(text or "").strip()
    if not COLOR.match(color):
        raise SettingsRefused(f"The colour {text!r} is not like #1565c0 (# and 6 hex digits).")
    return color.lower()


def add_booking_category(con: Connection, actor: User, title: str, color: str) -> dict:
    changelog.allowed(actor)
    title, color = _name(title, "category's title"), color_of(color)
    with changelog.change(con):
        _unique(con, "booking_categories", "title", title, "booking category")
        category_id = next_id(con, "booking_categories")
        con.execute("INSERT INTO booking_categories (id, title, color, builtin) "
                    "VALUES (?, ?, ?, FALSE)", [category_id, title, color])
        changelog.record(con, actor, "booking category", category_id, title, "added",
                         new={"title": title, "color": color})
    return _one(con, _BOOKING_CATEGORY, category_id, "booking category")


def update_booking_category(con: Connection, actor: User, category_id: int, *,
                            title: str | None = None, color: str | None = None) -> dict:
    """Rename and recolour; a built-in category keeps its title (its colour may change)."""
    changelog.allowed(actor)
    with changelog.change(con):
        before = _one(con, _BOOKING_CATEGORY, category_id, "booking category")
        after = {"title": before["title"] if title is None else _name(title, "category's title"),
                 "color": before["color"] if color is None else color_of(color)}
        if before["builtin"] and after["title"] != before["title"]:
            raise SettingsRefused(f"{before['title']!r} is built in: every salon has it under "
                                  "this title. Its colour may change, its title may not.")
        _unique(con, "booking_categories", "title", after["title"], "booking category",
                other_than=category_id)
        old, new = changelog.differences(before, after)
        if new:
            con.execute("UPDATE booking_categories SET title = ?, color = ? WHERE id = ?",
                        [after["title"], after["color"], category_id])
            changelog.record(con, actor, "booking category", category_id, before["title"],
                             "changed", old=old, new=new)
    return _one(con, _BOOKING_CATEGORY, category_id, "booking category")


def booking_category_uses(con: Connection) -> dict[int, int]:
    """Category id -> how many bookings carry it."""
    return dict(con.execute("SELECT category_id, count(*) FROM booking_category_links "
                            "GROUP BY category_id").fetchall())


def remove_booking_category(con: Connection, actor: User, category_id: int) -> dict:
    """Only a salon's own category that no booking carries: a booking's labels are its
    record, and unlinking them would rewrite that record silently. Returns what it was."""
    changelog.allowed(actor)
    with changelog.change(con):
        before = _one(con, _BOOKING_CATEGORY, category_id, "booking category")
        if before["builtin"]:
            raise SettingsRefused(f"{before['title']!r} is built in: every salon has it, and it "
                                  "cannot be removed.")
        (used,) = con.execute("SELECT count(*) FROM booking_category_links WHERE category_id = ?",
                              [category_id]).fetchall()[0]
        if used:
            raise SettingsRefused(f"{before['title']!r} is on {used:,} booking(s) and stays, so "
                                  "their record is kept. Rename it instead (e.g. '(old) ...').")
        con.execute("DELETE FROM booking_categories WHERE id = ?", [category_id])
        changelog.record(con, actor, "booking category", category_id, before["title"],
                         "removed", old={"title": before["title"], "color": before["color"]})
    return before


# --- the booking interval -----------------------------------------------------------------


def set_booking_interval(con: Connection, actor: User, minutes: int) -> int:
    """5, 10 or 15 minutes: the slot that uploaded visit times are rounded to."""
    changelog.allowed(actor)
    if minutes not in BOOKING_INTERVALS_MIN:
        raise SettingsRefused(f"The booking interval is one of "
                              f"{', '.join(str(m) for m in BOOKING_INTERVALS_MIN)} minutes; "
                              f"not {minutes}.")
    with changelog.change(con):
        before = booking_interval_min(con)
        if before != minutes:
            con.execute("UPDATE settings SET value = ? WHERE key = 'booking_interval_min'",
                        [str(minutes)])
            changelog.record(con, actor, "booking interval", None, "booking interval",
                             "changed", old={"minutes": before}, new={"minutes": minutes})
    return minutes
