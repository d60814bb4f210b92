"""The certificate of completion as a PDF: one A4 page in landscape, in the certificate's
language, set in the Noto fonts the app ships (`app/static/fonts`), embedded and subset to
the letters used, so it prints the same on any machine and stays small (about 40 KB).

The page is laid out in fixed boxes, so that what a learner typed cannot move the rest: a
long name or course title is set smaller, or over more lines, within its own box. The QR code in
the bottom corner is drawn as vector squares, sharp at any print size, and leads to the
public page where anyone can check the certificate."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
SERIF = "NotoSerif"
SANS = "NotoSans"
FONT_FILES = {
    (SERIF, ""): "NotoSerif-Regular.ttf",
    (SERIF, "B"): "NotoSerif-Bold.ttf",
    (SERIF, "I"): "NotoSerif-Italic.ttf",
    (SANS, ""): "NotoSans-Regular.ttf",
}

# Millimetres on an A4 page in landscape.
PAGE_WIDTH = 297.0
PAGE_HEIGHT = 210.0
OUTER_FRAME = 9.0
INNER_FRAME = 11.5
TEXT_LEFT = 30.0
TEXT_WIDTH = PAGE_WIDTH - 2 * TEXT_LEFT
MM_PER_POINT = 25.4 / 72
LINE_SPACING = 1.25

INK = (33, 37, 41)
ACCENT = (31, 72, 99)
MUTED = (92, 99, 108)
RULE = (150, 160, 170)

SIGNATURE_LINE_Y = 152.0
SIGNATURE_WIDTH = 70.0
SIGNATURE_GAP = 12.0
QR_SIZE = 24.0
QR_RIGHT = PAGE_WIDTH - INNER_FRAME - 8.0
QR_BOTTOM = PAGE_HEIGHT - INNER_FRAME - 8.0
VERIFICATION_WIDTH = 120.0
VERIFICATION_LINE = 4.5


@dataclass(frozen=True, slots=True)
class Look:
    """How a piece of text is set: its font, its largest size in points and the smallest it
    may shrink to when it does not fit its box, and its colour."""

    family: str
    style: str
    size: float
    colour: tuple[int, int, int]
    # Below this, text that still does not fit is set in more lines rather than cut.
    smallest: float = 8.0


HEADING = Look(SERIF, "", 30, ACCENT)
LEAD = Look(SERIF, "I", 13, MUTED)
NAME = Look(SERIF, "B", 34, INK)
COURSE = Look(SERIF, "B", 22, INK)
ORGANISATION = Look(SERIF, "", 13, INK)
FACTS = Look(SANS, "", 10.5, MUTED)
SIGNATORY = Look(SERIF, "I", 14, INK)
ROLE = Look(SANS, "", 9, MUTED)
VERIFICATION = Look(SANS, "", 8, MUTED, smallest=5.5)
ADDRESS = Look(SANS, "", 8, INK, smallest=5.5)


@dataclass(frozen=True, slots=True)
class PrintedCertificate:
    """What a certificate says, in one language, as it was issued."""

    language: str
    name: str
    course_title: str
    organisation: str
    issued_on: dt.date
    lessons: int
    cohort_name: str | None
    # (name, role), the role in the certificate's language; it may be empty.
    signatories: tuple[tuple[str, str], ...]
    code: str
    verify_url: str


@functools.cache
def _name_font_characters() -> frozenset[int]:
    """The characters the name's font can draw (read once from its character map)."""
    # fpdf2, fontTools and segno are imported by the few requests that make or check a
    # certificate: at import they added about 150 ms to every start-up.
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / FONT_FILES[(NAME.family, NAME.style)])
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def unprintable(text: str) -> str:
    """The characters of `text` the certificate cannot print (Chinese, say, or an emoji:
    its fonts have no letter for them), each once, in order; empty when it prints whole.
    Spaces and other blanks need no letter."""
    drawable = _name_font_characters()
    missing = (c for c in text if not c.isspace() and ord(c) not in drawable)
    return "".join(dict.fromkeys(missing))


