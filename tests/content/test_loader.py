"""The lessons loader: the shipped course, and every broken file a trainer may write."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from app.content import ContentError, check_catalogue, check_course, load_course
from app.content.loader import (
    course_folder,
    course_folders,
    declared_courses,
    default_course_slug,
)
from app.content.markdown import roman
from config import ROOT
from tests.content.conftest import COURSE_YML, LessonsDir, lesson_file, two_courses


def problems_of(directory) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(directory)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_course_has_two_lessons_in_three_languages():
    course = load_course(ROOT / "lessons" / "co-production")
    assert course.languages == ("es", "pt", "en")
    assert course.default_language == "es"
    assert course.planned_lessons == 15
    assert [lesson.slug for lesson in course.published_lessons] == [
        "what-is-co-production",
        "towards-co-production-of-public-policies",
    ]
    for lesson in course.lessons:
        assert set(lesson.texts) == {"es", "pt", "en"}
        for text in lesson.texts.values():
            assert text.author == "Ruben"
            assert text.date == dt.date(2024, 5, 15)
    first = course.lessons[0]
    assert first.texts["en"].title == "What is co-production?"
    assert first.texts["pt"].title == "O que é a coprodução?"
    assert first.texts["es"].reading.pages == "14-16"
    assert first.texts["es"].reading.language == "en", "an English reading in a Spanish lesson"
    assert "Catalogue for Wales" in first.texts["es"].reading.title


def test_footnote_markers_are_lower_case_roman_numerals():
    lesson = load_course(ROOT / "lessons" / "co-production").lessons[0]
    html = lesson.texts["pt"].html
    assert ">[i]</a>" in html and ">[ii]</a>" in html and ">[iii]</a>" in html
    assert "[eu]" not in html
    assert 'class="footnotes"' in html


@pytest.mark.parametrize(
    ("number", "expected"), [(1, "i"), (2, "ii"), (4, "iv"), (9, "ix"), (14, "xiv"), (40, "xl")]
)
def test_roman_numerals(number, expected):
    assert roman(number) == expected


def test_a_minimal_directory_loads(lessons_dir):
    lessons_dir.lesson("01-first")
    course = load_course(lessons_dir.root)
    assert course.published_lessons[0].number == 1
    assert course.title["pt"] == "Curso de teste"


def test_a_lesson_text_knows_its_reading_time_in_whole_minutes_rounded_up(lessons_dir):
    # 402 words at 200 a minute: three minutes; the link's address and the quiz are not read.
    prose = " ".join(["palabra"] * 399)
    quiz = "```quiz\n" + "? larga: " + " ".join(["pregunta"] * 300) + "\nanswer: true\n```\n"
    body = f"## Dos palabras\n\n{prose} [https://example.org/a/b/c](https://example.org/)\n\n{quiz}"
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    lessons_dir.write("02-second/es.md", lesson_file(body="Una palabra."))
    first, second = load_course(lessons_dir.root).lessons
    assert first.texts["es"].reading_minutes == 3
    assert second.texts["es"].reading_minutes == 1, "a short text takes a minute, not none"


def test_raw_html_in_a_lesson_is_shown_as_text_not_run(lessons_dir):
    body = '<script>alert("x")</script>\n\nTexto <img src=x onerror=alert(1)>\n'
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    html = load_course(lessons_dir.root).lessons[0].texts["es"].html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_html_comments_never_reach_the_page_and_other_html_is_shown_as_text(lessons_dir):
    body = (
        "<!-- TODO: revisar con Ana, no publicar la cifra -->\n\n"
        "El CO<sub>2</sub> sube<!-- nota: la cifra -- sin confirmar -->.<br>\n\n"
        "<!--\nUna nota larga\n\ncon dos párrafos\n-->\n\n"
        "<details>\n<summary>Más</summary>\n\nTexto.\n\n</details>\n"
    )
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    html = load_course(lessons_dir.root).lessons[0].texts["es"].html
    assert "revisar" not in html and "nota" not in html and "dos párrafos" not in html
    assert "<!--" not in html and "&lt;!--" not in html
    assert "<p>El CO&lt;sub&gt;2&lt;/sub&gt; sube.&lt;br&gt;</p>" in html
    assert "&lt;details&gt;" in html and "<p>Texto.</p>" in html
    assert "<details" not in html and "<sub" not in html


def test_bad_yaml_is_reported_at_its_line(lessons_dir):
    path = lessons_dir.write(
        "01-first/es.md", "---\ntitle: Una\nauthor: [Ruben\ndate: 2024-05-15\n---\nTexto\n"
    )
    [problem] = problems_of(lessons_dir.root)
    assert problem == f"{path}:3:9: error: this [ is never closed: end the list with ]"


@pytest.mark.parametrize(
    ("front", "where", "message"),
    [
        (
            "title: Lesson one: what is it?\nauthor: Ruben\ndate: 2024-05-15",
            "2:18",
            "a value with ': ' in it needs quotes, as in title: \"Lesson 1: why\"",
        ),
        (
            "title: Una\nauthor: Ruben\nreading:\n\ttitle: Otra\ndate: 2024-05-15",
            "5:1",
            "indent with spaces: YAML does not take tabs",
        ),
        (
            "title: Una\nauthor: Ruben\ntitle: Dos\ndate: 2024-05-15",
            "4:1",
            "'title' is given twice",
        ),
        (
            'title: "Una\nauthor: Ruben\ndate: 2024-05-15',
            "2:8",
            "this quote is never closed: end the value with the same quote",
        ),
        (
            'title: "Una\nauthor: Ruben\nreading:\n  title: "Otra"\ndate: 2024-05-15',
            "2:8",
            "this quote is never closed: end the value with the same quote",
        ),
        (
            "title: Una\nauthor: {name: Ruben\ndate: 2024-05-15",
            "3:9",
            "this { is never closed with }",
        ),
        (
            "title: “Lección 1: por qué”\nauthor: Ruben\ndate: 2024-05-15",
            "2:8",
            'write quotes around a value as straight quotes ("), not curly ones (“ ”)',
        ),
        (
            "title:Prueba\nauthor: Ruben\ndate: 2024-05-15",
            "2:7",
            "put a space after the colon: 'key: value'",
        ),
        (
            "author: Ruben\ndate: 2024-05-15\ntitle:Prueba",
            "4:7",
            "put a space after the colon: 'key: value'",
        ),
        ("title:Prueba", "2:7", "put a space after the colon: 'key: value'"),
        (
            "title: Una\nauthor Ruben\ndate: 2024-05-15",
            "3:1",
            "this line should be 'key: value', but its ': ' is missing",
        ),
        (
            "title: *Importante*\nauthor: Ruben\ndate: 2024-05-15",
            "2:8",
            "a value cannot start with *: put the whole value in quotes",
        ),
        (
            "title: Una\nauthor: @ruben\ndate: 2024-05-15",
            "3:9",
            "a value cannot start with @: put the whole value in quotes",
        ),
        (
            "title: 'It's a lesson'\nauthor: Ruben\ndate: 2024-05-15",
            "2:12",
            "the value goes on after its closing quote: put all of it in quotes, using ' "
            'outside if it has " inside, or the other way round',
        ),
        (
            "title: [Borrador] Una\nauthor: Ruben\ndate: 2024-05-15",
            "2:19",
            "a value that starts with [ or { is read as a list: put it in quotes",
        ),
        (
            "title: Una\nauthor: Ruben\ndate: 2024-05-15\nreading:\n  title: Otra\n pages: 3",
            "7:2",
            "this line is not lined up with the ones above it",
        ),
        (
            "title: Una\n  author: Ruben\ndate: 2024-05-15",
            "3:9",
            "this line is not lined up with the ones above it",
        ),
        (
            "title: Una\nauthor: Ruben\ndate: 2024-05-15\ncollects: [essays, , quiz]",
            "5:20",
            "a value is missing here",
        ),
        (
            'title: "C:\\Users"\nauthor: Ruben\ndate: 2024-05-15',
            "2:11",
            "in double quotes, a backslash must be doubled (\\\\); or use single quotes",
        ),
        (
            "title: Una\nauthor: Ru\x0bben\ndate: 2024-05-15",
            "3:11",
            "an invisible control character is in this line: delete it, or type the line again",
        ),
        (
            "title: Una\nauthor: &a Ruben\ndate: &a 2024-05-15",
            "4:7",
            "the YAML here is not valid",
        ),
    ],
    ids=[
        "colon in a value",
        "tab",
        "key twice",
        "unclosed quote",
        "unclosed quote, another quote further down",
        "unclosed brace",
        "curly quotes",
        "no space after the colon",
        "no space, last line",
        "no space, alone",
        "no colon",
        "emphasis",
        "handle",
        "apostrophe",
        "bracket first",
        "indented less",
        "indented more",
        "empty list item",
        "backslash",
        "control character",
        "anything else",
    ],
)
def test_common_yaml_mistakes_are_told_in_plain_words(lessons_dir, front, where, message):
    path = lessons_dir.write("01-first/es.md", f"---\n{front}\n---\nTexto\n")
    assert f"{path}:{where}: error: {message}" in problems_of(lessons_dir.root)


@pytest.mark.parametrize(
    "front",
    [
        'title: "Una\nauthor: Ruben',
        "title: Una: dos\nauthor: Ruben",
        "title: >x\nauthor: Ruben",
        "title: Una\nauthor: Ruben\npages: !!int catorce",
        "? [title]\n: Una",
    ],
)
def test_yaml_mistakes_are_told_wholly_in_the_trainers_language(lessons_dir, front):
    lessons_dir.write("01-first/es.md", f"---\n{front}\ndate: 2024-05-15\n---\nTexto\n")
    with pytest.raises(ContentError) as caught:
        load_course(lessons_dir.root)
    # Translated as upper case, whatever is left in lower case was not translated.
    for problem in caught.value.problems:
        words = problem.in_words(str.upper)
        assert words == words.upper(), words


def test_a_missing_title_is_reported(lessons_dir):
    path = lessons_dir.write("01-first/es.md", "---\nauthor: Ruben\ndate: 2024-05-15\n---\nTexto\n")
    assert problems_of(lessons_dir.root) == [f"{path}:2:1: error: missing required key 'title'"]


def test_an_unknown_key_is_reported_at_its_own_line(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file(autor="Ruben"))
    [problem] = problems_of(lessons_dir.root)
    assert problem.startswith(f"{path}:5:1: error: unknown key 'autor'")


def test_a_date_not_in_iso_form_is_reported(lessons_dir):
    path = lessons_dir.write(
        "01-first/es.md", "---\ntitle: Una\nauthor: Ruben\ndate: 15 May 2024\n---\nTexto\n"
    )
    assert problems_of(lessons_dir.root) == [
        f"{path}:4:1: error: 'date' must be written as YYYY-MM-DD"
    ]


@pytest.mark.parametrize(
    ("title", "marks"),
    [
        ("'La *coproducción* hoy'", "*coproducción*"),
        ("'Ver `código`'", "`código`"),
        ("'El método [Ostrom](https://example.org)'", "[Ostrom](https://example.org)"),
    ],
)
def test_markdown_in_a_title_is_warned_of(lessons_dir, title, marks):
    path = lessons_dir.write("01-first/es.md", lesson_file(title))
    found = [str(problem) for problem in check_course(lessons_dir.root)[1] if problem.path == path]
    assert found == [
        f"{path}:2:1: warning: a title is plain text: learners see {marks} as it is written"
    ]


def test_markdown_in_a_readings_title_and_an_author_list_are_reported(lessons_dir):
    path = lessons_dir.write(
        "01-first/es.md",
        "---\ntitle: Una\nauthor: [Lucía, Pedro]\ndate: 2024-05-15\n"
        "reading: {title: '*Seeing is Believing*'}\n---\nTexto\n",
    )
    found = [str(problem) for problem in check_course(lessons_dir.root)[1] if problem.path == path]
    assert found == [
        f"{path}:3:1: error: 'author' must be one piece of text, not a list",
        f"{path}:5:1: warning: a title is plain text: learners see *Seeing is Believing* as it"
        " is written",
    ]


def test_a_title_with_a_lone_asterisk_or_underscore_is_fine(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file("'5 * 3 = 15 y snake_case'"))
    assert [problem for problem in check_course(lessons_dir.root)[1] if problem.path == path] == []


def test_a_reading_language_that_is_no_language_code_is_reported(lessons_dir):
    path = lessons_dir.write(
        "01-first/es.md",
        lesson_file("Uno", reading="{title: A book, language: English}"),
    )
    [problem] = problems_of(lessons_dir.root)
    assert problem.startswith(f"{path}:")
    assert problem.endswith(
        "error: 'reading.language' must be a language code such as 'en' or 'pt-BR', not 'English'"
    )


def test_a_mistake_inside_the_reading_is_reported_at_its_own_line(lessons_dir):
    front = "reading:\n  title: Un libro\n  enlace: https://example.org\n  url: example.org"
    path = lessons_dir.write("01-first/es.md", f"---\ntitle: Uno\nauthor: A\n{front}\n---\n")
    found = problems_of(lessons_dir.root)
    assert f"{path}:6:1: error: unknown key 'reading.enlace'" in "\n".join(found)
    assert f"{path}:7:1: error: 'reading.url' must be an http(s) address" in "\n".join(found)


@pytest.mark.parametrize(
    "where",
    ["date: 2024-02-30", "date: 2024-05-15\nreading:\n  title: Un libro\n  pages: 2024-13-45"],
)
def test_a_date_that_does_not_exist_is_reported_not_raised(lessons_dir, where):
    path = lessons_dir.write(
        "01-first/es.md", f"---\ntitle: Una\nauthor: Ruben\n{where}\n---\nTexto\n"
    )
    line = 4 + where.count("\n")
    column = where.rsplit("\n", 1)[-1].index(": ") + 3
    impossible = where.rsplit(": ", 1)[1]
    assert problems_of(lessons_dir.root) == [
        f"{path}:{line}:{column}: error: {impossible} is not a real date"
    ]


def test_a_date_that_does_not_exist_leaves_the_rest_of_the_file_checked(lessons_dir):
    front = "---\ntitle: Una\nauthor: Ruben\ndate: 2024-02-30\ndraft: quizá\n---\n"
    path = lessons_dir.write("01-first/es.md", front + "Texto[^nota].\n")
    assert problems_of(lessons_dir.root) == [
        f"{path}:4:7: error: 2024-02-30 is not a real date",
        f"{path}:5:1: error: 'draft' must be true or false",
        f"{path}:7:6: error: footnote [^nota] has no definition",
    ]


def test_a_byte_order_mark_before_the_front_matter_is_ignored(lessons_dir):
    lessons_dir.write("01-first/es.md", "\ufeff" + lesson_file())
    (lessons_dir.root / "course.yml").write_text("\ufeff" + COURSE_YML, encoding="utf-8")
    [lesson] = load_course(lessons_dir.root).lessons
    assert lesson.texts["es"].title == "Una lección"


def test_course_settings_not_in_utf8_are_reported(lessons_dir):
    lessons_dir.lesson("01-first")
    (lessons_dir.root / "course.yml").write_bytes(
        COURSE_YML.replace("prueba", "formación").encode("latin-1")
    )
    assert problems_of(lessons_dir.root)[0] == (
        f"{lessons_dir.root / 'course.yml'}:1:1: error: the file is not UTF-8 text"
    )


def unreadable(path: Path, kind: str) -> None:
    """Put something that carries a lesson file's name but cannot be read at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("nowhere.md")


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("folder", "it is a folder"), ("link", "it is a link to a file that does not exist")],
)
@pytest.mark.parametrize("language", ["es", "pt"])
def test_a_lesson_file_that_cannot_be_read_is_reported_once(lessons_dir, kind, reason, language):
    lessons_dir.lesson("01-first", languages={"es", "pt", "en"} - {language})
    path = lessons_dir.root / "01-first" / f"{language}.md"
    unreadable(path, kind)
    assert problems_of(lessons_dir.root) == [f"{path}:1:1: error: cannot read this file: {reason}"]


