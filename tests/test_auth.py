import os
from datetime import datetime, timedelta

import pytest

from bookings import auth
from bookings.admin import users
from bookings.errors import Forbidden, Refused, SignInRefused
from bookings.model import ROLE_PRESETS, SYSTEM, Right, Role
from bookings.store import open_store

NOW = datetime(2026, 5, 1, 12, 0, 0)


def test_passwords_are_stored_only_as_argon2_hashes(con, make_user):
    _, password = make_user(Role.OWNER)
    (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    assert password not in stored
    assert stored.startswith("$argon2id$")


def test_a_generated_password_is_random_and_long():
    passwords = {auth.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) >= 16 for p in passwords)


def test_add_user_without_password_generates_one_that_works(con):
    user, generated = auth.add_user(con, "kate", Role.ADMINISTRATOR)
    assert generated
    assert auth.sign_in(con, "kate", generated, now=NOW).login == "kate"


@pytest.mark.parametrize("role", list(Role))
def test_a_role_is_a_preset_of_rights_and_viewing_period(con, make_user, role):
    user, _ = make_user(role)
    rights, period = ROLE_PRESETS[role]
    assert user.rights == rights
    assert user.viewing_period_days == period


def test_role_presets_follow_the_domain():
    owner, administrator, employee = (ROLE_PRESETS[r][0] for r in Role)
    assert owner == frozenset(Right)
    assert Right.UPLOAD not in administrator and Right.MANAGE_SETTINGS not in administrator
    assert Right.DELETE_PAID not in administrator and Right.DELETE_ARRIVED not in administrator
    assert employee == {Right.VIEW_BOOKINGS}
    assert ROLE_PRESETS[Role.EMPLOYEE][1] == 30


def test_sign_in_with_the_right_password(con, make_user):
    user, password = make_user(Role.EMPLOYEE)
    assert auth.sign_in(con, user.login, password, now=NOW) == user


@pytest.mark.parametrize("login, password", [("employee", "wrong-password"), ("nobody", "x")])
def test_wrong_login_or_password_is_refused_the_same_way(con, make_user, login, password):
    make_user(Role.EMPLOYEE)
    with pytest.raises(SignInRefused, match="Wrong login or password"):
        auth.sign_in(con, login, password, now=NOW)


HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def test_repeated_failures_slow_down_even_the_right_password(con, make_user):
    user, password = make_user(Role.OWNER)
    for _ in range(auth.FREE_FAILURES):
        with pytest.raises(SignInRefused, match="Wrong"):
            auth.sign_in(con, user.login, "guess", client=HOME, now=NOW)
    with pytest.raises(SignInRefused, match="Try again in 4 seconds") as refused:
        auth.sign_in(con, user.login, password, client=HOME, now=NOW + timedelta(seconds=1))
    assert refused.value.retry_after_s == 4
    # Another failure after the wait doubles it.
    with pytest.raises(SignInRefused, match="Wrong"):
        auth.sign_in(con, user.login, "guess", client=HOME, now=NOW + timedelta(seconds=6))
    assert auth.seconds_to_wait(con, user.login, HOME, NOW + timedelta(seconds=6)) == 10
    assert auth.sign_in(con, user.login, password, client=HOME,
                        now=NOW + timedelta(seconds=17)) == user
    # Success forgets the failures.
    assert auth.seconds_to_wait(con, user.login, HOME, NOW + timedelta(seconds=17)) == 0


def test_old_failures_are_forgotten(con, make_user):
    user, password = make_user(Role.OWNER)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, user.login, "guess", client=HOME, now=NOW)
    later = NOW + auth.FAILURE_WINDOW + timedelta(seconds=1)
    assert auth.sign_in(con, user.login, password, client=HOME, now=later) == user


def test_guessing_from_elsewhere_never_locks_out_the_owner(con, make_user):
    """Anyone could lock any login out for a quarter of an hour, and renew it: no more."""
    user, password = make_user(Role.OWNER)
    for second in range(40):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, user.login, "guess", client=ELSEWHERE,
                         now=NOW + timedelta(seconds=second))
    assert auth.seconds_to_wait(con, user.login, ELSEWHERE, NOW + timedelta(seconds=40)) > 0
    assert auth.sign_in(con, user.login, password, client=HOME,
                        now=NOW + timedelta(seconds=40)) == user


def test_one_client_trying_many_logins_slows_down(con, make_user):
    """One client could try 124 different logins a minute: its own failures add up."""
    make_user(Role.OWNER)
    for n in range(auth.FREE_CLIENT_FAILURES):
        with pytest.raises(SignInRefused, match="Wrong"):
            auth.sign_in(con, f"guess-{n}", "x", client=ELSEWHERE, now=NOW)
    with pytest.raises(SignInRefused, match="Try again in 2 seconds"):
        auth.sign_in(con, "owner", "x", client=ELSEWHERE, now=NOW)
    tried = 0
    for second in range(60):  # a minute of trying, as fast as the waits allow
        if auth.seconds_to_wait(con, f"next-{second}", ELSEWHERE,
                                NOW + timedelta(seconds=second)) == 0:
            tried += 1
            with pytest.raises(SignInRefused):
                auth.sign_in(con, f"next-{second}", "x", client=ELSEWHERE,
                             now=NOW + timedelta(seconds=second))
    assert tried <= 5
    # Another client is not slowed by it.
    assert auth.seconds_to_wait(con, "owner", HOME, NOW) == 0


