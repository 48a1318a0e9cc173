"""The `bookings` command against its contract (shared/CLI.md)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bookings.cli import main

BOOKINGS = Path(sys.executable).with_name("bookings")


@pytest.fixture
def run(store_path, capsys, monkeypatch):
    """run(*args, stdin="") -> (exit code, stdout, stderr), in process."""

    def run_cli(*args, stdin=""):
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
        code = main(["--db", str(store_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def json_of(out: str) -> dict:
    return json.loads(out)  # exactly one JSON document, nothing else on stdout


def test_init_creates_the_store_and_is_safe_to_repeat(run, store_path):
    assert run("init")[0] == 0
    code, out, _ = run("init", "--json")
    assert code == 0
    assert json_of(out)["schema_version"] >= 1
    assert store_path.exists()


def test_users_add_generates_a_password_shown_once(run):
    code, out, _ = run("users", "add", "kate", "--role", "administrator",
                       "--name", "Kate Jones", "--email", "kate@salon.example", "--json")
    assert code == 0
    document = json_of(out)
    assert len(document["password"]) >= 16
    assert document["user"]["role"] == "administrator"
    code, out, _ = run("users", "list", "--json")
    assert code == 0
    (user,) = json_of(out)["users"]
    assert set(user) == {"login", "name", "email", "role", "active", "rights",
                         "viewing_period_days", "staff_id", "scope"}
    assert "password" not in out
    assert "view_bookings" in user["rights"]


def test_users_add_reads_the_password_from_stdin(run, store_path):
    code, out, _ = run("users", "add", "anna", "--role", "employee", "--password-stdin",
                       "--json", stdin="correct horse battery\n")
    assert code == 0 and "password" not in json_of(out)
    from bookings import auth
    from bookings.store import open_store
    con = open_store(store_path)
    assert auth.sign_in(con, "anna", "correct horse battery").login == "anna"
    con.close()


def test_grant_revoke_and_period(run):
    run("users", "add", "anna", "--role", "employee")
    code, out, _ = run("users", "grant", "anna", "see_phones", "export", "--json")
    assert code == 0
    assert {"see_phones", "export"} <= set(json_of(out)["user"]["rights"])
    code, out, _ = run("users", "revoke", "anna", "export", "--json")
    assert "export" not in json_of(out)["user"]["rights"]
    code, out, _ = run("users", "period", "anna", "unlimited", "--json")
    assert json_of(out)["user"]["viewing_period_days"] is None


def test_acting_as_a_user_without_the_settings_right_is_refused(run):
    run("users", "add", "anna", "--role", "employee")
    code, out, _ = run("users", "grant", "anna", "export", "--user", "anna", "--json")
    assert code == 1
    assert "manage_settings" in json_of(out)["error"]


@pytest.mark.parametrize("args, message", [
    (["users", "grant", "anna", "fly"], "Unknown right fly"),
    (["users", "grant", "nobody", "export"], "no user 'nobody'"),
    (["users", "add", "anna", "--role", "employee"], "taken"),
    (["users", "period", "anna", "soon"], "not a number of days"),
])
def test_refusals_exit_1_with_a_message_and_no_traceback(run, args, message):
    run("users", "add", "anna", "--role", "employee")
    code, out, err = run(*args)
    assert code == 1
    assert message in err and "Traceback" not in err
    code, out, _ = run(*args, "--json")
    assert code == 1 and message in json_of(out)["error"]


def test_wrong_usage_exits_2(run):
    with pytest.raises(SystemExit) as exit_:
        run("users", "add", "anna", "--role", "king")
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        run("no-such-command")
    assert exit_.value.code == 2


def test_read_commands_on_a_missing_store_say_so(run, store_path):
    code, out, _ = run("catalog", "--json")
    assert code == 1
    assert "no store" in json_of(out)["error"]
    assert not store_path.exists()


def test_catalog_shape_on_a_new_store(run):
    run("init")
    code, out, _ = run("catalog", "--json")
    document = json_of(out)
    assert set(document) == {"staff", "services", "service_categories",
                             "booking_categories", "booking_interval_min"}
    assert [c["builtin"] for c in document["booking_categories"]] == [True] * 4
    assert document["booking_interval_min"] == 15


def test_the_db_comes_from_the_environment(tmp_path):
    path = tmp_path / "from-env.duckdb"
    result = subprocess.run([str(BOOKINGS), "init", "--json"], capture_output=True, text=True,
                            env=dict(os.environ, BOOKINGS_DB=str(path)))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["db"] == str(path)
    assert path.exists()


def test_a_store_held_by_another_process_gives_exit_3_naming_the_file(store_path):
    main(["--db", str(store_path), "init"])
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from bookings.store import open_store
            con = open_store({str(store_path)!r})
            print("holding", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        for args in (["catalog"], ["users", "add", "x", "--role", "employee"]):
            result = subprocess.run([str(BOOKINGS), "--db", str(store_path), *args],
                                    capture_output=True, text=True)
            assert result.returncode == 3
            assert str(store_path) in result.stderr and "busy" in result.stderr
            assert "Traceback" not in result.stderr
        result = subprocess.run([str(BOOKINGS), "--db", str(store_path), "catalog", "--json"],
                                capture_output=True, text=True)
        assert result.returncode == 3
        assert str(store_path) in json.loads(result.stdout)["error"]
    finally:
        holder.communicate("")


@pytest.mark.parametrize("given, trusted", [
    ("", ""),
    (" 10.0.0.5 , 10.1.0.0/16,::1 ", "10.0.0.5,10.1.0.0/16,::1"),
    ("192.168.1.7/24", "192.168.1.7/24"),  # a host's address with its network's length
])
def test_trusted_proxies_are_addresses_and_networks(monkeypatch, given, trusted):
    from bookings import config

    monkeypatch.setenv("BOOKINGS_TRUSTED_PROXIES", given)
    assert config.trusted_proxies() == trusted


@pytest.mark.parametrize("given, named", [
    ("10.0.0.1, lb.internal", "'lb.internal'"),
    ("*", "'*'"),  # every client would name its own address
    ("10.0.0.300", "'10.0.0.300'"),
])
def test_serve_refuses_a_proxy_that_is_no_address_before_starting(run, monkeypatch, given,
                                                                   named):
    """uvicorn would take a typo for a host name that never matches, and `*` for trust in
    everyone: the app does not start, and says which entry is wrong."""
    monkeypatch.setenv("BOOKINGS_TRUSTED_PROXIES", given)
    run("init")
    code, out, err = run("serve")
    assert code == 1 and out == ""
    assert f"BOOKINGS_TRUSTED_PROXIES: {named} is neither an address nor a network" in err
