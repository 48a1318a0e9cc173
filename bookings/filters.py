"""The bookings filter: one value object for every filter of the seed.

The page's widgets, the URL, the CLI's flags and the export all make a
`BookingFilter`; it yields a parameterised WHERE clause over `bookings b` and
a phrase in words ("visits 1-31 May 2024, employee Anna Smith, paid in
full") for the Data log and the export's cover sheet. Each filter is a small
clause-maker in `_CLAUSES`, after Datasette's filters: SQL and words side by
side, so they cannot drift apart. Each field declares how it is given as text
(`FilterField`): the URL's parameters and the CLI's flags are made from those
declarations, so the list of filters is written once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from bookings.model import Attendance, Source

CLIENT = "client"  # the created_by value for "booked online by the client"

CHOICES = {
    "cancelled": ("all", "yes", "no"),
    "source": ("all", "online", "offline"),
    "payment": ("all", "paid", "unpaid", "nothing"),
    "services": ("all", "with", "without"),
}
STATUS_NAMES = {"no-show": Attendance.NO_SHOW, "pending": Attendance.PENDING,
                "arrived": Attendance.ARRIVED, "confirmed": Attendance.CONFIRMED}

# What "paid in full" means, in one place. A booking with nothing to pay (no
# services, or all free) is neither paid in full nor unpaid.
PAID_FULL_SQL = "(b.to_pay > 0 AND b.paid >= b.to_pay)"
UNPAID_SQL = "(b.to_pay > 0 AND b.paid < b.to_pay)"
NOTHING_TO_PAY_SQL = "(b.to_pay <= 0)"
# The three as one small code (0 nothing to pay, 1 paid in full, 2 not), for grouping:
# the summary's payment facet, the cross-tab's payment dimension, and the statistic
# PostgreSQL plans the summary with (store migration 11).
PAYMENT_CODE_SQL = (
    f"(CASE WHEN {NOTHING_TO_PAY_SQL} THEN 0 WHEN {PAID_FULL_SQL} THEN 1 ELSE 2 END)::UTINYINT"
)

NONE = "none"  # the text of "without one" for the category filters (the value is None)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class FilterError(ValueError):
    """A filter value that makes no sense; the message says which and why."""


@dataclass(frozen=True)
class Names:
    """Display names for the phrase in words; ids are shown where a name is unknown."""

    staff: Mapping[int, str] = field(default_factory=dict)
    service_categories: Mapping[int, str] = field(default_factory=dict)
    booking_categories: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FilterField:
    """How one filter is given as text (a URL parameter, a CLI flag) and what the
    filter form calls it. Declared on BookingFilter's own fields (`_filter`), so the
    list of filters is written once; FILTER_FIELDS reads them back in field order.
    """

    parse: Callable[[str], object]  # one value from its text; ValueError when it is none
    label: str  # the filter form's label
    many: bool = False  # several values: a tuple, and a repeatable flag
    choices: tuple[str, ...] = ()  # the texts the flag allows, when they are a fixed few
    metavar: str | None = None  # the flag's placeholder
    help: str | None = None  # the flag's help
    name: str = ""  # the field's name, which is the URL parameter's: filled in from the field
    default: object = None  # filled in from the field

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def from_texts(self, texts: list[str]):
        """The value of TEXTS (a URL may repeat a parameter): for a single value the
        last one; for several, each but the empty ones."""
        if self.many:
            return tuple(self.parse(text) for text in texts if text != "")
        return self.parse(texts[-1])


_HOW = "filter"  # the key of a field's FilterField in its metadata


def _filter(default, parse: Callable[[str], object], label: str, **how) -> Any:
    return field(default=default, metadata={_HOW: FilterField(parse, label, **how)})


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(text)
        return text

    return parse


def _choice(name: str, label: str) -> Any:
    """One of CHOICES[name], "all" when not given."""
    return _filter("all", _one_of(CHOICES[name]), label, choices=CHOICES[name])


def parse_status(text: str) -> Attendance:
    """`no-show`, `pending`, ... (any case), or the upload codes -1, 0, 1, 2."""
    key = text.strip().lower()
    if key in STATUS_NAMES:
        return STATUS_NAMES[key]
    return Attendance(int(key))


def parse_category(text: str) -> int | None:
    """A category ID, or `none` (any case): bookings without such a category."""
    if text.strip().lower() == NONE:
        return None
    return int(text)


def _whole_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"{text} is not from {low} to {high}")
        return value

    return parse


parse_weekday = _whole_in(1, 7)
parse_hour = _whole_in(0, 23)

DATE = "YYYY-MM-DD"


@dataclass(frozen=True)
class BookingFilter:
    """Every filter is a field, declared with how it is given as text: a new field
    gets its URL parameter and its `bookings` flag from that declaration."""

    created_from: date | None = _filter(None, date.fromisoformat, "Date of creation",
                                        metavar=DATE)
    created_to: date | None = _filter(None, date.fromisoformat, "Date of creation",
                                      metavar=DATE)
    visit_from: date | None = _filter(None, date.fromisoformat, "Date of visit", metavar=DATE)
    visit_to: date | None = _filter(None, date.fromisoformat, "Date of visit", metavar=DATE)
    staff: tuple[int, ...] = _filter((), int, "Employees", many=True, metavar="ID")
    # logins; CLIENT = booked online by the client
    created_by: tuple[str, ...] = _filter(
        (), str, "User", many=True, metavar="LOGIN",
        help="repeatable; 'client' = booked online by the client")
    cancelled: str = _choice("cancelled", "Canceled")  # cancelled = deleted
    status: tuple[Attendance, ...] = _filter((), parse_status, "Visit status", many=True,
                                             choices=tuple(STATUS_NAMES))
    client: str = _filter("", str, "Client's name or phone number", metavar="TEXT",
                          help="part of a name, or phone digits")
    # None (given as `none`): bookings without one
    service_category: tuple[int | None, ...] = _filter(
        (), parse_category, "Service category", many=True, metavar="ID|none",
        help="repeatable; 'none' = bookings without a service")
    booking_category: tuple[int | None, ...] = _filter(
        (), parse_category, "Booking category", many=True, metavar="ID|none",
        help="repeatable; 'none' = bookings without a booking category")
    source: str = _choice("source", "Booking source")
    payment: str = _choice("payment", "Payment")
    services: str = _choice("services", "Services")
    # the finer source, a facet for analysts
    source_detail: tuple[Source, ...] = _filter(
        (), Source, "Finer source", many=True, choices=tuple(s.value for s in Source),
        help="the finer source; repeatable")
    # of the visit: ISO weekday (Monday 1 .. Sunday 7) and hour (0..23)
    weekday: tuple[int, ...] = _filter((), parse_weekday, "Weekday", many=True, metavar="1..7",
                                       help="of the visit, Monday 1; repeatable")
    hour: tuple[int, ...] = _filter((), parse_hour, "Hour", many=True, metavar="0..23",
                                    help="hour of the visit; repeatable")

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise FilterError(
                    f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}."
                )
        for first, last, what in (("created_from", "created_to", "creation"),
                                  ("visit_from", "visit_to", "visit")):
            start, end = getattr(self, first), getattr(self, last)
            if start and end and start > end:
                raise FilterError(f"The {what} dates run backwards: {start} is after {end}.")
        # Sorted, unique tuples: equal filters compare (and cache) equal.
        for name in ("staff", "created_by", "weekday", "hour"):
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))
        for name in ("service_category", "booking_category"):  # None ("none") first
            object.__setattr__(self, name, tuple(sorted(
                set(getattr(self, name)), key=lambda v: (v is not None, v or 0))))
        for name, low, high in (("weekday", 1, 7), ("hour", 0, 23)):
            if any(not low <= v <= high for v in getattr(self, name)):
                raise FilterError(f"{name} must be from {low} to {high}, "
                                  f"not {', '.join(map(str, getattr(self, name)))}.")
        object.__setattr__(self, "status", tuple(sorted({Attendance(s) for s in self.status})))
        object.__setattr__(self, "source_detail",
                           tuple(sorted({Source(s) for s in self.source_detail})))
        object.__setattr__(self, "client", self.client.strip())

    # --- the client search ---------------------------------------------------

    @property
    def client_phone_digits(self) -> str | None:
        """The digits searched for when the client text is a phone number.

        Text without letters is a phone number: `+1 (212) 344-5678` finds
        12123445678. Text with a letter is part of a name.
        """
        if not self.client or any(ch.isalpha() for ch in self.client):
            return None
        digits = re.sub(r"\D", "", self.client)
        return digits or None

    @property
    def searches_phone(self) -> bool:
        return self.client_phone_digits is not None

    # --- SQL and words -------------------------------------------------------

    def where(self) -> tuple[str, list]:
        """A parameterised WHERE condition over `bookings b` ("TRUE" when empty)."""
        clauses = [c for make in _CLAUSES if (c := make(self)) is not None]
        if not clauses:
            return "TRUE", []
        sql = " AND ".join(f"({c.sql})" for c in clauses)
        return sql, [p for c in clauses for p in c.params]

    def words(self, names: Names | None = None) -> str:
        """The filter in words; "all bookings" when nothing narrows it."""
        names = names or Names()
        phrases = [c.words(names) for make in _CLAUSES if (c := make(self)) is not None]
        return ", ".join(phrases) if phrases else "all bookings"

    def is_empty(self) -> bool:
        return self == BookingFilter()

    def narrowed(self, **changes) -> BookingFilter:
        return replace(self, **changes)

    # --- the URL -------------------------------------------------------------

    def to_params(self) -> dict[str, str | list[str]]:
        """The non-default fields as URL query parameters (lists for several)."""
        params: dict[str, str | list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default or value == ():
                continue
            if isinstance(value, tuple):
                params[f.name] = [_param_text(v) for v in value]
            else:
                params[f.name] = _param_text(value)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> tuple[BookingFilter, list[str]]:
        """A filter from URL query parameters, and notices for what was ignored.

        A hand-edited or stale URL never breaks the page: values that do not
        parse are left out and named.
        """
        values: dict = {}
        notices: list[str] = []
        for how in FILTER_FIELDS:
            if how.name not in params:
                continue
            raw = params[how.name]
            raw_list = raw if isinstance(raw, list) else [raw]
            try:
                values[how.name] = how.from_texts(raw_list)
            except (ValueError, KeyError):
                notices.append(f"ignored {how.name}={', '.join(raw_list)}")
        try:
            return cls(**values), notices
        except FilterError as exc:  # only a backwards date range gets here
            dates = {k: v for k, v in values.items() if not k.endswith(("_from", "_to"))}
            return cls(**dates), [*notices, f"ignored the dates: {exc}"]

    @classmethod
    def stored(cls, params: Mapping[str, str | list[str]]) -> BookingFilter:
        """A filter kept as parameters (a queued download) read back strictly.

        A value that does not parse, or a name this version does not know, is
        refused, never left out: left out, it would widen what the filter lets through.
        """
        unknown = [f"unknown {name}" for name in sorted(set(params) - _FIELD_NAMES)]
        bfilter, notices = cls.from_params(params)
        if unknown or notices:
            raise FilterError("; ".join(unknown + notices))
        return bfilter


FILTER_FIELDS: tuple[FilterField, ...] = tuple(
    replace(f.metadata[_HOW], name=f.name, default=f.default)
    for f in fields(BookingFilter) if _HOW in f.metadata)
FILTER_LABELS = {how.name: how.label for how in FILTER_FIELDS}  # the form's words
_FIELD_NAMES = frozenset(f.name for f in fields(BookingFilter))


@dataclass(frozen=True)
class Clause:
    sql: str
    params: list
    words: Callable[[Names], str]


# --- the clause makers, in the order of the phrase ---------------------------


def _end_of(day: date) -> datetime:
    """The first moment after an inclusive end date."""
    return datetime.combine(day + timedelta(days=1), time.min)


def _date_range(column: str, start: date | None, end: date | None, label: str) -> Clause | None:
    if start is None and end is None:
        return None
    parts, params = [], []
    if start is not None:
        parts.append(f"{column} >= ?")
        params.append(datetime.combine(start, time.min))
    if end is not None:
        parts.append(f"{column} < ?")
        params.append(_end_of(end))
    return Clause(" AND ".join(parts), params, lambda _: f"{label} {_range_words(start, end)}")


def _range_words(start: date | None, end: date | None) -> str:
    if start and end:
        if start == end:
            return f"{start.day} {start:%B %Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}-{end.day} {start:%B %Y}"
        if start.year == end.year:
            return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"
        return f"{start.day} {start:%B %Y} - {end.day} {end:%B %Y}"
    if start:
        return f"from {start.day} {start:%B %Y} on"
    return f"until {end.day} {end:%B %Y}"


def _placeholders(values: Iterable) -> str:
    return ", ".join("?" for _ in values)


def _named(ids: tuple[int, ...], names: Mapping[int, str], one: str, many: str) -> str:
    shown = [names.get(i, f"#{i}") for i in ids]
    return f"{one if len(shown) == 1 else many} {', '.join(shown)}"


def _created(f: BookingFilter) -> Clause | None:
    return _date_range("b.created_at", f.created_from, f.created_to, "created")


def _visit(f: BookingFilter) -> Clause | None:
    return _date_range("b.visit_at", f.visit_from, f.visit_to, "visits")


def _staff(f: BookingFilter) -> Clause | None:
    if not f.staff:
        return None
    return Clause(f"b.staff_id IN ({_placeholders(f.staff)})", list(f.staff),
                  lambda n: _named(f.staff, n.staff, "employee", "employees"))


def _created_by(f: BookingFilter) -> Clause | None:
    if not f.created_by:
        return None
    logins = [login for login in f.created_by if login != CLIENT]
    parts, params = [], []
    if logins:
        parts.append(f"b.created_by IN (SELECT id FROM users WHERE login IN "
                     f"({_placeholders(logins)}))")
        params += logins
    if CLIENT in f.created_by:
        parts.append("(b.created_by IS NULL AND b.online)")
    who = [*logins, *(["the client online"] if CLIENT in f.created_by else [])]
    return Clause(" OR ".join(parts), params, lambda _: f"created by {', '.join(who)}")


def _cancelled(f: BookingFilter) -> Clause | None:
    if f.cancelled == "all":
        return None
    yes = f.cancelled == "yes"
    return Clause("b.deleted" if yes else "NOT b.deleted", [],
                  lambda _: "cancelled" if yes else "not cancelled")


def _status(f: BookingFilter) -> Clause | None:
    if not f.status:
        return None
    return Clause(f"b.attendance IN ({_placeholders(f.status)})", [int(s) for s in f.status],
                  lambda _: "status " + " or ".join(s.label for s in f.status))


def _client(f: BookingFilter) -> Clause | None:
    if not f.client:
        return None
    # LIKE, not contains(): PostgreSQL estimates how many clients a LIKE pattern
    # matches (a function, it guesses a third of them, and then walks every booking
    # in visit order looking for them). The search's own %, _ and \ are escaped:
    # they are plain characters, as are quotes (a parameter).
    digits = f.client_phone_digits
    if digits is not None:
        return Clause(f"b.client_id IN (SELECT id FROM clients WHERE phone {_LIKE})",
                      [_containing(digits)], lambda _: f"client phone containing {digits}")
    return Clause(f"b.client_id IN (SELECT id FROM clients WHERE lower(name) {_LIKE})",
                  [_containing(f.client.lower())], lambda _: f'client "{f.client}"')


_LIKE = "LIKE ? ESCAPE '\\'"


def _containing(text: str) -> str:
    """The LIKE pattern of TEXT anywhere, its wildcards taken as plain characters."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def _categories(chosen: tuple[int | None, ...], table: str, none_sql: str,
                names: Callable[[Names], Mapping[int, str]], one: str, many: str,
                without: str) -> Clause | None:
    """A booking with a category among CHOSEN (IDs from TABLE's category_id), or,
    for None, one without any (NONE_SQL)."""
    if not chosen:
        return None
    ids = [i for i in chosen if i is not None]
    parts = [none_sql] if None in chosen else []
    if ids:
        parts.append(f"b.id IN (SELECT booking_id FROM {table} WHERE category_id IN "
                     f"({_placeholders(ids)}))")

    def words(n: Names) -> str:
        said = [without] if None in chosen else []
        if ids:
            said.append(_named(tuple(ids), names(n), one, many))
        return " or ".join(said)

    return Clause(" OR ".join(parts), ids, words)


