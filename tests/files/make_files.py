#!/usr/bin/env python3
"""Regenerate the upload fixtures in this folder: spreadsheets written by other programs.

The tests only read the files; this script is how they were made, kept so that they
can be made again (or more added). It needs what the tests do not:

    apt-get install libreoffice-calc gnumeric      # soffice 7.4, ssconvert 1.12
    pip install pandas openpyxl python-calamine

Run from anywhere:   python tests/files/make_files.py          (writes the files)
                     python tests/files/make_files.py --show   (prints what python-calamine
                                                                reads back from each file)

How each writer is driven:
  * LibreOffice Calc: `soffice --headless --convert-to` with a private profile per locale
    (the profile's ooSetupSystemLocale sets the document locale: number formats, decimal
    separator of exported CSV). Most files are "typed": a CSV is imported with the CSV
    filter's options (separator, UTF-8, language id 1033/1031/1049, detect special
    numbers), exactly as Calc recognises what a person types in that locale. Columns
    that must stay text (text dates, phones) are imported with column type Text.
    Files that need exact types (formulas, two sheets, fixed formats) are written as
    flat ODF (.fods) first.
  * Gnumeric: `ssconvert` from a CSV (it recognises the ISO dates as date cells).
  * pandas: DataFrame.to_excel(engine="openpyxl") and DataFrame.to_csv.
  * openpyxl: directly (percent format, a formula without a cached value).
  * Excel-style CSV (UTF-8 with BOM, CRLF): Python's csv module.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"

HEADERS = ["Date", "Employee ID", "Customer phone number", "Client name", "Employee name",
           "Duration", "Service ID", "Name of service", "Price of service",
           "Discount on the service", "Comment", "Booking status (number)",
           "Appointment status (line)"]

# Language ids for the CSV import filter, and the locales of the profiles.
LOCALES = {"en": ("en-US", 1033), "de": ("de-DE", 1031), "ru": ("ru-RU", 1049)}

# The three bookings of "basic" (and of the CSVs): the cells as a person types them,
# the date left as a datetime to be written in each locale's way.
BASIC = [
    [datetime(2025, 3, 3, 10, 0), "1", "12125550101", "Laura Palmer", "Anna Smith", "3600",
     "10", "Haircut", "500", "0", "First visit", "2", "Confirmed"],
    [datetime(2025, 3, 3, 11, 30), "2", "12125550102", "Jürgen Müller", "Ben Brown", "5400",
     "10##20", "Haircut##Manicure", "500#300", "0#50", 'Haircut, then nails; "quiet chair"',
     "1", "Arrived"],
    [datetime(2025, 3, 4, 14, 30), "1", "12125550103", "Ольга Иванова", "Anna Smith", "1800",
     "20", "Manicure", "300", "", "Просит мастера Анну", "0", "Pending"],
]


def with_dates(rows, fmt):
    return [[c.strftime(fmt) if isinstance(c, datetime) else c for c in row] for row in rows]


# --- LibreOffice ----------------------------------------------------------------

_PROFILES: dict[str, Path] = {}
WORK = Path(tempfile.mkdtemp(prefix="make-files-"))


def profile(locale: str) -> str:
    """A private LibreOffice profile whose locale (document default) is `locale`."""
    if locale not in _PROFILES:
        path = Path(tempfile.mkdtemp(prefix=f"lo-profile-{locale}-"))
        (path / "user").mkdir()
        (path / "user" / "registrymodifications.xcu").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" '
            f'oor:op="fuse"><value>{locale}</value></prop></item>\n'
            '</oor:items>\n', encoding="utf-8")
        _PROFILES[locale] = path
    return _PROFILES[locale].as_uri()


OUT_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods"}


def soffice(source: Path, target: str, lang: str, infilter: str | None = None,
            out_filter: str | None = None) -> Path:
    """Convert `source` with LibreOffice in locale `lang` ('en', 'de', 'ru') to HERE/target."""
    ext = target.rsplit(".", 1)[1]
    outdir = Path(tempfile.mkdtemp(dir=WORK))
    command = ["soffice", f"-env:UserInstallation={profile(LOCALES[lang][0])}", "--headless"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", out_filter or OUT_FILTERS[ext], "--outdir", str(outdir),
                str(source)]
    subprocess.run(command, check=True, capture_output=True)
    made = next(outdir.iterdir())
    shutil.move(made, HERE / target)
    return HERE / target


def csv_filter(lang: str, sep: str = ",", text_columns: tuple[int, ...] = ()) -> str:
    """CSV import options: separator, '"', UTF-8, from line 1, column types, language,
    quoted fields not forced to text, detect special numbers (dates, times, %)."""
    columns = "/".join(f"{c}/2" for c in text_columns)  # 2 = Text
    return f"CSV:{ord(sep)},34,76,1,{columns},{LOCALES[lang][1]},false,true"


def typed(name: str, rows: list[list], lang: str, sep: str = ",",
          text_columns: tuple[int, ...] = (), targets: tuple[str, ...] = ()) -> Path:
    """Type `rows` into Calc in locale `lang` (through a CSV import) and save as `targets`."""
    source = WORK / f"{name}.csv"
    write_csv(source, rows, sep=sep)
    for target in targets:
        soffice(source, target, lang, csv_filter(lang, sep, text_columns))
    return source


# --- flat ODF (.fods) ---------------------------------------------------------------

FODS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
"""


