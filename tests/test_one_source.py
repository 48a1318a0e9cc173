"""Each business rule has one source, and every user of it asks that source:
the list, the edit, the deletion, the pages and the CLI give the same answers."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from bookings import deletion, editing, listing
from bookings.auth import get_user
from bookings.errors import MissingRight, SignInRefused
from bookings.filters import PAID_FULL_SQL, BookingFilter
from tests import known_store

ROOT = Path(__file__).resolve().parent.parent
CODE = [p for folder in ("bookings", "pages", "ui") for p in (ROOT / folder).rglob("*.py")]


def written_in(pattern: str) -> set[str]:
    """The modules whose text matches PATTERN (a regex)."""
    return {str(p.relative_to(ROOT)) for p in CODE if re.search(pattern, p.read_text())}


@pytest.fixture
def store(con):
    known_store.build(con)
    return con


# --- paid in full ---------------------------------------------------------------------


def test_paid_in_full_is_written_once():
    assert written_in(r"paid\s*>=\s*b?\.?to_pay") == {"bookings/filters.py"}
    assert "to_pay > 0" in PAID_FULL_SQL


def test_the_list_the_edit_and_the_deletion_agree_on_paid_in_full(store):
    """Booking 2 is made paid in full; 4 has nothing to pay (neither paid nor unpaid)."""
    store.execute("UPDATE bookings SET paid = to_pay WHERE id = 2")
    paid = {i for (i,) in store.execute(
        "SELECT id FROM bookings b WHERE " + BookingFilter(payment="paid").where()[0]).fetchall()}
    assert paid == {1, 2, 5}
    admin = get_user(store, "admin")  # may edit and delete, not paid bookings
    draft, version = editing.current(store, 2)
    with pytest.raises(MissingRight, match="paid in full"):
        editing.save(store, admin, 2, editing.with_changes(draft, comment="x"),
                     started_from=draft, version=version)
    draft, version = editing.current(store, 4)
    editing.save(store, admin, 4, editing.with_changes(draft, comment="x"),
                 started_from=draft, version=version)
    result = deletion.delete_bookings(store, admin, [2, 4])
    assert result.deleted == [4]
    assert [(s["id"], s["reason"].split(":")[0]) for s in result.skipped] == [(2, "paid in full")]


# --- phone masking --------------------------------------------------------------------

PHONES = ["", "1", "12", "123", "1234", "12345", "123456", "12123445678", "447700900123",
          "380501112233", "123456789012345"]


def test_masking_in_sql_and_in_python_agree():
    sql = listing.masked_phone_sql("phone")
    masked = duckdb.connect().execute(
        f"SELECT phone, {sql} FROM (SELECT unnest(?) AS phone)", [PHONES]).fetchall()
    assert {phone: listing.mask_phone(phone) for phone in PHONES} == dict(masked)
    assert listing.mask_phone("12123445678") == "12*******78"


def test_phones_are_masked_in_one_place():
    assert written_in(r"repeat\('\*'") == {"bookings/listing.py"}
    assert written_in(r'"\*" \*') == {"bookings/listing.py"}


# --- the catalogue ----------------------------------------------------------------------

WHOLE_TABLE_READ = (r"SELECT id[^\"]*FROM (staff|services|service_categories|booking_categories)"
                    r"(\s+ORDER BY \w+)?\"")


def test_the_catalogue_is_read_in_one_place():
    assert written_in(WHOLE_TABLE_READ) == {"bookings/catalog.py"}


def test_every_reader_of_the_catalogue_sees_the_same(store):
    from bookings import catalog, history_words
    from bookings.uploads.rules import Catalog

    store.execute("UPDATE staff SET name = 'Anna Jones', active = FALSE WHERE id = 1")
    store.execute("UPDATE services SET title = 'Cut', price = 512.5 WHERE id = 10")
    staff = catalog.staff_names(store)
    assert staff == {1: "Anna Jones", 2: "Ben Brown"}
    assert listing.names(store).staff == staff
    assert history_words.catalogue_names(store).staff == staff
    checks = Catalog.load(store)
    assert checks.staff == staff and checks.inactive_staff == {1}
    assert checks.services[10] == ("Cut", 1, 512.5)
    assert history_words.catalogue_names(store).services[10] == "Cut"
    assert listing.names(store).service_categories == catalog.service_category_titles(store)
    assert listing.names(store).booking_categories == catalog.booking_category_titles(store)


# --- money ------------------------------------------------------------------------------


def test_amounts_are_normalised_in_one_place():
    assert written_in(r"quantize\(") == {"bookings/values.py"}
    # bookings/cli/bookings.py rounds a duration in seconds, not money; dialects.py
    # teaches PostgreSQL DuckDB's printf('%.2f') (SQL formatting, no rule of money).
    to_cents = r"round\([^()\n]*(\([^()\n]*\))?[^()\n]*, 2\)"
    assert written_in(to_cents) <= {"bookings/values.py", "bookings/cli/bookings.py",
                                    "bookings/dialects.py"}
    assert written_in(r"int\(\w+\) if \w+\.is_integer\(\) else \w+\b(?!:)") == {
        "bookings/values.py"}


@pytest.mark.parametrize("text", ["0", "12345.67", "0.1", "2.67", "9999999.99", "450.5"])
def test_the_upload_the_form_and_settings_keep_the_same_cents(text):
    from decimal import Decimal

    from bookings.admin.settings import price_of
    from bookings.values import parse_amount, plain_amount, to_cent

    uploaded = parse_amount(text)
    assert uploaded == to_cent(float(text)) == float(price_of(text))
    assert price_of(text) == to_cent(Decimal(text))
    assert plain_amount(price_of(text)) == plain_amount(uploaded)


@pytest.mark.parametrize("text", ["1.234", "0.001"])
def test_more_than_cents_is_refused_alike(text):
    from bookings.admin.settings import price_of
    from bookings.errors import Refused
    from bookings.values import parse_amount

    with pytest.raises(ValueError, match="more than 2 decimals"):
        parse_amount(text)
    with pytest.raises(Refused, match="more than 2 decimals"):
        price_of(text)


# --- the settings right and the change log's differences --------------------------------


def test_settings_and_users_share_the_right_check_and_the_differences(store):
    from bookings.admin import changelog, settings, users

    assert written_in(r"def _allowed|def _differences") == set()
    admin = get_user(store, "admin")  # no settings right
    with pytest.raises(MissingRight):
        settings.add_staff(store, admin, "Cleo")
    with pytest.raises(MissingRight):
        users.set_role(store, admin, "employee", users.Role.ADMINISTRATOR)
    owner = get_user(store, "owner")
    users.set_scope(store, owner, "employee", "all")
    settings.rename_staff(store, owner, 2, "Ben Browne")
    user_change, staff_change = changelog.entries(store, limit=2)[::-1]
    assert (user_change["old"], user_change["new"]) == ({"scope": "own"}, {"scope": "all"})
    assert (staff_change["old"], staff_change["new"]) == ({"name": "Ben Brown"},
                                                          {"name": "Ben Browne"})
    assert changelog.differences({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})


# --- adding a user -----------------------------------------------------------------------


def test_a_user_is_made_in_one_place():
    assert written_in(r"\binsert_user\(con") == {"bookings/auth.py"}
    assert written_in(r"INSERT INTO users\b") == {"bookings/auth.py"}


def test_settings_and_the_direct_way_add_the_same_user_and_refuse_alike(con, owner):
    from bookings import auth
    from bookings.admin import changelog, users
    from bookings.errors import Refused
    from bookings.model import Role

    direct, _ = auth.add_user(con, "kate", Role.EMPLOYEE, name=" Kate ", email="k@example.com")
    settled, _ = users.add_user(con, owner, "lena", Role.EMPLOYEE, name=" Kate ",
                                email="k@example.com")
    assert direct.as_json() | {"login": "lena"} == settled.as_json()
    assert [e["subject_id"] for e in changelog.entries(con)] == ["lena"]  # Settings records
    for add in (lambda **kw: auth.add_user(con, role=Role.EMPLOYEE, **kw),
                lambda **kw: users.add_user(con, owner, role=Role.EMPLOYEE, **kw)):
        with pytest.raises(Refused, match="taken"):
            add(login="kate")
        with pytest.raises(Refused, match="one word"):
            add(login="two words")
        with pytest.raises(Refused, match="at least 8"):
            add(login="short", password="abc")
        with pytest.raises(Refused, match="Email"):
            add(login="mail", email="a@b.c, d@e.f")
    assert [e["subject_id"] for e in changelog.entries(con)] == ["lena"]


# --- the system actor ----------------------------------------------------------------------


def test_none_no_longer_means_everything_in_the_domain():
    """Who sees everything is SYSTEM, by its rights; `model.acting` alone maps the
    command line's None to it until bookings/cli.py passes SYSTEM itself."""
    for module in ("listing", "datalog", "history", "admin/changelog", "admin/users",
                   "admin/settings", "editing", "exports/jobs"):
        text = (ROOT / "bookings" / f"{module}.py").read_text()
        everything = (r"(user|viewer|actor) is None or (user|viewer|actor)\.(can|viewing)"
                      r"|(user|viewer|actor) is not None( and|:)")
        assert not re.search(everything, text), module
        # datalog.record_fetch's user None is a fetch through the emailed link: nobody.
        assert not re.search(r"(user|viewer|actor): User \| None(?! = None)", text), module