def test_course_settings_that_cannot_be_read_are_reported(lessons_dir):
    lessons_dir.lesson("01-first")
    path = lessons_dir.root / "course.yml"
    path.unlink()
    unreadable(path, "folder")
    assert problems_of(lessons_dir.root) == [
        f"{path}:1:1: error: cannot read this file: it is a folder"
    ]


def test_a_file_without_front_matter_is_reported(lessons_dir):
    path = lessons_dir.write("01-first/es.md", "# Una lección\n\nTexto\n")
    assert problems_of(lessons_dir.root) == [
        f"{path}:1:1: error: missing front matter: start the file with a '---' block"
    ]


def test_a_folder_number_out_of_range_is_reported(lessons_dir):
    lessons_dir.lesson("16-extra")
    assert problems_of(lessons_dir.root) == [
        f"{lessons_dir.root / '16-extra'}:1:1: error: lesson number 16 is outside the course's "
        "15 planned lessons"
    ]


def test_a_badly_named_folder_and_a_duplicate_number_are_reported(lessons_dir):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("01-again")
    lessons_dir.lesson("lesson-two")
    problems = problems_of(lessons_dir.root)
    assert len(problems) == 2
    assert any("lesson number 1 is also that of" in problem for problem in problems)
    assert any(
        problem.endswith(
            "named NN-slug: two digits, a hyphen, then only lower-case letters without accents, "
            "digits and hyphens, as in '03-a-new-lesson'"
        )
        for problem in problems
    )


