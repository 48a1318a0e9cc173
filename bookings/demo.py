"""The demo business: a chain of salons, its staff, services, clients, users and N bookings.

A believable week: each employee works five days of seven, an early or a late
shift, and takes about as many clients a shift as their trade allows (a
barber more, a colourist fewer); one client follows another, and only a small,
deliberate share of bookings is booked over the previous one. The staff grows
with N, a team of twelve at a time (a branch), so that any N spans at most
about four years back and up to two months ahead.

Everything is drawn with set-based SQL, never a Python loop per row, so a
million bookings take seconds. Every pseudo-random number is
`hash(key, seed, draw name)`, keyed by a booking's id or a shift's
(employee, day): the same seed and `today` give the same rows whatever
DuckDB's thread count, and ids come from `range()` and sums over ordered
integers, never from the order in which parallel threads happen to deliver rows.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from bookings.auth import add_user
from bookings.errors import Refused
from bookings.model import Attendance, Role, Source
from bookings.store import Connection, is_empty, new_ids, sequences_past_ids, transaction

Progress = Callable[[float, str], None]

PAST_LIMIT_DAYS = 4 * 365  # no booking lies further back, whatever N
PAST_TARGET_DAYS = round(3.5 * 365)  # the staff is sized for N bookings to fill about this
FUTURE_DAYS = 60  # the furthest ahead a booking lies
FUTURE_SHARE = 0.08  # about this share lies ahead (less once 60 days hold less)
ACTIVE_SERVICES_DAYS = 365  # bookings of the last year use active services only
OPEN_HOUR = 9
SLOT_S = 15 * 60
SHIFT_SLOTS = 32  # an 8-hour shift: 9:00-17:00, or the late one 12:00-20:00 (closing)
LATE_SHIFT_SLOT = 12
MIN_WINDOW_SLOTS = 2  # every booking of a shift has at least half an hour of it
WORKDAYS_PER_WEEK = 5
ABSENT_SHARE = 0.03  # past working days an employee missed (ill, on leave)
OVERBOOKED_SHARE = 0.01  # booked over the previous client on purpose
NO_SERVICES_SHARE = 0.07
DELETED_SHARE = 0.08

# --- the catalogue ------------------------------------------------------------

SERVICE_CATEGORIES = ("Hair", "Colour", "Nails", "Beauty & Face", "Massage", "Barber")

# (title, price, minutes, active) per category; inactive ones last, because the
# generator picks a recent booking's service among the first (active) ones.
SERVICES = {
    "Hair": [
        ("Women's haircut", 55, 60, True),
        ("Blow-dry", 35, 45, True),
        ("Haircut & blow-dry", 75, 75, True),
        ("Children's haircut", 25, 30, True),
        ("Updo / event styling", 85, 60, True),
        ("Keratin treatment", 180, 150, True),
        ("Deep conditioning treatment", 40, 30, True),
        ("Fringe trim", 15, 15, True),
        ("Perm", 120, 120, False),
    ],
    "Colour": [
        ("Root touch-up", 70, 90, True),
        ("Full colour", 110, 120, True),
        ("Balayage", 220, 180, True),
        ("Highlights, half head", 120, 120, True),
        ("Highlights, full head", 165, 150, True),
        ("Toner / gloss", 45, 30, True),
        ("Colour correction", 250, 240, True),
        ("Henna colour", 60, 90, False),
    ],
    "Nails": [
        ("Classic manicure", 30, 45, True),
        ("Gel manicure", 45, 60, True),
        ("Classic pedicure", 40, 60, True),
        ("Gel pedicure", 55, 75, True),
        ("Nail art, full set", 20, 30, True),
        ("Gel removal", 15, 15, True),
        ("Acrylic full set", 65, 90, True),
    ],
    "Beauty & Face": [
        ("Classic facial", 70, 60, True),
        ("Deep cleansing facial", 85, 75, True),
        ("Brow shaping", 20, 15, True),
        ("Brow tint", 15, 15, True),
        ("Lash lift", 60, 60, True),
        ("Lash extensions, classic", 120, 120, True),
        ("Event make-up", 75, 60, True),
        ("Microdermabrasion", 95, 45, False),
    ],
    "Massage": [
        ("Classic massage, 30 min", 45, 30, True),
        ("Classic massage, 60 min", 75, 60, True),
        ("Deep tissue massage, 60 min", 90, 60, True),
        ("Hot stone massage, 90 min", 130, 90, True),
        ("Back & neck massage", 50, 30, True),
        ("Lymphatic drainage", 85, 60, True),
    ],
    "Barber": [
        ("Men's haircut", 35, 45, True),
        ("Beard trim", 20, 15, True),
        ("Haircut & beard", 50, 60, True),
        ("Hot towel shave", 40, 30, True),
        ("Buzz cut", 20, 15, True),
    ],
}

# (name, specialization, main category, second category, active); the
# inactive one last, so recent bookings are drawn among the first ones.
STAFF = (
    ("Anna Smith", "Senior hair stylist", "Hair", "Colour", True),
    ("Olivia Brown", "Hair stylist", "Hair", "Colour", True),
    ("Sophie Turner", "Colourist", "Colour", "Hair", True),
    ("James Walker", "Barber", "Barber", "Hair", True),
    ("Daniel Reyes", "Barber", "Barber", "Hair", True),
    ("Emma Johnson", "Nail technician", "Nails", "Beauty & Face", True),
    ("Mia Chen", "Nail technician", "Nails", "Beauty & Face", True),
    ("Grace Miller", "Cosmetologist", "Beauty & Face", "Nails", True),
    ("Laura Petrova", "Brow & lash artist", "Beauty & Face", "Nails", True),
    ("Lucas Martin", "Massage therapist", "Massage", "Beauty & Face", True),
    ("Chloe Davis", "Massage therapist", "Massage", "Beauty & Face", True),
    ("Hannah Wilson", "Hair stylist", "Hair", "Colour", False),
)
INACTIVE_STAFF_LAST_SEEN_DAYS = 180  # the first team's; each later team's left a month earlier

# Bookings an employee takes in a shift, lowest and highest, by their main
# category: a barber's cuts are short, a colourist's work is long.
BOOKINGS_PER_SHIFT = {
    "Hair": (7, 11),
    "Colour": (5, 8),
    "Nails": (7, 11),
    "Beauty & Face": (8, 12),
    "Massage": (6, 9),
    "Barber": (10, 14),
}
MOST_PER_SHIFT = max(high for _, high in BOOKINGS_PER_SHIFT.values())
assert MOST_PER_SHIFT * MIN_WINDOW_SLOTS <= SHIFT_SLOTS

OWN_BOOKING_CATEGORIES = (
    ("VIP", "#c62828"),
    ("First visit", "#00838f"),
    ("Gift card", "#ad1457"),
)

# (login, role, name)
DEMO_USERS = (
    ("owner", Role.OWNER, "Margaret Hale"),
    ("admin", Role.ADMINISTRATOR, "Sarah Collins"),
    ("reception", Role.ADMINISTRATOR, "Tom Baker"),
    ("employee", Role.EMPLOYEE, "Anna Smith"),
)
EMAIL_DOMAIN = "salon.example"

FIRST_NAMES = (
    "Emily", "Olivia", "Sophia", "Isabella", "Ava", "Mia", "Charlotte", "Amelia",
    "Harper", "Evelyn", "Abigail", "Ella", "Grace", "Chloe", "Lily", "Zoe", "Hannah",
    "Natalie", "Lucy", "Anna", "Victoria", "Maria", "Elena", "Sara", "Laura", "Julia",
    "Kate", "Rachel", "Megan", "Jessica", "Amy", "Rebecca", "Nina", "Alice", "Claire",
    "Diana", "Fiona", "Helen", "Irene", "Jade", "Leah", "Naomi", "Priya", "Yuki",
    "Aisha", "Fatima", "Ines", "Noor", "James", "Michael", "David", "Daniel", "Thomas",
    "Oliver", "Jack", "Liam", "Noah", "Lucas", "Ethan", "Adam", "Samuel", "Ryan",
    "Omar", "Marco", "Leo", "Max",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris",
    "Murphy", "Cook", "Rogers", "O'Brien", "Kelly", "Novak", "Kowalski", "Rossi",
    "Müller", "Schmidt", "Dubois", "Silva", "Costa", "Petrova", "Ivanova", "Nguyen",
    "Kim", "Patel", "Khan", "Sato", "Cohen", "Haddad", "Larsen",
)
US_AREA_CODES = ("212", "312", "415", "617", "646", "718", "213", "305", "404", "512")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
COMMENTS = (
    "Allergic to ammonia-based dyes",
    "Prefers a quiet session, no small talk",
    "Will bring a reference photo",
    "Call the day before to remind",
    "Sensitive scalp",
    "Running 10 minutes late",
    "Gift from her husband",
    "Wants the same colour as last time",
    "Wheelchair access needed",
    "Pays by card only",
    "Coming with a child",
    "Asked for a text when the stylist is free",
)


# --- the staff ------------------------------------------------------------------


@dataclass(frozen=True)
class Employee:
    name: str
    specialization: str
    cat1: str  # their main category of services
    cat2: str
    active: bool
    last_day: int | None  # days from today of the last shift of one who left (negative)
    days_off: int  # shifts the week of five working days and two off


def team_bookings_per_day() -> float:
    """What a team of STAFF books on an average day (the one who left not counted)."""
    per_shift = sum(sum(BOOKINGS_PER_SHIFT[cat1]) / 2
                    for _, _, cat1, _, active in STAFF if active)
    return per_shift * WORKDAYS_PER_WEEK / 7 * (1 - ABSENT_SHARE)


def staff_count(bookings: int) -> int:
    """Whole teams of twelve, as many as N bookings need to fill about PAST_TARGET_DAYS."""
    teams = max(1, math.ceil(bookings / (PAST_TARGET_DAYS * team_bookings_per_day())))
    return teams * len(STAFF)


def future_days(bookings: int) -> int:
    """Days ahead that hold about FUTURE_SHARE of N (ahead, the further the emptier:
    half full on average), at least today and at most FUTURE_DAYS."""
    per_day = staff_count(bookings) // len(STAFF) * team_bookings_per_day()
    return min(FUTURE_DAYS, max(1, round(2 * FUTURE_SHARE * bookings / per_day)))


def roster(count: int) -> list[Employee]:
    """COUNT employees: STAFF, then teams like it with names from the client lists.

    The days off are staggered through a team, and the first employee (the demo
    employee's) works today and the four days after it.
    """
    names = [name for name, *_ in STAFF]
    names += _new_names(count - len(STAFF), taken=set(names))
    employees = []
    for i, name in enumerate(names[:count]):
        _, specialization, cat1, cat2, active = STAFF[i % len(STAFF)]
        team = i // len(STAFF)
        employees.append(Employee(
            name, specialization, cat1, cat2, active,
            None if active else -(INACTIVE_STAFF_LAST_SEEN_DAYS + 30 * team),
            days_off=(3 * i) % 7))
    return employees


def _new_names(count: int, taken: set[str]) -> list[str]:
    """COUNT names not TAKEN: first and last names in a spread order (7919 is a prime
    that divides neither list's length), then again with a middle initial."""
    pairs = len(FIRST_NAMES) * len(LAST_NAMES)
    names: list[str] = []
    n = 0
    while len(names) < count:
        pair, initial = (n * 7919) % pairs, n // pairs
        first, last = FIRST_NAMES[pair % len(FIRST_NAMES)], LAST_NAMES[pair // len(FIRST_NAMES)]
        name = f"{first} {chr(64 + initial)}. {last}" if initial else f"{first} {last}"
        if name not in taken:
            names.append(name)
            taken.add(name)
        n += 1
    return names


# --- filling the store ---------------------------------------------------------------


@dataclass
class DemoResult:
    bookings: int
    clients: int
    staff: int
    services: int
    users: list[tuple[str, str, str]] = field(default_factory=list)  # login, role, password
    seconds: float = 0.0


def client_count(bookings: int) -> int:
    """About eight bookings per client, within sane bounds."""
    return max(2000, min(60000, bookings // 8))


def fill_demo(
    con: Connection,
    bookings: int,
    seed: int = 1,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Fill an empty store with a demo business; the same seed and `today` give the same data.

    Users are created first (each `add_user` commits on its own); everything
    else goes in one transaction, and if it fails the users are removed too,
    so a failure leaves the store as it was.
    """
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    bookings = int(bookings)
    if bookings < 0:
        raise Refused("The number of demo bookings cannot be negative.")
    _refuse_unless_empty(con)
    report(0.0, "Creating users")
    users = _add_users(con)
    ids = {login: user_id for login, _, user_id, _ in users}
    gen = _Generator(
        seed=int(seed),
        now=datetime.combine(today or date.today(), datetime.min.time()),
        bookings=bookings,
        clients=client_count(bookings),
        users=ids,
        staff=roster(staff_count(bookings)),
        ahead=future_days(bookings),
    )
    try:
        with transaction(con):
            gen.fill(con, report)
            sequences_past_ids(con)  # the demo numbered its rows itself
    except BaseException:
        _remove_users(con, list(ids.values()))
        raise
    report(1.0, "Done")
    return DemoResult(
        bookings=bookings,
        clients=gen.clients,
        staff=len(gen.staff),
        services=sum(len(s) for s in SERVICES.values()),
        users=[(login, role.value, password) for login, role, _, password in users],
        seconds=time.perf_counter() - started,
    )


def fill_demo_by_copy(
    con: Connection,
    bookings: int,
    seed: int = 1,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """The demo into a store that is not a DuckDB file (PostgreSQL): generated by
    `fill_demo` in a temporary DuckDB file, then copied over whole and checked
    (bookings/copying.py). The same seed and `today` give the same rows as on DuckDB."""
    import tempfile
    from pathlib import Path

    from bookings.copying import copy_store
    from bookings.store import open_store

    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    _refuse_unless_empty(con)
    with tempfile.TemporaryDirectory(prefix="bookings-demo-") as folder:
        path = Path(folder) / "demo.duckdb"
        made = open_store(path)
        try:
            result = fill_demo(made, bookings, seed, today=today,
                               progress=lambda f, m: report(0.7 * f, m))
        finally:
            made.close()
        report(0.7, "Copying into the store")
        source = open_store(path, read_only=True)
        try:
            copy_store(source, con)
        finally:
            source.close()
    report(1.0, "Done")
    result.seconds = time.perf_counter() - started
    return result


def _refuse_unless_empty(con: Connection) -> None:
    others = con.execute(
        "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM services)"
        " + (SELECT count(*) FROM service_categories)"
    ).fetchone()[0]
    if not is_empty(con) or others:
        raise Refused(
            "The demo fills an empty store only, and this one already holds a business. "
            "Use a new --db file."
        )
    taken = con.execute(
        "SELECT string_agg(login, ', ' ORDER BY login) FROM users WHERE login IN "
        f"({', '.join('?' for _ in DEMO_USERS)})",
        [login for login, _, _ in DEMO_USERS],
    ).fetchone()[0]
    if taken:
        raise Refused(f"The demo needs its own users, but these logins are taken: {taken}.")


def _add_users(con: Connection) -> list[tuple[str, Role, int, str]]:
    """The demo's users with generated passwords: (login, role, id, password)."""
    added = []
    try:
        for login, role, name in DEMO_USERS:
            user, password = add_user(
                con, login, role, name=name, email=f"{login}@{EMAIL_DOMAIN}"
            )
            added.append((login, role, user.id, password))
    except BaseException:
        _remove_users(con, [user_id for _, _, user_id, _ in added])
        raise
    return added


def _remove_users(con: Connection, user_ids: list[int]) -> None:
    if not user_ids:
        return
    marks = ", ".join("?" for _ in user_ids)
    with transaction(con):
        con.execute(f"DELETE FROM user_rights WHERE user_id IN ({marks})", user_ids)
        con.execute(f"DELETE FROM users WHERE id IN ({marks})", user_ids)


# --- the generator ------------------------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


@dataclass(frozen=True)
class _ServiceLookups:
    """The services as SQL list literals that a booking's draws index, with no join.

    Indexed [pool][category id]: pool 1 holds the active services (for bookings
    of the last year), pool 2 all of them; in each, services by duration, then
    id. `fitting[pool][category][s + 1]` counts those that last at most s
    slots, which are the first ones; `ids` and `slots` give each one's id and
    length (index + 1).
    """

    fitting: str
    ids: str
    slots: str
    longest: int  # slots of the longest service: the last index of `fitting`

    @classmethod
    def of(cls, services: list[tuple]) -> _ServiceLookups:
        """From (category id, title, price, seconds, active) rows, with ids 1, 2, ..."""
        longest = max(row[3] for row in services) // SLOT_S
        pools = [[sorted((seconds // SLOT_S, i)
                         for i, (c, _, _, seconds, active) in enumerate(services, start=1)
                         if c == category and (active or not active_only))
                  for category in range(1, max(row[0] for row in services) + 1)]
                 for active_only in (True, False)]
        fitting = [[[sum(1 for slots, _ in category if slots <= room)
                     for room in range(longest + 1)] for category in pool] for pool in pools]
        return cls(fitting=str(fitting),
                   ids=str([[[i for _, i in category] for category in pool] for pool in pools]),
                   slots=str([[[s for s, _ in category] for category in pool] for pool in pools]),
                   longest=longest)


@dataclass
class _Generator:
    seed: int
    now: datetime  # the start of `today`: visits before it are past
    bookings: int
    clients: int
    users: dict[str, int]
    staff: list[Employee]
    ahead: int  # days ahead that hold bookings, today included
    own_category_ids: dict[str, int] = field(default_factory=dict)
    services: _ServiceLookups | None = None  # set with the catalogue

    # Temp tables live in the transaction: a failure rolls them back as well.
    TEMP_TABLES = ("demo_staff", "demo_shift", "demo_window", "demo_visit", "demo_b", "demo_l",
                   "demo_t", "demo_f")

    def fill(self, con: Connection, report: Progress) -> None:
        report(0.05, f"{len(self.staff):,} staff, services and categories")
        self.insert_catalogue(con)
        self.link_employees(con)
        report(0.15, f"{self.clients:,} clients")
        self.insert_clients(con)
        report(0.25, "Shifts")
        self.draw_shifts(con)
        report(0.30, f"Drawing {self.bookings:,} bookings")
        self.draw_windows(con)
        self.draw_visits(con)
        self.draw_bookings(con)
        report(0.45, "Service lines")
        self.draw_lines(con)
        report(0.60, "Statuses and payments")
        self.finish_bookings(con)
        report(0.80, "Booking categories and history")
        self.insert_category_links(con)
        self.insert_history(con)
        for table in self.TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")

    def u(self, name: str, key: str = "id") -> str:
        """SQL for a uniform number in [0, 1), one independent draw per name and key.

        hash(key, seed, 'name') alone is not enough: DuckDB combines the
        arguments' hashes so weakly that draws of different names correlate
        (|r| up to 0.9). Re-hashing after mixing in a 64-bit salt avalanches.
        """
        salt = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
        mixed = f"hash(xor(hash({key}, {self.seed}), {salt}::UBIGINT))"
        return f"(({mixed} >> 11) / 9007199254740992.0)"  # 53 bits: exact in a DOUBLE

    def pick(self, name: str, count: str | int, key: str = "id") -> str:
        """SQL for a whole number in [0, count)."""
        return f"floor({self.u(name, key)} * ({count}))::INTEGER"

    @property
    def now_sql(self) -> str:
        return f"TIMESTAMP '{self.now:%Y-%m-%d %H:%M:%S}'"

    # --- catalogue ---

    def insert_catalogue(self, con: Connection) -> None:
        cat_id = {title: i for i, title in enumerate(SERVICE_CATEGORIES, start=1)}
        con.executemany(
            "INSERT INTO service_categories (id, title) VALUES (?, ?)",
            [[i, t] for t, i in cat_id.items()],
        )
        services = [
            (cat_id[cat], title, price, minutes * 60, active)
            for cat in SERVICE_CATEGORIES
            for title, price, minutes, active in SERVICES[cat]
        ]
        con.executemany(
            "INSERT INTO services (id, category_id, title, price, duration_s, active) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [[i, *row] for i, row in enumerate(services, start=1)],
        )
        self.insert_staff(con, cat_id)
        first = new_ids(con, "booking_categories", len(OWN_BOOKING_CATEGORIES))
        self.own_category_ids = {t: first + i for i, (t, _) in enumerate(OWN_BOOKING_CATEGORIES)}
        con.executemany(
            "INSERT INTO booking_categories (id, title, color, builtin) VALUES (?, ?, ?, FALSE)",
            [[first + i, t, c] for i, (t, c) in enumerate(OWN_BOOKING_CATEGORIES)],
        )
        self.services = _ServiceLookups.of(services)

    def link_employees(self, con: Connection) -> None:
        """Each demo user of the employee role is the staff member of their name: with
        the role's scope (own bookings), the demo shows what an employee sees."""
        staff_ids = {e.name: i for i, e in enumerate(self.staff, start=1)}
        con.executemany("UPDATE users SET staff_id = ? WHERE id = ?",
                        [[staff_ids[name], self.users[login]] for login, role, name in DEMO_USERS
                         if role == Role.EMPLOYEE])

    def insert_staff(self, con: Connection, cat_id: dict[str, int]) -> None:
        """The staff, and beside them (demo_staff) what the shift draws need to know."""
        frame = pd.DataFrame({
            "id": range(1, len(self.staff) + 1),
            "name": [e.name for e in self.staff],
            "specialization": [e.specialization for e in self.staff],
            "active": [e.active for e in self.staff],
            "cat1": [cat_id[e.cat1] for e in self.staff],
            "cat2": [cat_id[e.cat2] for e in self.staff],
            "fewest": [BOOKINGS_PER_SHIFT[e.cat1][0] for e in self.staff],
            "most": [BOOKINGS_PER_SHIFT[e.cat1][1] for e in self.staff],
            "days_off": [e.days_off for e in self.staff],
            "last_day": pd.array([e.last_day for e in self.staff], dtype="Int32"),
        })
        con.register("demo_roster", frame)  # one bulk insert, however large the staff
        try:
            con.execute("INSERT INTO staff (id, name, specialization, active) "
                        "SELECT id, name, specialization, active FROM demo_roster")
            con.execute("CREATE TEMP TABLE demo_staff AS SELECT id, cat1, cat2, fewest, most, "
                        "days_off, last_day FROM demo_roster")
        finally:
            con.unregister("demo_roster")

    # --- clients ---

    def insert_clients(self, con: Connection) -> None:
        """Names combined from two lists, unique phones, an email for some."""
        pick = self.pick
        # The last seven digits are a bijection of the id (2718281 is prime to
        # 8,000,000), so phones are unique without checking.
        offset = (self.seed * 104729) % 8_000_000
        local = f"lpad((2000000 + (id * 2718281 + {offset}) % 8000000)::VARCHAR, 7, '0')"
        uk_mobile = f"'447' || lpad({pick('uk_prefix', 100)}::VARCHAR, 2, '0') || {local}"
        area = f"{_sql_list(US_AREA_CODES)}[1 + {pick('area', len(US_AREA_CODES))}]"
        domain = f"{_sql_list(EMAIL_DOMAINS)}[1 + {pick('domain', len(EMAIL_DOMAINS))}]"
        mailbox = (
            "regexp_replace(lower(strip_accents(first_name || '.' || last_name)), "
            "'[^a-z.]', '', 'g') || (id % 97)::VARCHAR"
        )
        first = f"{_sql_list(FIRST_NAMES)}[1 + {pick('first', len(FIRST_NAMES))}]"
        last = f"{_sql_list(LAST_NAMES)}[1 + {pick('last', len(LAST_NAMES))}]"
        con.execute(f"""
            INSERT INTO clients (id, name, phone, email)
            SELECT id, first_name || ' ' || last_name,
                CASE WHEN {self.u('uk_phone')} < 0.12 THEN {uk_mobile}
                     ELSE '1' || {area} || {local} END,
                CASE WHEN {self.u('has_email')} < 0.45 THEN {mailbox} || '@' || {domain}
                     ELSE '' END
            FROM (SELECT i + 1 AS id, {first} AS first_name, {last} AS last_name
                  FROM range({self.clients}) r(i))
        """)

    # --- bookings ---

    def draw_shifts(self, con: Connection) -> None:
        """Every employee's shifts from the newest back, as many as the bookings fill.

        Five days a week (days off staggered through a team), the early or the
        late shift by turns of a week, a few past days missed; those who left
        work until their last day. A past shift holds its employee's usual
        number of bookings; ahead, the fewer the further off. `before` counts
        the bookings of newer shifts, so the oldest shift kept is the one that
        completes N.
        """
        key = "(st.id::BIGINT * 100000 + r.d + 50000)"
        weekday = "(r.d + 7000 + st.days_off)"  # 7000: a multiple of 7 that keeps it positive
        con.execute(f"""
            CREATE TEMP TABLE demo_shift AS
            SELECT *, coalesce(sum(n) OVER (ORDER BY d DESC, staff_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT AS before
            FROM (SELECT st.id AS staff_id, r.d, st.cat1, st.cat2, {key} AS skey,
                    CASE WHEN ({weekday} // 7 + st.id) % 2 = 0 THEN 0 ELSE {LATE_SHIFT_SLOT}
                         END AS first_slot,
                    st.fewest + {self.pick('per_shift', 'st.most - st.fewest + 1', key)} AS usual,
                    CASE WHEN r.d < 0 THEN usual
                         ELSE round(usual * (1 - r.d / {self.ahead}))::INTEGER END AS n
                  FROM demo_staff st
                  JOIN range(-{PAST_LIMIT_DAYS}, {self.ahead}) r(d)
                    ON r.d <= coalesce(st.last_day, r.d)
                  WHERE {weekday} % 7 < {WORKDAYS_PER_WEEK}
                    AND (r.d >= 0 OR {self.u('absent', key)} >= {ABSENT_SHARE}))
            WHERE n > 0
            QUALIFY before < {self.bookings}
        """)
        kept = con.execute("SELECT coalesce(max(before + n), 0) FROM demo_shift").fetchone()[0]
        if kept < self.bookings:  # staff_count sizes the staff with room to spare
            raise Refused(f"The demo staff cannot hold {self.bookings:,} bookings.")

    def draw_windows(self, con: Connection) -> None:
        """Each shift cut into one window per booking, in turn, ids rising with time.

        A window is at least MIN_WINDOW_SLOTS long; the rest of the shift is
        shared out by exponential weights (as gaps between random arrivals
        are), in whole numbers, so the windows never overlap and end by the
        shift's end. Of the oldest shift, only its latest bookings are kept.
        """
        least_slots = MIN_WINDOW_SLOTS
        con.execute(f"""
            CREATE TEMP TABLE demo_window AS
            SELECT id, staff_id, d, cat1, cat2, first_slot, skey, i,
                ({least_slots} * i + (spare * (upto - w)) // total)::INTEGER AS win_start,
                ({least_slots} * (i + 1) + (spare * upto) // total)::INTEGER AS win_end
            FROM (SELECT *, sum(w) OVER (PARTITION BY skey ORDER BY i) AS upto,
                         sum(w) OVER (PARTITION BY skey) AS total
                  FROM (SELECT s.staff_id, s.d, s.cat1, s.cat2, s.first_slot, s.skey, r.i,
                            {self.bookings} - (s.before + s.n - 1 - r.i) AS id,
                            {SHIFT_SLOTS} - {least_slots} * s.n AS spare,
                            1 + floor(-ln(1 - {self.u('window', 's.skey * 16 + r.i')})
                                      * 1000)::BIGINT AS w
                        FROM demo_shift s JOIN range({MOST_PER_SHIFT}) r(i) ON r.i < s.n))
            WHERE id >= 1
        """)

    def draw_visits(self, con: Connection) -> None:
        """Each booking's services, chosen to fit its window, and its start in it.

        The first service is of the employee's main category (longer ones
        likelier); a second of their other category and a third of the main
        one again follow when the client wants them and they fit. A booking
        without services takes one slot. A few are booked over the previous
        booking of the shift, on purpose: at its start.
        """
        svc, u, longest = self.services, self.u, self.services.longest

        def service(n: int, category: str) -> str:
            return (f"{svc.ids}[pool][{category}][idx{n} + 1] AS svc{n}, "
                    f"coalesce({svc.slots}[pool][{category}][idx{n} + 1], 0) AS len{n}")

        def fitting(category: str, room: str) -> str:
            return f"{svc.fitting}[pool][{category}][least({room}, {longest}) + 1]"

        con.execute(f"""
            CREATE TEMP TABLE demo_visit AS
            SELECT id, staff_id, d, svc1, svc2, svc3, used,
                CASE WHEN i > 0 AND {u('overbooked')} < {OVERBOOKED_SHARE}
                     THEN coalesce(lag(start) OVER (PARTITION BY skey ORDER BY i), start)
                     ELSE start END AS start
            FROM (SELECT id, staff_id, d, skey, i,
                    1 + (d < -{ACTIVE_SERVICES_DAYS})::INTEGER AS pool,
                    win_end - win_start AS room,
                    {fitting('cat1', 'room')} AS n1,
                    CASE WHEN {u('services')} >= {NO_SERVICES_SHARE} AND n1 > 0
                         THEN floor(n1 * sqrt({u('service1')}))::INTEGER END AS idx1,
                    {service(1, 'cat1')},
                    {fitting('cat2', 'room - len1')} AS n2,
                    CASE WHEN svc1 IS NOT NULL AND {u('second')} < 0.4 AND n2 > 0
                         THEN floor(n2 * {u('service2')})::INTEGER END AS idx2,
                    {service(2, 'cat2')},
                    {fitting('cat1', 'room - len1 - len2')} AS fit3,
                    fit3 - (idx1 < fit3)::INTEGER AS n3,  -- the first one not again
                    CASE WHEN svc2 IS NOT NULL AND {u('third')} < 0.3 AND n3 > 0
                         THEN floor(n3 * {u('service3')})::INTEGER END AS pick3,
                    pick3 + (pick3 >= idx1)::INTEGER AS idx3,
                    {service(3, 'cat1')},
                    len1 + len2 + len3 AS used,
                    first_slot + win_start
                        + floor({u('wait')} * (room - greatest(1, used) + 1))::INTEGER AS start
                  FROM demo_window)
        """)

    def draw_bookings(self, con: Connection) -> None:
        """Who booked the visit, how, and for which client."""
        regulars = max(1, self.clients // 5)
        u = self.u
        admin, reception, owner = (self.users[k] for k in ("admin", "reception", "owner"))
        con.execute(f"""
            CREATE TEMP TABLE demo_b AS
            SELECT id, staff_id, d::INTEGER AS day_off, d >= 0 AS future, svc1, svc2, svc3,
                {self.now_sql} + to_days(d::INTEGER) + INTERVAL {OPEN_HOUR} HOUR
                    + to_seconds({SLOT_S} * start) AS visit_at,
                {SLOT_S} * greatest(1, used) AS length_s,
                -- half the visits come from the regulars, the first fifth of clients
                1 + CASE WHEN {u('regular')} < 0.5 THEN {self.pick('client', regulars)}
                         ELSE {self.pick('client', self.clients)} END::BIGINT AS client_id,
                {u('source')} AS u_source,
                CASE WHEN u_source < 0.35 THEN '{Source.ADMIN.value}'
                     WHEN u_source < 0.70 THEN '{Source.WIDGET.value}'
                     WHEN u_source < 0.85 THEN '{Source.MOBILE_APP.value}'
                     WHEN u_source < 0.95 THEN '{Source.SOCIAL.value}'
                     ELSE '{Source.API.value}' END AS source,
                u_source >= 0.35 AND u_source < 0.95 AS online,
                CASE WHEN u_source < 0.35
                     THEN CASE WHEN {u('creator')} < 0.6 THEN {admin} ELSE {reception} END
                     WHEN u_source >= 0.95 AND {u('creator')} < 0.5 THEN {owner}
                     END AS created_by,
                {u('deleted')} < {DELETED_SHARE} AS deleted
            FROM demo_visit
        """)

    def draw_lines(self, con: Connection) -> None:
        """The drawn services as the bookings' lines, one in ten discounted."""
        key = "v.booking_id * 4 + v.line_no - 1"
        con.execute(f"""
            CREATE TEMP TABLE demo_l AS
            SELECT v.booking_id, v.line_no::SMALLINT AS line_no, s.id AS service_id,
                s.title, s.category_id, s.price AS cost,
                CASE WHEN {self.u('discount', key)} < 0.10
                     THEN round(s.price * 0.10) ELSE 0 END::DECIMAL(12, 2) AS discount,
                (cost - discount)::DECIMAL(12, 2) AS to_pay
            FROM (SELECT id AS booking_id, 1 AS line_no, svc1 AS service_id FROM demo_b
                  UNION ALL SELECT id, 2, svc2 FROM demo_b
                  UNION ALL SELECT id, 3, svc3 FROM demo_b) v
            JOIN services s ON s.id = v.service_id
        """)
        con.execute(
            "CREATE TEMP TABLE demo_t AS SELECT booking_id, sum(to_pay) AS lines_to_pay, "
            "count(*) AS n FROM demo_l GROUP BY booking_id"
        )
        con.execute(
            "INSERT INTO booking_services (booking_id, line_no, service_id, title, category_id, "
            "cost, discount, to_pay) SELECT booking_id, line_no, service_id, title, category_id, "
            "cost, discount, to_pay FROM demo_l"
        )

    def finish_bookings(self, con: Connection) -> None:
        """Times, statuses and payments, then the bookings themselves."""
        u = self.u
        deleters = ", ".join(str(self.users[k]) for k in ("admin", "reception", "owner"))
        con.execute(f"""
            CREATE TEMP TABLE demo_f AS
            SELECT b.id, b.staff_id, b.client_id, b.source, b.online, b.created_by, b.deleted,
                b.day_off, b.future,
                coalesce(t.lines_to_pay, 0)::DECIMAL(12, 2) AS to_pay,
                b.length_s::INTEGER AS length_s, b.visit_at,
                coalesce(t.n, 0)::SMALLINT AS service_count,
                CASE WHEN b.future
                     THEN {self.now_sql} - to_seconds(60 + floor({u('lead')} ^ 2 * 30 * 86400))
                     -- most are booked days ahead, a few the same day
                     ELSE visit_at - to_seconds(1800 + floor({u('lead')} ^ 3 * 60 * 86400))
                     END AS created_at,
                CASE WHEN b.deleted THEN created_at + to_seconds(60 + floor({u('deleted_at')}
                        * greatest(0, epoch(least(visit_at, {self.now_sql}))
                                      - epoch(created_at) - 60)))
                     END AS deleted_at,
                CASE WHEN b.deleted THEN [{deleters}][1 + {self.pick('deleter', 3)}]
                     END AS deleted_by,
                CASE WHEN b.deleted THEN 'demo-{self.seed}-delete-' || b.id END
                    AS delete_operation,
                {self.attendance_sql()} AS attendance,
                -- clients booking online prepay some: in full or 30 %
                CASE WHEN NOT b.online OR to_pay = 0 THEN 0
                     WHEN {u('prepay')} < 0.12 THEN 1 WHEN {u('prepay')} < 0.20 THEN 2
                     ELSE 0 END AS prepay,
                CASE prepay WHEN 1 THEN to_pay WHEN 2 THEN round(to_pay * 0.3)
                     ELSE 0 END AS prepaid,
                CASE WHEN attendance <> {Attendance.ARRIVED} THEN prepaid
                     WHEN {u('paid')} < 0.85 THEN to_pay
                     WHEN {u('paid')} < 0.93 THEN greatest(prepaid, round(to_pay * 0.5))
                     ELSE prepaid END::DECIMAL(12, 2) AS paid,
                CASE WHEN b.deleted THEN deleted_at
                     WHEN attendance IN ({Attendance.ARRIVED}, {Attendance.NO_SHOW})
                     THEN greatest(created_at, least(visit_at + to_seconds(length_s),
                                                     {self.now_sql}))
                     WHEN attendance = {Attendance.CONFIRMED}
                     THEN created_at + to_seconds(floor({u('confirmed')} * greatest(0,
                        epoch(least(visit_at, {self.now_sql})) - epoch(created_at))))
                     ELSE created_at END AS last_change_at,
                CASE WHEN {u('comment')} < 0.05
                     THEN {_sql_list(COMMENTS)}[1 + {self.pick('comment_text', len(COMMENTS))}]
                     ELSE '' END AS comment
            FROM demo_b b LEFT JOIN demo_t t ON t.booking_id = b.id
        """)
        con.execute("""
            INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance,
                online, source, created_at, created_by, last_change_at, to_pay, paid,
                service_count, comment, deleted, deleted_at, deleted_by, delete_operation,
                import_batch_id, version)
            SELECT id, visit_at, length_s, staff_id, client_id, attendance, online, source,
                created_at, created_by, last_change_at, to_pay, paid, service_count, comment,
                deleted, deleted_at, deleted_by, delete_operation, NULL, 1
            FROM demo_f
        """)

    def attendance_sql(self) -> str:
        """Cancelled and future visits wait (Pending/Confirmed); past ones mostly Arrived."""
        a, u = Attendance, self.u("status")
        return f"""CASE
            WHEN b.deleted OR b.future
                THEN CASE WHEN {u} < 0.55 THEN {a.PENDING} ELSE {a.CONFIRMED} END
            WHEN {u} < 0.80 THEN {a.ARRIVED}
            WHEN {u} < 0.87 THEN {a.NO_SHOW}
            WHEN {u} < 0.95 THEN {a.PENDING}
            ELSE {a.CONFIRMED} END::TINYINT"""

    def insert_category_links(self, con: Connection) -> None:
        """Online prepayments get their built-in category; a few bookings get one more label.

        At most two categories per booking: the prepayment one, and either a
        label or "First visit" (half of each client's earliest booking).
        """
        own = self.own_category_ids
        label = self.u("label")
        con.execute(f"""
            INSERT INTO booking_category_links (booking_id, category_id)
            SELECT id, prepay FROM demo_f WHERE prepay > 0
            UNION ALL
            SELECT id, CASE WHEN {label} < 0.04 THEN 3 WHEN {label} < 0.07 THEN 4
                            WHEN {label} < 0.10 THEN {own['VIP']} ELSE {own['Gift card']} END
            FROM demo_f WHERE {label} < 0.12
            UNION ALL
            SELECT id, {own['First visit']} FROM demo_f
            WHERE {label} >= 0.12 AND {self.u('first_visit_label')} < 0.5 AND id IN (
                -- a client's earliest visit, ties broken by id: (minute, id) packed in one number
                SELECT min((epoch(visit_at)::BIGINT // 60) * 10000000000 + id) % 10000000000
                FROM demo_f GROUP BY client_id)
        """)

    def insert_history(self, con: Connection) -> None:
        """Every deleted booking gets its 'deleted' history row with a snapshot."""
        con.execute("""
            INSERT INTO booking_history (id, booking_id, changed_at, actor_id, actor_login,
                action, operation_id, snapshot, changes)
            SELECT row_number() OVER (ORDER BY f.id), f.id, f.deleted_at, f.deleted_by,
                u.login, 'deleted', f.delete_operation,
                json_object('visit_at', strftime(f.visit_at, '%Y-%m-%dT%H:%M:%S'),
                    'staff_id', f.staff_id, 'staff_name', s.name,
                    'client_id', f.client_id, 'client_name', c.name,
                    'attendance', f.attendance, 'source', f.source,
                    'to_pay', f.to_pay, 'paid', f.paid),
                json_object('deleted', json_array(false, true),
                    'deleted_at', strftime(f.deleted_at, '%Y-%m-%dT%H:%M:%S'))
            FROM demo_f f
            JOIN users u ON u.id = f.deleted_by
            JOIN staff s ON s.id = f.staff_id
            JOIN clients c ON c.id = f.client_id
            WHERE f.deleted
        """)