def test_the_system_sees_everything_and_is_nobody(store):
    from bookings import auth, datalog, history
    from bookings.admin import changelog, settings
    from bookings.model import SYSTEM, Right

    assert SYSTEM.is_system
    assert all(SYSTEM.can(right) for right in Right)
    everything = BookingFilter()
    assert {r["id"] for r in listing.page(store, SYSTEM, everything)} == known_store.ALL
    assert listing.count(store, SYSTEM, everything) == len(known_store.ALL)
    assert listing.limits_where(SYSTEM) == (None, [])
    assert listing.phone_sql(SYSTEM) == "c.phone"
    assert history.booking_info(store, 1, SYSTEM)["booking"]["client_phone"] == "12123445678"
    assert datalog.sees_everyone(SYSTEM)
    settings.add_staff(store, SYSTEM, "Cleo")
    assert changelog.entries(store, limit=1)[0]["actor"] is None  # recorded with no actor
    assert auth.get_user(store, SYSTEM.login) is None
    assert store.execute("SELECT count(*) FROM users WHERE id = ?", [SYSTEM.id]).fetchone() == (0,)
    with pytest.raises(SignInRefused):  # never a person who signs in
        auth.sign_in(store, SYSTEM.login, "anything at all")


# --- the upload's commit ---------------------------------------------------------------