def test_a_problem_is_told_in_the_trainers_words_with_paths_from_the_lessons_folder(
    lessons_dir,
):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("01-again")
    with pytest.raises(ContentError) as caught:
        load_course(lessons_dir.root)
    (problem,) = caught.value.problems
    portuguese = {
        "error": "erro",
        "lesson number %(number)d is also that of %(folder)s: give one of them another "
        "number": "o número %(number)d é também o de %(folder)s",
    }
    shown = problem.relative_to(lessons_dir.root, lessons_dir.root.parent)
    assert shown.described(lambda words: portuguese.get(words, words)) == (
        "01-first:1:1: erro: o número 1 é também o de 01-again"
    )
    assert str(shown) == (
        "01-first:1:1: error: lesson number 1 is also that of 01-again: give one of them "
        "another number"
    )


def test_a_lesson_without_the_default_language_is_reported(lessons_dir):
    lessons_dir.lesson("01-first", languages=("pt", "en"))
    [problem] = problems_of(lessons_dir.root)
    assert problem.startswith(
        f"{lessons_dir.root / '01-first' / 'es.md'}:1:1: error: missing es.md"
    )


def test_a_file_in_a_language_the_course_lacks_is_reported(lessons_dir):
    lessons_dir.lesson("01-first")
    path = lessons_dir.write("01-first/fr.md", lesson_file())
    [problem] = problems_of(lessons_dir.root)
    assert problem.startswith(f"{path}:1:1: error: 'fr.md' is not a course language file")


