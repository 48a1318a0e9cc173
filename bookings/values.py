"""Reading one value as people write it in spreadsheets: amounts with
thousands separators and decimal commas, dates in several orders, times,
whole numbers, phones and names.

Each reader returns a typed value or raises `ValueError` with a message a
person can act on. What a file does throughout (its decimal separator, day
or month first) is decided once per file by `infer_decimal` and
`infer_day_first`, from the values that are not ambiguous.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

MAX_AMOUNT = 10_000_000  # per service line; the store keeps 10 digits before the point
CENT = Decimal("0.01")

# --- money -------------------------------------------------------------------------
# The one normalising of amounts, whoever writes them (upload, form, CLI edit,
# Settings' prices) and whoever reads them out (the list, the catalogue, JSON).


def to_cent(amount):
    """AMOUNT to the cent. A Decimal stays exact (Settings' prices, the store's
    DECIMAL); anything else becomes a float, and nan and inf stay so, for the
    rules to refuse."""
    if isinstance(amount, Decimal):
        return amount.quantize(CENT) if amount.is_finite() else amount
    return round(float(amount), 2)


def has_cents_only(amount) -> bool:
    """At most two decimals: exactly for a Decimal, within float noise otherwise."""
    if isinstance(amount, Decimal):
        return amount == to_cent(amount)
    return abs(amount - to_cent(amount)) <= 1e-6


def plain_amount(value):
    """Money as JSON readers expect it: an int when whole, else a float (None stays)."""
    if value is None:
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float

EARLIEST_VISIT, LATEST_VISIT = datetime(1900, 1, 1), datetime(2100, 12, 31, 23, 59)

# --- names -------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'",
                              "`": "'", "\u2013": "-", "\u2014": "-", "\u2010": "-"})


class Percent(float):
    """A number the file shows as a percentage: 0.1 shown as 10 %. Never equal
    to the plain number, so that the two never share an outcome."""

    def __repr__(self) -> str:
        return f"Percent({float(self)!r})"

    def __eq__(self, other) -> bool:
        return other.__class__ is Percent and float(self) == float(other)

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("%", float(self)))


@lru_cache(maxsize=1 << 14)
def fold(text) -> str:
    """A name as matched: any case, runs of spaces (no-break too) as one, curly
    apostrophes and dashes as plain ones."""
    return " ".join(str(text).translate(_APOSTROPHES).split()).lower()


# --- numbers -----------------------------------------------------------------------

_SPACES = "\u0020\u00a0\u202f\u2009\u2007'"  # group separators: spaces, and the Swiss '
_GROUPED_BY_SPACE = re.compile(rf"^[+-]?\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?$")
_PLAIN = re.compile(r"^[+-]?\d*(?:[.,]\d*)?$")
_CURRENCY = re.compile(r"^[€$£₽¥]\s*|\s*(?:[€$£₽¥]|EUR|USD|RUB|руб\.?|р\.)$", re.IGNORECASE)


def finite(value: float, what: str = "number") -> float:
    if value != value or math.isinf(value):
        raise ValueError(f"'{value}' is not a {what}")
    return value


def infer_decimal(texts) -> str | None:
    """The decimal separator a file's text amounts use, when some of them say so:
    `12,5` or `1.200,50` say ',', `12.5` or `1,200.50` say '.'."""
    votes = {",": 0, ".": 0}
    for text in texts:
        text = _CURRENCY.sub("", text.strip())
        for part in text.split("#"):
            kind = _decimal_of(part.strip().strip(_SPACES))
            if kind:
                votes[kind] += 1
    if votes[","] and not votes["."]:
        return ","
    if votes["."] and not votes[","]:
        return "."
    return None


def _decimal_of(text: str) -> str | None:
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    for mark in ",.":
        if text.count(mark) == 1:
            head, tail = text.split(mark)
            if tail.isdigit() and len(tail) != 3 and head.lstrip("+-").isdigit():
                return mark
            if tail.isdigit() and len(tail) == 3 and (not head.lstrip("+-") or
                                                      head.lstrip("+-") == "0"):
                return mark  # 0,125: no thousands there
    return None


@lru_cache(maxsize=1 << 16, typed=True)  # a file repeats its prices: read each once
def parse_number(value, decimal: str | None = None) -> float:
    """A cell as a number. Text may group thousands with spaces (no-break and
    narrow too), '.' or ','; the other mark is the decimal one. `1,200` alone is
    ambiguous unless the file's DECIMAL settles it."""
    kind = value.__class__
    if kind is float or kind is int or kind is Percent:
        return finite(float(value))
    if kind is bool or not isinstance(value, str):
        raise ValueError(f"'{value}' is not a number")
    text = _CURRENCY.sub("", value.strip())
    original = value.strip()
    if _GROUPED_BY_SPACE.match(text):
        text = re.sub(f"[{_SPACES}]", "", text)
    elif any(c in text for c in _SPACES):
        raise ValueError(f"'{original}' is not a number")
    if not _PLAIN.match(text):
        if text.count(",") + text.count(".") > 1:
            return _grouped(text, original)
        raise ValueError(f"'{original}' is not a number")
    if not text.strip("+-.,"):  # no digit
        raise ValueError(f"'{original}' is not a number")
    if "," in text:
        head, tail = text.split(",")
        if len(tail) == 3 and head.lstrip("+-") not in ("", "0") and decimal != ",":
            if decimal == ".":
                return float(head + tail)
            raise ValueError(f"'{original}' is ambiguous: the ',' may separate thousands "
                             f"({head}{tail}) or decimals ({head}.{tail}); the file does not "
                             f"say which. Write {head}{tail} or {head}.{tail}")
        text = f"{head}.{tail}"
    elif "." in text:
        head, tail = text.split(".")
        if len(tail) == 3 and head.lstrip("+-") not in ("", "0") and decimal == ",":
            return float(head + tail)
    return finite(float(text))


