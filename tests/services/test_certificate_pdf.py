"""The certificate of completion as a PDF: the learner's name, the course and the date in the
certificate's language, fonts embedded, a small file, a QR code a phone reads as the
verification address, and long names and titles kept on the page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from flask_babel import force_locale, gettext

from app.services.certificate_pdf import PrintedCertificate, render
from tests.conftest import dispose, make_app


@pytest.fixture(scope="module", autouse=True)
def words_in_each_language(sqlite_template, tmp_path_factory):
    """An app for its translations: the PDF reads no database, so one app on SQLite serves
    every test here, on either backend's run."""
    folder = tmp_path_factory.mktemp("pdf")
    shutil.copyfile(sqlite_template, folder / "aula.db")
    app = make_app(f"sqlite:///{folder / 'aula.db'}", folder / "instance")
    with app.app_context():
        yield
    dispose(app)


LANGUAGES = ["es", "pt", "en"]
CODE = "Vb3kQ9x_Zr2LmN7pT4wYc8HfJ1sDeA6u"
NAMES = {"es": "Núria Martínez", "pt": "João Conceição", "en": "Núria Martínez Conceição"}
TITLES = {
    "es": "Coproducción e innovación social",
    "pt": "Coprodução e inovação social",
    "en": "Co-production and social innovation",
}
DATES = {"es": "7 de diciembre de 2026", "pt": "7 de dezembro de 2026", "en": "December 7, 2026"}
POINTS_PER_MM = 72 / 25.4
# The inner line of the page's frame, 11.5 mm in from each edge.
FRAME = 11.5 * POINTS_PER_MM


def certificate(language: str, **changes) -> PrintedCertificate:
    printed = PrintedCertificate(
        language=language,
        name=NAMES[language],
        course_title=TITLES[language],
        organisation="Mediterranean Lab for Co-production of Social Innovation",
        issued_on=dt.date(2026, 12, 7),
        lessons=15,
        cohort_name="Valencia, spring 2027",
        signatories=(("Rubén Martínez", "Course director"), ("Ana Conceição", "Trainer")),
        code=CODE,
        verify_url=f"https://aula.example.org/{language}/verify/{CODE}",
    )
    return dataclasses.replace(printed, **changes)


def text_of(pdf: bytes) -> str:
    """The page's text with its lines joined, as a reader would quote it."""
    (page,) = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(page.extract_text().split())


def picture_of(pdf: bytes, width: int):
    page = pypdfium2.PdfDocument(pdf)[0]
    return page.render(scale=width / page.get_width()).to_pil()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_certificate_names_the_learner_the_course_and_the_day_in_its_language(language):
    text = text_of(render(certificate(language)))

    for expected in (
        NAMES[language],
        TITLES[language],
        "Mediterranean Lab for Co-production of Social Innovation",
        DATES[language],
        "Valencia, spring 2027",
        "Rubén Martínez",
        "Course director",
        CODE,
        f"https://aula.example.org/{language}/verify/{CODE}",
    ):
        assert expected in text
    with force_locale(language):
        assert gettext("Certificate of completion") in text
    other_dates = [DATES[other] for other in LANGUAGES if other != language]
    assert not any(date in text for date in other_dates)


def test_the_english_certificate_reads_as_a_certificate():
    text = text_of(render(certificate("en")))

    assert text.startswith("Certificate of completion This certifies that Núria Martínez")
    assert "has completed the course Co-production and social innovation" in text
    assert "15 lessons" in text
    assert "Issued on December 7, 2026" in text
    assert f"This certificate can be checked at https://aula.example.org/en/verify/{CODE}" in text
    assert f"Code: {CODE}" in text


def test_one_lesson_is_counted_in_the_singular_and_no_cohort_leaves_no_trace():
    text = text_of(render(certificate("en", lessons=1, cohort_name=None, organisation="")))

    assert "1 lesson " in text and "1 lessons" not in text
    assert "Cohort" not in text
    assert "Mediterranean" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_says_its_title_author_and_language(language):
    reader = pypdf.PdfReader(io.BytesIO(render(certificate(language))))

    assert NAMES[language] in reader.metadata.title
    assert TITLES[language] in reader.metadata.title
    assert reader.metadata.author == "Mediterranean Lab for Co-production of Social Innovation"
    assert reader.trailer["/Root"]["/Lang"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_font_is_embedded_and_the_file_stays_small(language):
    pdf = render(certificate(language))
    (page,) = pypdf.PdfReader(io.BytesIO(pdf)).pages

    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        # A composite font describes its glyphs in its descendant; a simple one in itself.
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontDescriptor" in described, f"{font['/BaseFont']} is a viewer's own font"
        descriptor = described["/FontDescriptor"].get_object()
        assert {"/FontFile2", "/FontFile3"} & descriptor.keys(), f"{font['/BaseFont']}"
    assert len(pdf) < 300 * 1024


# The README's sample, in Portuguese as the lab's course gives it.
SAMPLE = {
    "organisation": "Laboratório Mediterrânico de Coprodução de Inovação Social",
    "lessons": 2,
    "cohort_name": "Lisboa, primavera de 2027",
    "signatories": (("Ruben", "Autor do curso"),),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_phone_reading_the_qr_code_opens_the_verification_page(language):
    printed = certificate(language, **(SAMPLE if language == "pt" else {}))
    picture = picture_of(render(printed), width=1400)

    (code,) = zxingcpp.read_barcodes(picture)

    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == printed.verify_url
    # Refreshed by running these tests with SCREENSHOTS_DIR set.
    if language == "pt" and (folder := os.environ.get("SCREENSHOTS_DIR")):
        picture.save(Path(folder) / "certificate-pt.png", optimize=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_very_long_name_and_title_stay_whole_on_the_one_page_in_their_places(language):
    name = (
        "Maria da Conceição Aparecida de Albuquerque Figueiredo Vasconcelos e Sá Gonçalves "
        "Núria Martínez de la Fuente Rodríguez-Peñalver y Ibáñez de Aldecoa Uriarte"
    )
    title = (
        "Co-production and social innovation: how public services, communities and the "
        "people they serve design, deliver and evaluate policies together, from the first "
        "ideas to lasting institutions, with case studies from Barcelona, Lisbon and Valencia"
    )
    pdf = render(certificate(language, name=name, course_title=title))
    reader = pypdf.PdfReader(io.BytesIO(pdf))

    assert len(reader.pages) == 1
    text = text_of(pdf)
    assert name in text and title in text

    placed: list[tuple[str, float, float]] = []

    def place(text, matrix, text_matrix, font, size):
        if text.strip():
            placed.append((text.strip(), text_matrix[4], text_matrix[5]))

    reader.pages[0].extract_text(visitor_text=place)
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    # Centred lines that start inside the frame end inside it too.
    assert all(FRAME < x < width - FRAME and FRAME < y < height - FRAME for _, x, y in placed)
    heights = {line: y for line, _, y in placed}
    with force_locale(language):
        certifies, completed = gettext("This certifies that"), gettext("has completed the course")
    name_lines = [y for line, _, y in placed if line in name]
    title_lines = [y for line, _, y in placed if line in title]
    assert len(name_lines) >= 2 and len(title_lines) >= 2
    assert all(heights[certifies] > y > heights[completed] for y in name_lines)
    organisation = heights["Mediterranean Lab for Co-production of Social Innovation"]
    assert all(heights[completed] > y > organisation for y in title_lines)