def render(printed: PrintedCertificate) -> bytes:
    """The certificate as the bytes of a one-page PDF, its words in its own language (the
    caller is in an app context, for the translations)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    for (family, style), file in FONT_FILES.items():
        pdf.add_font(family, style, FONTS / file)
    pdf.set_title(f"{printed.course_title} — {printed.name}")
    if printed.organisation:
        pdf.set_author(printed.organisation)
    pdf.set_lang(printed.language)
    pdf.set_creator("Aula")
    # The day of issue rather than now: rendering the same certificate again gives the
    # same bytes.
    pdf.set_creation_date(dt.datetime.combine(printed.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    with force_locale(printed.language):
        _draw_frame(pdf)
        _draw_statement(pdf, printed)
        _draw_signatories(pdf, printed.signatories)
        _draw_verification(pdf, printed)
    return bytes(pdf.output())


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    for inset, line_width in ((OUTER_FRAME, 0.6), (INNER_FRAME, 0.2)):
        pdf.set_line_width(line_width)
        pdf.rect(inset, inset, PAGE_WIDTH - 2 * inset, PAGE_HEIGHT - 2 * inset)


def _draw_statement(pdf: FPDF, printed: PrintedCertificate) -> None:
    """The heading, then who completed which course, and the facts of it."""
    _write(pdf, _("Certificate of completion"), HEADING, top=25, height=14)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.line(PAGE_WIDTH / 2 - 20, 44, PAGE_WIDTH / 2 + 20, 44)

    _write(pdf, _("This certifies that"), LEAD, top=50, height=7)
    _write(pdf, printed.name, NAME, top=58, height=22)
    _write(pdf, _("has completed the course"), LEAD, top=82, height=7)
    _write(pdf, printed.course_title, COURSE, top=90, height=19)
    if printed.organisation:
        _write(pdf, printed.organisation, ORGANISATION, top=109, height=7)

    facts = [ngettext("%(num)d lesson", "%(num)d lessons", printed.lessons)]
    if printed.cohort_name:
        facts.append(_("Cohort: %(name)s", name=printed.cohort_name))
    issued_on = format_date(printed.issued_on, format="long", locale=printed.language)
    facts.append(_("Issued on %(date)s", date=issued_on))
    _write(pdf, "  ·  ".join(facts), FACTS, top=119, height=6)


def _draw_signatories(pdf: FPDF, signatories: Sequence[tuple[str, str]]) -> None:
    """Each signatory's name over a line, their role under it, side by side and centred."""
    if not signatories:
        return
    count = len(signatories)
    width = min(SIGNATURE_WIDTH, (TEXT_WIDTH - (count - 1) * SIGNATURE_GAP) / count)
    left = (PAGE_WIDTH - count * width - (count - 1) * SIGNATURE_GAP) / 2
    for name, role in signatories:
        _write(pdf, name, SIGNATORY, top=SIGNATURE_LINE_Y - 10, height=9, left=left, width=width)
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.3)
        pdf.line(left, SIGNATURE_LINE_Y, left + width, SIGNATURE_LINE_Y)
        if role:
            _write(pdf, role, ROLE, top=SIGNATURE_LINE_Y + 1.5, height=8, left=left, width=width)
        left += width + SIGNATURE_GAP


def _draw_verification(pdf: FPDF, printed: PrintedCertificate) -> None:
    """The QR code in the bottom corner, and beside it the address and code it stands for,
    for a reader who types them."""
    import segno

    left, top = QR_RIGHT - QR_SIZE, QR_BOTTOM - QR_SIZE
    qr = segno.make_qr(printed.verify_url, error="m")
    module = QR_SIZE / qr.symbol_size(border=0)[0]
    pdf.set_fill_color(*INK)
    for row, cells in enumerate(qr.matrix_iter(border=0)):
        # A run of dark modules is one rectangle: fewer drawing operations, no seams.
        start = None
        for column, dark in enumerate([*cells, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                x, y = left + start * module, top + row * module
                pdf.rect(x, y, (column - start) * module, module, style="F")
                start = None
    pdf.link(left, top, QR_SIZE, QR_SIZE, printed.verify_url)

    lines = (
        (_("This certificate can be checked at"), VERIFICATION, ""),
        (printed.verify_url, ADDRESS, printed.verify_url),
        (_("Code: %(code)s", code=printed.code), VERIFICATION, ""),
    )
    text_left = left - 5 - VERIFICATION_WIDTH
    line_top = QR_BOTTOM - len(lines) * VERIFICATION_LINE - 1
    for text, look, link in lines:
        _write(
            pdf,
            text,
            look,
            top=line_top,
            height=VERIFICATION_LINE,
            left=text_left,
            width=VERIFICATION_WIDTH,
            align="R",
            link=link,
        )
        line_top += VERIFICATION_LINE


def _write(
    pdf: FPDF,
    text: str,
    look: Look,
    *,
    top: float,
    height: float,
    left: float = TEXT_LEFT,
    width: float = TEXT_WIDTH,
    align: str = "C",
    link: str = "",
) -> None:
    """Write `text` in a box at the largest size, down to the look's smallest, at which its
    lines, wrapped to the box's width, fit the box's height; centred vertically."""
    size = look.size
    while True:
        pdf.set_font(look.family, look.style, size)
        lines = pdf.multi_cell(width, text=text, dry_run=True, output="LINES")
        line_height = size * MM_PER_POINT * LINE_SPACING
        if len(lines) * line_height <= height or size <= look.smallest:
            break
        size -= 0.5
    pdf.set_text_color(*look.colour)
    y = top + (height - len(lines) * line_height) / 2
    for line in lines:
        pdf.set_xy(left, y)
        pdf.cell(width, line_height, line, align=align, link=link)
        y += line_height
