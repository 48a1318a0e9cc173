"""`bookings import` on files other programs wrote: its JSON contract, and the
second wave's additions (.csv/.xls/.ods, --sheet, --duration-unit, "sheet")."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bookings.cli import main
from bookings.store import open_store
from tests import known_store
from tests.helpers import GOOD, xlsx

FILES = Path(__file__).parent / "files"
PREVIEW_KEYS = {"status", "batch", "file_sha256", "sheet", "rows", "ready", "with_warnings",
                "with_errors", "errors", "warnings", "notices"}


@pytest.fixture
def run(store_path, capsys, monkeypatch):
    """run(*args) -> (exit code, the JSON document printed)."""
    con = open_store(store_path)
    known_store.build(con)
    con.close()

    def run_cli(*args):
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(["--db", str(store_path), *args, "--json"])
        out, _ = capsys.readouterr()
        return code, json.loads(out)

    return run_cli


@pytest.mark.parametrize("name", ["basic.lo-en.xls", "basic.lo-de.ods", "basic.gnumeric.ods",
                                  "csv.lo-ru-cp1251.csv", "csv.excel-utf8-bom.csv"])
def test_import_reads_xls_ods_and_csv(run, tmp_path, name):
    code, preview = run("import", str(FILES / name), "--user", "owner")
    assert code == 0 and set(preview) == PREVIEW_KEYS
    assert (preview["status"], preview["ready"], preview["with_errors"]) == ("previewed", 3, 0)
    code, done = run("import", str(FILES / name), "--user", "owner", "--commit")
    assert (code, done["status"], done["imported"], done["left_out"]) == (0, "committed", 3, [])
    assert {"log_id", "batch", "sheet"} <= set(done)


def test_import_names_the_sheet_and_takes_another(run, tmp_path):
    code, preview = run("import", str(FILES / "notes_sheet.lo-en.xlsx"), "--user", "owner")
    assert (code, preview["sheet"], preview["ready"]) == (0, "Bookings", 2)
    assert preview["notices"][0] == "Read the sheet 'Bookings'."
    code, refused = run("import", str(FILES / "notes_sheet.lo-en.xlsx"), "--user", "owner",
                        "--sheet", "Notes")
    assert code == 1 and "sheet 'Notes' has no header row" in refused["error"]


def test_two_matching_sheets_read_the_first_and_name_the_other(run, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for title, name in (("March", "Ann"), ("April", "Bob")):
        sheet = book.active if title == "March" else book.create_sheet(title)
        sheet.title = title
        sheet.append(list(GOOD))
        sheet.append([name if h == "Client name" else v for h, v in GOOD.items()])
    file = tmp_path / "two.xlsx"
    book.save(file)
    code, preview = run("import", str(file), "--user", "owner")
    assert preview["sheet"] == "March"
    assert "These sheets have the columns too: 'April'" in preview["notices"][0]
    code, april = run("import", str(file), "--user", "owner", "--sheet", "April", "--commit")
    assert (code, april["sheet"], april["imported"]) == (0, "April", 1)


def test_duration_unit_minutes(run, tmp_path):
    file = tmp_path / "minutes.xlsx"
    file.write_bytes(xlsx([{**GOOD, "Duration": 60},
                           {**GOOD, "Date": "05.01.2026 10:30", "Duration": 45}]))
    code, preview = run("import", str(file), "--user", "owner")
    assert preview["with_errors"] == 2
    assert "did you mean 60 minutes" in preview["errors"][0]["message"]
    code, done = run("import", str(file), "--user", "owner", "--duration-unit", "minutes",
                     "--commit")
    assert (code, done["imported"]) == (0, 2)


def test_the_far_cell_file_is_refused_with_exit_1(run, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "Date"
    book.active["XFD1048576"] = "x"
    file = tmp_path / "far.xlsx"
    book.save(file)
    code, refused = run("import", str(file), "--user", "owner")
    assert code == 1 and "reaches row 1,048,576 and column 16,384" in refused["error"]


def test_a_csv_under_another_extension_is_named(run, tmp_path):
    file = tmp_path / "bookings.dat"
    shutil.copy(FILES / "csv.pandas.csv", file)
    code, refused = run("import", str(file), "--user", "owner")
    assert code == 1 and "Name it .csv" in refused["error"]
