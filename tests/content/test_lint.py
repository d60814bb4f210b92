"""The checks a renderer would pass over: each reported at its path, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content import check_catalogue, check_course, load_course
from app.content.loader import read_source_hash
from app.content.markdown import LESSON_PAGE, parse_document
from app.content.problems import Problems
from tests.content.conftest import lesson_file, two_courses

# lesson_file puts the body on line 7 (six lines of front matter and a blank line).
BODY_LINE = 7


def problems(directory) -> list[str]:
    return [str(problem) for problem in check_course(directory)[1]]


def problems_of(lesson_file: Path) -> list[str]:
    """The problems found in one lesson file of its lessons folder."""
    return [
        problem
        for problem in problems(lesson_file.parent.parent)
        if problem.startswith(f"{lesson_file}:")
    ]


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
        (
            "El CO<sub>2</sub> sube.\n",
            0,
            6,
            "warning",
            "<sub> is shown to learners as text, not as HTML: lessons are written in Markdown",
        ),
        (
            "Intro.\n\n<details>\n<summary>Más</summary>\n",
            2,
            1,
            "warning",
            "<details> is shown to learners as text, not as HTML",
        ),
        (
            "Texto.\n\n<!-- TODO: revisar con Ana\n\nMás texto.\n",
            2,
            1,
            "error",
            "this HTML comment is not closed: end it with -->",
        ),
        (
            "Texto <!-- TODO: revisar\n\ncon Ana -->.\n",
            0,
            7,
            "error",
            "this HTML comment is not closed: end it with -->",
        ),
        (
            "See [it](otro.md).\n",
            0,
            10,
            "error",
            "link to otro.md, which learners cannot open: link to a lesson's file "
            "(../NN-slug/es.md), a web page or an email address",
        ),
        (
            "See [it](/static/guide.pdf).\n",
            0,
            10,
            "error",
            "link to /static/guide.pdf, which learners cannot open: link to a lesson's file "
            "(../NN-slug/es.md), a web page or an email address",
        ),
        (
            "See [it]() now.\n",
            0,
            8,
            "error",
            "this link has no address: write where it leads in its ( ), as in [text](https://…)",
        ),
        (
            "See [it](#x).\n",
            0,
            10,
            "error",
            "link to #x leads nowhere: the headings of a lesson have no anchors to link to",
        ),
        (
            "See [it](../01-first/es.md#x).\n",
            0,
            10,
            "warning",
            "link to ../01-first/es.md#x leads to the top of the lesson: the headings of a "
            "lesson have no anchors to link to",
        ),
        (
            "See [it](javascript:alert(1)).\n",
            0,
            10,
            "error",
            "a link to a javascript: address is not allowed: lessons link to web pages (https:, "
            "http:), email addresses (mailto:) and other lessons",
        ),
        ("Call [us](tel:+34600000000).\n", 0, 11, "error", "a link to a tel: address"),
        (
            "See [the site][nope] and [it][].\n",
            0,
            5,
            "warning",
            "[the site][nope] is shown to learners as written: no '[nope]: https://…' line gives "
            "the link's address",
        ),
        ("See [the site][nope] and [it][].\n", 0, 26, "warning", "[it][] is shown"),
        (
            "Intro.\n\n# Una lección\n",
            2,
            1,
            "warning",
            "a first-level heading (# or ===) is the lesson's title, which the page already "
            "shows: start the text's headings at ##",
        ),
        ("Intro.\n\nOtra\n====\n", 3, 1, "warning", "a first-level heading (# or ===)"),
        (
            "Uno[^a].\n\n[^a]: Primera.\n[^a]: Segunda.\n",
            3,
            1,
            "error",
            "footnote [^a] is defined again (first on line 9): learners see only its last "
            "definition; give each note its own label",
        ),
        (
            "Uno[^a] y dos[^a].\n\n[^a]: Nota.\n",
            0,
            14,
            "warning",
            "footnote [^a] is referenced again, which learners see as [i:1]: give each place a "
            "note of its own",
        ),
        (
            "Uno[^c] y dos [^ c].\n\n[^c]: Nota.\n",
            0,
            15,
            "error",
            "[^ c] is shown to learners as written: a footnote's label has no spaces, as in [^c]",
        ),
        (
            "Véase la fuente[^la fuente].\n\n[^la fuente]: https://example.org/fuente\n",
            2,
            1,
            "error",
            "[^la fuente] is read as a link to https://example.org/fuente, not as a footnote: a "
            "footnote's label has no spaces, as in [^lafuente]",
        ),
        (
            "Mira ![Mapa](img/mapa 2.png) y [esto](https://example.org/a b).\n",
            0,
            6,
            "error",
            "![Mapa](img/mapa 2.png) is shown to learners as written: its address has a space; "
            "take the space out, or put the address between < and >, as in (<img/mapa 2.png>)",
        ),
        (
            "Mira ![Mapa](img/mapa 2.png) y [esto](https://example.org/a b).\n",
            0,
            32,
            "error",
            "[esto](https://example.org/a b) is shown to learners as written",
        ),
        (
            "Intro.\n\n##Por qué evaluar\n",
            2,
            1,
            "warning",
            "##Por qué evaluar is shown to learners as written, not as a heading: put a space "
            "after ##",
        ),
        (
            "Indicadores:\n\n\t- Participación real\n- Otra\n",
            2,
            1,
            "warning",
            "this line is indented by a tab or four spaces, so learners see it as code, in a "
            "box: take the indentation away",
        ),
        (
            "Ver [sitio](https:/example.org).\n",
            0,
            13,
            "error",
            "link to https:/example.org leads nowhere: a web address must include its site, as "
            "in https://example.org/page",
        ),
        ("Ver [x](http://).\n", 0, 9, "error", "link to http:// leads nowhere"),
        (
            "Escribe [aquí](mailto:).\n",
            0,
            16,
            "error",
            "link to mailto: leads nowhere: an email link names the address, as in "
            "mailto:name@example.org",
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
        "inline HTML",
        "HTML block",
        "unclosed comment",
        "comment across paragraphs",
        "file that is not a lesson",
        "file by an absolute path",
        "empty link",
        "anchor on the page",
        "anchor in a lesson",
        "javascript link",
        "other scheme",
        "undefined reference",
        "undefined collapsed reference",
        "first-level heading",
        "setext first-level heading",
        "footnote defined twice",
        "footnote referenced twice",
        "footnote label with a space",
        "footnote label with a space, its note an address",
        "picture with a space in its address",
        "link with a space in its address",
        "heading without a space",
        "line indented by a tab",
        "web address without a site",
        "web address that is only a scheme",
        "email link without an address",
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
    assert html.count(f'src="{LESSON_PAGE}first/files/Mi%20Mapa.png"') == 2


def test_a_picture_without_a_description_is_a_warning(lessons_dir):
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    path = lessons_dir.write("01-first/es.md", lesson_file(body="![](map.png)\n"))
    assert [problem for problem in problems(lessons_dir.root) if "es.md" in problem] == [
        f"{path}:{BODY_LINE}:5: warning: image map.png has no description: write what it "
        "shows in ![…](…) for readers who cannot see it"
    ]


def test_comments_and_escaped_html_are_not_reported(lessons_dir):
    body = "<!-- TODO: revisar -->\n\nTexto<!-- nota -->, `<br>` y \\<!-- sin más.\n"
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert not [problem for problem in problems(lessons_dir.root) if "es.md" in problem]


def test_links_to_web_pages_email_and_the_apps_pages_are_not_reported(lessons_dir):
    body = (
        "Write to [us](mailto:lab@example.org), see [the site](https://example.org/a#b), "
        "[this one](//example.org) or [privacy](/es/privacy).\n"
    )
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert not [problem for problem in problems(lessons_dir.root) if "es.md" in problem]


def test_reference_links_with_a_definition_or_escaped_are_not_reported(lessons_dir):
    body = "See [the site][lab], [Lab][] and \\[a\\]\\[b\\].\n\n[lab]: https://example.org\n"
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert not [problem for problem in problems(lessons_dir.root) if "es.md" in problem]


def test_a_javascript_link_is_never_made_a_link():
    html = parse_document("[js](javascript:alert(1)) [js](JavaScript:alert(1))\n").render()
    assert "<a" not in html


def test_warnings_do_not_stop_a_course_from_loading(lessons_dir):
    lessons_dir.write("01-first/es.md", lesson_file(body="Text.\n\n[^lonely]: A note.\n"))
    assert load_course(lessons_dir.root).lessons[0].slug == "first"


def test_links_between_lessons_and_images_point_at_the_apps_addresses(lessons_dir):
    lessons_dir.lesson("02-second")
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    body = (
        "See [the next one](../02-second/es.md#start), [this one](es.md) and [in Portuguese]"
        "(./pt.md).\n\n![A map](map.png)\n"
    )
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    html = load_course(lessons_dir.root).lessons[0].texts["es"].html
    assert f'href="{LESSON_PAGE}second#start"' in html
    assert f'<a href="{LESSON_PAGE}first">this one</a>' in html
    assert f'<a href="{LESSON_PAGE}first">in Portuguese</a>' in html
    assert f'src="{LESSON_PAGE}first/files/map.png"' in html


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


def test_a_translation_still_in_draft_is_not_warned_unstamped_or_stale(lessons_dir):
    """As on the translations page, a draft translation is a draft, not out of date."""
    source = lessons_dir.write("01-first/es.md", lesson_file("Uno", body="Primera versión.\n"))
    stamp = f"es@{read_source_hash(source, Problems())}"
    lessons_dir.write("01-first/pt.md", lesson_file(draft="true"))
    lessons_dir.write("01-first/en.md", lesson_file(draft="true", translated_from=stamp))
    source.write_text(lesson_file("Uno", body="Segunda versión.\n"), encoding="utf-8")
    assert problems(lessons_dir.root) == []
    english = lessons_dir.write("01-first/en.md", lesson_file(translated_from=stamp))
    [stale] = problems(lessons_dir.root)
    assert stale.startswith(f"{english}:1:1: warning: stale translation: es.md has changed")


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


# In lesson_file(body=QUIZ_WITH_MARKDOWN), the quiz's first line (`? where: …`) is line 10.
QUIZ_WITH_MARKDOWN = """\
Texto.