def date_style(name: str, lang: str, country: str, order: str = "dmy",
               time: bool = True) -> str:
    """A number:date-style: DD.MM.YYYY HH:MM (dmy) or YYYY-MM-DD HH:MM (ymd)."""
    day, month = '<number:day number:style="long"/>', '<number:month number:style="long"/>'
    year = '<number:year number:style="long"/>'
    parts = ([day, "<number:text>.</number:text>", month, "<number:text>.</number:text>", year]
             if order == "dmy" else
             [year, "<number:text>-</number:text>", month, "<number:text>-</number:text>", day])
    if time:
        parts += ['<number:text> </number:text><number:hours number:style="long"/>'
                  '<number:text>:</number:text><number:minutes number:style="long"/>']
    return (f'<number:date-style style:name="{name}" number:language="{lang}" '
            f'number:country="{country}">{"".join(parts)}</number:date-style>')


def number_style(name: str, lang: str, country: str, decimals: int, grouping: bool) -> str:
    return (f'<number:number-style style:name="{name}" number:language="{lang}" '
            f'number:country="{country}"><number:number number:decimal-places="{decimals}" '
            f'number:min-decimal-places="{decimals}" number:min-integer-digits="1" '
            f'number:grouping="{str(grouping).lower()}"/></number:number-style>')


def cell_style(name: str, data_style: str) -> str:
    return (f'<style:style style:name="{name}" style:family="table-cell" '
            f'style:data-style-name="{data_style}"/>')


def fods_cell(value) -> str:
    """A cell: str -> text; int/float -> number; datetime -> date (style 'cdate');
    ('=', formula) -> formula (no cached value; Calc computes it on load);
    (style, number) -> a number with that cell style; None -> empty."""
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, tuple) and value[0] == "=":
        return f'<table:table-cell table:formula="of:{escape(value[1])}"/>'
    if isinstance(value, tuple):
        style, number = value
        return (f'<table:table-cell table:style-name="{style}" office:value-type="float" '
                f'office:value="{number}"/>')
    if isinstance(value, datetime):
        return (f'<table:table-cell table:style-name="cdate" office:value-type="date" '
                f'office:date-value="{value.isoformat()}"/>')
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            f'</table:table-cell>')


def write_fods(path: Path, sheets: dict[str, list[list]], styles: list[str]) -> Path:
    body = []
    for sheet, rows in sheets.items():
        body.append(f'<table:table table:name="{escape(sheet)}">')
        for row in rows:
            body.append("<table:table-row>" + "".join(fods_cell(c) for c in row)
                        + "</table:table-row>")
        body.append("</table:table>")
    path.write_text(FODS_HEAD + "<office:automatic-styles>" + "".join(styles)
                    + "</office:automatic-styles><office:body><office:spreadsheet>"
                    + "\n".join(body) + "</office:spreadsheet></office:body></office:document>\n",
                    encoding="utf-8")
    return path


