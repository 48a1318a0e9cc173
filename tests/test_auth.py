from datetime import datetime, timedelta

import pytest

from bookings import auth
from bookings.auth import AuthError, Forbidden, SignInRefused
from bookings.model import ROLE_PRESETS, Right, Role

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


def test_repeated_failures_slow_down_even_the_right_password(con, make_user):
    user, password = make_user(Role.OWNER)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="Wrong"):
            auth.sign_in(con, user.login, "guess", now=NOW)
    with pytest.raises(SignInRefused, match="Try again in 4 seconds") as refused:
        auth.sign_in(con, user.login, password, now=NOW + timedelta(seconds=1))
    assert refused.value.retry_after_s == 4
    # Another failure after the wait doubles it.
    with pytest.raises(SignInRefused, match="Wrong"):
        auth.sign_in(con, user.login, "guess", now=NOW + timedelta(seconds=6))
    assert auth.seconds_to_wait(con, user.login, NOW + timedelta(seconds=6)) == 10
    assert auth.sign_in(con, user.login, password, now=NOW + timedelta(seconds=17)) == user
    # Success forgets the failures.
    assert auth.seconds_to_wait(con, user.login, NOW + timedelta(seconds=17)) == 0


def test_old_failures_are_forgotten(con, make_user):
    user, password = make_user(Role.OWNER)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            auth.sign_in(con, user.login, "guess", now=NOW)
    later = NOW + auth.FAILURE_WINDOW + timedelta(seconds=1)
    assert auth.sign_in(con, user.login, password, now=later) == user


def test_a_deactivated_user_cannot_sign_in(con, make_user):
    user, password = make_user(Role.ADMINISTRATOR)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [user.id])
    with pytest.raises(SignInRefused, match="deactivated"):
        auth.sign_in(con, user.login, password, now=NOW)


def test_grant_and_revoke(con, make_user):
    make_user(Role.EMPLOYEE)
    user = auth.change_rights(con, "employee", grant={Right.SEE_PHONES, Right.EXPORT})
    assert {Right.SEE_PHONES, Right.EXPORT} <= user.rights
    user = auth.change_rights(con, "employee", revoke={Right.VIEW_BOOKINGS})
    assert not user.can(Right.VIEW_BOOKINGS)


def test_only_a_user_with_the_settings_right_changes_rights(con, make_user):
    admin, _ = make_user(Role.ADMINISTRATOR)
    owner, _ = make_user(Role.OWNER)
    with pytest.raises(Forbidden, match="manage_settings"):
        auth.change_rights(con, "administrator", grant={Right.UPLOAD}, actor=admin)
    changed = auth.change_rights(con, "administrator", grant={Right.UPLOAD}, actor=owner)
    assert changed.can(Right.UPLOAD)


def test_viewing_period(con, make_user):
    make_user(Role.EMPLOYEE)
    assert auth.set_viewing_period(con, "employee", 7).viewing_period_days == 7
    assert auth.set_viewing_period(con, "employee", None).viewing_period_days is None
    with pytest.raises(AuthError):
        auth.set_viewing_period(con, "employee", -1)


@pytest.mark.parametrize("names, message", [(["fly"], "Unknown right fly"),
                                            (["export", "x"], "Unknown right x")])
def test_unknown_rights_are_named(names, message):
    with pytest.raises(AuthError, match=message):
        auth.parse_rights(names)


@pytest.mark.parametrize("login", ["", "two words", "   "])
def test_a_login_is_one_word(con, login):
    with pytest.raises(AuthError, match="one word"):
        auth.add_user(con, login, Role.EMPLOYEE)


def test_a_login_is_unique_and_passwords_have_a_minimum(con, make_user):
    make_user(Role.EMPLOYEE)
    with pytest.raises(AuthError, match="taken"):
        auth.add_user(con, "employee", Role.EMPLOYEE)
    with pytest.raises(AuthError, match="at least 8"):
        auth.add_user(con, "short", Role.EMPLOYEE, password="abc")


def test_a_deactivated_user_has_no_rights(con, make_user):
    user, _ = make_user(Role.OWNER)
    con.execute("UPDATE users SET active = FALSE WHERE id = ?", [user.id])
    assert not auth.get_user(con, "owner").can(Right.VIEW_BOOKINGS)
