"""The checks a renderer would pass over: each reported at its path, line and column."""

from __future__ import annotations

import pytest

from app.content import check_course, load_course
from app.content.loader import read_source_hash
from app.content.problems import Problems
from tests.content.conftest import lesson_file

# lesson_file puts the body on line 7 (six lines of front matter and a blank line).
BODY_LINE = 7


def problems(directory) -> list[str]:
    return [str(problem) for problem in check_course(directory)[1]]


@pytest.mark.parametrize(
    ("body", "line", "column", "level", "message"),
    [
        ("Text[^nope].\n", 0, 5, "error", "footnote [^nope] has no definition"),
        (
            "Text.\n\n[^lonely]: A note.\n",
            2,
            1,
            "warning",
            "footnote [^lonely] is defined but never referenced",
        ),
        ("Intro.\n\n## \n\nMore.\n", 2, 1, "warning", "empty heading"),
        (
            "See [there](../07-missing/es.md).\n",
            0,
            13,
            "error",
            "link to a lesson that does not exist: ../07-missing/es.md",
        ),
        (
            "See [there](/es/lessons/missing).\n",
            0,
            13,
            "error",
            "link to a lesson that does not exist: /es/lessons/missing",
        ),
        ("![A map](map.png)\n", 0, 10, "error", "image map.png is missing from"),
        (
            "![A map](https://example.org/map.png)\n",
            0,
            10,
            "error",
            "image https://example.org/map.png is not in the lesson folder",
        ),
        (
            "![Escape](../../config.py)\n",
            0,
            11,
            "error",
            "image ../../config.py is outside the lesson folder",
        ),
    ],
    ids=[
        "undefined footnote",
        "unused footnote",
        "empty heading",
        "missing lesson",
        "missing lesson URL",
        "missing image",
        "external image",
        "outside folder",
    ],
)
def test_markdown_problems_are_located(lessons_dir, body, line, column, level, message):
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    found = problems(lessons_dir.root)
    expected = f"{path}:{BODY_LINE + line}:{column}: {level}: {message}"
    assert any(problem.startswith(expected) for problem in found), found


def test_a_picture_with_a_space_in_its_name_is_found_and_served(lessons_dir):
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "Mi Mapa.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    body = "![Un mapa](<Mi Mapa.png>)\n\n![Otro mapa](Mi%20Mapa.png)\n"
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert not [problem for problem in problems(lessons_dir.root) if "es.md" in problem]
    html = load_course(lessons_dir.root).lessons[0].texts["es"].html
    assert html.count('src="first/files/Mi%20Mapa.png"') == 2


def test_a_picture_without_a_description_is_a_warning(lessons_dir):
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = lessons_dir.write("01-first/es.md", lesson_file(body="![](map.png)\n"))
    assert [problem for problem in problems(lessons_dir.root) if "es.md" in problem] == [
        f"{path}:{BODY_LINE}:5: warning: image map.png has no description: write what it "
        "shows in ![…](…) for readers who cannot see it"
    ]


def test_warnings_do_not_stop_a_course_from_loading(lessons_dir):
    lessons_dir.write("01-first/es.md", lesson_file(body="Text.\n\n[^lonely]: A note.\n"))
    assert load_course(lessons_dir.root).lessons[0].slug == "first"


def test_links_between_lessons_and_images_point_at_the_apps_addresses(lessons_dir):
    lessons_dir.lesson("02-second")
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    body = "See [the next one](../02-second/es.md#start).\n\n![A map](map.png)\n"
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    html = load_course(lessons_dir.root).lessons[0].texts["es"].html
    assert 'href="second#start"' in html
    assert 'src="first/files/map.png"' in html


def test_a_gap_in_lesson_numbers_and_a_missing_translation_are_warnings(lessons_dir):
    lessons_dir.lesson("01-first")
    lessons_dir.lesson("03-third", languages=("es", "en"))
    found = problems(lessons_dir.root)
    third = lessons_dir.root / "03-third"
    assert f"{third}:1:1: warning: lesson numbers jump from 01 to 03: lesson 02 is missing" in found
    assert f"{third / 'pt.md'}:1:1: warning: missing translation: pt.md" in found


def test_a_draft_lesson_is_not_warned_of_missing_translations_but_of_its_errors(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",), draft="true")
    assert problems(lessons_dir.root) == []
    path = lessons_dir.write("01-first/es.md", lesson_file(draft="true", body="Text[^nope].\n"))
    assert problems(lessons_dir.root) == [
        f"{path}:{BODY_LINE + 1}:5: error: footnote [^nope] has no definition"
    ]


def test_a_translation_goes_stale_when_its_source_changes(lessons_dir):
    source = lessons_dir.write("01-first/es.md", lesson_file("Uno", body="Primera versión.\n"))
    stamp = f"es@{read_source_hash(source, Problems())}"
    for language in ("pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", lesson_file(translated_from=stamp))
    assert problems(lessons_dir.root) == []
    assert not load_course(lessons_dir.root).lessons[0].is_stale("pt")

    source.write_text(lesson_file("Uno", body="Segunda versión.\n"), encoding="utf-8")
    found = problems(lessons_dir.root)
    assert len(found) == 2
    assert found[0].startswith(
        f"{lessons_dir.root / '01-first' / 'en.md'}:1:1: warning: stale translation: es.md has "
        "changed since this was translated from it"
    )
    assert load_course(lessons_dir.root).lessons[0].is_stale("pt")


def test_translated_from_must_name_the_default_language(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",))
    path = lessons_dir.write("01-first/pt.md", lesson_file(translated_from="en@abcdef12"))
    assert f"{path}:5:1: error: 'translated_from' is written es@<hash>" in "\n".join(
        problems(lessons_dir.root)
    )


def test_a_published_lesson_linking_to_a_draft_is_warned(lessons_dir):
    lessons_dir.lesson("02-second", languages=("es",), draft="true")
    body = "See [the next one](../02-second/es.md) and [again](/es/lessons/second).\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    draft_links = [problem for problem in problems(lessons_dir.root) if "(a draft)" in problem]
    assert draft_links == [
        f"{path}:{BODY_LINE}:20: warning: link to ../02-second/es.md, a lesson learners "
        "cannot open yet (a draft)",
        f"{path}:{BODY_LINE}:52: warning: link to /es/lessons/second, a lesson learners "
        "cannot open yet (a draft)",
    ]
    lessons_dir.write("02-second/es.md", lesson_file(body="Ready.\n"))
    assert not [problem for problem in problems(lessons_dir.root) if "(a draft)" in problem]