def _grouped(text: str, original: str) -> float:
    """`1.200,50`, `1,200.50`, `1.200.000`: groups of three, then the decimal mark."""
    marks = [c for c in text if c in ",."]
    decimal = marks[-1] if len(set(marks)) == 2 else None
    group = ({",", "."} - {decimal}).pop() if decimal else marks[0]
    head, _, tail = text.rpartition(decimal) if decimal else (text, "", "")
    groups = head.lstrip("+-").split(group)
    if (decimal and marks.count(decimal) != 1) or not groups[0].isdigit() or \
            len(groups[0]) > 3 or any(len(g) != 3 or not g.isdigit() for g in groups[1:]) or \
            (tail and not tail.isdigit()):
        raise ValueError(f"'{original}' is not a number: it has the separators "
                         f"{' and '.join(repr(m) for m in dict.fromkeys(marks))} in places "
                         "that are neither thousands nor decimals")
    sign = "-" if head.startswith("-") else ""
    return float(f"{sign}{''.join(groups)}.{tail or 0}")


def parse_amount(value, decimal: str | None = None) -> float:
    """Money: a number from 0, to the cent (more decimals are refused)."""
    amount = parse_number(value, decimal)
    if amount < 0:
        raise ValueError(f"{amount:g} is negative")
    if amount >= MAX_AMOUNT:
        raise ValueError(f"{amount:,.2f} is above the largest amount ({MAX_AMOUNT:,})")
    if not has_cents_only(amount):
        raise ValueError(f"{amount:g} has more than 2 decimals: round it to the cent")
    return to_cent(amount)


def amount_problem(value, exc: ValueError) -> str:
    """The reader's message, naming the cell's text when the message does not."""
    message = str(exc)
    text = value.strip() if isinstance(value, str) else f"{value:g}" if isinstance(
        value, float) else str(value)
    return message if text and (text in message or message.startswith(text)) else \
        f"'{text}': {message}"


def parse_whole(value, decimal: str | None = None) -> int:
    """An ID or a code: a whole number. 39.4 is not one (it is what `39,40`
    becomes when typed where the comma is the decimal mark)."""
    number = parse_number(value, decimal) if value.__class__ is not str else \
        parse_number(value.strip(), ".")
    if not number.is_integer():
        raise ValueError(f"read as the number {number:g}, not a whole number")
    if abs(number) > 2**31:
        raise ValueError(f"{number:.0f} is too large")
    return int(number)