def test_parallel_wrong_passwords_are_counted_before_they_are_checked(store_path, make_user):
    """The wait check and the failure were two steps: 20 at once were all checked."""
    user, _ = make_user(Role.OWNER)
    checked = []
    original = auth._verify

    def counting(stored_hash, password):
        checked.append(password)
        return original(stored_hash, password)

    def attempt(n: int) -> str:
        cursor = connections[n]
        try:
            auth.sign_in(cursor, user.login, f"guess-{n}", client=ELSEWHERE)
        except SignInRefused as refused:
            return "wait" if refused.retry_after_s else "wrong"
        return "in"

    from concurrent.futures import ThreadPoolExecutor

    from bookings.store import open_store
    shared = open_store(store_path)
    connections = [shared.cursor() for _ in range(20)]
    auth._verify = counting
    try:
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(attempt, range(20)))
    finally:
        auth._verify = original
        shared.close()
    assert answers.count("wrong") == auth.FREE_FAILURES == len(checked)
    assert answers.count("wait") == 20 - auth.FREE_FAILURES


def test_refused_sign_ins_are_in_the_data_log_for_the_settings_right(con, make_user):
    from bookings import datalog

    owner, _ = make_user(Role.OWNER)
    employee, _ = make_user(Role.EMPLOYEE)
    for _ in range(auth.FREE_FAILURES + 1):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, "owner", "guess", client=ELSEWHERE, now=NOW)
    seen = datalog.entries(con, owner, kind="sign-in")
    assert len(seen) == auth.FREE_FAILURES + 1
    assert all("'owner'" in e["what"] and ELSEWHERE in e["what"] for e in seen)
    assert "wrong login or password" in seen[-1]["what"]
    assert "waiting out failed sign-ins" in seen[0]["what"]
    assert datalog.entries(con, employee, kind="sign-in") == []


def test_the_owner_clears_a_throttle_and_others_may_not(con, make_user):
    from bookings.admin import users
    from bookings.admin.changelog import SettingsRefused

    owner, _ = make_user(Role.OWNER)
    employee, password = make_user(Role.EMPLOYEE)
    for _ in range(auth.FREE_FAILURES + 2):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, employee.login, "guess", client=HOME)
    (throttle,) = auth.throttles(con)
    assert (throttle.login, throttle.client, throttle.wait_s > 0) == (employee.login, HOME, True)
    with pytest.raises((Forbidden, SettingsRefused)):
        users.unthrottle(con, employee, employee.login)
    assert users.unthrottle(con, owner, employee.login) == auth.FREE_FAILURES  # the waits: none
    assert auth.throttles(con) == []
    assert auth.sign_in(con, employee.login, password, client=HOME).login == employee.login


def test_a_deactivated_user_cannot_sign_in(con, make_user):
    user, password = make_user(Role.ADMINISTRATOR)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [user.id])
    with pytest.raises(SignInRefused, match="deactivated"):
        auth.sign_in(con, user.login, password, now=NOW)


def test_viewing_period(con, make_user):
    make_user(Role.EMPLOYEE)
    assert users.set_viewing_period(con, SYSTEM, "employee", 7).viewing_period_days == 7
    assert users.set_viewing_period(con, SYSTEM, "employee", None).viewing_period_days is None
    with pytest.raises(Refused):
        users.set_viewing_period(con, SYSTEM, "employee", -1)


@pytest.mark.parametrize("names, message", [(["fly"], "Unknown right fly"),
                                            (["export", "x"], "Unknown right x")])
def test_unknown_rights_are_named(names, message):
    with pytest.raises(Refused, match=message):
        auth.parse_rights(names)


@pytest.mark.parametrize("login", ["", "two words", "   "])
def test_a_login_is_one_word(con, login):
    with pytest.raises(Refused, match="one word"):
        auth.add_user(con, login, Role.EMPLOYEE)


def test_a_login_is_unique_and_passwords_have_a_minimum(con, make_user):
    make_user(Role.EMPLOYEE)
    with pytest.raises(Refused, match="taken"):
        auth.add_user(con, "employee", Role.EMPLOYEE)
    with pytest.raises(Refused, match="at least 8"):
        auth.add_user(con, "short", Role.EMPLOYEE, password="abc")


def test_a_deactivated_user_has_no_rights(con, make_user):
    user, _ = make_user(Role.OWNER)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [user.id])
    assert not auth.get_user(con, "owner").can(Right.VIEW_BOOKINGS)


def test_real_hashes_use_the_real_parameters(store_path):
    """Outside the tests' process (here the CLI) passwords are hashed with argon2id
    at 64 MiB and 3 passes; the tests' own process uses cheap ones (conftest.py)."""
    import subprocess
    import sys

    env = {**os.environ, "BOOKINGS_DATA_DIR": str(store_path.parent)}
    for args in (["init"], ["users", "add", "stylist", "--role", "employee",
                            "--password-stdin"]):
        subprocess.run([sys.executable, "-m", "bookings.cli", "--db", str(store_path), *args],
                       input="a-long-enough-password\n", text=True, env=env, check=True,
                       capture_output=True)
    con = open_store(store_path)
    try:
        (stored,) = con.execute("SELECT password_hash FROM users WHERE login = 'stylist'"
                                ).fetchone()
    finally:
        con.close()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
