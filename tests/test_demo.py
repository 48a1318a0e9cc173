"""The demo business: counts, mixes, consistency, determinism, refusal, users."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bookings import demo
from bookings.auth import sign_in
from bookings.demo import client_count, fill_demo
from bookings.errors import Refused
from bookings.model import Attendance, Source
from bookings.store import is_empty, open_store

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1)
N = 20_000

# Tables that must come out identical for the same seed and day (users differ:
# their password hashes are salted and their passwords are generated).
DATA_TABLES = (
    "bookings",
    "booking_services",
    "booking_category_links",
    "booking_history",
    "clients",
    "staff",
    "services",
    "service_categories",
    "booking_categories",
)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    con = open_store(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    steps = []
    result = fill_demo(con, N, seed=7, today=TODAY, progress=lambda f, m: steps.append((f, m)))
    yield con, result, steps
    con.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def count(con, table, where):
    return one(con, f"SELECT count(*) FROM {table} WHERE {where}")


def share(con, where, of="TRUE"):
    return one(con, f"SELECT avg(CASE WHEN {where} THEN 1 ELSE 0 END) FROM bookings WHERE {of}")


def table_rows(con, table):
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


# --- counts and consistency ---------------------------------------------------


def test_counts(filled):
    con, result, _ = filled
    assert (result.bookings, result.staff, result.services) == (N, 12, 43)
    assert result.clients == client_count(N) == one(con, "SELECT count(*) FROM clients")
    assert one(con, "SELECT count(*) FROM staff") == 12
    assert one(con, "SELECT count(*) FROM staff WHERE NOT active") == 1
    assert one(con, "SELECT count(*) FROM service_categories") == 6
    assert one(con, "SELECT count(*) FROM services") == 43
    assert 2 <= one(con, "SELECT count(*) FROM services WHERE NOT active") <= 4
    assert one(con, "SELECT count(*) FROM booking_categories WHERE builtin") == 4
    assert one(con, "SELECT count(*) FROM booking_categories WHERE NOT builtin") == 3
    ids = con.execute("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM bookings")
    assert ids.fetchone() == (N, N, 1, N)
    assert result.seconds > 0


def test_catalogue_is_believable(filled):
    con, _, _ = filled
    prices, durations = zip(*con.execute("SELECT price, duration_s FROM services").fetchall(),
                            strict=True)
    assert all(15 <= p <= 250 and p == int(p) for p in prices)
    assert all(d > 0 and d % 900 == 0 for d in durations)
    assert one(con, "SELECT count(*) FROM staff WHERE specialization = ''") == 0
    assert one(con, "SELECT count(DISTINCT name) FROM staff") == 12


def test_service_lines_match_their_booking(filled):
    con, _, _ = filled
    mismatches = one(con, """
        SELECT count(*) FROM bookings b
        LEFT JOIN (SELECT booking_id, sum(to_pay) AS to_pay, count(*) AS n,
                          max(line_no) AS last_line
                   FROM booking_services GROUP BY booking_id) l ON l.booking_id = b.id
        WHERE b.to_pay <> coalesce(l.to_pay, 0) OR b.service_count <> coalesce(l.n, 0)
           OR coalesce(l.last_line, 0) <> coalesce(l.n, 0)
    """)
    assert mismatches == 0
    wrong_lines = one(con, """
        SELECT count(*) FROM booking_services l JOIN services s ON s.id = l.service_id
        WHERE l.title <> s.title OR l.category_id <> s.category_id OR l.cost <> s.price
           OR l.to_pay <> l.cost - l.discount OR l.discount < 0 OR l.discount > l.cost
    """)
    assert wrong_lines == 0
    assert one(con, "SELECT count(*) FROM booking_services WHERE discount > 0") > 0
    wrong_length = one(con, """
        SELECT count(*) FROM bookings b
        LEFT JOIN (SELECT l.booking_id, sum(s.duration_s) AS d FROM booking_services l
                   JOIN services s ON s.id = l.service_id GROUP BY 1) d ON d.booking_id = b.id
        WHERE b.length_s <> coalesce(d.d, 900)
    """)
    assert wrong_length == 0
    repeated = one(con, """
        SELECT count(*) FROM (SELECT booking_id, service_id FROM booking_services
                              GROUP BY ALL HAVING count(*) > 1)
    """)
    assert repeated == 0


def test_references_exist(filled):
    con, _, _ = filled
    for sql in (
        "SELECT count(*) FROM bookings WHERE staff_id NOT IN (SELECT id FROM staff)",
        "SELECT count(*) FROM bookings WHERE client_id NOT IN (SELECT id FROM clients)",
        "SELECT count(*) FROM bookings WHERE created_by NOT IN (SELECT id FROM users)",
        "SELECT count(*) FROM bookings WHERE deleted_by NOT IN (SELECT id FROM users)",
        "SELECT count(*) FROM booking_category_links "
        "WHERE category_id NOT IN (SELECT id FROM booking_categories)",
        "SELECT count(*) FROM booking_category_links "
        "WHERE booking_id NOT IN (SELECT id FROM bookings)",
    ):
        assert one(con, sql) == 0, sql


def test_inactive_staff_and_services_only_in_the_past(filled):
    con, _, _ = filled
    assert one(con, """
        SELECT count(*) FROM bookings b JOIN staff s ON s.id = b.staff_id
        WHERE NOT s.active AND b.visit_at >= ?""", [NOW]) == 0
    assert one(con, """
        SELECT count(*) FROM booking_services l JOIN services s ON s.id = l.service_id
        JOIN bookings b ON b.id = l.booking_id WHERE NOT s.active AND b.visit_at >= ?""",
        [NOW]) == 0
    assert one(con, "SELECT count(DISTINCT staff_id) FROM bookings") == 12


# --- times ---------------------------------------------------------------------


def test_visits_on_the_grid_within_opening_hours(filled):
    con, _, _ = filled
    first, last = con.execute("SELECT min(visit_at), max(visit_at) FROM bookings").fetchone()
    assert (NOW - first).days <= 365 and (last - NOW).days <= 61 and last > NOW
    off_grid = one(con, """
        SELECT count(*) FROM bookings
        WHERE minute(visit_at) % 15 <> 0 OR second(visit_at) <> 0
           OR hour(visit_at) < 9 OR visit_at::TIME >= TIME '20:00'
           OR (length_s <= 11 * 3600 AND visit_at + to_seconds(length_s) > visit_at::DATE
               + INTERVAL 20 HOUR)
    """)
    assert off_grid == 0


# --- a believable salon --------------------------------------------------------------


def overlapping_pairs(con):
    """Pairs of bookings of one employee that overlap (cancelled ones leave the calendar)."""
    return one(con, """
        SELECT count(*) FROM bookings a JOIN bookings b
          ON a.staff_id = b.staff_id AND a.id < b.id
         AND a.visit_at < b.visit_at + to_seconds(b.length_s)
         AND b.visit_at < a.visit_at + to_seconds(a.length_s)
        WHERE NOT a.deleted AND NOT b.deleted""")


def test_one_client_after_another_but_for_a_few_overbooked(filled):
    con, _, _ = filled
    assert 0.003 * N < overlapping_pairs(con) <= demo.OVERBOOKED_SHARE * 1.5 * N


def test_six_to_fourteen_bookings_per_employee_per_working_day(filled):
    con, _, _ = filled
    per_day = con.execute("""
        SELECT staff_id, avg(n), max(n) FROM (
            SELECT staff_id, visit_at::DATE AS day, count(*) AS n FROM bookings
            WHERE visit_at < ? AND visit_at::DATE > (SELECT min(visit_at)::DATE FROM bookings)
            GROUP BY ALL)
        GROUP BY staff_id""", [NOW]).fetchall()
    assert len(per_day) == 12
    for staff_id, average, most in per_day:
        assert 6 <= average <= 14 and most <= 14, (staff_id, average, most)


def test_everyone_has_days_off(filled):
    """Five working days a week at most, a few missed: about 5/7 of the days they worked."""
    con, _, _ = filled
    weeks = con.execute("""
        SELECT staff_id, max(days), avg(days) FROM (
            SELECT staff_id, date_trunc('week', visit_at) AS week,
                   count(DISTINCT visit_at::DATE) AS days
            FROM bookings GROUP BY ALL)
        GROUP BY staff_id""").fetchall()
    for staff_id, most, average in weeks:
        assert most <= 5 and 4.2 <= average <= 5, (staff_id, most, average)


def test_shifts_are_early_or_late(filled):
    con, _, _ = filled
    days = con.execute("""
        SELECT min(visit_at)::TIME AS first, max(visit_at + to_seconds(length_s))::TIME AS last
        FROM bookings GROUP BY staff_id, visit_at::DATE""").fetchall()
    early, late = time(9), time(12)
    assert all((first >= early and last <= time(17)) or (first >= late and last <= time(20))
               for first, last in days)
    assert {first >= late for first, _ in days} == {True, False}


def test_the_demo_employee_works_today_and_the_days_after(filled):
    con, _, _ = filled
    anna_days = con.execute("""
        SELECT DISTINCT visit_at::DATE FROM bookings b JOIN users u ON u.staff_id = b.staff_id
        WHERE u.login = 'employee' AND visit_at >= ? AND visit_at < ? + INTERVAL 5 DAY
        ORDER BY 1""", [NOW, NOW]).fetchall()
    assert [d for (d,) in anna_days] == [TODAY + timedelta(days=i) for i in range(5)]


def test_ahead_the_days_fill_less_the_further_off(filled):
    con, _, _ = filled
    weeks = con.execute("""
        SELECT (visit_at::DATE - ?::DATE) // 7 AS week, count(*) FROM bookings
        WHERE visit_at >= ? GROUP BY 1 ORDER BY 1""", [TODAY, NOW]).fetchall()
    counts = [n for _, n in weeks]
    assert len(counts) >= 4 and counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("bookings, teams", [(3_000, 1), (89_000, 1), (179_000, 2)])
def test_the_staff_grows_with_the_bookings_and_the_span_stays_within_four_years(
        tmp_path, bookings, teams):
    """The largest N of each staff size spans the most: still within four years back
    and two months ahead."""
    con = open_store(tmp_path / "a.duckdb")
    result = fill_demo(con, bookings, seed=2, today=TODAY)
    assert result.staff == demo.staff_count(bookings) == 12 * teams
    assert one(con, "SELECT count(*) FROM staff") == 12 * teams
    assert one(con, "SELECT count(DISTINCT name) FROM staff") == 12 * teams
    first, last = con.execute("SELECT min(visit_at), max(visit_at) FROM bookings").fetchone()
    assert (NOW - first).days <= 4 * 365 and 0 <= (last - NOW).days <= 60
    assert one(con, "SELECT count(*) FROM bookings") == bookings
    assert overlapping_pairs(con) <= demo.OVERBOOKED_SHARE * 1.5 * bookings
    con.close()


def test_staff_size_and_names_for_large_demos():
    assert [demo.staff_count(n) for n in (0, 20_000, 200_000, 1_000_000)] == [12, 12, 36, 144]
    staff = demo.roster(demo.staff_count(100_000_000))
    assert len({e.name for e in staff}) == len(staff) > 12_000
    assert [e.name for e in staff[:12]] == [name for name, *_ in demo.STAFF]
    assert sum(not e.active for e in staff) == len(staff) // 12


def test_timestamps_are_in_order(filled):
    con, _, _ = filled
    assert one(con, """
        SELECT count(*) FROM bookings
        WHERE created_at > visit_at OR created_at > ? OR last_change_at < created_at
           OR version <> 1 OR import_batch_id IS NOT NULL""", [NOW]) == 0
    assert 0.85 < share(con, f"visit_at < TIMESTAMP '{NOW}'") < 0.97


# --- mixes ------------------------------------------------------------------------


def test_deleted_share_and_records(filled):
    con, _, _ = filled
    assert 0.06 <= share(con, "deleted") <= 0.10
    assert one(con, """
        SELECT count(*) FROM bookings WHERE deleted AND (deleted_at IS NULL
            OR deleted_by IS NULL OR delete_operation IS NULL OR deleted_at <= created_at
            OR last_change_at <> deleted_at)""") == 0
    assert one(con, """
        SELECT count(*) FROM bookings WHERE NOT deleted AND (deleted_at IS NOT NULL
            OR deleted_by IS NOT NULL OR delete_operation IS NOT NULL)""") == 0
    missing_history = one(con, """
        SELECT count(*) FROM bookings b WHERE deleted AND NOT EXISTS (
            SELECT 1 FROM booking_history h JOIN users u ON u.id = h.actor_id
            WHERE h.booking_id = b.id AND h.action = 'deleted' AND h.actor_id = b.deleted_by
              AND h.actor_login = u.login AND h.changed_at = b.deleted_at
              AND h.operation_id = b.delete_operation)""")
    assert missing_history == 0
    ids = con.execute("SELECT count(*), min(id), max(id) FROM booking_history").fetchone()
    assert ids == (one(con, "SELECT count(*) FROM bookings WHERE deleted"), 1, ids[0])


def test_sources_and_creators(filled):
    con, _, _ = filled
    sources = dict(con.execute("SELECT source, count(*) FROM bookings GROUP BY 1").fetchall())
    expected = {Source.ADMIN, Source.WIDGET, Source.MOBILE_APP, Source.SOCIAL, Source.API}
    assert set(sources) == {s.value for s in expected}
    assert 0.32 <= sources["admin"] / N <= 0.38
    assert 0.32 <= sources["online widget"] / N <= 0.38
    assert 0.03 <= sources["api"] / N <= 0.07
    assert 0.55 <= share(con, "online") <= 0.65
    online_sources = "', '".join(s.value for s in Source if s.online)
    assert count(con, "bookings", f"online <> (source IN ('{online_sources}'))") == 0
    assert count(con, "bookings", "online AND created_by IS NOT NULL") == 0
    admin_creators = con.execute("""
        SELECT DISTINCT u.login FROM bookings b JOIN users u ON u.id = b.created_by
        WHERE b.source = 'admin' ORDER BY 1""").fetchall()
    assert admin_creators == [("admin",), ("reception",)]
    assert count(con, "bookings", "source = 'admin' AND created_by IS NULL") == 0


def test_statuses(filled):
    con, _, _ = filled
    future = f"visit_at >= TIMESTAMP '{NOW}'"
    past = f"visit_at < TIMESTAMP '{NOW}'"
    no_show, arrived = int(Attendance.NO_SHOW), int(Attendance.ARRIVED)
    assert one(con, f"SELECT count(*) FROM bookings WHERE {future} "
                    f"AND attendance IN ({no_show}, {arrived})") == 0
    assert one(con, "SELECT count(*) FROM bookings WHERE attendance NOT IN (-1, 0, 1, 2)") == 0
    assert 0.70 <= share(con, f"attendance = {arrived}", f"{past} AND NOT deleted") <= 0.90
    assert 0.04 <= share(con, f"attendance = {no_show}", f"{past} AND NOT deleted") <= 0.10
    assert share(con, "attendance = 0", future) > 0.3
    assert share(con, "attendance = 2", future) > 0.3


def test_services_and_payments(filled):
    con, _, _ = filled
    assert 0.05 <= share(con, "service_count = 0") <= 0.09
    assert one(con, "SELECT max(service_count) FROM bookings") == 3
    assert one(con, "SELECT count(*) FROM bookings WHERE paid < 0 OR paid > to_pay") == 0
    payable = "to_pay > 0 AND attendance = 1"
    assert share(con, "paid = to_pay", payable) > 0.8
    assert share(con, "paid > 0 AND paid < to_pay", payable) > 0.02
    assert share(con, "paid = 0", payable) > 0.02
    future = f"visit_at >= TIMESTAMP '{NOW}' AND to_pay > 0"
    assert 0.6 < share(con, "paid = 0", future) < 0.95


def test_booking_categories(filled):
    con, _, _ = filled
    per_booking = dict(con.execute("""
        SELECT n, count(*) FROM (SELECT booking_id, count(*) AS n,
            count(DISTINCT category_id) AS d FROM booking_category_links GROUP BY 1
            HAVING n = d) GROUP BY n""").fetchall())
    assert set(per_booking) <= {1, 2}
    assert sum(per_booking.values()) == one(
        con, "SELECT count(DISTINCT booking_id) FROM booking_category_links")
    assert 0.05 < sum(per_booking.values()) / N < 0.5
    used = con.execute("SELECT DISTINCT category_id FROM booking_category_links").fetchall()
    used = {category_id for (category_id,) in used}
    assert used == set(range(1, 8))
    prepaid = con.execute("""
        SELECT bool_and(b.online AND b.to_pay > 0 AND b.paid > 0),
               bool_and(l.category_id = 2 OR b.paid = b.to_pay)
        FROM booking_category_links l JOIN bookings b ON b.id = l.booking_id
        WHERE l.category_id IN (1, 2)""").fetchone()
    assert prepaid == (True, True)
    assert 0 < share(con, "comment <> ''") < 0.1


def test_progress_is_reported(filled):
    _, _, steps = filled
    fractions = [f for f, _ in steps]
    assert len(steps) >= 4 and fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in steps)


# --- clients ------------------------------------------------------------------------


def test_phones_are_valid_and_unique(filled):
    con, _, _ = filled
    bad = one(con, """
        SELECT count(*) FROM clients
        WHERE NOT regexp_full_match(phone, '[0-9]{11,15}') OR name = '' OR name IS NULL""")
    assert bad == 0
    assert one(con, "SELECT count(DISTINCT phone) FROM clients") == client_count(N)
    assert 0.2 < one(con, "SELECT avg((email <> '')::INT) FROM clients") < 0.7
    assert count(con, "clients", "email <> '' AND email NOT LIKE '%_@_%.%'") == 0
    assert one(con, "SELECT count(DISTINCT name) FROM clients") > 1000


# --- users --------------------------------------------------------------------------


def test_users_have_roles_and_their_passwords_sign_in(filled):
    con, result, _ = filled
    roles = {login: role for login, role, _ in result.users}
    assert roles == {"owner": "owner", "admin": "administrator",
                     "reception": "administrator", "employee": "employee"}
    for login, _, password in result.users:
        assert len(password) >= 12
        user = sign_in(con, login, password)
        assert user.role.value == roles[login]
        assert user.email == f"{login}@salon.example" and user.name != login
    assert len({p for _, _, p in result.users}) == 4


# --- determinism, refusal, atomicity ----------------------------------------------------


def make_store(path, seed, threads=None, bookings=3000):
    con = open_store(path)
    if threads:
        con.execute(f"SET threads = {threads}")
    result = fill_demo(con, bookings, seed=seed, today=TODAY)
    return con, result


def test_same_seed_same_data_whatever_the_threads(tmp_path):
    one_thread, first = make_store(tmp_path / "a.duckdb", seed=3, threads=1)
    many_threads, second = make_store(tmp_path / "b.duckdb", seed=3, threads=4)
    for table in DATA_TABLES:
        assert table_rows(one_thread, table) == table_rows(many_threads, table), table
    assert [p for _, _, p in first.users] != [p for _, _, p in second.users]


def test_another_seed_gives_other_data(tmp_path):
    con_a, _ = make_store(tmp_path / "a.duckdb", seed=3)
    con_b, _ = make_store(tmp_path / "b.duckdb", seed=4)
    for table in ("bookings", "booking_services", "clients"):
        assert table_rows(con_a, table) != table_rows(con_b, table), table
    assert table_rows(con_a, "staff") == table_rows(con_b, "staff")


def test_another_day_moves_the_dates(tmp_path):
    con = open_store(tmp_path / "a.duckdb")
    fill_demo(con, 500, seed=3, today=date(2024, 1, 10))
    last = one(con, "SELECT max(visit_at) FROM bookings")
    assert datetime(2024, 1, 10) < last < datetime(2024, 3, 12)


def test_refuses_a_store_that_is_not_empty(tmp_path):
    con, _ = make_store(tmp_path / "a.duckdb", seed=1, bookings=200)
    before = one(con, "SELECT count(*) FROM users")
    with pytest.raises(Refused, match="empty store"):
        fill_demo(con, 200, seed=1, today=TODAY)
    assert one(con, "SELECT count(*) FROM bookings") == 200
    assert one(con, "SELECT count(*) FROM users") == before


def test_refuses_when_a_demo_login_is_taken(tmp_path):
    from bookings.auth import add_user
    from bookings.model import Role

    con = open_store(tmp_path / "a.duckdb")
    add_user(con, "admin", Role.ADMINISTRATOR, password="a-long-password")
    with pytest.raises(Refused, match="admin"):
        fill_demo(con, 100, today=TODAY)
    assert is_empty(con) and one(con, "SELECT count(*) FROM users") == 1


def test_a_failure_leaves_the_store_empty(tmp_path, monkeypatch):
    def fail(self, con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo._Generator, "insert_history", fail)
    con = open_store(tmp_path / "a.duckdb")
    with pytest.raises(RuntimeError, match="disk full"):
        fill_demo(con, 1000, today=TODAY)
    for table in ("users", "user_rights", "staff", "services", "clients", "bookings",
                  "booking_services", "booking_category_links", "booking_history"):
        assert one(con, f"SELECT count(*) FROM {table}") == 0, table
    assert one(con, "SELECT count(*) FROM booking_categories") == 4
    assert one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'demo_%'") == 0
    monkeypatch.undo()
    fill_demo(con, 100, today=TODAY)  # and the store is usable afterwards
    assert one(con, "SELECT count(*) FROM bookings") == 100


def test_small_and_empty_demos(tmp_path):
    con = open_store(tmp_path / "a.duckdb")
    result = fill_demo(con, 0, today=TODAY)
    assert result.bookings == 0 and result.clients == 2000
    assert one(con, "SELECT count(*) FROM bookings") == 0
    with pytest.raises(Refused):
        fill_demo(open_store(tmp_path / "b.duckdb"), -1, today=TODAY)