# --- CSV -----------------------------------------------------------------------------

def write_csv(path: Path, rows: list[list], *, sep: str = ",", encoding: str = "utf-8",
              bom: bool = False, crlf: bool = False, header: bool = True) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n" if crlf else "\n")
    if header:
        writer.writerow(HEADERS)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


# --- the scenarios ---------------------------------------------------------------

def basic():
    # Typed in Calc: dates in each locale's order become date-time cells; IDs, phones,
    # durations, prices and status numbers become numbers; "10##20", "500#300" stay text.
    typed("basic-en", with_dates(BASIC, "%m/%d/%Y %H:%M"), "en",
          targets=("basic.lo-en.xlsx", "basic.lo-en.xls", "basic.lo-en.ods"))
    typed("basic-de", with_dates(BASIC, "%d.%m.%Y %H:%M"), "de", sep=";",
          targets=("basic.lo-de.xlsx", "basic.lo-de.ods"))
    typed("basic-ru", with_dates(BASIC, "%d.%m.%Y %H:%M"), "ru", sep=";",
          targets=("basic.lo-ru.xlsx",))
    # Gnumeric: recognises ISO date-times in a CSV as date cells.
    source = write_csv(WORK / "basic-gnumeric.csv", with_dates(BASIC, "%Y-%m-%d %H:%M"))
    for ext in ("xlsx", "ods"):
        subprocess.run(["ssconvert", str(source), str(HERE / f"basic.gnumeric.{ext}")],
                       check=True, capture_output=True)
    # pandas: a program's DataFrame, phones as text, mixed number/text service columns.
    import pandas as pd
    frame = pd.DataFrame([[row[0], int(row[1]), row[2], row[3], row[4], int(row[5]),
                           int(row[6]) if row[6].isdigit() else row[6], row[7],
                           int(row[8]) if row[8].isdigit() else row[8],
                           int(row[9]) if row[9].isdigit() else row[9] or None,
                           row[10], int(row[11]), row[12]] for row in BASIC], columns=HEADERS)
    frame.to_excel(HERE / "basic.pandas.xlsx", index=False, engine="openpyxl")


def csvs():
    # (a) Excel "CSV UTF-8": BOM, comma, CRLF, day-first text dates.
    write_csv(HERE / "csv.excel-utf8-bom.csv", with_dates(BASIC, "%d.%m.%Y %H:%M"),
              bom=True, crlf=True)
    # (b) Russian: LibreOffice's CSV export (;, Windows-1251 = rtl encoding 34) of a sheet
    # in ru-RU formats: dates DD.MM.YYYY HH:MM, a price 1200.5 in General -> "1200,5".
    # (c) German: the same in de-DE with Windows-1252 (rtl encoding 1), prices in
    # #.##0,00 -> "1.200,50", "300,00".
    for lang, country, encoding, names, price_style in (
            ("ru", "RU", 34, ("Laura Palmer", "Пётр Смирнов", "Ольга Иванова"), None),
            ("de", "DE", 1, ("Laura Palmer", "Jürgen Müller", "Olga Ivanova"), "cmoney")):
        rows = []
        for row, name, price in zip(BASIC, names, (1200.5, "500#300", 300), strict=True):
            cells = [row[0], int(row[1]), int(row[2]), name, row[4],
                     int(row[5]), int(row[6]) if row[6].isdigit() else row[6], row[7],
                     (price_style, price) if price_style and not isinstance(price, str)
                     else price,
                     int(row[9]) if row[9].isdigit() else row[9], row[10], int(row[11]),
                     row[12]]
            if lang == "de" and cells[10] == "Просит мастера Анну":
                cells[10] = "Bitte Anna als Stylistin"
            rows.append(cells)
        styles = [date_style("Ndate", lang, country), cell_style("cdate", "Ndate"),
                  number_style("Nmoney", lang, country, 2, True), cell_style("cmoney", "Nmoney")]
        source = write_fods(WORK / f"csv-{lang}.fods", {"Bookings": [HEADERS] + rows}, styles)
        cp = {34: "cp1251", 1: "cp1252"}[encoding]
        soffice(source, f"csv.lo-{lang}-{cp}.csv", lang,
                out_filter=f"csv:Text - txt - csv (StarCalc):59,34,{encoding}")
    # (d) pandas.to_csv: comma, UTF-8 without BOM, ISO dates.
    import pandas as pd
    frame = pd.DataFrame(BASIC, columns=HEADERS)
    frame.to_csv(HERE / "csv.pandas.csv", index=False, date_format="%Y-%m-%d %H:%M")


