"""The XLSX writer: a package spreadsheets open, cells typed as given, text read back as it
was typed, sheets that go on past Excel's row limit, and rows written as they arrive."""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
from openpyxl.utils.escape import unescape

from app.services.xlsx import SHEET_ROWS, column_letters, write_workbook

SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PART_TYPES = {
    "officeDocument": "sheet.main+xml",
    "worksheet": "worksheet+xml",
    "styles": "styles+xml",
}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def workbook_of(rows, columns, **options) -> bytes:
    return b"".join(write_workbook(iter(rows), columns, **options))


def test_every_part_is_reached_by_a_relationship_and_typed_as_it_says():
    """What Excel checks before it shows anything: a package that fails here is "corrupt"."""
    rows = [(number, f"row {number}") for number in range(1, 8)]
    package = zipfile.ZipFile(io.BytesIO(workbook_of(rows, ("n", "text"), sheet_rows=3)))
    assert package.testzip() is None
    names = set(package.namelist())
    types = ET.fromstring(package.read("[Content_Types].xml"))
    defaults = {item.get("Extension"): item.get("ContentType") for item in types}
    content_types = {name: defaults.get(name.rsplit(".", 1)[-1]) for name in names} | {
        item.get("PartName")[1:]: item.get("ContentType") for item in types if item.get("PartName")
    }
    assert set(content_types) == names
    unreached = names - {"[Content_Types].xml"}
    for name in names:
        ET.fromstring(package.read(name))
        if not name.endswith(".rels"):
            continue
        unreached.discard(name)
        base = posixpath.dirname(posixpath.dirname(name))
        for relationship in ET.fromstring(package.read(name)).iter(f"{RELATIONSHIPS}Relationship"):
            target = posixpath.normpath(posixpath.join(base, relationship.get("Target")))
            kind = relationship.get("Type").rsplit("/", 1)[-1]
            assert content_types.get(target) == f"{SPREADSHEET}.{PART_TYPES[kind]}", target
            unreached.discard(target)
    assert not unreached
    assert sum(name.startswith("xl/worksheets/") for name in names) == 4


def test_cells_keep_their_types_and_text_reads_back_as_typed():
    texts = [
        "=1+1",
        "@SUM(A1)",
        " space before",
        "space after ",
        "<b>&amp;</b>",
        "Conceição Núñez 日本",
        "line\nbreak",
        "carriage\rreturn",
        "bell\x07and\x1fcontrol",
        "looks escaped _x0041_ already",
        "\ufffe",
    ]
    moment = dt.datetime(2026, 3, 4, 11, 12, 13, 250_000)
    rows = [
        (number, text, moment.isoformat() + "Z", 2.5, None) for number, text in enumerate(texts)
    ]
    columns = ("n", "text", "at", "score", "empty")
    data = workbook_of(rows, columns, time_columns=frozenset({"at"}))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header, *body = sheet.iter_rows(values_only=True)
    assert header == columns
    # openpyxl leaves Excel's "_xHHHH_" escapes as they are; Excel and LibreOffice read them.
    assert [unescape(row[1]) for row in body] == texts
    assert all(row[0].__class__ is int and row[3] == 2.5 and row[4] is None for row in body)
    assert {row[2] for row in body} == {moment}
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert sheet.cell(row=2, column=3).number_format == "yyyy-mm-dd hh:mm:ss"
    # Excel drops spaces at either end of a text unless its element says to keep them.
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    kept = {
        element.text
        for element in ET.fromstring(sheet_xml).iter(f"{MAIN}t")
        if element.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    }
    assert kept == {" space before", "space after "}


def test_an_empty_report_still_has_its_header_and_frozen_panes():
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_of([], ("learner_id", "email"))))
    assert workbook.sheetnames == ["report"]
    sheet = workbook.active
    assert list(sheet.iter_rows(values_only=True)) == [("learner_id", "email")]
    assert sheet.freeze_panes == "A2"


def test_a_report_longer_than_a_sheet_goes_on_over_further_sheets_each_with_a_header():
    rows = [(number, f"row {number}") for number in range(1, 8)]
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_of(rows, ("n", "text"), sheet_rows=3)))
    assert workbook.sheetnames == ["report", "report 2", "report 3", "report 4"]
    read_back = []
    for sheet in workbook.worksheets:
        header, *body = sheet.iter_rows(values_only=True)
        assert header == ("n", "text") and sheet.freeze_panes == "A2"
        assert len(body) <= 2
        read_back += body
    assert read_back == rows
    assert SHEET_ROWS == 2**20, "Excel's and LibreOffice's rows per sheet"


def test_the_workbook_is_handed_on_while_its_rows_are_still_being_read():
    """An export of a million rows keeps none of them, and the download starts at once."""
    read = 0

    def rows():
        nonlocal read
        for number in range(50_000):
            read += 1
            yield (number, f"learner{number}@example.org", f"Learner {number * 7919}")

    chunks = write_workbook(rows(), ("n", "email", "name"))
    next(chunks)
    assert read < 50_000
    assert len(b"".join(chunks)) > 0


def test_columns_past_z_are_named_as_spreadsheets_name_them():
    letters = column_letters(16_384)
    assert letters[:3] == ["A", "B", "C"]
    assert letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:703] == ["ZZ", "AAA"]
    assert letters[-1] == "XFD"
