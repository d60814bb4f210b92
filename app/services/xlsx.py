"""XLSX workbooks written as their rows arrive: each row becomes a line of the sheet's XML,
compressed into the ZIP package as it goes and handed on in chunks, so no row is kept and
the first bytes leave before the last row is read.

Written here rather than with XlsxWriter: its per-cell work (a call, a check and a cell
object for every value) made a 1.5-million-row report take more than ten times as long as
the same report as CSV. A report's sheet is one kind of table (a header of text, then
numbers, text and UTC times), which needs a small part of SpreadsheetML: inline strings,
one date style, a frozen header. Cells are typed as Excel and LibreOffice write them, and
text is always text: a cell starting with "=" is never a formula."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

# A worksheet holds at most this many rows, its header included (Excel's limit; LibreOffice
# Calc's too). Longer reports go on over further sheets, each with the header.
SHEET_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Day 0 of Excel's 1900 date system, as it counts for every date after February 1900.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# An ISO 8601 day alone, as pseudonymised reports give their times.
DAY_LENGTH = len("YYYY-MM-DD")
SECONDS_PER_DAY = 86_400
# Rows joined into one piece of XML before it goes to the compressor.
ROWS_PER_PIECE = 500
# Lowest zlib level: three times as fast as the default on a report, for a file 30% larger.
COMPRESS_LEVEL = 1

# XML 1.0 cannot carry most control characters, and a parser turns a carriage return into a
# line feed. Excel writes such a character as "_xHHHH_"; an underscore that would read as
# the start of that escape is written "_x005F_" so that text comes back as it was typed.
NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
XML_WHITESPACE = frozenset(" \t\n\r")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _excel_escape(match: re.Match) -> str:
    return f"_x{ord(match.group()):04X}_"


def text_cell(reference: str, value: str) -> str:
    """An inline-string cell; spaces at either end are kept, as Excel would drop them."""
    if NEEDS_ESCAPE.search(value):
        value = NEEDS_ESCAPE.sub(_excel_escape, value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value and (value[0] in XML_WHITESPACE or value[-1] in XML_WHITESPACE):
        return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def column_letters(count: int) -> list[str]:
    """A, B, …, Z, AA, AB, …: the first `count` column names."""
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(ord("A") + remainder) + name
        letters.append(name)
    return letters


class _Chunks:
    """The ZIP package's output, gathered until the next chunk is handed on."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _sheet_start(letters: list[str], columns: Sequence[str], is_first: bool) -> str:
    # Only the first sheet is the one shown on opening.
    selected = ' tabSelected="1"' if is_first else ""
    header = "".join(
        text_cell(f"{letter}1", column) for letter, column in zip(letters, columns, strict=True)
    )
    return (
        f'{HEADER}<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        f'<sheetViews><sheetView{selected} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f'<sheetData><row r="1">{header}</row>'
    )


SHEET_END = (
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>'
)


def _sheet_name(number: int) -> str:
    return "report" if number == 1 else f"report {number}"


def _sheet_part(number: int) -> str:
    """Where sheet `number` is in the package: the workbook's relationships and the content
    types name it too."""
    return f"xl/worksheets/sheet{number}.xml"


def _close_sheet(sheet: IO[bytes], pieces: list[str]) -> None:
    """Write a sheet's last rows and its end."""
    sheet.write("".join([*pieces, SHEET_END]).encode())
    sheet.close()


def _package_parts(sheet_count: int) -> Iterator[tuple[str, str]]:
    """The workbook's parts other than its sheets, once the sheets are known."""
    numbers = range(1, sheet_count + 1)
    sheets = "".join(
        f'<sheet name="{_sheet_name(number)}" sheetId="{number}" r:id="rId{number}"/>'
        for number in numbers
    )
    yield (
        "xl/workbook.xml",
        f'{HEADER}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>",
    )
    sheet_relationships = "".join(
        f'<Relationship Id="rId{number}" Type="{RELATIONSHIPS}/worksheet" '
        f'Target="{_sheet_part(number).removeprefix("xl/")}"/>'
        for number in numbers
    )
    yield (
        "xl/_rels/workbook.xml.rels",
        f'{HEADER}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{sheet_relationships}'
        f'<Relationship Id="rId{sheet_count + 1}" Type="{RELATIONSHIPS}/styles" '
        'Target="styles.xml"/></Relationships>',
    )
    yield (
        "xl/styles.xml",
        f'{HEADER}<styleSheet xmlns="{MAIN}">'
        f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        "</fonts>"
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>'
        # 14: the spreadsheet's own short date, as the reader's regional settings write it.
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
        "</cellStyles></styleSheet>",
    )
    yield (
        "_rels/.rels",
        f'{HEADER}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    )
    sheet_types = "".join(
        f'<Override PartName="/{_sheet_part(number)}" ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
        for number in numbers
    )
    yield (
        "[Content_Types].xml",
        f'{HEADER}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT_TYPE}.styles+xml"/>'
        f"{sheet_types}</Types>",
    )


def write_workbook(
    rows: Iterable[Sequence],
    columns: Sequence[str],
    time_columns: frozenset[str] = frozenset(),
    sheet_rows: int = SHEET_ROWS,
) -> Iterator[bytes]:
    """An XLSX workbook of `rows` under a frozen header of `columns`, in chunks. Integers
    and floats become numbers; the `time_columns` hold ISO 8601 UTC text ("…Z") and become
    Excel date-times in UTC, or days alone ("2026-03-02") and become dates; other text
    stays text; None leaves the cell empty. A sheet that is full goes on in "report 2",
    "report 3" and so on."""
    letters = column_letters(len(columns))
    is_time = [column in time_columns for column in columns]
    output = _Chunks()
    package = zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)

    def open_sheet(number: int) -> tuple[IO[bytes], list[str]]:
        sheet = package.open(_sheet_part(number), "w")
        return sheet, [_sheet_start(letters, columns, is_first=number == 1)]

    sheet_count = 1
    sheet, pieces = open_sheet(sheet_count)
    row_number = 1
    for row in rows:
        if row_number == sheet_rows:
            _close_sheet(sheet, pieces)
            sheet_count += 1
            sheet, pieces = open_sheet(sheet_count)
            row_number = 1
        row_number += 1
        cells = []
        for letter, is_time_column, value in zip(letters, is_time, row, strict=True):
            if value is None:
                continue
            kind = value.__class__
            if kind is str:
                if is_time_column and len(value) == DAY_LENGTH:
                    day = (dt.date.fromisoformat(value) - EXCEL_EPOCH.date()).days
                    cells.append(f'<c r="{letter}{row_number}" s="2"><v>{day}</v></c>')
                elif is_time_column:
                    since = dt.datetime.fromisoformat(value[:-1]) - EXCEL_EPOCH
                    days = since.days + (since.seconds + since.microseconds / 1e6) / SECONDS_PER_DAY
                    cells.append(f'<c r="{letter}{row_number}" s="1"><v>{days!r}</v></c>')
                else:
                    cells.append(text_cell(f"{letter}{row_number}", value))
            elif kind is int:
                cells.append(f'<c r="{letter}{row_number}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{letter}{row_number}"><v>{float(value)!r}</v></c>')
        pieces.append(f'<row r="{row_number}">{"".join(cells)}</row>')
        if len(pieces) >= ROWS_PER_PIECE:
            sheet.write("".join(pieces).encode())
            pieces = []
            if output.parts:
                yield output.take()
    _close_sheet(sheet, pieces)
    for name, xml in _package_parts(sheet_count):
        package.writestr(name, xml)
    package.close()
    yield output.take()