def decimal_comma():
    rows = [
        ["05.03.2025 09:00", "1", "12125550111", "Sofia Rossi", "Anna Smith", "3600", "10,20",
         "Haircut##Manicure", "500#300", "", "Service ID typed 10,20", "2", "Confirmed"],
        ["05.03.2025 10:30", "2", "12125550112", "Jürgen Müller", "Ben Brown", "3600", "10",
         "Haircut", "1200,50", "", "Price typed 1200,50", "2", "Confirmed"],
        ["05.03.2025 12:00", "1", "12125550113", "Ольга Иванова", "Anna Smith", "3600", "10",
         "Haircut", f"1{NBSP}200,50", "", "Price typed with a no-break space", "1", "Arrived"],
    ]
    typed("decimal-comma-de", rows, "de", sep=";",
          targets=("decimal_comma.lo-de.xlsx", "decimal_comma.lo-de.ods"))
    # In ru-RU the no-break space is the thousands separator: there "1 200,50" is a number.
    typed("decimal-comma-ru", rows, "ru", sep=";", targets=("decimal_comma.lo-ru.xlsx",))


def percent():
    rows = [
        ["06.03.2025 10:00", "1", "12125550121", "Nina Weber", "Anna Smith", "3600", "10",
         "Haircut", "500", "10 %", "Discount typed as 10 %", "2", "Confirmed"],
        ["06.03.2025 11:00", "2", "12125550122", "Paul Klee", "Ben Brown", "1800", "20",
         "Manicure", "300", "50", "Discount typed as 50", "2", "Confirmed"],
    ]
    typed("percent-de", rows, "de", sep=";",
          targets=("percent.lo-de.xlsx", "percent.lo-de.ods"))
    typed("percent-en", [[c.replace("10 %", "10%") for c in row] for row in
                         with_dates_en(rows)], "en", targets=("percent.lo-en.xlsx",))
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    sheet.append(HEADERS)
    sheet.append([datetime(2025, 3, 6, 10, 0), 1, "12125550121", "Nina Weber", "Anna Smith",
                  3600, 10, "Haircut", 500, 0.1, "Discount 0.1 formatted 0%", 2, "Confirmed"])
    sheet["A2"].number_format = "dd.mm.yyyy hh:mm"
    sheet["J2"].number_format = "0%"
    book.save(HERE / "percent.openpyxl.xlsx")


def with_dates_en(rows):
    """dd.mm.yyyy hh:mm text -> mm/dd/yyyy hh:mm, as typed in en-US."""
    out = []
    for row in rows:
        day, month, rest = row[0][:2], row[0][3:5], row[0][6:]
        out.append([f"{month}/{day}/{rest}", *row[1:]])
    return out


