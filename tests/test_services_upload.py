"""Uploading services from Excel: the bookings upload's preview-then-commit
machinery over title, category, price and duration."""

from __future__ import annotations

import io
import threading

import pytest
from openpyxl import load_workbook

from bookings import catalog
from bookings.admin import changelog, settings
from bookings.errors import Forbidden
from bookings.model import Role
from bookings.uploads import batch, services_import
from bookings.uploads.batch import UploadRefused
from bookings.uploads.sheet import failed_rows_xlsx, read_sheet
from tests.helpers import CUT, NAILS, SERVICE_HEADERS, file_of


@pytest.fixture
def owner(make_user):
    return make_user(Role.OWNER, "owner")[0]


def check(con, owner, **changes):
    return services_import.preview(con, owner, file_of({**CUT, **changes}), "services.xlsx")


RULES = [
    ({}, "warning", "Category", "'Hair' is a new category: the upload creates it"),
    ({"Title": None}, "error", "Title", "is mandatory"),
    ({"Title": "x" * 101}, "error", "Title", "at most 100"),
    ({"Category": " "}, "error", "Category", "is mandatory"),
    ({"Price": None}, "error", "Price", "is mandatory"),
    ({"Price": -1}, "error", "Price", "-1 is negative"),
    ({"Price": "cheap"}, "error", "Price", "'cheap' is not a number"),
    ({"Price": "10.123"}, "error", "Price", "more than 2 decimals"),
    ({"Duration (minutes)": None}, "error", "Duration (minutes)", "is mandatory"),
    ({"Duration (minutes)": 0}, "error", "Duration (minutes)", "not between 1 and 1440"),
    ({"Duration (minutes)": 2000}, "error", "Duration (minutes)", "not between 1 and 1440"),
    ({"Duration (minutes)": "long"}, "error", "Duration (minutes)", "not a number of minutes"),
    ({"Duration (minutes)": 47}, "warning", "Duration (minutes)", "47 min rounded up to 50"),
]


@pytest.mark.parametrize("changes, level, column, message", RULES)
def test_each_rule(con, owner, changes, level, column, message):
    result = check(con, owner, **changes)
    matching = [i for i in result.issues if i.column == column and message in i.message]
    assert matching, result.issues
    assert (matching[0].level, matching[0].row) == (level, 2)
    assert result.counts()["with_errors"] == (1 if level == "error" else 0)


def test_a_title_twice_in_the_file_is_flagged(con, owner):
    result = services_import.preview(con, owner, file_of(CUT, NAILS, {**CUT, "Price": 1}),
                                     "twice.xlsx")
    assert [(i.row, i.message) for i in result.issues if i.level == "error"] == [
        (4, "repeats row 2")]


def test_headers_any_order_and_case_or_none_at_all(con, owner):
    shuffled = file_of(["Hair", 60, "Haircut", 500], headers=["category", "MINUTES", "service",
                                                               "cost"])
    assert services_import.preview(con, owner, shuffled, "a.xlsx").services[0].title == "Haircut"
    positional = file_of(list(CUT.values()), headers=None)
    result = services_import.preview(con, owner, positional, "b.xlsx")
    assert [s.title for s in result.services] == ["Haircut"]
    assert "template's order" in result.notices[0]


def test_a_file_without_the_columns_is_refused(con, owner):
    with pytest.raises(UploadRefused, match="Missing columns: Price, Duration"):
        services_import.preview(con, owner, file_of(["Cut", "Hair"], headers=["Title",
                                                                             "Category"]), "x")


def test_the_preview_changes_nothing(con, owner):
    check(con, owner)
    assert catalog.services(con) == [] and catalog.service_categories(con) == []


def test_commit_creates_the_categories_once_and_adds_the_services(con, owner):
    data = file_of(CUT, NAILS, {**CUT, "Title": "Blow-dry", "Price": 35, "Category": "hair"})
    result = services_import.preview(con, owner, data, "price-list.xlsx")
    assert result.new_categories == ["Hair", "Nails"]
    done = services_import.commit(con, owner, result)
    assert done.summary() == "3 services added, 0 updated; new categories: Hair, Nails " \
                             f"(batch {result.batch_id})."
    assert [c["title"] for c in catalog.service_categories(con)] == ["Hair", "Nails"]
    services = {s["title"]: s for s in catalog.services(con)}
    assert services["Manicure"]["price"] == 300.5 and services["Manicure"]["duration_s"] == 2700
    assert services["Blow-dry"]["category_id"] == services["Haircut"]["category_id"]
    entries = changelog.entries(con)
    assert entries[0]["action"] == "uploaded" and entries[0]["subject_name"] == "price-list.xlsx"
    assert sorted((e["subject"], e["action"]) for e in entries[1:]) == [
        ("service", "added")] * 3 + [("service category", "added")] * 2


