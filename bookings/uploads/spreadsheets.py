"""Turning an uploaded file into sheets of typed cells, within bounded memory.

Any file a salon brings: .xlsx (Excel, LibreOffice, Gnumeric, pandas), .xls,
.ods (LibreOffice's and Gnumeric's) and .csv (comma or semicolon, UTF-8 with
or without BOM, or the Windows code page Excel saved it in).

python-calamine reads the spreadsheets fast and typed, but it builds a dense
grid of the whole used range before any call can limit it, and a Rust
allocation failure aborts the process: a 2 KB .xlsx with one cell at
XFD1048576 would take the app down. So every sheet is **sized from the
file's own XML first** (the cell references of an .xlsx, the repeat
attributes of an .ods) and refused when too large; .xls is bounded by its
format (65,536 x 256) and a .csv is sized by its lines.

The same pass finds what calamine reads as empty or as a plain number, so
that the upload can say what the cell really is: an error cell (`#N/A`), a
formula without a saved result, a percent-formatted number (10 % holds 0.1).
Those cells come out as `BadCell` and `Percent` values.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook

from bookings.values import Percent

MAX_COLUMNS = 200  # an upload has 13 columns; a sheet wider than this is not a list
ERROR_TEXTS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
                         "#GETTING_DATA", "#SPILL!", "#CALC!", "#N/A!"})
_ERROR_VALUES = ERROR_TEXTS | {f"Err:{code}" for code in range(500, 600)}  # LibreOffice's


def max_rows() -> int:
    """The most data rows an upload takes (BOOKINGS_UPLOAD_MAX_ROWS, default 250,000)."""
    try:
        return max(1, int(os.environ.get("BOOKINGS_UPLOAD_MAX_ROWS", "250000")))
    except ValueError:
        return 250_000


class SpreadsheetRefused(ValueError):
    """The file cannot be read as a whole; the message says why, in plain words."""


class BadCell:
    """A cell that holds no usable value: an error, or a formula never calculated."""

    __slots__ = ("what",)

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"BadCell({self.what!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, BadCell) and other.what == self.what

    def __hash__(self) -> int:
        return hash(self.what)

    def __str__(self) -> str:
        return ""


FORMULA_WITHOUT_VALUE = ("a formula without a saved result: open and save the file in Excel "
                         "or LibreOffice first")


def error_cell(text: str) -> BadCell:
    return BadCell(f"the error {text}: fix the formula or type the value")


@dataclass
class RawSheet:
    """One sheet as rows of cells (Excel's row 1 first), empty cells as ''."""

    name: str
    rows: list[list]
    notices: list[str] = field(default_factory=list)
    bad_cells: bool = False  # some cell is a BadCell


@dataclass
class _Marks:
    """What the sizing pass learnt of one sheet."""

    rows: int = 0
    columns: int = 0
    bad: dict[tuple[int, int], BadCell] = field(default_factory=dict)  # (row, col), 0-based
    percent: set[tuple[int, int]] = field(default_factory=set)
    booleans: bool = True  # the sheet may hold TRUE/FALSE cells (unless the XML says not)


# --- the entry point ----------------------------------------------------------------


def read_sheets(data: bytes, file_name: str) -> list[RawSheet]:
    """Every sheet of the file, each checked for size before it is loaded."""
    kind = file_kind(data, file_name)
    if kind == "csv":
        return [read_csv(data, file_name)]
    if kind == "xlsx":
        marks = _xlsx_marks(data)
    elif kind == "ods":
        marks = _ods_marks(data)
    else:
        marks = {}
    try:
        workbook = _open(data, kind)
        names = workbook.sheet_names
    except (CalamineError, ValueError, OSError) as exc:
        raise SpreadsheetRefused(f"This is not a spreadsheet we can read ({_short(exc)}). Save "
                                 "it as .xlsx, .ods or .csv and try again.") from None
    sheets, too_large = [], []
    for position, name in enumerate(names):
        mark = marks.get(name) or marks.get(position)
        if mark is not None and (refusal := _size_refusal(name, mark)):
            too_large.append(refusal)
            continue
        try:
            rows = workbook.get_sheet_by_index(position).to_python(skip_empty_area=False)
        except (CalamineError, ValueError, OSError) as exc:
            too_large.append(f"Sheet '{name}' cannot be read ({_short(exc)}).")
            continue
        sheets.append(RawSheet(name, rows, bad_cells=_apply_marks(rows, mark or _Marks())))
    if not sheets:
        raise SpreadsheetRefused(" ".join(too_large) or "The file has no sheets.")
    if too_large:
        sheets[0].notices.extend(too_large)
    return sheets


def _open(data: bytes, kind: str) -> CalamineWorkbook:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if kind == "ods":  # Gnumeric's .ods fails only when a sheet is read
            for position in range(len(workbook.sheet_names)):
                workbook.get_sheet_by_index(position).to_python(nrows=1)
        return workbook
    except (CalamineError, ValueError, OSError):
        if kind != "ods":
            raise
    return CalamineWorkbook.from_filelike(io.BytesIO(_ods_without_indentation(data)))


def file_kind(data: bytes, file_name: str) -> str:
    """xlsx, ods, xls or csv: by the content first, the name only to tell text apart."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise SpreadsheetRefused("The file is a damaged archive, not a spreadsheet we can "
                                     "read. Save it again as .xlsx and try again.") from None
        if "content.xml" in names:
            return "ods"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        raise SpreadsheetRefused("This archive is not an Excel or OpenDocument spreadsheet. "
                                 "Save it as .xlsx and try again.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE,
                                                       codecs.BOM_UTF16_BE)):
        raise SpreadsheetRefused("This is not a spreadsheet or a text file we can read. Save it "
                                 "as .xlsx, .ods or .csv and try again.")
    if not file_name.lower().endswith((".csv", ".txt", ".tsv")):
        raise SpreadsheetRefused("This is not a spreadsheet we can read: the file is plain "
                                 "text. Name it .csv if it is a CSV file, or save it as .xlsx.")
    return "csv"


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else exc.__class__.__name__


def _size_refusal(name: str, mark: _Marks) -> str | None:
    limit = max_rows()
    if mark.rows > limit + 50 or mark.columns > MAX_COLUMNS:
        return (f"Sheet '{name}' reaches row {mark.rows:,} and column {mark.columns:,}: an "
                f"upload takes at most {limit:,} rows and {MAX_COLUMNS} columns. If the data is "
                "smaller, something far below or to the right of it is not empty: copy the data "
                "to a new sheet, or split the file, and try again.")
    return None


def _apply_marks(rows: list[list], mark: _Marks) -> bool:
    """Put what the sizing pass found into the cells; say whether any is bad."""
    bad = False
    for (r, c), cell in mark.bad.items():
        if r < len(rows) and c < len(rows[r]):
            rows[r][c] = cell
            bad = True
    for r, c in mark.percent:
        if r < len(rows) and c < len(rows[r]):
            value = rows[r][c]
            if value.__class__ in (float, int):
                rows[r][c] = Percent(value)
    if mark.booleans:  # TRUE/FALSE as text: a bool would pass for 1 or 0 (True == 1)
        for row in rows:
            for c, value in enumerate(row):
                if value.__class__ is bool:
                    row[c] = "TRUE" if value else "FALSE"
    for row in rows:  # error values that a reader hands over as text
        if not _ERROR_VALUES.isdisjoint(row):
            for c, value in enumerate(row):
                if value.__class__ is str and value in _ERROR_VALUES:
                    row[c] = error_cell(value)
                    bad = True
    return bad


# --- .xlsx: sizing from the XML ------------------------------------------------------

_ROW_REF = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_WIDE_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{2,3})(\d+)"')
_ANY_WIDE_REF = re.compile(rb' r="[A-Z]{2,3}\d')
_LAST_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})\d+"')
_ERROR_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?\bt="e"[^>]*>'
                         rb'(?:<f[^>]*?(?:/>|>[^<]*</f>))?<v>([^<]*)</v>')
_NO_VALUE = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*>'
                       rb'<f\b[^>]*?(?:/>|>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>')
_CHUNK = 4 << 20


def _xlsx_marks(data: bytes) -> dict:
    """Sheet name -> what its XML says: size, error cells, formulas without a value,
    percent-formatted cells. Streams each sheet's XML; nothing is held whole."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        targets = _xlsx_sheet_targets(archive)
        percent_styles = _xlsx_percent_styles(archive)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return {}  # calamine will say what is wrong with it
    marks = {}
    with archive:
        for name, target in targets.items():
            if target in archive.namelist():
                with archive.open(target) as stream:
                    marks[name] = _scan_xlsx_sheet(stream, percent_styles)
    return marks


def _xlsx_sheet_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    by_id = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    targets = {}
    for sheet in book.iterfind("m:sheets/m:sheet", ns):
        target = by_id.get(sheet.get(f"{{{ns['r']}}}id"), "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[sheet.get("name")] = target.replace("xl/./", "xl/")
    return targets


def _xlsx_percent_styles(archive: zipfile.ZipFile) -> set[bytes]:
    """The cell style numbers (s="N") whose number format shows a percentage."""
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    percent_formats = {9, 10}
    for fmt in styles.iter(f"{main}numFmt"):
        code = re.sub(r'"[^"]*"|\\.', "", fmt.get("formatCode", ""))
        if "%" in code:
            percent_formats.add(int(fmt.get("numFmtId", -1)))
    cell_xfs = styles.find(f"{main}cellXfs")
    if cell_xfs is None:
        return set()
    return {str(i).encode() for i, xf in enumerate(cell_xfs.iter(f"{main}xf"))
            if int(xf.get("numFmtId", 0)) in percent_formats}


def _scan_xlsx_sheet(stream, percent_styles: set[bytes]) -> _Marks:
    mark = _Marks(booleans=False)
    percent = (re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?\bs="(?:'
                          + b"|".join(sorted(percent_styles)) + rb')"[^>]*>')
               if percent_styles else None)
    budget = max_rows() * 4000 + (64 << 20)  # XML bytes; a decompression bomb stops here
    carry, seen, rows_seen = b"", 0, 0
    while True:
        chunk = stream.read(_CHUNK)
        seen += len(chunk)
        if seen > budget:
            mark.rows = max(mark.rows, max_rows() + 51)
            return mark
        text = carry + chunk
        if chunk:
            tail = max(0, len(text) - 65536)  # the last cell starts near the end
            cut = max(text.rfind(b"<c ", tail), text.rfind(b"<c>", tail),
                      text.rfind(b"<row", tail))
            if cut < 0:
                cut = max(text.rfind(b"<c "), text.rfind(b"<c>"), text.rfind(b"<row"))
            if cut <= 0:
                cut = len(text)
            text, carry = text[:cut], text[cut:]
        _scan_xlsx_text(text, mark, percent)
        rows_seen += text.count(b"<row")  # rows may leave out r="": count them too
        if not chunk or mark.rows > max_rows() + 50 or mark.columns > MAX_COLUMNS:
            _scan_xlsx_text(carry, mark, percent)
            break  # read to the end, or too large already
    mark.rows = max(mark.rows, rows_seen)
    mark.columns = max(mark.columns, 1)
    return mark


def _scan_xlsx_text(text: bytes, mark: _Marks, percent) -> None:
    last_row = text.rfind(b"<row ", max(0, len(text) - 65536))
    if last_row < 0:
        last_row = text.rfind(b"<row ")
    if last_row >= 0:
        found = _ROW_REF.match(text, last_row)
        if found:
            mark.rows = max(mark.rows, int(found.group(1)))
    if _ANY_WIDE_REF.search(text):  # past column Z: rare, so only then all of them
        for letters, row in _WIDE_REF.findall(text):
            mark.columns = max(mark.columns, _column_number(letters))
            mark.rows = max(mark.rows, int(row))
    last_cell = _LAST_CELL.search(text, max(0, text.rfind(b"<c ", max(0, len(text) - 65536))
                                            - 1))
    if last_cell:
        mark.columns = max(mark.columns, _column_number(last_cell.group(1)))
    mark.booleans = mark.booleans or b't="b"' in text
    if b't="e"' in text or b"<f" in text:  # rare: only then look closer
        for letters, row, value in _ERROR_CELL.findall(text):
            key = (int(row) - 1, _column_number(letters) - 1)
            mark.bad[key] = error_cell(value.decode("utf-8", "replace"))
        for letters, row in _NO_VALUE.findall(text):
            mark.bad[(int(row) - 1, _column_number(letters) - 1)] = BadCell(
                FORMULA_WITHOUT_VALUE)
    if percent is not None:
        for letters, row in percent.findall(text):
            mark.percent.add((int(row) - 1, _column_number(letters) - 1))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# --- .ods: sizing from content.xml -----------------------------------------------------

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _ods_marks(data: bytes) -> dict:
    """Per sheet position: its size, error cells and percent cells; repeats are
    counted, not expanded."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as stream:
            return _scan_ods(stream)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise SpreadsheetRefused(f"This OpenDocument file is damaged ({_short(exc)}). Save it "
                                 "again and try again.") from None


def _ods_without_indentation(data: bytes) -> bytes:
    """Gnumeric indents the cells of its .ods rows, and calamine accepts nothing
    but cells inside a row; the same file with the whitespace between tags
    taken out reads the same."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as repacked:
        repacked.writestr(zipfile.ZipInfo("mimetype"), _MIMETYPE, zipfile.ZIP_STORED)
        for info in source.infolist():
            if info.filename == "mimetype":
                continue
            content = source.read(info.filename)
            if info.filename == "content.xml":
                content = re.sub(rb">\s+<", b"><", content)
            repacked.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _scan_ods(stream) -> dict:
    marks: dict[int, _Marks] = {}
    rows_repeated = f"{{{_TABLE}}}number-rows-repeated"
    cols_repeated = f"{{{_TABLE}}}number-columns-repeated"
    value_type = f"{{{_OFFICE}}}value-type"
    calc_type = f"{{{_CALCEXT}}}value-type"
    sheet = -1
    mark = _Marks()
    row_index = column = 0
    row_has_content = False
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{{{_TABLE}}}table":
                sheet += 1
                mark = marks[sheet] = _Marks(booleans=False)
                row_index = 0
            elif tag == f"{{{_TABLE}}}table-row":
                column, row_has_content = 0, False
            continue
        if tag in (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"):
            repeat = int(element.get(cols_repeated, "1"))
            kind = element.get(value_type)
            if kind is not None or len(element):
                mark.columns = max(mark.columns, column + repeat)
                row_has_content = True
                cells = [(row_index, c) for c in range(column, column + min(repeat, 64))]
                mark.booleans = mark.booleans or kind == "boolean"
                if kind == "percentage":
                    mark.percent.update(cells)
                elif element.get(calc_type) == "error":
                    shown = "".join(element.itertext()).strip() or "an error"
                    mark.bad.update((cell, error_cell(shown)) for cell in cells)
            column += repeat
            element.clear()
        elif tag == f"{{{_TABLE}}}table-row":
            repeat = int(element.get(rows_repeated, "1"))
            row_index += repeat
            if row_has_content:
                mark.rows = row_index
            element.clear()
            if mark.rows > max_rows() + 50 or mark.columns > MAX_COLUMNS:
                break  # too large already: no need to read on
    return marks


# --- .csv ------------------------------------------------------------------------------


def read_csv(data: bytes, file_name: str) -> RawSheet:
    """A CSV file as one sheet of text cells: its encoding and separator found."""
    if data.count(b"\n") > max_rows() + 50:
        raise SpreadsheetRefused(f"The file has more than {max_rows():,} lines: an upload "
                                 "takes at most that many rows. Split the file and try again.")
    text, encoding = decode_text(data)
    delimiter = _delimiter(text)
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if len(row) > MAX_COLUMNS:
            raise SpreadsheetRefused(f"Line {len(rows) + 1} has {len(row):,} fields: an upload "
                                     f"takes at most {MAX_COLUMNS} columns.")
        rows.append(row)
    bad = _apply_marks(rows, _Marks(booleans=False))  # CSV cells are all text
    shown = {";": "semicolons", ",": "commas", "\t": "tabs"}[delimiter]
    return RawSheet(file_name, rows, [f"Read as CSV: {encoding}, fields separated by {shown}."],
                    bad_cells=bad)


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and a name for its encoding: BOMs first, then UTF-8, then the
    Windows code page that fits the text best (what Excel's "CSV" writes)."""
    for bom, codec, name in ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
                             (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
                             (codecs.BOM_UTF16_BE, "utf-16", "UTF-16")):
        if data.startswith(bom):
            return data.decode(codec), name
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=["cp1252", "cp1251", "cp1250", "cp1253",
                                                    "cp1254", "cp1257"]).best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding != "cp1252" and _decodes_alike(data, encoding, "cp1252"):
        encoding = "cp1252"  # the same text either way: name Excel's Western default
    try:
        return data.decode(encoding), f"Windows code page {encoding.removeprefix('cp')}"
    except UnicodeDecodeError:
        raise SpreadsheetRefused("The text's encoding cannot be recognised. Save it as "
                                 "\"CSV UTF-8\" and try again.") from None


def _decodes_alike(data: bytes, one: str, other: str) -> bool:
    try:
        return data.decode(one) == data.decode(other)
    except UnicodeDecodeError:
        return False


def _delimiter(text: str) -> str:
    """The separator that splits the first lines most, and the same way on each."""
    lines = [line for line in text[:20_000].splitlines()[:10] if line.strip()]
    best, best_score = ",", -1
    for candidate in (";", ",", "\t"):
        counts = [line.count(candidate) for line in lines]
        if not counts or max(counts) == 0:
            continue
        score = min(counts) * 100 + max(counts)
        if score > best_score:
            best, best_score = candidate, score
    return best