def errors():
    styles = [date_style("Ndate", "en", "US"), cell_style("cdate", "Ndate")]
    rows = [
        HEADERS,
        [datetime(2025, 3, 7, 10, 0), 1, 12125550131, "Hanna Berg", "Anna Smith", 3600, 10,
         "Haircut", ("=", "=NA()"), 0, "Price is =NA()", 2, "Confirmed"],
        [("=", "=1/0"), 2, 12125550132, "Marek Nowak", "Ben Brown", 1800, 20, "Manicure", 300, 0,
         "Date is =1/0", 2, "Confirmed"],
        [datetime(2025, 3, 7, 12, 0), 1, 12125550133, "Ivy Chen", "Anna Smith", 3600, 10,
         "Haircut", 500, 0, "A good row", 2, "Confirmed"],
    ]
    source = write_fods(WORK / "errors.fods", {"Bookings": rows}, styles)
    for ext in ("xlsx", "ods"):
        soffice(source, f"errors.lo-en.{ext}", "en")
    # openpyxl writes a formula and no cached value (<c><f>500*1</f><v></v></c>).
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    sheet.append(HEADERS)
    sheet.append(["07.03.2025 14:00", 1, "12125550134", "Omar Haddad", "Anna Smith", 3600, 10,
                  "Haircut", "=500*1", 0, "Price is the formula =500*1", 2, "Confirmed"])
    book.save(HERE / "errors.openpyxl.xlsx")


def title_rows():
    rows = [
        ["Bookings export from OldSystem"] + [""] * 12,
        [""] * 13,
        HEADERS,
        ["03/10/2025 10:00", "1", "12125550141", "Greta Lind", "Anna Smith", "3600", "10",
         "Haircut", "500", "0", "", "2", "Confirmed"],
        ["03/10/2025 11:00", "2", "12125550142", "Hugo Lind", "Ben Brown", "1800", "20",
         "Manicure", "300", "0", "", "2", "Confirmed"],
    ]
    source = WORK / "title-rows.csv"
    write_csv(source, rows, header=False)
    for ext in ("xlsx", "ods"):
        soffice(source, f"title_rows.lo-en.{ext}", "en", csv_filter("en"))
    styles = [date_style("Ndate", "en", "US"), cell_style("cdate", "Ndate")]
    sheets = {
        "Notes": [["Bookings for the salon, March 2025"], ["The bookings are on the next sheet."],
                  [], ["Exported by", "OldSystem 4.2"]],
        "Bookings": [HEADERS,
                     [datetime(2025, 3, 10, 10, 0), 1, 12125550141, "Greta Lind", "Anna Smith",
                      3600, 10, "Haircut", 500, 0, None, 2, "Confirmed"],
                     [datetime(2025, 3, 10, 11, 0), 2, 12125550142, "Hugo Lind", "Ben Brown",
                      1800, 20, "Manicure", 300, 0, None, 2, "Confirmed"]],
    }
    source = write_fods(WORK / "notes-sheet.fods", sheets, styles)
    for ext in ("xlsx", "ods"):
        soffice(source, f"notes_sheet.lo-en.{ext}", "en")


def continuation():
    blank = [""] * 6
    rows = [
        ["10.03.2025 10:00", "1", "12125550151", "Maria Garcia", "Anna Smith", "5400", "10",
         "Haircut", "500", "", "Haircut, manicure on the next row", "2", "Confirmed"],
        blank + ["20", "Manicure", "300", "", "", "", ""],
        ["10.03.2025 12:00", "2", "12125550152", "Tom Baker", "Ben Brown", "3600", "10",
         "Haircut", "500", "", "", "0", "Pending"],
        ["11.03.2025 09:00", "1", "12125550153", "Lena Novak", "Anna Smith", "3600", "10",
         "Haircut", "500", "", "Same visit on two rows", "2", "Confirmed"],
        ["11.03.2025 09:00", "1", "12125550153", "Lena Novak", "Anna Smith", "1800", "20",
         "Manicure", "300", "", "", "2", "Confirmed"],
    ]
    source = typed("continuation", rows, "en", text_columns=(1,),
                   targets=("continuation.lo-en.xlsx",))
    shutil.copy(source, HERE / "continuation.plain.csv")