def test_a_known_title_updates_that_service_and_says_what_changes(con, owner):
    hair = settings.add_service_category(con, owner, "Hair")["id"]
    cut = settings.add_service(con, owner, "Haircut", hair, 500, 60)
    nails = settings.add_service(con, owner, "Manicure", hair, 300.5, 45)
    result = services_import.preview(con, owner, file_of(
        {**CUT, "Title": "haircut", "Price": 550}, {**NAILS, "Category": "Hair"}), "again.xlsx")
    assert [i.message for i in result.issues] == [
        f"updates service {cut['id']}: title Haircut → haircut; price 500 → 550",
        f"service {nails['id']} already has these values; left as it is"]
    done = services_import.commit(con, owner, result)
    assert (done.details["added"], done.details["updated"], done.details["unchanged"]) == (
        0, 1, 1)
    assert float(settings.update_service(con, owner, cut["id"])["price"]) == 550


def test_errors_need_a_choice_then_only_valid_rows_go_in(con, owner):
    result = services_import.preview(con, owner, file_of(CUT, {**NAILS, "Price": "x"}), "m.xlsx")
    with pytest.raises(UploadRefused, match="1 row has errors"):
        services_import.commit(con, owner, result)
    done = services_import.commit(con, owner, result, skip_invalid=True)
    assert (done.details["added"], done.left_out) == (1, [3])


def test_a_batch_is_committed_once_even_on_two_clicks_at_once(con, owner):
    result = check(con, owner)
    outcomes = []

    def click():
        try:
            outcomes.append(services_import.commit(con.cursor(), owner, result))
        except UploadRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(o, batch.Committed) for o in outcomes) == 1
    assert len(catalog.services(con)) == 1
    with pytest.raises(UploadRefused, match="imported already"):
        services_import.commit(con, owner, result)


def test_the_same_file_again_needs_an_explicit_yes(con, owner):
    data = file_of(CUT)
    services_import.commit(con, owner, services_import.preview(con, owner, data, "a.xlsx"))
    again = services_import.preview(con, owner, data, "a.xlsx")
    assert again.previous["by"] == "owner"
    with pytest.raises(UploadRefused, match="imported before: batch 1 by owner"):
        services_import.commit(con, owner, again)
    done = services_import.commit(con, owner, again, force_duplicate_file=True)
    assert done.details["unchanged"] == 1


def test_the_commit_checks_again_against_the_catalogue_as_it_is_then(con, owner):
    result = services_import.preview(con, owner, file_of(CUT, NAILS), "services.xlsx")
    settings.add_service_category(con, owner, "Hair")  # the upload would create it too
    done = services_import.commit(con, owner, result)
    assert done.details["categories_created"] == ["Nails"]  # Hair is used, not made twice
    assert [c["title"] for c in catalog.service_categories(con)] == ["Hair", "Nails"]
    assert con.execute("SELECT state FROM import_batches").fetchone() == ("committed",)


def test_only_the_settings_right_uploads_services(con, owner, make_user):
    administrator, _ = make_user(Role.ADMINISTRATOR)
    with pytest.raises(Forbidden, match="may not manage users, rights"):
        services_import.preview(con, administrator, file_of(CUT), "x.xlsx")


def test_the_rows_to_fix_file_has_the_services_columns(con, owner):
    result = services_import.preview(con, owner, file_of(CUT, {**NAILS, "Price": -3}), "m.xlsx")
    sheet = load_workbook(io.BytesIO(failed_rows_xlsx(result.sheet, result.issues,
                                                      result.error_rows))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*SERVICE_HEADERS, "Error") and len(rows) == 2
    assert rows[1][0] == "Manicure" and "row 3, Price" in rows[1][-1]
    assert sheet.cell(2, 3).comment is not None


def test_the_template_reads_back_and_its_examples_upload(con, owner):
    data = services_import.template_xlsx()
    assert list(read_sheet(data, services_import.SERVICES_FILE).header) == SERVICE_HEADERS
    result = services_import.preview(con, owner, data, "template.xlsx")
    assert result.counts() == {"rows": 2, "ready": 2, "with_warnings": 2, "with_errors": 0}