def test_the_pages_offer_the_commit_by_the_domains_rule():
    assert written_in(r"counts\[\"ready\"\] > 0") == set()
    for page in ("pages/upload.py", "ui/settings_services_upload.py"):
        assert "result.can_commit(" in (ROOT / page).read_text()


@pytest.mark.parametrize("errors, joined, skip, previous, force, refusal, offered", [
    (set(), set(), False, None, False, None, True),
    ({2}, set(), False, None, False, "1 row has errors", False),
    ({2}, set(), True, None, False, None, True),
    ({1, 2, 3}, set(), True, None, False, "no valid row", False),
    ({1}, {2, 3}, True, None, False, "no valid row", False),
    (set(), set(), False, {"batch": 1}, False, None, False),
    (set(), set(), False, {"batch": 1}, True, None, True),
])
def test_what_the_page_offers_is_what_the_commit_accepts(errors, joined, skip, previous, force,
                                                          refusal, offered):
    from bookings.uploads.batch import (
        FilePreview,
        Issue,
        UploadRefused,
        refuse_errors_unless_skipped,
    )

    preview = FilePreview(batch_id=1, file_name="f.xlsx", sha256="", sheet=None, rows=3,
                          issues=[Issue(r, "date", "bad") for r in errors], joined=joined,
                          previous=previous)
    assert preview.can_commit(skip_invalid=skip, force_duplicate_file=force) is offered
    found = preview.commit_refusal(skip)
    assert (found is None) if refusal is None else (refusal in found)
    if refusal:
        with pytest.raises(UploadRefused, match=refusal):
            refuse_errors_unless_skipped(preview, skip)


# --- no price means the list price; the default length ------------------------------------


def test_the_calendar_leaves_prices_and_lengths_to_the_domain():
    calendar = (ROOT / "pages" / "calendar.py").read_text()
    assert "editing.with_list_prices(" in calendar and "editing.new_booking_length(" in calendar
    assert not re.search(r"\b(900|15)\b", calendar)
    assert not re.search(r"\]\[\"price\"\]", calendar)  # no list price looked up by the page


def test_no_price_means_the_list_price_for_the_form_and_the_cli(store, store_path, capsys):
    from bookings.cli import main

    assert editing.with_list_prices(store, [(10, None, 0.0), (20, 250.0, 10.0), (99, None, 0)]
                                    ) == ((10, 500.0, 0.0), (20, 250.0, 10.0), (99, 0.0, 0))
    assert main(["--db", str(store_path), "edit", "4", "--user", "owner", "--set",
                 "services=10,20:250:10", "--json"]) == 0
    lines = store.execute("SELECT service_id, cost, discount FROM booking_services "
                          "WHERE booking_id = 4 ORDER BY line_no").fetchall()
    assert [(s, float(c), float(d)) for s, c, d in lines] == [(10, 500.0, 0.0), (20, 250.0, 10.0)]


def test_a_new_booking_lasts_its_services_and_at_least_the_default(store):
    from bookings.uploads.rules import DEFAULT_LENGTH_S

    assert editing.new_booking_length(store, []) == DEFAULT_LENGTH_S == 15 * 60
    assert editing.new_booking_length(store, [10, 20]) == 3600 + 2700
    assert editing.LENGTH_STEP_MIN * 60 == DEFAULT_LENGTH_S


# --- what "Delete all matching" may take -----------------------------------------------------


def test_the_list_page_asks_the_domain_what_can_be_deleted():
    page = (ROOT / "pages" / "bookings_list.py").read_text()
    assert "deletion.matching_deletable(" in page
    assert "is_empty()" not in page and 'cancelled="no"' not in page


def test_delete_all_matching_is_offered_by_one_rule(store):
    owner, employee = get_user(store, "owner"), get_user(store, "employee")
    assert deletion.matching_deletable(store, owner, BookingFilter()) is None  # needs a filter
    assert deletion.matching_deletable(store, employee, BookingFilter(staff=(2,))) == 0
    assert deletion.matching_deletable(store, owner, BookingFilter(cancelled="yes")) == 0
    anna = BookingFilter(staff=(1,))
    offered = deletion.matching_deletable(store, owner, anna)
    assert offered == 1  # bookings 1, 3, 5: 3 and 5 are cancelled already
    # Booking 1 is paid and Arrived: the owner may delete it, so all that was offered goes.
    assert len(deletion.delete_matching(store, owner, anna).deleted) == offered
