"""The demo business: staff, services, clients, users and N bookings.

Everything is drawn with set-based SQL, never a Python loop per row, so a
million bookings take seconds. Every pseudo-random number is
`hash(row id, seed, draw name)`: the same seed and `today` give the same rows
whatever DuckDB's thread count, and ids come from `range()`, never from the
order in which parallel threads happen to deliver rows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bookings.auth import add_user
from bookings.model import Attendance, Role, Source
from bookings.store import Connection, StoreError, is_empty, next_id, transaction

Progress = Callable[[float, str], None]

PAST_DAYS = 3 * 365
FUTURE_DAYS = 60
FUTURE_SHARE = 0.08
OPEN_HOUR = 9
SLOTS_PER_DAY = 44  # 15-minute slots from 9:00 to 20:00
SLOT_S = 15 * 60
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
INACTIVE_STAFF_LAST_SEEN_DAYS = 180

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
        raise StoreError("The number of demo bookings cannot be negative.")
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
    )
    try:
        with transaction(con):
            gen.fill(con, report)
    except BaseException:
        _remove_users(con, list(ids.values()))
        raise
    report(1.0, "Done")
    return DemoResult(
        bookings=bookings,
        clients=gen.clients,
        staff=len(STAFF),
        services=sum(len(s) for s in SERVICES.values()),
        users=[(login, role.value, password) for login, role, _, password in users],
        seconds=time.perf_counter() - started,
    )


def _refuse_unless_empty(con: Connection) -> None:
    others = con.execute(
        "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM services)"
        " + (SELECT count(*) FROM service_categories)"
    ).fetchone()[0]
    if not is_empty(con) or others:
        raise StoreError(
            "The demo fills an empty store only, and this one already holds a business. "
            "Use a new --db file."
        )
    taken = con.execute(
        "SELECT string_agg(login, ', ' ORDER BY login) FROM users WHERE login IN "
        f"({', '.join('?' for _ in DEMO_USERS)})",
        [login for login, _, _ in DEMO_USERS],
    ).fetchone()[0]
    if taken:
        raise StoreError(f"The demo needs its own users, but these logins are taken: {taken}.")


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


@dataclass
class _Generator:
    seed: int
    now: datetime  # the start of `today`: visits before it are past
    bookings: int
    clients: int
    users: dict[str, int]
    own_category_ids: dict[str, int] = field(default_factory=dict)

    # Temp tables live in the transaction: a failure rolls them back as well.
    TEMP_TABLES = ("demo_svc", "demo_cat", "demo_staff", "demo_b", "demo_l", "demo_t", "demo_f")

    def fill(self, con: Connection, report: Progress) -> None:
        report(0.05, "Staff, services and categories")
        self.insert_catalogue(con)
        self.link_employees(con)
        report(0.15, f"{self.clients:,} clients")
        self.insert_clients(con)
        report(0.25, f"Drawing {self.bookings:,} bookings")
        self.draw_bookings(con)
        report(0.40, "Service lines")
        self.draw_lines(con)
        report(0.60, "Visit times, statuses and payments")
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
        con.executemany(
            "INSERT INTO staff (id, name, specialization, active) VALUES (?, ?, ?, ?)",
            [[i, name, spec, active] for i, (name, spec, _, _, active) in enumerate(STAFF, 1)],
        )
        first = next_id(con, "booking_categories")
        self.own_category_ids = {t: first + i for i, (t, _) in enumerate(OWN_BOOKING_CATEGORIES)}
        con.executemany(
            "INSERT INTO booking_categories (id, title, color, builtin) VALUES (?, ?, ?, FALSE)",
            [[first + i, t, c] for i, (t, c) in enumerate(OWN_BOOKING_CATEGORIES)],
        )
        self.create_pick_tables(con, cat_id)

    def link_employees(self, con: Connection) -> None:
        """Each demo user of the employee role is the staff member of their name: with
        the role's scope (own bookings), the demo shows what an employee sees."""
        staff_ids = {name: i for i, (name, *_) in enumerate(STAFF, start=1)}
        con.executemany("UPDATE users SET staff_id = ? WHERE id = ?",
                        [[staff_ids[name], self.users[login]] for login, role, name in DEMO_USERS
                         if role == Role.EMPLOYEE])

    def create_pick_tables(self, con: Connection, cat_id: dict[str, int]) -> None:
        """Lookup tables the booking draws join on: services by (category, index)."""
        con.execute(
            "CREATE TEMP TABLE demo_svc AS SELECT id, title, category_id, price, duration_s, "
            "row_number() OVER (PARTITION BY category_id ORDER BY active DESC, id) - 1 AS idx "
            "FROM services"
        )
        con.execute(
            "CREATE TEMP TABLE demo_cat AS SELECT category_id, "
            "count(*) FILTER (WHERE active) AS n_active, count(*) AS n_all "
            "FROM services GROUP BY category_id"
        )
        con.execute("CREATE TEMP TABLE demo_staff (id INTEGER, cat1 INTEGER, cat2 INTEGER)")
        con.executemany(
            "INSERT INTO demo_staff VALUES (?, ?, ?)",
            [[i, cat_id[c1], cat_id[c2]] for i, (_, _, c1, c2, _) in enumerate(STAFF, 1)],
        )

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

    def draw_bookings(self, con: Connection) -> None:
        """One row per booking with the draws that do not depend on its services."""
        active_staff = sum(1 for s in STAFF if s[4])
        regulars = max(1, self.clients // 5)
        u = self.u
        admin, reception, owner = (self.users[k] for k in ("admin", "reception", "owner"))
        con.execute(f"""
            CREATE TEMP TABLE demo_b AS
            SELECT i + 1 AS id,
                {u('future')} < {FUTURE_SHARE} AS future,
                CASE WHEN future THEN floor({FUTURE_DAYS + 1} * {u('day')} ^ 2)
                     -- sqrt: the business grows, recent days are busier
                     ELSE -{PAST_DAYS} + floor({PAST_DAYS} * sqrt({u('day')})) END::INTEGER
                    AS day_off,
                1 + CASE WHEN day_off >= -{INACTIVE_STAFF_LAST_SEEN_DAYS}
                         THEN {self.pick('staff', active_staff)}
                         ELSE {self.pick('staff', len(STAFF))} END AS staff_id,
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
                CASE WHEN {u('lines')} < 0.07 THEN 0 WHEN {u('lines')} < 0.62 THEN 1
                     WHEN {u('lines')} < 0.90 THEN 2 ELSE 3 END AS n_lines,
                {u('deleted')} < {DELETED_SHARE} AS deleted
            FROM range({self.bookings}) r(i)
        """)

    def draw_lines(self, con: Connection) -> None:
        """0-3 service lines per booking, from the employee's two categories.

        Lines of one category take consecutive services from a drawn start, so
        a booking never holds the same service twice; bookings of the past
        year and later use active services only.
        """
        key = "b.id * 4 + k"
        con.execute(f"""
            CREATE TEMP TABLE demo_l AS
            SELECT b.id AS booking_id, (k + 1)::SMALLINT AS line_no, s.id AS service_id,
                s.title, s.category_id, s.price AS cost, s.duration_s,
                CASE WHEN {self.u('discount', key)} < 0.10
                     THEN round(s.price * 0.10) ELSE 0 END::DECIMAL(12, 2) AS discount,
                (cost - discount)::DECIMAL(12, 2) AS to_pay
            FROM demo_b b
            JOIN range(3) r(k) ON r.k < b.n_lines
            JOIN demo_staff st ON st.id = b.staff_id
            JOIN demo_cat c ON c.category_id = CASE
                WHEN k = 0 OR {self.u('second_cat', key)} < 0.7 THEN st.cat1 ELSE st.cat2 END
            JOIN demo_svc s ON s.category_id = c.category_id AND s.idx = (
                floor({self.u('service', 'b.id')} * 1000)::INTEGER + k)
                % CASE WHEN b.day_off >= -365 THEN c.n_active ELSE c.n_all END
        """)
        con.execute(
            "CREATE TEMP TABLE demo_t AS SELECT booking_id, sum(to_pay) AS lines_to_pay, "
            "sum(duration_s) AS lines_length_s, count(*) AS n FROM demo_l GROUP BY booking_id"
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
                coalesce(t.lines_length_s, {SLOT_S})::INTEGER AS length_s,
                coalesce(t.n, 0)::SMALLINT AS service_count,
                -- start so that the visit ends by closing time where it can
                {self.now_sql} + to_days(b.day_off) + INTERVAL {OPEN_HOUR} HOUR
                    + to_seconds({SLOT_S} * {self.pick(
                        'slot', f'greatest(1, {SLOTS_PER_DAY + 1} - length_s // {SLOT_S})')})
                    AS visit_at,
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