def test_every_problem_in_the_directory_is_reported_at_once(lessons_dir):
    lessons_dir.write("01-first/es.md", lesson_file(draft="maybe"))
    lessons_dir.write("02-second/es.md", lesson_file(reading="just a string"))
    problems = problems_of(lessons_dir.root)
    assert len(problems) == 2
    assert "'draft' must be true or false" in problems[0]
    assert "'reading' must have 'title'" in problems[1]


def test_course_settings_are_checked(lessons_dir):
    path = lessons_dir.write(
        "course.yml",
        "title:\n  es: Curso\nlanguages: [es, fr]\ndefault_language: es\nplanned_lessons: 0\n",
    )
    problems = problems_of(lessons_dir.root)
    assert f"{path}:3:1: error: language 'fr' is not supported (supported: es, pt, en)" in problems
    assert f"{path}:5:1: error: 'planned_lessons' must be a number from 1 to 99" in problems


def test_a_missing_course_title_translation_is_reported(lessons_dir):
    path = lessons_dir.write(
        "course.yml",
        "title:\n  es: Curso\n  en: Course\nlanguages: [es, pt, en]\n"
        "default_language: es\nplanned_lessons: 15\n",
    )
    assert problems_of(lessons_dir.root) == [f"{path}:1:1: error: 'title' is missing its 'pt' text"]


