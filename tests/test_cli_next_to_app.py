"""The `bookings` command next to the running app (issue 16): the app holds the DuckDB
file, and every command but `init`, `demo` and `serve` still works, through the app's
local channel (bookings/cli/channel.py), with the same output and exit code as on a
store nobody holds.

One real app (`bookings serve`) for the module, on a copy of the known store; each
command runs as a real `bookings` process beside it, and the same command runs in this
process on a second copy nobody holds, so that the two answers can be set side by side.
The tests that change data run the same change on both copies, in the same order.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bookings import auth, cli
from bookings.cli import channel, main, without_db
from bookings.store import open_store, reading_only
from tests import known_store
from tests.helpers import GOOD, app_env, serving, xlsx, xlsx_rows

BOOKINGS = [sys.executable, "-m", "bookings.cli"]


@dataclass
class App:
    """The running app's store, the copy nobody holds, and what the start found."""

    held: Path
    unheld: Path
    stale_inode: int  # the socket file a "crashed" app left before this one started
    stop: object = None  # stops the app (the last test does)


def leave_stale_socket(path: Path) -> int:
    """A socket file with nobody listening, as a crashed app leaves it; its inode."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()
    return path.stat().st_ino


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("next-to-app")
    held, unheld = base / "app" / "bookings.duckdb", base / "alone" / "bookings.duckdb"
    held.parent.mkdir(mode=0o700)
    unheld.parent.mkdir(mode=0o700)
    con = open_store(held)
    known_store.build(con)
    con.close()
    shutil.copyfile(held, unheld)
    stale = leave_stale_socket(channel.socket_path(held))
    running = serving(held, base / "app.log")
    running.__enter__()
    stopped = []

    def stop():
        if not stopped:
            stopped.append(True)
            running.__exit__(None, None, None)

    yield App(held, unheld, stale, stop)
    stop()


@pytest.fixture
def here(tmp_path) -> Path:
    """The caller's folder: relative file names on the command line are taken from it."""
    return tmp_path