def dates():
    def rows(stamps):
        return [[stamp, "1" if n % 2 == 0 else "2", f"1212555016{n}", f"Client {n + 1}",
                 "Anna Smith" if n % 2 == 0 else "Ben Brown", "3600", "10", "Haircut", "500",
                 "", f"Visit {n + 1}", "2", "Confirmed"] for n, stamp in enumerate(stamps)]
    styles = {
        "iso": ["2025-03-04 14:30", "2025-03-25 09:00"],
        "dmy_slash": ["04/03/2025 14:30", "25/03/2025 09:00"],
        "us_ampm": ["03/04/2025 2:30 PM", "03/25/2025 9:00 AM"],
        "ambiguous": ["04/03/2025 14:30", "05/03/2025 10:00", "12/03/2025 16:00"],
    }
    for name, stamps in styles.items():
        source = typed(f"dates_{name}", rows(stamps), "en", text_columns=(1,),
                       targets=(f"dates_{name}.lo-en.xlsx",))
        shutil.copy(source, HERE / f"dates_{name}.plain.csv")
    # A date-only column and a Time column: typed in en-US, they become a date cell
    # (format yyyy-mm-dd) and a time cell (hh:mm:ss AM/PM).
    split = [["Date", "Time", *HEADERS[1:]]]
    for n, (day, time) in enumerate((("2025-03-04", "14:30"), ("2025-03-25", "9:00"))):
        split.append([day, time, *rows([""] * 2)[n][1:]])
    source = WORK / "dates_split.csv"
    write_csv(source, split, header=False)
    for ext in ("xlsx", "ods"):
        soffice(source, f"dates_split.lo-en.{ext}", "en", csv_filter("en"))
    plain = [split[0]] + [[f"{r[0][8:10]}.{r[0][5:7]}.{r[0][:4]}", r[1], *r[2:]]
                          for r in split[1:]]
    write_csv(HERE / "dates_split.plain.csv", plain, header=False)


def status_text():
    rows = [
        ["12.03.2025 10:00", "1", "+1 (212) 555-0107", "Kate O’Brien", "Anna  Smith", "3600",
         "10", "Haircut", "500", "", "Status ARRIVED, no number", "", "ARRIVED"],
        ["12.03.2025 11:00", "2", "001 212 555 0108", "Jürgen Müller", "Ben Brown", "1800", "20",
         "Manicure", "300", "", "Status no-show, no number", "", "no-show"],
        ["12.03.2025 12:00", "1", "+44 (0) 20 7946 0958", "Oliver Twist", "Anna Smith", "3600",
         "10", "Haircut", "500", "", "UK number with (0)", "2", "confirmed"],
        ["12.03.2025 13:00", "2", "1–212–555–0109", "Sam  Lee", "Ben  Brown", "1800", "20",
         "Manicure", "300", "", "En dashes in the phone", "", "Pending"],
        ["12.03.2025 14:00", "1", f"+1{NBSP}212{NBSP}555{NBSP}0110", "D’Arcy  Moss",
         "Anna Smith", "3600", "10", "Haircut", "500", "", "No-break spaces in the phone", "1",
         " Arrived "],
    ]
    source = typed("status_text", rows, "en", text_columns=(1, 3),
                   targets=("status_text.lo-en.xlsx",))
    shutil.copy(source, HERE / "status_text.plain.csv")


# --- read back ---------------------------------------------------------------------

def show() -> None:
    from python_calamine import CalamineWorkbook
    for path in sorted(HERE.iterdir()):
        if path.suffix not in (".xlsx", ".xls", ".ods"):
            continue
        print(f"== {path.name} ({path.stat().st_size} bytes)")
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
            for name in book.sheet_names:
                print(f"  sheet {name!r}")
                for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
                    print("   ", row)
        except Exception as exc:  # noqa: BLE001 - we report what calamine says
            print(f"  {type(exc).__name__}: {exc}")


def main() -> None:
    os.environ.setdefault("HOME", str(WORK))
    try:
        if "--show" in sys.argv:
            show()
            return
        for make in (basic, csvs, decimal_comma, percent, errors, title_rows, continuation,
                     dates, status_text):
            make()
            print(f"made {make.__name__}")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
        for path in _PROFILES.values():
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