def test_a_draft_lesson_is_loaded_but_not_published(lessons_dir):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("02-second", draft="true")
    course = load_course(lessons_dir.root)
    assert len(course.lessons) == 2
    assert [lesson.slug for lesson in course.published_lessons] == ["first"]
    assert course.published_lesson("second") is None


def test_a_missing_or_draft_translation_falls_back_to_the_default_language(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",))
    lessons_dir.write("01-first/pt.md", lesson_file("Rascunho", draft="true"))
    lesson = load_course(lessons_dir.root).lessons[0]
    assert lesson.text_for("en").language == "es"
    assert lesson.text_for("pt").language == "es"
    assert lesson.text_for("es").language == "es"


def test_course_slots_show_planned_lessons_still_to_come(lessons_dir):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("03-third")
    slots = load_course(lessons_dir.root).slots()
    assert len(slots) == 15
    assert [number for number, lesson in slots if lesson] == [1, 3]


def test_content_modules_do_not_import_flask_or_the_database():
    for module in (ROOT / "app" / "content").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        }
        assert not imported & {"flask", "flask_babel", "sqlalchemy"}, Path(module).name


@pytest.mark.parametrize("name", ["pt.md.txt", "pt.markdown", "pt.txt"])
def test_a_lesson_file_saved_under_another_name_is_told_so(lessons_dir, name):
    lessons_dir.lesson("01-first", languages=("es", "en"))
    misnamed = lessons_dir.write(f"01-first/{name}", lesson_file())
    warnings = [str(problem) for problem in check_course(lessons_dir.root)[1]]
    assert f"{misnamed}:1:1: warning: '{name}' is not read: a lesson file is named pt.md" in (
        warnings
    )