```quiz
? where: ¿Dónde está el barrio del ![mapa del barrio](mapa.png)?
(x) here: Aquí, como dice [la lección 2](../02-second/es.md#start)
    > Sí: lo explica [la lección 2](../02-second/es.md).
( ) there: Allí
> Vuelve a [la lección 2](/es/lessons/second).
```
"""


def test_links_and_pictures_in_a_quiz_point_at_the_apps_addresses(lessons_dir):
    lessons_dir.lesson("02-second")
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "mapa.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    lessons_dir.write("01-first/es.md", lesson_file(body=QUIZ_WITH_MARKDOWN))
    text = load_course(lessons_dir.root).lessons[0].texts["es"]
    question = text.quiz.questions[0]
    assert f'<img src="{LESSON_PAGE}first/files/mapa.png" alt="mapa del barrio" />' in (
        question.prompt_html
    )
    assert f'<a href="{LESSON_PAGE}second#start">la lección 2</a>' in question.options[0].html
    assert f'<a href="{LESSON_PAGE}second">la lección 2</a>' in (question.options[0].feedback_html)
    # Written as the Spanish page's address, it follows the reader's language all the same.
    assert f'<a href="{LESSON_PAGE}second">la lección 2</a>' in question.feedback_html
    assert [(link.slug, link.line) for link in text.links] == [
        ("second", 11),
        ("second", 12),
        ("second", 14),
    ]


@pytest.mark.parametrize(
    ("quiz_line", "line", "column", "level", "message"),
    [
        (
            "(x) here: Como dice [la lección 7](../07-missing/es.md)",
            1,
            36,
            "error",
            "link to a lesson that does not exist: ../07-missing/es.md",
        ),
        ("(x) here: ![Un mapa](mapa.png)", 1, 22, "error", "image mapa.png is missing from"),
        (
            "(x) here: ![Un mapa](https://example.org/mapa.png)",
            1,
            22,
            "error",
            "image https://example.org/mapa.png is not in the lesson folder",
        ),
        (
            "(x) here: Aquí[^nota]",
            1,
            15,
            "error",
            "a quiz cannot have footnotes: put the note into the question or its feedback",
        ),
        (
            "(x) here: Aquí^[una nota]",
            1,
            15,
            "error",
            "a quiz cannot have footnotes: put the note into the question or its feedback",
        ),
        (
            "(x) here: H<sub>2</sub>O",
            1,
            12,
            "warning",
            "<sub> is shown to learners as text, not as HTML",
        ),
        ("(x) here: Aquí\n    > Sin <!-- nota", 2, 11, "error", "this HTML comment is not closed"),
    ],
    ids=[
        "missing lesson",
        "missing image",
        "external image",
        "footnote",
        "inline footnote",
        "raw HTML",
        "open comment",
    ],
)
def test_markdown_problems_in_a_quiz_are_located(
    lessons_dir, quiz_line, line, column, level, message
):
    body = f"Texto[^nota].\n\n```quiz\n? where: ¿Dónde?\n{quiz_line}\n( ) there: Allí\n```\n\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body + "[^nota]: Una nota.\n"))
    found = problems(lessons_dir.root)
    expected = f"{path}:{BODY_LINE + 3 + line}:{column}: {level}: {message}"
    assert any(problem.startswith(expected) for problem in found), found


def test_a_quiz_keeps_the_trainers_comments_to_themselves(lessons_dir):
    body = "Texto.\n\n```quiz\n? where: ¿Dónde?<!-- revisar con Ana -->\n(x) here: Aquí\n"
    lessons_dir.write("01-first/es.md", lesson_file(body=body + "( ) there: Allí\n```\n"))
    question = load_course(lessons_dir.root).lessons[0].texts["es"].quiz.questions[0]
    assert question.prompt_html == "¿Dónde?"


def test_a_files_problems_are_listed_by_line_and_column(lessons_dir):
    # Found in another order: the text, then its footnotes, then links to drafts.
    lessons_dir.lesson("02-second", languages=("es",), draft="true")
    body = (
        "See <sub>, [^lonely] and [next](../02-second/es.md).\n\n[^lonely]: A.\n\n[^unused]: B.\n"
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    found = [problem for problem in check_course(lessons_dir.root)[1] if problem.path == path]
    assert [(problem.line, problem.column) for problem in found] == [
        (BODY_LINE, 5),
        (BODY_LINE, 33),
        (BODY_LINE + 4, 1),
    ]


def test_a_picture_that_links_to_itself_is_reported_not_a_crash(lessons_dir):
    (lessons_dir.root / "01-first").mkdir()
    (lessons_dir.root / "01-first" / "loop.png").symlink_to("loop.png")
    path = lessons_dir.write("01-first/es.md", lesson_file(body="Un bucle:\n\n![x](loop.png)\n"))
    assert [problem for problem in problems(lessons_dir.root) if "es.md" in problem] == [
        f"{path}:{BODY_LINE + 2}:6: error: cannot read image loop.png: check that it is not a "
        "link leading back to itself and that its permissions let it be read"
    ]


def test_a_quiz_question_reports_its_wording_options_and_feedback_problems_together(
    lessons_dir,
):
    """Mending one part of a question should not reveal problems hidden in the others."""
    body = (
        "```quiz\n? where: ¿Dónde? ![Un mapa](falta.png)\n"
        "(x) here: Como dice [la lección 7](../07-missing/es.md)\n( ) there: Allí\n"
        "> Véase ![otro mapa](tampoco.png)\n```\n"
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    found = problems_of(path)
    expected = [
        "image falta.png is missing from",
        "link to a lesson that does not exist: ../07-missing/es.md",
        "image tampoco.png is missing from",
    ]
    messages = [problem.split(": ", 2)[2] for problem in found]
    assert len(messages) == len(expected), found
    assert all(map(str.startswith, messages, expected)), found
    assert [int(problem.split(":")[1]) - BODY_LINE for problem in found] == [1, 2, 4]


def test_comments_on_lines_of_their_own_in_a_quiz_are_left_out(lessons_dir):
    body = (
        "```quiz\n<!-- Ana: revisar antes de publicar -->\n? where: ¿Dónde?\n"
        "<!-- la segunda opción\n     era otra -->\n(x) here: Aquí <!-- sí -->\n( ) there: Allí\n"
        "> Véase [la lección 7](../07-missing/es.md)\n```\n"
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    found = problems_of(path)
    assert found == [
        f"{path}:{BODY_LINE + 7}:24: error: link to a lesson that does not exist: "
        "../07-missing/es.md"
    ]
    path.write_text(lesson_file(body=body.replace("../07-missing/es.md", "es.md")), "utf-8")
    [question] = load_course(lessons_dir.root).lessons[0].texts["es"].quiz.questions
    assert [option.html for option in question.options] == ["Aquí", "Allí"]


def test_an_email_link_and_a_hashtag_are_no_problem(lessons_dir):
    body = "Escribe a [Ana](mailto:ana@example.org).\n\n#coproducción en la red.\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == []


def test_a_link_to_a_lesson_by_its_address_follows_the_readers_language(lessons_dir):
    lessons_dir.lesson("01-first")
    body = "Ver [la otra](/es/lessons/first) y [otra vez](/es/lessons/first/).\n"
    for language in ("es", "pt", "en"):
        lessons_dir.write(f"02-second/{language}.md", lesson_file(body=body))
    assert problems_of(lessons_dir.root / "02-second" / "es.md") == []
    html = load_course(lessons_dir.root).lessons[1].texts["pt"].html
    assert html.count(f'href="{LESSON_PAGE}first"') == 2


def test_a_link_to_a_lesson_by_its_courses_address_follows_the_readers_language(lessons_dir):
    lessons_dir.lesson("01-first")
    body = "Ver [la otra](/es/courses/co-production/lessons/first#inicio).\n"
    for language in ("es", "pt", "en"):
        lessons_dir.write(f"02-second/{language}.md", lesson_file(body=body))
    [problem] = problems_of(lessons_dir.root / "02-second" / "es.md")
    assert "leads to the top of the lesson" in problem, "checked as /es/lessons/first#inicio is"
    second = load_course(lessons_dir.root).lessons[1]
    assert f'href="{LESSON_PAGE}first#inicio"' in second.texts["pt"].html
    assert [link.slug for link in second.texts["pt"].links] == ["first"]


def test_a_link_to_another_courses_lesson_is_left_as_written(tmp_path):
    course, guide = two_courses(tmp_path / "lessons")
    guide.lesson("01-start", languages=("pt",))
    href = "/pt/courses/guia/lessons/start"
    course.lesson("01-first", body=f"Ver [el otro curso]({href}).\n")
    catalogue, found = check_catalogue(tmp_path / "lessons")
    assert [problem for problem in found if problem.path.name == "es.md"] == []
    html = catalogue.courses[0].lessons[0].texts["es"].html
    assert f'<a href="{href}">el otro curso</a>' in html


@pytest.mark.parametrize(
    "href",
    [
        "/",
        "/es",
        "/es/",
        "/es/privacy",
        "/en/account/data#consents",
        "/pt/courses/guia",
        "/pt/courses/guia/",
        "/es/courses/co-production/",
        "/es/author/courses/guia/translations",
        "/es/author/courses/guia/lessons/start",
        "/es/lessons/first?from=guide",
    ],
)
def test_a_link_to_a_page_the_app_serves_is_no_problem(tmp_path, href):
    course, guide = two_courses(tmp_path / "lessons")
    guide.lesson("01-start", languages=("pt",))
    course.lesson("01-first", body=f"Ver [esto]({href}).\n")
    found = check_catalogue(tmp_path / "lessons")[1]
    assert [str(problem) for problem in found if problem.path.name == "es.md"] == []


CANNOT_OPEN = (
    "which learners cannot open: link to a lesson's file (../NN-slug/es.md), a web page or an "
    "email address"
)


@pytest.mark.parametrize(
    ("href", "message"),
    [
        ("/about", f"link to /about, {CANNOT_OPEN}"),
        ("/lessons/some-other-tutorial", f"link to /lessons/some-other-tutorial, {CANNOT_OPEN}"),
        ("/es/about/", f"link to /es/about/, {CANNOT_OPEN}"),
        ("/es/privacy/", f"link to /es/privacy/, {CANNOT_OPEN}"),
        ("/fr/privacy", f"link to /fr/privacy, {CANNOT_OPEN}"),
        (
            "/es/courses/some-other-tutorial/",
            "link to /es/courses/some-other-tutorial/ leads nowhere: there is no course "
            "'some-other-tutorial' (the courses: co-production, guia)",
        ),
        (
            "/es/courses/guia/lessons/start",
            "link to /es/courses/guia/lessons/start leads nowhere: course 'guia' is not given "
            "in 'es' (its languages: pt)",
        ),
        (
            "/pt/courses/guia/lessons/missing",
            "link to a lesson that does not exist: /pt/courses/guia/lessons/missing",
        ),
        (
            "/es/author/courses/guia/lessons/missing",
            "link to a lesson that does not exist: /es/author/courses/guia/lessons/missing",
        ),
    ],
)
def test_a_link_to_a_page_the_app_does_not_serve_is_an_error(tmp_path, href, message):
    course, guide = two_courses(tmp_path / "lessons")
    guide.lesson("01-start", languages=("pt",))
    path = course.write("01-first/es.md", lesson_file(body=f"Ver [esto]({href}).\n"))
    found = check_catalogue(tmp_path / "lessons")[1]
    assert [str(problem) for problem in found if problem.path == path] == [
        f"{path}:{BODY_LINE}:12: error: {message}"
    ]


@pytest.mark.parametrize(
    "href",
    [
        "/es/lessons/",
        "/es/lessons/first/files/map.png",
        "/es/courses/co-production/lessons/",
        "/es/courses/co-production/lessons/missing",
    ],
)
def test_a_site_address_under_lessons_that_is_no_lesson_is_an_error(lessons_dir, href):
    lessons_dir.lesson("01-first")
    path = lessons_dir.write("02-second/es.md", lesson_file(body=f"Ver [esto]({href}).\n"))
    assert problems_of(path) == [
        f"{path}:{BODY_LINE}:12: error: link to a lesson that does not exist: {href}"
    ]


def test_front_matter_never_closed_is_told_so(lessons_dir):
    path = lessons_dir.write("01-first/es.md", "---\ntitle: Una\nauthor: A\n\nTexto.\n")
    assert problems_of(path) == [
        f"{path}:1:1: error: the front matter is never closed: end it with a line of ---"
    ]


def test_each_link_is_placed_where_its_own_address_is_written(lessons_dir):
    lessons_dir.lesson("02-second")
    line = "Ver [la 2](../02-second/es.md), [x](./), [y](../) y [z](./)."
    path = lessons_dir.write("01-first/es.md", lesson_file(body=line + "\n"))
    columns = [
        int(problem.split(":")[2]) for problem in problems_of(path) if "cannot open" in problem
    ]
    assert columns == [line.index("](./)") + 3, line.index("](../)") + 3, line.rindex("](./)") + 3]


def test_a_link_shown_as_code_earlier_on_the_line_does_not_place_the_real_one(lessons_dir):
    line = "Ver `[a](#sec)` en código y luego [a](#sec)."
    path = lessons_dir.write("01-first/es.md", lesson_file(body=line + "\n"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:{BODY_LINE}:{line.rindex('#sec') + 1}: error: link to #sec")


def test_a_quiz_left_open_is_the_one_error_not_the_footnotes_it_swallowed(lessons_dir):
    body = "Texto[^a].\n\n```quiz\n? q: ¿Sí?\n(x) si: Sí\n( ) no: No\n\n[^a]: Nota.\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    found = problems_of(path)
    assert not [problem for problem in found if "has no definition" in problem], found
    assert [problem for problem in found if "the quiz block is not closed" in problem]


def test_a_missing_picture_is_named_as_written(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file(body="![Un mapa](<mi mapa.png>)\n"))
    [problem] = [problem for problem in problems_of(path) if "missing" in problem]
    assert problem.startswith(f"{path}:{BODY_LINE}:13: error: image mi mapa.png is missing")


def test_a_definition_markdown_cannot_read_is_told_where_it_is_written(lessons_dir):
    body = (
        "Ver [uno][r1] y [dos][r2].\n\n"
        "[r1]: https://example.org/a b\n"
        '[r2]: <https://example.org/x> "Título"\n'
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == [
        f"{path}:{BODY_LINE + 2}:1: warning: [r1]: https://example.org/a b is shown to learners "
        "as written, not read as the address of [r1]: put an address with a space between < "
        "and >, and a title in quotes; the lines under it wait on this one"
    ]


def test_a_code_block_left_open_is_an_error_where_it_opens(lessons_dir):
    body = "Texto[^a].\n\n```python\nprint(1)\n\n## Después\n\nMás texto.\n\n[^a]: Nota.\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == [
        f"{path}:{BODY_LINE + 2}:1: error: this code block is not closed: end it with ``` on a "
        "line of its own, or learners see all the text after it as code"
    ]


def test_a_code_block_left_open_in_a_quote_is_told_at_its_fence(lessons_dir):
    body = "Texto.\n\n> Dice:\n>\n>  ~~~~\n> código\n\nFuera.\n"
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert [problem for problem in problems_of(path) if "not closed" in problem] == [
        f"{path}:{BODY_LINE + 4}:4: error: this code block is not closed: end it with ~~~~ on "
        "a line of its own, or learners see all the text after it as code"
    ]


def test_code_blocks_closed_in_a_quote_a_list_or_at_the_end_are_no_problem(lessons_dir):
    body = (
        "> ```\n> uno\n> ```\n\n1. Paso:\n\n   ````sh\n   dos\n   ````\n\nTexto.\n\n```\ntres\n```"
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == []


INDENTED = (
    "this line is indented by a tab or four spaces, so learners see it as code, in a box: "
    "take the indentation away"
)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("Los pasos son estos.\n\n    Primero se abre el archivo y se lee.\n", 2),
        ("Indicadores:\n\n    1. Participación real\n    2. Otra cosa\n", 2),
        ("Texto.\n\n## Lista\n\nAsí:\n\n\t¿Qué «datos» guarda, y por qué?\n", 6),
    ],
    ids=["sentence", "numbered list", "question after a tab"],
)
def test_text_indented_under_a_paragraph_is_warned_of_as_code(lessons_dir, body, line):
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == [f"{path}:{BODY_LINE + line}:1: warning: {INDENTED}"]


@pytest.mark.parametrize(
    "body",
    [
        "1. Instala el paquete:\n\n        pip install aula\n        Flask run --debug\n",
        "- Escribe:\n\n      Hola, mundo desde aquí.\n",
        "> Por ejemplo:\n>\n>     Esto es la salida del programa.\n",
        "Ejecuta:\n\n    flask --app app lessons check\n",
        "Ejecuta:\n\n    cd lessons\n    ls -la\n",
        "Escribe:\n\n    def greet(name):\n        return f'Hola, {name}'\n",
        "El código:\n\n    x = 1\n\nY una tabla:\n\n    SELECT * FROM lessons;\n",
    ],
    ids=["in a numbered list", "in a list", "in a quote", "a command", "commands", "python", "sql"],
)
def test_code_indented_in_a_list_a_quote_or_reading_as_code_is_no_problem(lessons_dir, body):
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == []


LIQUID = (
    "is a Liquid tag (as Jekyll's), which this site does not run: learners would see it as "
    "text; write in Markdown what it stands for, or take it out"
)
SHORTCODE = (
    "is a Hugo shortcode, which this site does not run: learners would see it as text; "
    "write in Markdown what it stands for, or take it out"
)
ATTRIBUTES = (
    "is a kramdown attribute list, which this site does not read: learners would see it as "
    "text; take it out"
)


def test_other_site_generators_tags_are_warned_of_where_they_are_written(lessons_dir):
    body = (
        "{% include aviso.html %}\n\n"
        "## Hola, {{ page.author }}\n\n"
        'Un mapa: {{< figure src="mapa.png"\n  title="Barrios" >}} y {{% nota %}}.\n'
        "{: .aviso}\n\n"
        "- Un *punto*{: .rojo} y {{ page.author }}\n\n"
        "> Cita\n> {: .cita}\n"
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == [
        f"{path}:{BODY_LINE}:1: warning: {{% include aviso.html %}} {LIQUID}",
        f"{path}:{BODY_LINE + 2}:10: warning: {{{{ page.author }}}} {LIQUID}",
        f'{path}:{BODY_LINE + 4}:10: warning: {{{{< figure src="mapa.png"… {SHORTCODE}',
        f"{path}:{BODY_LINE + 5}:25: warning: {{{{% nota %}}}} {SHORTCODE}",
        f"{path}:{BODY_LINE + 6}:1: warning: {{: .aviso}} {ATTRIBUTES}",
        f"{path}:{BODY_LINE + 8}:13: warning: {{: .rojo}} {ATTRIBUTES}",
        f"{path}:{BODY_LINE + 8}:25: warning: {{{{ page.author }}}} {LIQUID}",
        f"{path}:{BODY_LINE + 11}:3: warning: {{: .cita}} {ATTRIBUTES}",
    ]


def test_other_site_generators_tags_shown_as_code_are_no_problem(lessons_dir):
    body = (
        "En Jekyll se escribe `{% include aviso.html %}` o ``{{ page.title }}``:\n\n"
        "```liquid\n{% for leccion in site.lessons %}\n  {{ leccion.title }}\n{% endfor %}\n```\n\n"
        '1. Y en Hugo:\n\n       {{< figure src="mapa.png" >}}\n       {: .aviso}\n'
    )
    path = lessons_dir.write("01-first/es.md", lesson_file(body=body))
    assert problems_of(path) == []
