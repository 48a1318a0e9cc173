"""The settings commands of `bookings`: what a script needs to set up a salon."""

from __future__ import annotations

import io
import json

import pytest

from bookings.cli import main
from tests.helpers import CUT, NAILS, file_of


@pytest.fixture
def run(store_path, capsys, monkeypatch):
    """run(*args, stdin="") -> (exit code, the JSON document printed, stderr)."""

    def run_cli(*args, stdin=""):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--db", str(store_path), *args, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out), err

    return run_cli


@pytest.fixture
def boss(run):
    assert run("users", "add", "boss", "--role", "owner", "--password-stdin",
               stdin="boss's secret\n")[0] == 0
    return "boss"


def test_a_script_sets_up_staff_services_categories_and_the_interval(run, boss):
    assert run("staff", "add", "Anna Smith", "--specialization", "Hair", "--user", boss)[1] == {
        "employee": {"id": 1, "name": "Anna Smith", "specialization": "Hair", "active": True}}
    code, document, _ = run("services", "add", "Haircut", "--category", "Hair", "--price", "55.5",
                            "--duration-min", "60", "--user", boss)
    assert code == 0 and document == {
        "service": {"id": 1, "title": "Haircut", "category_id": 1, "price": 55.5,
                    "duration_s": 3600, "active": True}, "category_created": True}
    assert run("services", "add", "Trim", "--category", "hair", "--price", "20",
               "--duration-min", "15", "--user", boss)[1]["category_created"] is False
    assert run("categories", "add", "VIP", "--color", "#C2185B", "--user", boss)[1] == {
        "booking_category": {"id": 5, "title": "VIP", "color": "#c2185b", "builtin": False}}
    assert run("interval", "set", "5", "--user", boss)[1] == {"booking_interval_min": 5}
    catalog = run("catalog")[1]
    assert [s["title"] for s in catalog["services"]] == ["Haircut", "Trim"]
    assert catalog["booking_interval_min"] == 5
    changes = run("changes")[1]["changes"]
    assert [(c["actor"], c["subject"], c["action"]) for c in changes][:2] == [
        ("boss", "booking interval", "changed"), ("boss", "booking category", "added")]


def test_staff_remove_deactivate_activate_rename(run, boss):
    run("staff", "add", "Anna Smith", "--user", boss)
    assert run("staff", "deactivate", "1", "--user", boss)[1]["employee"]["active"] is False
    assert run("staff", "activate", "1", "--user", boss)[1]["employee"]["active"] is True
    renamed = run("staff", "rename", "1", "Anna Jones", "--user", boss)[1]["employee"]
    assert renamed["name"] == "Anna Jones"
    assert run("staff", "remove", "1", "--user", boss)[1] == {"id": 1, "outcome": "deleted"}


def test_services_edit_and_deactivate(run, boss):
    run("services", "add", "Haircut", "--category", "Hair", "--price", "55", "--duration-min",
        "60", "--user", boss)
    edited = run("services", "edit", "1", "--price", "60", "--duration-min", "45", "--user",
                 boss)[1]["service"]
    assert (edited["price"], edited["duration_s"]) == (60, 2700)
    assert run("services", "deactivate", "1", "--user", boss)[1]["service"]["active"] is False
    code, document, _ = run("services", "edit", "1", "--category", "Nope", "--user", boss)
    assert (code, document) == (1, {"error": "There is no service category 'Nope'."})


def test_services_import_previews_then_commits(run, boss, tmp_path):
    file = tmp_path / "price-list.xlsx"
    file.write_bytes(file_of(CUT, NAILS))
    code, preview, _ = run("services", "import", str(file), "--user", boss)
    assert (code, preview["status"], preview["ready"]) == (0, "previewed", 2)
    assert preview["new_categories"] == ["Hair", "Nails"]
    code, done, _ = run("services", "import", str(file), "--user", boss, "--commit")
    assert (code, done["status"], done["added"], done["categories_created"]) == (
        0, "committed", 2, ["Hair", "Nails"])
    code, again, _ = run("services", "import", str(file), "--user", boss, "--commit")
    assert (code, again["status"]) == (1, "refused") and "imported before" in again["reason"]


@pytest.mark.parametrize("args, message", [
    (("services", "add", "X", "--category", "Hair", "--price", "5", "--duration-min", "7"),
     "multiple of 5 minutes"),
    (("categories", "edit", "1", "--title", "Paid"), "built in"),
    (("categories", "remove", "2"), "cannot be removed"),
    (("users", "role", "boss", "employee"), "last active owner"),
    (("users", "deactivate", "boss"), "last active owner"),
])
def test_refusals_exit_1_with_the_reason(run, boss, args, message):
    code, document, _ = run(*args, "--user", boss)
    assert code == 1 and message in document["error"]


def test_without_the_settings_right_a_change_is_refused(run, boss):
    run("users", "add", "kate", "--role", "administrator", "--user", boss)
    code, document, _ = run("staff", "add", "Zoe", "--user", "kate")
    assert code == 1 and "manage_settings" in document["error"]


def test_users_role_activate_and_reset_password(run, boss):
    run("users", "add", "kate", "--role", "employee", "--user", boss)
    assert run("users", "role", "kate", "administrator", "--user", boss)[1]["user"]["role"] == (
        "administrator")
    assert run("users", "deactivate", "kate", "--user", boss)[1]["user"]["active"] is False
    assert run("users", "activate", "kate", "--user", boss)[1]["user"]["active"] is True
    reset = run("users", "reset-password", "kate", "--user", boss)[1]
    assert reset["login"] == "kate" and len(reset["password"]) >= 16
    assert run("users", "revoke", "boss", "manage_settings")[0] == 1  # the last owner, again
    actions = [c["action"] for c in run("changes", "--subject", "user")[1]["changes"]]
    assert actions == ["password reset", "reactivated", "deactivated", "role changed", "added",
                       "added"]