def test_a_copy_beside_its_lesson_file_is_no_misnamed_lesson_file(lessons_dir):
    lessons_dir.lesson("01-first")
    for name in ("pt.md~", "es.md.orig", "pt.md.bak"):
        lessons_dir.write(f"01-first/{name}", lesson_file())
    found = [str(problem) for problem in check_course(lessons_dir.root)[1]]
    assert not [problem for problem in found if "is not read" in problem], found


def test_the_shipped_lessons_are_two_courses_the_labs_first():
    catalogue, problems = check_catalogue(ROOT / "lessons")
    assert problems == []
    assert [course.slug for course in catalogue.courses] == ["co-production", "writing-lessons"]
    assert catalogue.default.directory == ROOT / "lessons" / "co-production"


def test_each_course_folder_is_a_course_its_lessons_know_it_by(tmp_path):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first")
    guide.lesson("01-first", languages=("pt",))
    catalogue, problems = check_catalogue(root)
    assert all("unstamped translation" in problem.template for problem in problems)
    first, second = catalogue.courses
    assert (first.slug, first.directory) == ("co-production", root / "co-production")
    assert (second.slug, second.directory) == ("guia", root / "guide"), "the slug from course.yml"
    assert second.description == {"pt": "Como escrever uma lição."}
    assert [lesson.course for lesson in first.lessons] == ["co-production"]
    assert [lesson.course for lesson in second.lessons] == ["guia"], "the same lesson slug"
    assert catalogue.offered_in("es") == (first,) and catalogue.offered_in("pt") == (first, second)


@pytest.mark.parametrize(
    ("default", "order"),
    [(None, ["co-production", "guia"]), ("guia", ["guia", "co-production"])],
)
def test_the_default_course_comes_first_else_the_first_folders(tmp_path, default, order):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first")
    guide.lesson("01-first", languages=("pt",))
    catalogue, _problems = check_catalogue(root, default=default)
    assert [course.slug for course in catalogue.courses] == order
    assert catalogue.default.slug == order[0]


def test_a_default_course_the_folder_lacks_is_an_error(tmp_path):
    root = tmp_path / "lessons"
    two_courses(root)
    catalogue, problems = check_catalogue(root, default="nope")
    assert catalogue is None
    assert [str(problem) for problem in problems] == [
        f"{root}:1:1: error: the default course 'nope' is not in this folder "
        "(courses: co-production, guia)"
    ]


