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

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bookings import catalog
from bookings.admin import changelog, settings
from bookings.admin.changelog import SettingsRefused
from bookings.history import new_operation_id
from bookings.model import Right, User
from bookings.store import Connection
from bookings.uploads import batch
from bookings.uploads.batch import Committed, FilePreview, Issue, UploadRefused, plural
from bookings.uploads.sheet import (
    FileLayout,
    Sheet,
    cell_blank,
    cell_text,
    layout_template_xlsx,
)
from bookings.values import amount_problem, fold, infer_decimal, parse_amount, parse_number

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
    PARSED = ("services",)

    @property
    def new_categories(self) -> list[str]:
        """As first written in the file; 'hair' further down is the same category."""
        first: dict[str, str] = {}
        for service in self.services:
            if service.category_id is None:
                first.setdefault(fold(service.category), service.category)
        return list(first.values())


def template_xlsx() -> bytes:
    return layout_template_xlsx(SERVICES_FILE, "Services", EXAMPLE_ROWS, EXPLANATIONS,
                                widths=(30, 20, 10, 20))


# --- one row --------------------------------------------------------------------------


class _Row(batch.RowChecks):
    """Checks one row of a services file against what the salon has."""

    HEADERS = HEADERS

    def __init__(self, known: _Known, sheet: Sheet, number: int, cells: list,
                 decimal: str | None = None):
        super().__init__(sheet, number, cells)
        self.known, self.decimal = known, decimal

    def parse(self) -> ParsedService | None:
        self.flag_bad_cells()
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
        try:  # the bookings upload's money reading: separators, decimal comma, cents
            amount = parse_amount(raw, self.decimal)
            return settings.price_of(f"{amount:.2f}")
        except ValueError as exc:
            return self.error("price", amount_problem(raw, exc))
        except SettingsRefused as exc:
            return self.error("price", str(exc).removeprefix("The price ").rstrip("."))

    def duration(self) -> int | None:
        raw = self.cell("duration")
        if cell_blank(raw):
            return self.error("duration", "is mandatory")
        try:
            minutes = parse_number(raw, self.decimal)
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


class ServicesImporter(batch.Importer):
    KIND, NOUN, LAYOUT, RIGHT, PREVIEW = (KIND, "services", SERVICES_FILE, Right.MANAGE_SETTINGS,
                                          ServicesPreview)

    def check(self, con: Connection, sheet: Sheet, options: dict) -> ServicesPreview:
        known = _Known.load(con)
        decimal = infer_decimal([v for _, row in sheet.rows
                                 if (v := sheet.value(row, "price")).__class__ is str])
        services, issues, first_row = [], [], {}
        for number, cells in sheet.rows:
            row = _Row(known, sheet, number, cells, decimal)
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
        return ServicesPreview(
            batch_id=0, file_name="", sha256="", sheet=sheet,
            issues=sorted(issues, key=lambda i: (i.row, i.level != "error")),
            notices=list(sheet.notices), services=services)

    @contextmanager
    def transaction(self, con: Connection):
        try:
            with changelog.change(con):
                yield con
        except SettingsRefused as refused:  # the catalogue changed since the preview
            raise UploadRefused(f"{refused} Nothing was imported; upload the file again.") \
                from None

    def write(self, con: Connection, user: User, result: ServicesPreview, now: datetime):
        return _write(con, user, result)


IMPORTER = ServicesImporter()


def preview(con: Connection, user: User, data: bytes, file_name: str, *,
            sheet: str | None = None) -> ServicesPreview:
    """Read and check every row; record the batch as previewed. Changes no service."""
    return IMPORTER.preview(con, user, data, file_name, sheet=sheet)


def commit(con: Connection, user: User, result: ServicesPreview, *, skip_invalid: bool = False,
           force_duplicate_file: bool = False, now: datetime | None = None) -> Committed:
    """Check the kept file again, then add and update its valid rows: one
    transaction, exactly once."""
    return IMPORTER.commit(con, user, result, skip_invalid=skip_invalid,
                           force_duplicate_file=force_duplicate_file, now=now)


def cancel(con: Connection, result: ServicesPreview) -> None:
    IMPORTER.cancel(con, result)


def rows_to_fix(con: Connection, result: ServicesPreview) -> bytes:
    return IMPORTER.rows_to_fix(con, result)


def _write(con: Connection, user: User, result: ServicesPreview) -> Committed:
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
    figures = {"added": added, "updated": updated, "unchanged": unchanged,
               "categories_created": result.new_categories}
    done = Committed(result.batch_id, added + updated, sorted(result.error_rows),
                     noun="services", details=figures,
                     text=_summary(result.batch_id, figures, result.error_rows))
    changelog.record(con, user, "service", None, result.file_name, "uploaded",
                     new={"batch": result.batch_id, **figures, "left_out": done.left_out},
                     operation_id=operation)
    return done


def _summary(batch_id: int, figures: dict, left_out: set[int]) -> str:
    text = f"{plural(figures['added'], 'service')} added, {figures['updated']:,} updated"
    if figures["unchanged"]:
        text += f", {figures['unchanged']:,} unchanged"
    if figures["categories_created"]:
        text += f"; new categories: {', '.join(figures['categories_created'])}"
    if left_out:
        text += f"; {plural(len(left_out), 'row')} left out"
    return text + f" (batch {batch_id})."