def beside_app(app: App, *args: str, stdin: str = "", cwd: Path | None = None):
    """`bookings --db <the app's store> ARGS` as a process of its own: (code, out, err)."""
    result = subprocess.run([*BOOKINGS, "--db", str(app.held), *args], input=stdin,
                            capture_output=True, text=True, cwd=cwd or app.held.parent,
                            env=app_env(app.held.parent), timeout=120)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def alone(app, capsys, monkeypatch):
    """alone(*args, stdin="", cwd=None) -> (code, out, err): the same command in this
    process, on the copy nobody holds."""

    def run(*args: str, stdin: str = "", cwd: Path | None = None):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main(["--db", str(app.unheld), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def same_answer(app, alone, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run ARGS beside the app and alone: the same exit code, stdout and stderr."""
    answered = beside_app(app, *args, stdin=stdin)
    assert "Traceback" not in answered[2]
    assert answered == alone(*args, stdin=stdin)
    return answered


# --- the app's side: the socket ------------------------------------------------------


def test_the_socket_is_the_owners_alone_and_replaced_a_stale_one(app):
    path = channel.socket_path(app.held)
    assert path == app.held.with_name("bookings.duckdb.sock")
    info = path.lstat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.getuid()
    assert info.st_ino != app.stale_inode  # the crashed app's file was replaced
    assert channel.is_answering(path)


# --- reading: the same answer as on a store nobody holds --------------------------------

READING = [
    ("list", "--json"),
    ("summary", "--user", "employee"),
    ("pivot", "--rows", "source", "--cols", "payment", "--measure", "bookings", "--json"),
    ("info", "3"),  # deleted: who and when
    ("log", "--json"),
    ("users", "list", "--json"),
]


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_reading_command_answers_as_on_its_own(app, alone, args):
    code, out, _ = same_answer(app, alone, *args)
    assert code == 0 and out


# --- changing ------------------------------------------------------------------------


def test_reset_password_reads_the_new_one_from_stdin(app, alone):
    code, out, _ = same_answer(app, alone, "users", "reset-password", "admin",
                               "--password-stdin", "--json", stdin="a new secret 2024\n")
    assert (code, json.loads(out)) == (0, {"login": "admin"})


def test_reset_password_generated_is_shown_once(app):
    code, out, err = beside_app(app, "users", "reset-password", "employee", "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["login"] == "employee" and len(json.loads(out)["password"]) >= 16


def test_unthrottle_deactivate_and_activate(app, alone):
    for args in (("users", "unthrottle", "admin", "--user", "owner"),
                 ("users", "deactivate", "employee", "--user", "owner", "--json"),
                 ("users", "activate", "employee", "--user", "owner", "--json")):
        assert same_answer(app, alone, *args)[0] == 0
    code, out, _ = beside_app(app, "users", "list", "--json")
    assert {u["login"]: u["active"] for u in json.loads(out)["users"]}["employee"] is True


def test_import_reads_the_file_from_the_callers_folder(app, alone, here):
    (here / "old.xlsx").write_bytes(xlsx([GOOD]))
    args = ("import", "old.xlsx", "--user", "owner", "--commit", "--json")
    code, out, err = beside_app(app, *args, cwd=here)
    assert (code, err) == (0, "")
    done = json.loads(out)
    assert (done["status"], done["imported"]) == ("committed", 1)
    assert (code, out, err) == alone(*args, cwd=here)
    code, out, _ = beside_app(app, "list", "--client", "New Client", "--json")
    assert json.loads(out)["total"] == 1


def test_export_writes_its_copy_in_the_callers_folder(app, alone, here):
    # Anna's bookings of 2024: not the one imported above, made at another moment there
    args = ("export", "--user", "admin", "--staff", "1", "--visit-to", "2024-12-31",
            "--out", "anna.xlsx", "--json")
    code, out, err = beside_app(app, *args, cwd=here)
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert (document["state"], document["out"]) == ("ready", "anna.xlsx")
    ours = xlsx_rows(here / "anna.xlsx")
    alone_dir = here / "alone"
    alone_dir.mkdir()
    code, out, _ = alone(*args, cwd=alone_dir)
    assert code == 0 and json.loads(out)["rows"] == document["rows"] > 0
    assert ours == xlsx_rows(alone_dir / "anna.xlsx")
    code, out, _ = beside_app(app, "log", "--kind", "export", "--json")
    (entry,) = [e for e in json.loads(out)["entries"] if e["id"] == document["log_id"]]
    assert entry["state"] == "ready"  # written once, by the command (not the worker too)


def test_commands_at_once_do_not_mix_their_output(app):
    results = {}

    def run(name, *args):
        results[name] = beside_app(app, *args)

    threads = [threading.Thread(target=run, args=(name, *args)) for name, args in
               (("list", ("list", "--json")), ("summary", ("summary", "--json")),
                ("catalog", ("catalog", "--json")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert json.loads(results["list"][1])["rows"]
    assert "facets" in json.loads(results["summary"][1])
    assert "staff" in json.loads(results["catalog"][1])


# --- refused, and what the app does not run ------------------------------------------------


@pytest.mark.parametrize("args", [
    ("delete", "1", "--user", "employee", "--json"),  # no right to delete
    ("edit", "1", "--user", "admin", "--set", "attendance=sometimes"),
    ("info", "999"),  # no such booking
], ids=" ".join)
def test_a_refusal_is_the_same_as_on_its_own(app, alone, args):
    code, out, err = same_answer(app, alone, *args)
    assert code == 1 and (out if "--json" in args else err)


def test_wrong_usage_is_said_by_the_command_itself(app):
    code, _, err = beside_app(app, "list", "--limit", "0")
    assert code == 2 and "a number of rows" in err


def test_init_and_demo_need_the_app_stopped(app):
    code, out, err = beside_app(app, "init")
    assert (code, out) == (3, "")
    assert str(app.held) in err and "stop the app first" in err
    code, out, _ = beside_app(app, "demo", "--bookings", "10", "--json")
    assert code == 3 and "stop the app first" in json.loads(out)["error"]


# --- when the app stops (last: it stops the module's app) -----------------------------------


def test_after_the_app_stops(app, held_store, capsys):
    code, _, _ = beside_app(app, "users", "reset-password", "owner", "--password-stdin",
                            stdin="the owner's new one\n")
    assert code == 0
    app.stop()
    assert not channel.socket_path(app.held).exists()  # removed on shutdown
    con = open_store(app.held)
    try:
        assert auth.sign_in(con, "owner", "the owner's new one").login == "owner"
    finally:
        con.close()
    with held_store(app.held):  # held, and no app answers: exit 3, as before
        code = main(["--db", str(app.held), "list", "--json"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert code == 3 and str(app.held) in error
    assert f"no running app answered on {channel.socket_path(app.held)}" in error


# --- the parts, without an app -------------------------------------------------------------


def test_only_the_owners_uid_is_let_in():
    assert channel.peer_allowed(1000, own_uid=1000)
    assert not channel.peer_allowed(1001, own_uid=1000)
    assert not channel.peer_allowed(0, own_uid=1000)  # not root either, on another's app
    assert not channel.peer_allowed(1000, own_uid=0)
    assert channel.peer_allowed(os.getuid())


def test_a_folder_others_may_write_to_gets_no_channel(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    for mode in (0o777, 0o1777, 0o775):
        folder.chmod(mode)
        assert "may be written by others" in channel.folder_problem(folder)
    folder.chmod(0o755)
    assert channel.folder_problem(folder) is None
    assert "belongs to uid" in channel.folder_problem(folder, own_uid=os.getuid() + 1)
    folder.chmod(0o777)
    listener = channel.Listener(folder / "bookings.duckdb.sock", lambda r: r)
    assert not listener.start()
    assert not (folder / "bookings.duckdb.sock").exists()


def echo(request: dict) -> dict:
    return {"code": 0, "stdout": json.dumps(request), "stderr": ""}


def test_a_listener_replaces_a_stale_socket_but_never_a_live_one(tmp_path):
    path = tmp_path / "bookings.duckdb.sock"
    stale = leave_stale_socket(path)
    first = channel.Listener(path, echo)
    assert first.start()
    try:
        assert path.stat().st_ino != stale
        assert not channel.Listener(path, echo).start()  # another app answers there
        request = {"argv": ["list"], "stdin": "", "cwd": "/"}
        assert json.loads(channel.ask(path, request)["stdout"]) == request
    finally:
        first.stop()
    assert not path.exists()


def test_a_file_that_is_not_a_socket_is_left_alone(tmp_path):
    path = tmp_path / "bookings.duckdb.sock"
    path.write_text("mine")
    assert not channel.Listener(path, echo).start()
    assert path.read_text() == "mine"


def test_a_long_folder_name_still_works(tmp_path):
    folder = tmp_path / ("x" * 80) / ("y" * 80)
    folder.mkdir(parents=True)
    path = folder / "bookings.duckdb.sock"
    listener = channel.Listener(path, echo)
    assert listener.start()
    try:
        assert channel.ask(path, {"argv": []})["code"] == 0
    finally:
        listener.stop()


def test_no_socket_no_app(tmp_path):
    with pytest.raises(channel.NoApp, match="no socket there"):
        channel.ask(tmp_path / "bookings.duckdb.sock", {})


def test_the_request_leaves_out_db():
    assert without_db(["--db", "x.duckdb", "list", "--json"]) == ["list", "--json"]
    assert without_db(["--json", "--db=x", "info", "3"]) == ["--json", "info", "3"]
    assert without_db(["--d", "x", "serve", "--db", "y"]) == ["serve", "--db", "y"]
    assert without_db(["list"]) == ["list"]


def test_in_the_app_a_reading_command_cannot_write(known_path):
    con = open_store(known_path)
    try:
        with reading_only(con.cursor()) as reader, pytest.raises(Exception, match="read-only"):
            reader.execute("UPDATE bookings SET comment = 'x'")
        answer = cli.answer({"argv": ["list", "--json"], "stdin": "", "cwd": "/"},
                            lambda: con, known_path)
        assert answer["code"] == 0 and json.loads(answer["stdout"])["total"] == 6
    finally:
        con.close()


EVERY_READER = [
    ("catalog",), ("list",), ("summary",), ("info", "3"), ("log",), ("users", "list"),
    ("interval", "show"), ("changes",),
    ("pivot", "--rows", "staff", "--cols", "payment", "--measure", "bookings"),
]


@pytest.mark.parametrize("args", EVERY_READER, ids=" ".join)
def test_every_reader_answers_in_the_app_as_alone(known_path, capsys, args):
    """In process, without an app: `answer` on an open connection, against `main` on the
    file. (The read-only transaction lets each one do all it does.)"""
    for as_json in ((), ("--json",)):
        assert main(["--db", str(known_path), *args, *as_json]) == 0
        out, err = capsys.readouterr()
        con = open_store(known_path)
        try:
            answered = cli.answer({"argv": [*args, *as_json], "stdin": "", "cwd": "/"},
                                  lambda: con, known_path)  # noqa: B023
        finally:
            con.close()
        assert answered == {"code": 0, "stdout": out, "stderr": err}


@pytest.mark.parametrize("request_", [{}, {"argv": "list", "cwd": "/"},
                                      {"argv": ["list"], "cwd": "relative"},
                                      {"argv": ["list"], "stdin": 3, "cwd": "/"}])
def test_a_malformed_request_is_wrong_usage(known_path, request_):
    answer = cli.answer(request_, lambda: pytest.fail("no store for a bad request"),
                        known_path)
    assert answer["code"] == 2 and answer["stdout"] == ""


def test_ctrl_c_ends_the_command_alone(store_path, held_store, monkeypatch, capsys):
    main(["--db", str(store_path), "init"])

    def interrupted(path, request):
        raise KeyboardInterrupt

    monkeypatch.setattr(channel, "ask", interrupted)
    with held_store(store_path):
        assert main(["--db", str(store_path), "list"]) == 130
    assert "interrupted" in capsys.readouterr().err