def test_course_folders_are_the_folders_with_course_settings(tmp_path):
    root = tmp_path / "lessons"
    two_courses(root)
    for ignored in (".git", "_drafts", "notes"):
        (root / ignored).mkdir()
    (root / ".git" / "course.yml").write_text(COURSE_YML, encoding="utf-8")
    (root / "_drafts" / "course.yml").write_text(COURSE_YML, encoding="utf-8")
    (root / "README.md").write_text("Our courses.\n", encoding="utf-8")
    assert course_folders(root) == (root / "co-production", root / "guide")
    # A lessons folder laid out as one course is that course.
    assert course_folders(root / "guide") == (root / "guide",)
    assert course_folders(tmp_path / "missing") == (tmp_path / "missing",)


def test_a_lessons_folder_without_any_course_says_where_settings_go(tmp_path):
    (tmp_path / "lessons" / "notes").mkdir(parents=True)
    catalogue, problems = check_catalogue(tmp_path / "lessons")
    assert catalogue is None
    assert [str(problem) for problem in problems] == [
        f"{tmp_path / 'lessons' / 'course.yml'}:1:1: error: missing course.yml: put the course "
        "settings file here, or one in each course's folder"
    ]


def test_the_default_course_slug_is_read_without_the_lessons(tmp_path):
    root = tmp_path / "lessons"
    guide = LessonsDir(root / "a-guide", COURSE_YML.replace("co-production", "guia"))
    guide.write("01-first/es.md", lesson_file(autor="broken"))
    LessonsDir(root / "b-course", COURSE_YML.replace("slug: co-production\n", ""))
    assert default_course_slug(root) == "guia", "the first folder's, from its course.yml"
    assert default_course_slug(root, "b-course") == "b-course", "as configured"
    assert default_course_slug(root / "b-course") == "course", "a single course without slug"
    assert default_course_slug(root / "a-guide") == "guia"
    assert default_course_slug(tmp_path / "empty") == "course"
    assert course_folder(root, "guia") == root / "a-guide", "found though its lessons are broken"
    assert course_folder(root, "b-course") == root / "b-course", "its folder's name"
    assert course_folder(root, "nope") is None


def test_a_single_course_takes_its_slug_from_course_yml_else_is_course(lessons_dir):
    lessons_dir.lesson("01-first")
    assert [lesson.course for lesson in load_course(lessons_dir.root).lessons] == ["co-production"]
    lessons_dir.write("course.yml", COURSE_YML.replace("slug: co-production\n", ""))
    catalogue, _problems = check_catalogue(lessons_dir.root)
    [course] = catalogue.courses
    assert course.slug == "course" and course.lessons[0].course == "course"


def test_every_course_folder_is_checked_whatever_the_ones_before_it_hold(tmp_path):
    """A course that cannot be read, or whose slug another has taken, does not stop the
    check: the folders after it are checked too, so one run lists every problem."""
    root = tmp_path / "lessons"
    unreadable = LessonsDir(root / "a-unreadable")
    unreadable.write("course.yml", "title: [\n")
    LessonsDir(root / "b-first").lesson("01-first")
    LessonsDir(root / "c-same-slug").lesson("01-first")
    last = LessonsDir(root / "d-last")
    last.write("01-first/es.md", lesson_file(autor="broken"))
    catalogue, problems = check_catalogue(root)
    assert catalogue is None
    assert {Path(problem.path).parent.name for problem in problems} >= {
        "a-unreadable",
        "c-same-slug",
        "01-first",
    }
    assert any(Path(problem.path).parent.parent == root / "d-last" for problem in problems)


def test_a_single_course_without_a_slug_is_declared_as_course(tmp_path):
    single = LessonsDir(tmp_path / "lessons", COURSE_YML.replace("slug: co-production\n", ""))
    assert declared_courses(single.root) == (("course", single.root),)
    (tmp_path / "nothing").mkdir()
    assert default_course_slug(tmp_path / "nothing") == "course", "a folder without courses"
