"""A hand-built store where the right answer of every filter is known.

Six bookings, chosen so each filter value picks a different set:

id visit             staff client      status     source        by     services   to_pay paid deleted cats
1  2024-05-01 10:00  Anna  Kate Smith  Arrived    admin         admin  Haircut    500    500  no      -
2  2024-05-15 12:00  Ben   O'Brien %_  No-Show    online widget client Manicure   300    0    no      1
3  2024-06-02 09:00  Anna  Anna-Maria  Pending    mobile app    client Hair+Nails 800    300  yes     3
4  2024-06-20 15:00  Ben   Kate Smith  Confirmed  api           owner  (none)     0      0    no      -
5  2024-07-01 11:00  Anna  O'Brien %_  Arrived    social link   client Manicure   300    300  yes     1,4
6  TODAY-10d 14:00   Ben   Anna-Maria  Arrived    admin         admin  Haircut    500    450  no      -

Users: owner, admin, and employee, who is Ben Brown (staff 2) and, as the employee
role's preset says, sees own bookings only: with the 30-day period, booking 6.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bookings import auth
from bookings.model import SYSTEM, Role, Scope
from bookings.store import sequences_past_ids

TODAY = date.today()  # the pages use the real today for the viewing period
RECENT = datetime.combine(TODAY - timedelta(days=10), time(14, 0))

STAFF = [(1, "Anna Smith"), (2, "Ben Brown")]
CATEGORIES = [(1, "Hair"), (2, "Nails")]
SERVICES = [(10, "Haircut", 1, 500, 3600), (20, "Manicure", 2, 300, 2700)]
CLIENTS = [(1, "Kate Smith", "12123445678"), (2, "O'Brien %_", "447700900123"),
           (3, "Anna-Maria", "380501112233")]

#       id  visit_at                            created_at             staff client att online source           by       services  paid deleted cats
BOOKINGS = [
    (1, datetime(2024, 5, 1, 10), datetime(2024, 4, 20, 9), 1, 1, 1, False, "admin", "admin", [10], 500, False, []),
    (2, datetime(2024, 5, 15, 12), datetime(2024, 5, 10, 9), 2, 2, -1, True, "online widget", None, [20], 0, False, [1]),
    (3, datetime(2024, 6, 2, 9), datetime(2024, 5, 30, 9), 1, 3, 0, True, "mobile app", None, [10, 20], 300, True, [3]),
    (4, datetime(2024, 6, 20, 15), datetime(2024, 6, 1, 9), 2, 1, 2, False, "api", "owner", [], 0, False, []),
    (5, datetime(2024, 7, 1, 11), datetime(2024, 6, 25, 9), 1, 2, 1, True, "social link", None, [20], 300, True, [1, 4]),
    (6, RECENT, RECENT - timedelta(days=2), 2, 3, 1, False, "admin", "admin", [10], 450, False, []),
]  # noqa: E501
ALL = {1, 2, 3, 4, 5, 6}


def build(con) -> dict:
    """Fill an empty store; returns {role: (login, password)}."""
    users = {}
    for role, login in ((Role.OWNER, "owner"), (Role.ADMINISTRATOR, "admin"),
                        (Role.EMPLOYEE, "employee")):
        _, password = auth.add_user(con, login, role)
        users[role] = (login, password)
    user_ids = dict(con.execute("SELECT login, id FROM users").fetchall())
    con.executemany("INSERT INTO staff (id, name) VALUES (?, ?)", STAFF)
    con.execute("UPDATE users SET staff_id = 2 WHERE login = 'employee'")
    con.executemany("INSERT INTO service_categories VALUES (?, ?)", CATEGORIES)
    con.executemany("INSERT INTO services VALUES (?, ?, ?, ?, ?, TRUE)", SERVICES)
    con.executemany("INSERT INTO clients (id, name, phone) VALUES (?, ?, ?)", CLIENTS)
    services = {s[0]: s for s in SERVICES}
    for (bid, visit, created, staff, client, att, online, source, by, lines, paid, deleted,
         cats) in BOOKINGS:
        to_pay = sum(services[s][3] for s in lines)
        con.execute(
            "INSERT INTO bookings (id, visit_at, length_s, staff_id, client_id, attendance, "
            "online, source, created_at, created_by, last_change_at, to_pay, paid, "
            "service_count, deleted, deleted_at, deleted_by) "
            "VALUES (?, ?, 3600, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [bid, visit, staff, client, att, online, source, created, user_ids.get(by), created,
             to_pay, paid, len(lines), deleted, created if deleted else None,
             user_ids["admin"] if deleted else None],
        )
        for line_no, service_id in enumerate(lines, start=1):
            _, title, category, price, _ = services[service_id]
            con.execute("INSERT INTO booking_services VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                        [bid, line_no, service_id, title, category, price, price])
        for category in cats:
            con.execute("INSERT INTO booking_category_links VALUES (?, ?)", [bid, category])
    sequences_past_ids(con)  # the rows above came with ids of their own
    return users


# Who looks, in the tests that check a number for several viewers: the system; the
# known employee (Ben Brown, own bookings, 30 days); an administrator with a viewing
# period back to 1 June 2024; one who sees Anna's bookings only.
VIEWERS = ("system", "employee", "period", "own")


def viewer(con, who: str):
    if who == "system":
        return SYSTEM
    if who == "employee":
        return auth.get_user(con, "employee")
    admin = auth.get_user(con, "admin")
    if who == "period":
        return replace(admin, viewing_period_days=(TODAY - date(2024, 6, 1)).days)
    return replace(admin, scope=Scope.OWN, staff_id=1)