def _service_category(f: BookingFilter) -> Clause | None:
    # Every service line has a category: without one is without services.
    return _categories(f.service_category, "booking_services", "b.service_count = 0",
                       lambda n: n.service_categories, "service category",
                       "service categories", "no service category")


def _booking_category(f: BookingFilter) -> Clause | None:
    return _categories(f.booking_category, "booking_category_links",
                       "b.id NOT IN (SELECT booking_id FROM booking_category_links)",
                       lambda n: n.booking_categories, "booking category",
                       "booking categories", "no booking category")


def _source(f: BookingFilter) -> Clause | None:
    if f.source == "all":
        return None
    online = f.source == "online"
    return Clause("b.online" if online else "NOT b.online", [], lambda _: f.source)


def _source_detail(f: BookingFilter) -> Clause | None:
    if not f.source_detail:
        return None
    values = [s.value for s in f.source_detail]
    return Clause(f"b.source IN ({_placeholders(values)})", values,
                  lambda _: "source " + " or ".join(values))


PAYMENT_CLAUSES = {"paid": (PAID_FULL_SQL, "paid in full"),
                   "unpaid": (UNPAID_SQL, "not paid in full"),
                   "nothing": (NOTHING_TO_PAY_SQL, "nothing to pay")}


def _payment(f: BookingFilter) -> Clause | None:
    if f.payment == "all":
        return None
    sql, said = PAYMENT_CLAUSES[f.payment]
    return Clause(sql, [], lambda _: said)


