"""Uploading a list of services from Excel: title, category, price, duration.

The bookings upload's machinery, not a copy of it: the same header matching
and typed reading (`upload_file`), the same problems per row and column
(`Issue`), the same preview-then-commit batch that commits exactly once
(`upload_batch`), the same file of the rows to fix. What differs is the rows:

- an unknown category is created with the upload, and a warning says so: a
  salon setting up from its price list has no categories yet, and refusing
  every row for it would only send the owner to type them in first;
- a title already in Settings > Services updates that service (a price list
  uploaded again), and a warning says what changes; one with nothing to
  change is left as it is;
- a duration is rounded up to a multiple of 5 minutes, with a warning, as the
  bookings upload rounds its durations up.

Only users with the settings right upload services. The commit is recorded in
the settings change log, one entry per service and category and one for the
file; it is not a bookings upload, so the Data log does not list it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bookings import catalog, changelog, settings, upload_batch
from bookings.auth import User
from bookings.changelog import SettingsRefused
from bookings.history import new_operation_id
from bookings.model import Right
from bookings.store import Connection
from bookings.upload_batch import FilePreview, Issue, UploadRefused
from bookings.upload_file import (
    FileLayout,
    FileRefused,
    Sheet,
    cell_blank,
    cell_number,
    cell_text,
    fold,
    layout_template_xlsx,
    read_sheet,
)

KIND = "services"  # these uploads' import batches
COLUMNS = (
    ("title", "Title", ("title", "service", "service title", "name", "name of service",
                        "service name")),
    ("category", "Category", ("category", "service category", "category title", "group")),
    ("price", "Price", ("price", "cost", "price of service")),
    ("duration", "Duration (minutes)", ("duration minutes", "duration min", "duration",
                                        "minutes", "length")),
)
SERVICES_FILE = FileLayout(COLUMNS, required=(("title",), ("category",), ("price",),
                                              ("duration",)),
                           noun="services", header_min=2)
HEADERS = SERVICES_FILE.headers
EXAMPLE_ROWS = [["Women's haircut", "Hair", 55, 60], ["Manicure", "Nails", 30, 45]]
EXPLANATIONS = {
    "title": "Mandatory, once per file. A title already in Settings > Services updates that "
             "service; any other adds one.",
    "category": "Mandatory. A category not in Settings > Services yet is created.",
    "price": "Mandatory. 0 or more, at most 2 decimals.",
    "duration": "Mandatory, in minutes; rounded up to a multiple of 5, at most 1440 (a day).",
}


@dataclass
class ParsedService:
    row: int
    title: str
    category: str  # its title, as in Settings (or as in the file, when new)
    category_id: int | None  # None: created with the upload
    price: Decimal
    duration_min: int
    existing: dict | None = None  # the service of the same title, updated
    unchanged: bool = False


@dataclass
class ServicesPreview(FilePreview):
    services: list[ParsedService] = field(default_factory=list)  # the valid rows

    @property
    def new_categories(self) -> list[str]:
        """As first written in the file; 'hair' further down is the same category."""
        first: dict[str, str] = {}
        for service in self.services:
            if service.category_id is None:
                first.setdefault(fold(service.category), service.category)
        return list(first.values())


@dataclass
class ServicesCommitted:
    batch_id: int
    added: int
    updated: int
    unchanged: int
    categories_created: list[str]
    left_out: list[int]

    def summary(self) -> str:
        text = f"{self.added:,} service(s) added, {self.updated:,} updated"
        if self.unchanged:
            text += f", {self.unchanged:,} unchanged"
        if self.categories_created:
            text += f"; new categories: {', '.join(self.categories_created)}"
        if self.left_out:
            text += f"; {len(self.left_out):,} row(s) left out"
        return text + f" (batch {self.batch_id})."

    def as_json(self) -> dict:
        return {"status": "committed", "batch": self.batch_id, "added": self.added,
                "updated": self.updated, "unchanged": self.unchanged,
                "categories_created": self.categories_created, "left_out": self.left_out}


def template_xlsx() -> bytes:
    return layout_template_xlsx(SERVICES_FILE, "Services", EXAMPLE_ROWS, EXPLANATIONS,
                                widths=(30, 20, 10, 20))


# --- one row --------------------------------------------------------------------------


class _Row(upload_batch.RowChecks):
    """Checks one row of a services file against what the salon has."""

    HEADERS = HEADERS

    def __init__(self, known: _Known, sheet: Sheet, number: int, cells: list):
        super().__init__(sheet, number, cells)
        self.known = known

    def parse(self) -> ParsedService | None:
        title, category = self.title(), self.category()
        price, duration = self.price(), self.duration()
        if self.has_errors():
            return None
        parsed = ParsedService(self.number, title, category[0], category[1], price, duration)
        self.compare_with_existing(parsed)
        return parsed

    def title(self) -> str | None:
        title = " ".join(cell_text(self.cell("title")).split())
        if not title:
            return self.error("title", "is mandatory")
        if len(title) > settings.NAME_MAX:
            return self.error("title", f"has {len(title)} characters; at most "
                                       f"{settings.NAME_MAX}")
        return title

    def category(self) -> tuple[str, int | None]:
        title = " ".join(cell_text(self.cell("category")).split())
        if not title:
            self.error("category", "is mandatory")
            return "", None
        known = self.known.categories.get(fold(title))
        if known is None:
            self.warn("category", f"'{title}' is a new category: the upload creates it")
            return title, None
        return known["title"], known["id"]

    def price(self) -> Decimal | None:
        raw = self.cell("price")
        if cell_blank(raw):
            return self.error("price", "is mandatory")
        try:
            return settings.price_of(cell_text(raw))
        except SettingsRefused as exc:
            return self.error("price", str(exc).removeprefix("The price ").rstrip("."))

    def duration(self) -> int | None:
        raw = self.cell("duration")
        if cell_blank(raw):
            return self.error("duration", "is mandatory")
        try:
            minutes = cell_number(raw)
        except ValueError:
            return self.error("duration", f"'{cell_text(raw)}' is not a number of minutes")
        step = settings.DURATION_STEP_MIN
        rounded = math.ceil(minutes / step) * step if minutes == minutes else 0
        if rounded <= 0 or rounded > settings.DURATION_MAX_MIN:
            return self.error("duration", f"{minutes:g} is not between 1 and "
                                          f"{settings.DURATION_MAX_MIN} minutes")
        if rounded != minutes:
            self.warn("duration", f"{minutes:g} min rounded up to {rounded} min")
        return int(rounded)

    def compare_with_existing(self, parsed: ParsedService) -> None:
        existing = self.known.services.get(fold(parsed.title))
        if existing is None:
            return
        parsed.existing = existing
        changes = _changes(existing, parsed, self.known.category_titles)
        stays = " (it stays deactivated)" if not existing["active"] else ""
        if not changes:
            parsed.unchanged = True
            self.warn("title", f"service {existing['id']} already has these values; left as "
                               f"it is{stays}")
        else:
            self.warn("title", f"updates service {existing['id']}: {'; '.join(changes)}{stays}")


def _changes(existing: dict, parsed: ParsedService, category_titles: dict[int, str]
             ) -> list[str]:
    changes = []
    if existing["title"] != parsed.title:
        changes.append(f"title {existing['title']} → {parsed.title}")
    if existing["category_id"] != parsed.category_id:
        changes.append(f"category {category_titles.get(existing['category_id'])} → "
                       f"{parsed.category}")
    if existing["price"] != parsed.price:
        changes.append(f"price {_money(existing['price'])} → {_money(parsed.price)}")
    if existing["duration_min"] != parsed.duration_min:
        changes.append(f"duration {existing['duration_min']} → {parsed.duration_min} min")
    return changes


def _money(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


@dataclass
class _Known:
    """What the rows are checked against: the services and categories in Settings."""

    services: dict[str, dict]  # folded title -> service
    categories: dict[str, dict]  # folded title -> category
    category_titles: dict[int, str]

    @classmethod
    def load(cls, con: Connection) -> _Known:
        categories = catalog.service_categories(con)
        return cls(settings.services_by_title(con), {fold(c["title"]): c for c in categories},
                   {c["id"]: c["title"] for c in categories})


# --- preview and commit ------------------------------------------------------------------


def preview(con: Connection, user: User, data: bytes, file_name: str) -> ServicesPreview:
    """Read and check every row; record the batch as previewed. Changes no service."""
    user.require(Right.MANAGE_SETTINGS)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        sheet = read_sheet(data, SERVICES_FILE)
    except FileRefused as exc:
        raise UploadRefused(f"{file_name}: {exc}") from None
    known = _Known.load(con)
    services, issues, first_row = [], [], {}
    for number, cells in sheet.rows:
        row = _Row(known, sheet, number, cells)
        parsed = row.parse()
        issues += row.issues
        if parsed is None:
            continue
        key = fold(parsed.title)
        if key in first_row:
            issues.append(Issue(number, HEADERS["title"], f"repeats row {first_row[key]}"))
            continue
        first_row[key] = number
        services.append(parsed)
    result = ServicesPreview(
        batch_id=0, file_name=file_name, sha256=sha256, sheet=sheet,
        issues=sorted(issues, key=lambda i: (i.row, i.level != "error")),
        notices=list(sheet.notices),
        previous=upload_batch.previous_commit(con, sha256, kind=KIND), services=services)
    result.batch_id = upload_batch.record_batch(con, user, KIND, result)
    return result


def commit(con: Connection, user: User, result: ServicesPreview, *, skip_invalid: bool = False,
           force_duplicate_file: bool = False, now: datetime | None = None) -> ServicesCommitted:
    """Add and update the preview's valid rows, all in one transaction, exactly once."""
    user.require(Right.MANAGE_SETTINGS)
    upload_batch.refuse_errors_unless_skipped(result, skip_invalid, len(result.services))
    upload_batch.claim(con, result, kind=KIND, noun="services", force=force_duplicate_file)
    try:
        with changelog.change(con):
            done = _write(con, user, result)
            upload_batch.mark_committed(con, result.batch_id, done.added + done.updated,
                                        now or datetime.now())
    except SettingsRefused as refused:  # the catalogue changed since the preview
        upload_batch.mark_failed(con, result.batch_id, str(refused))
        raise UploadRefused(f"{refused} Nothing was imported; upload the file again.") from None
    except BaseException:
        upload_batch.mark_failed(con, result.batch_id, "the import stopped; nothing was written")
        raise
    return done


def cancel(con: Connection, result: ServicesPreview) -> None:
    upload_batch.cancel(con, result.batch_id)


def _write(con: Connection, user: User, result: ServicesPreview) -> ServicesCommitted:
    operation = new_operation_id()
    created = {fold(title): settings.insert_service_category(con, user, title, operation)
               for title in result.new_categories}
    added = updated = unchanged = 0
    for service in result.services:
        values = {"title": service.title, "price": service.price,
                  "duration_min": service.duration_min,
                  "category_id": service.category_id or created[fold(service.category)]}
        if service.existing is None:
            settings.insert_service(con, user, values, operation)
            added += 1
        elif settings.write_service_update(con, user, service.existing, values, operation):
            updated += 1
        else:
            unchanged += 1
    done = ServicesCommitted(result.batch_id, added, updated, unchanged,
                             result.new_categories, sorted(result.error_rows))
    changelog.record(con, user, "service", None, result.file_name, "uploaded",
                     new={k: v for k, v in done.as_json().items() if k != "status"},
                     operation_id=operation)
    return done