# --- dates and times -----------------------------------------------------------------

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T,]+(.+))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(.+))?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(.+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp]\.?[Mm]\.?)?$")


def infer_day_first(texts) -> bool | None:
    """Whether a file's `a/b/yyyy` dates are day first: True or False when a
    date in it has a number above 12 on one side, None when none says."""
    day_first = month_first = False
    for text in texts:
        found = _SLASHED.match(text.strip())
        if found:
            a, b = int(found.group(1)), int(found.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first != month_first:
        return day_first
    return None


def has_slashed_dates(texts) -> bool:
    return any(_SLASHED.match(t.strip()) for t in texts)


def parse_date_text(text: str, day_first: bool | None) -> tuple[date, time | None]:
    """A text date, with its time when it has one. `24.11.2026 14:30` (day first,
    the template's), `2026-11-24 14:30`, `24/11/2026 14:30` or `11/24/2026 2:30 PM`
    (the file decides the order)."""
    text = text.strip()
    if found := _DOTTED.match(text):
        day, month, year, rest = found.groups()
    elif found := _ISO.match(text):
        year, month, day, rest = found.groups()
    elif found := _SLASHED.match(text):
        first, second, year, rest = found.groups()
        if day_first is None:
            raise ValueError(f"'{text}' could be day/month or month/day, and no date in the "
                             "file has a day above 12 to tell: write it as 24.11.2026 14:30")
        day, month = (first, second) if day_first else (second, first)
    else:
        raise ValueError(f"'{text}' is not a date like 24.11.2026 14:30")
    try:
        on = date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"'{text}' is not a possible date") from None
    return on, (parse_time_text(rest, text) if rest else None)


def parse_time_text(text: str, whole: str | None = None) -> time:
    found = _TIME.match(text.strip())
    if not found:
        raise ValueError(f"'{whole or text}' has no time we can read (write 14:30)")
    hour, minute, second, half = found.groups()
    hour, minute, second = int(hour), int(minute), int(second or 0)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{whole or text}' is not a possible time")
        hour = hour % 12 + (12 if half[0] in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"'{whole or text}' is not a possible time")
    return time(hour, minute, second)


def parse_time(value) -> time:
    """A time-of-day cell: a time, a fraction of a day, or text like 14:30."""
    kind = value.__class__
    if kind is time:
        return value.replace(microsecond=0)
    if kind is datetime:
        return value.time().replace(microsecond=0)
    if kind is timedelta and timedelta(0) <= value < timedelta(days=1):
        return (datetime.min + value).time().replace(microsecond=0)
    if kind is float or kind is int:
        if 0 <= value < 1:
            seconds = round(value * 86400)
            return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
        raise ValueError(f"'{value:g}' is not a time of day")
    return parse_time_text(str(value))


def visit_bounds(moment: datetime) -> datetime:
    if not EARLIEST_VISIT <= moment <= LATEST_VISIT:
        raise ValueError(f"{moment:%d.%m.%Y} is not a possible visit date (1900 to 2100)")
    return moment


# --- phones --------------------------------------------------------------------------

_PHONE_MARKS = re.compile(r"[\s+()\-.\u2010-\u2015\u2212/]")
_TRUNK = re.compile(r"^\s*(?:\+|00)\s*(\d{1,3})[\s\-\u2013]*\(0\)")


def clean_phone(text: str) -> str:
    """Digits only, country code first: +, 00, a trunk (0) after the country
    code, spaces (no-break too), brackets, dashes of any kind and dots go."""
    if text.isdigit() and text.isascii() and not text.startswith("00"):
        return text
    text = _TRUNK.sub(r"+\1 ", text)
    if re.search(r"[^\d\s+()\-.\u2010-\u2015\u2212/]", text):
        raise ValueError(f"'{text.strip()}' is not a phone number")
    digits = _PHONE_MARKS.sub("", text)
    if text.lstrip().startswith("00"):
        digits = digits[2:]
    return digits