def _services(f: BookingFilter) -> Clause | None:
    if f.services == "all":
        return None
    with_ = f.services == "with"
    return Clause("b.service_count > 0" if with_ else "b.service_count = 0", [],
                  lambda _: "with services" if with_ else "without services")


def _weekday(f: BookingFilter) -> Clause | None:
    if not f.weekday:
        return None
    return Clause(f"isodow(b.visit_at) IN ({_placeholders(f.weekday)})", list(f.weekday),
                  lambda _: "visits on " + " or ".join(WEEKDAYS[d - 1] + "s" for d in f.weekday))


def _hour(f: BookingFilter) -> Clause | None:
    if not f.hour:
        return None
    return Clause(f"hour(b.visit_at) IN ({_placeholders(f.hour)})", list(f.hour),
                  lambda _: "visits at " + " or ".join(f"{h:02d}:00-{h:02d}:59" for h in f.hour))


_CLAUSES: list[Callable[[BookingFilter], Clause | None]] = [
    _visit, _weekday, _hour, _created, _staff, _created_by, _cancelled, _status, _client,
    _service_category, _booking_category, _source, _source_detail, _payment, _services,
]


# --- URL values ---------------------------------------------------------------


def _param_text(value) -> str:
    if value is None:  # a category filter's "without one"
        return NONE
    if isinstance(value, Attendance):
        return {v: k for k, v in STATUS_NAMES.items()}[value]
    if isinstance(value, Source):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
