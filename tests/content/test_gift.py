"""`flask lessons import-gift`: a quiz written for Moodle, in its GIFT format, becomes a
lesson's quiz block that the platform's own parser reads, and whatever cannot be kept is
told at its line of the GIFT file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import lessons
from app.content import load_course
from app.content.gift import convert_gift
from app.content.markdown import parse_document, parse_text
from app.content.model import QuestionKind, Quiz
from app.content.problems import Problems
from app.content.quiz import parse_quiz
from tests.content.conftest import lesson_file

GIFT = Path("rivers.gift")

# Written the way Moodle's documentation writes its examples: a category, comments, titles,
# answers on lines of their own with feedback, general feedback, and one of each kind.
RIVERS = """\
// Rivers of Europe and Africa: a practice quiz.
$CATEGORY: $course$/top/Geography

// A single choice, with feedback on each answer and on the whole question.
::Cairo::Which river flows through Cairo?{
    =The Nile#Yes: the city stands on both its banks.
    ~The Congo#No: the Congo flows much further south.
    ~The Niger#No: the Niger flows through West Africa.
    ####The Nile crosses Egypt from south to north.
}

::Delta::The Nile reaches the sea through a delta.{TRUE}

::Pacific::The Amazon flows into the Pacific Ocean.{F#No: it flows into the Atlantic.}

// Several answers, each right one worth half the mark.
::Danube::Which of these capitals
stand on the Danube?{
    ~%50%Vienna#Yes.
    ~%50%Budapest#Yes.
    ~%-100%Madrid#No: Madrid stands on the Manzanares.
}

::Length::How long is the Nile, in kilometres?{#6650:50}

::Sources::The source of the Thames is in the {~Pennines =Cotswolds ~Highlands}.

::Capitals::Name the capital on the Seine.{=Paris =paris}
"""


def render(source: str, first_line: int, last_line: int) -> str:
    return parse_text(source, first_line, last_line).render()


def parsed(block: str) -> Quiz:
    """The quiz as the platform reads it from a lesson, with nothing it would refuse."""
    document = parse_document(f"Text.\n\n{block}")
    problems = Problems()
    quiz = parse_quiz(document.quiz_blocks[0], Path("en.md"), problems, render)
    assert quiz is not None, [str(problem) for problem in problems.items]
    return quiz


def reports(text: str) -> list[str]:
    return [str(problem) for problem in convert_gift(text, GIFT).problems]


def run(*arguments: str):
    return CliRunner().invoke(lessons, ["import-gift", *arguments])


def test_a_moodle_quiz_becomes_a_quiz_the_platform_reads_with_its_answers_and_feedback():
    conversion = convert_gift(RIVERS, GIFT)
    quiz = parsed(conversion.quiz)
    cairo, delta, pacific, danube = quiz.questions
    assert cairo.id == "cairo" and cairo.kind is QuestionKind.SINGLE
    assert cairo.prompt_html == "Which river flows through Cairo?"
    assert [option.html for option in cairo.options] == ["The Nile", "The Congo", "The Niger"]
    assert cairo.correct_ids == {cairo.options[0].id}
    assert [option.feedback_html for option in cairo.options] == [
        "Yes: the city stands on both its banks.",
        "No: the Congo flows much further south.",
        "No: the Niger flows through West Africa.",
    ]
    assert cairo.feedback_html == "The Nile crosses Egypt from south to north."
    assert delta.kind is QuestionKind.TRUE_FALSE and delta.correct_ids == {"true"}
    assert pacific.kind is QuestionKind.TRUE_FALSE and pacific.correct_ids == {"false"}
    assert pacific.feedback_html == "No: it flows into the Atlantic."
    assert danube.kind is QuestionKind.MULTIPLE
    assert danube.prompt_html == "Which of these capitals stand on the Danube?"
    right = {option.html for option in danube.options if option.id in danube.correct_ids}
    assert right == {"Vienna", "Budapest"}
    assert danube.options[2].feedback_html == "No: Madrid stands on the Manzanares."
    assert conversion.converted == 4


def test_what_the_moodle_quiz_loses_is_told_at_its_line():
    assert reports(RIVERS) == [
        "rivers.gift:2:1: warning: Moodle's category '$course$/top/Geography' is ignored: "
        "a lesson's quiz has none",
        "rivers.gift:14:1: warning: a true/false question's feedback is shown to every "
        "learner, whatever they answered: check that it reads well to all",
        "rivers.gift:24:1: error: left out: a numerical question ({#…}) has no equivalent in "
        "a lesson's quiz",
        "rivers.gift:26:1: error: left out: a missing-word question (text after the answers) "
        "has no equivalent in a lesson's quiz; rewrite it with the blank in the question's "
        "text",
        "rivers.gift:28:1: error: left out: a short-answer question (answers with = and no ~) "
        "has no equivalent in a lesson's quiz, where learners choose their answers rather "
        "than type them",
    ]


def test_the_converted_quiz_loads_in_a_lesson_in_every_language(lessons_dir):
    block = convert_gift(RIVERS, GIFT).quiz
    for language in ("es", "pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", lesson_file(body=f"Text.\n\n{block}"))
    quiz = load_course(lessons_dir.root).lessons[0].quiz
    assert [question.id for question in quiz.questions] == ["cairo", "delta", "pacific", "danube"]


@pytest.mark.parametrize(
    ("written", "answer"),
    [("{T}", "true"), ("{TRUE}", "true"), ("{F}", "false"), ("{FALSE}", "false")],
)
def test_true_or_false_keeps_its_answer(written, answer):
    conversion = convert_gift(f"Rivers flow downhill.{written}\n", GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.kind is QuestionKind.TRUE_FALSE and question.correct_ids == {answer}
    assert question.feedback_html is None
    assert conversion.problems == () and conversion.is_complete


def test_true_or_false_feedback_for_wrong_and_right_answers_is_joined_and_told():
    text = "::Dry::The Sahara has rivers.{T#Look again: the Nile crosses it.#Yes, the Nile.}\n"
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.feedback_html == "Look again: the Nile crosses it. Yes, the Nile."
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:1:1: error: the feedback for a wrong answer and the one for a right "
        "answer are joined, since a true/false question's feedback is shown to every "
        "learner: reword it"
    ]
    assert not conversion.is_complete


def test_right_answers_with_equal_weights_are_those_to_tick_and_nothing_is_lost():
    text = "Which are rivers?{~%33.33333%Rhine ~%33.33333%Rhone ~%33.33333%Po ~%-100%Alps}\n"
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.kind is QuestionKind.MULTIPLE
    assert question.correct_ids == {"rhine", "rhone", "po"}
    assert conversion.problems == ()


def test_unequal_weights_are_told_lost_and_the_answers_of_positive_weight_are_right():
    text = "\n\nWhich are rivers?{\n~%70%Rhine\n~%30%Rhone\n~Alps\n}\n"
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.correct_ids == {"rhine", "rhone"}
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:3:1: error: the weights of the right answers (70%, 30%) are lost: here "
        "learners score the point only by choosing all the right answers and no other"
    ]


def test_partial_credit_in_a_single_choice_is_told_lost_at_the_answers_line():
    text = "Which is longest?{\n  =Nile\n  ~%50%Amazon#Close.\n  ~Thames\n}\n"
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.kind is QuestionKind.SINGLE and question.correct_ids == {"nile"}
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:3:3: error: the weight 50% of this answer is lost: here only the answer "
        "marked = scores, and the others score nothing"
    ]


def test_several_answers_any_of_which_is_right_are_left_out():
    text = "A river in Spain?{=Ebro =Tagus ~Rhine}\n\n::Next::Is the Ebro long?{T}\n"
    conversion = convert_gift(text, GIFT)
    assert [question.id for question in parsed(conversion.quiz).questions] == ["next"]
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:1:1: error: left out: it has several answers marked =, any one of them "
        "right; a lesson's quiz has one right answer, or several to choose together (written "
        "with weights, as ~%50% ~%50%); an = within a text is written \\="
    ]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Name a river in Spain.{=Ebro =Tagus}", "a short-answer question"),
        ("Name one.{=Ebro}", "a short-answer question"),
        ("Match them.{=Nile -> Egypt =Seine -> France}", "a matching question"),
        ("How long is the Po?{#652:2}", "a numerical question"),
        ("Describe a delta.{}", "an essay question"),
        ("Describe a delta.{####A good answer names the sea.}", "an essay question"),
        ("The Seine flows {=through ~around} Paris.", "a missing-word question"),
        ("Rivers are wet.", "text without answers in braces is a description"),
    ],
)
def test_kinds_the_platform_cannot_ask_are_left_out_at_their_line(question, kind):
    text = f"Is the Po in Italy?{{T}}\n\n// The next one\n{question}\n\nIs the Po long?{{T}}\n"
    conversion = convert_gift(text, GIFT)
    assert len(parsed(conversion.quiz).questions) == 2
    (problem,) = conversion.problems
    assert str(problem).startswith(f"rivers.gift:4:1: error: left out: {kind}")


@pytest.mark.parametrize(
    ("question", "column", "message"),
    [
        ("Pick one.{~Po}", 1, "left out: a question needs at least two answers"),
        ("Pick one.{=Po ~}", 15, "left out: one of the question's answers has no text"),
        ("::Untold::{=Po ~Rhine}", 1, "left out: the question has no text before its answers"),
        ("Pick some.{~Po ~%-50%Rhine}", 1, "left out: none of its answers is right"),
    ],
)
def test_questions_the_platform_would_refuse_are_left_out_at_their_line(question, column, message):
    conversion = convert_gift(f"Is the Po in Italy?{{T}}\n\n{question}\n", GIFT)
    assert len(parsed(conversion.quiz).questions) == 1
    (problem,) = conversion.problems
    assert str(problem).startswith(f"rivers.gift:3:{column}: error: {message}")


def test_escaped_characters_are_the_characters_themselves():
    text = r"What does \{x\} \= 1 \~ 2 \# 3 \: 4 mean?{=A set \\ of one ~Nothing\#}" + "\n"
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.prompt_html == "What does {x} = 1 ~ 2 # 3 : 4 mean?"
    assert [option.html for option in question.options] == ["A set \\ of one", "Nothing#"]
    assert conversion.problems == ()


def test_questions_over_several_lines_and_comments_keep_the_files_line_numbers():
    text = textwrap.dedent(
        """\
        // Two questions.

        ::First:: Which river
        // a comment inside the question
        crosses Paris?
        {
        =The Seine
        ~The Loire
        }


        ::Second::Which sea does the Po reach?{=Adriatic ~Baltic ~%25%Black}
        """
    )
    conversion = convert_gift(text, GIFT)
    first, second = parsed(conversion.quiz).questions
    assert first.prompt_html == "Which river crosses Paris?"
    assert second.id == "second"
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:12:58: error: the weight 25% of this answer is lost: here only the "
        "answer marked = scores, and the others score nothing"
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lines_are_counted_as_an_editor_counts_them(newline):
    text = newline.join(["Is the Po\u2028long?{T}", "", "How long?{#652}", ""])
    conversion = convert_gift(text, GIFT)
    assert parsed(conversion.quiz).questions[0].prompt_html == "Is the Po long?"
    assert [problem.line for problem in conversion.problems] == [3]


def test_markdown_plain_and_simple_html_keep_what_they_say():
    text = textwrap.dedent(
        """\
        [markdown]Which is *longer*?{=The `Nile` ~The Po}

        [plain]Is 2 * 3 * 4 < 30 in [metres]?{T}

        [html]<p>Which is <b>longest</b>,&nbsp;<i>really</i>?</p>{
        =the <a href\\="https://example.org/nile">Nile</a>#<em>Yes</em>
        ~[plain]the <b>Po</b>
        }

        Which is the <strong>widest</strong>?{=Amazon ~Thames}
        """
    )
    conversion = convert_gift(text, GIFT)
    longer, plain, longest, widest = parsed(conversion.quiz).questions
    assert longer.prompt_html == "Which is <em>longer</em>?"
    assert longer.options[0].html == "The <code>Nile</code>"
    assert plain.prompt_html == "Is 2 * 3 * 4 &lt; 30 in [metres]?"
    assert longest.prompt_html == "Which is <strong>longest</strong>, <em>really</em>?"
    nile, po = longest.options
    assert nile.html == 'the <a href="https://example.org/nile">Nile</a>'
    assert nile.feedback_html == "<em>Yes</em>"
    assert po.html == "the &lt;b&gt;Po&lt;/b&gt;"
    assert widest.prompt_html == "Which is the <strong>widest</strong>?"
    assert conversion.problems == ()


def test_html_the_quiz_cannot_show_is_told_and_its_text_kept():
    text = '\n[html]Which river is this? <img src="map.png"> <ul><li>A</li></ul>{=Nile ~Po}\n'
    conversion = convert_gift(text, GIFT)
    (question,) = parsed(conversion.quiz).questions
    assert question.prompt_html == "Which river is this? A"
    assert [str(problem) for problem in conversion.problems] == [
        "rivers.gift:2:7: error: HTML a lesson's quiz cannot show (<img>, <ul>, <li>) is left "
        "out, and only its text is kept"
    ]


def test_option_ids_come_from_their_text_without_giving_the_answer_away():
    text = "Pick.{=True ~The right answer ~Nile ~Nile ~Ελλάδα}\n\nIs it?{=Yes ~No}\n"
    quiz = parsed(convert_gift(text, GIFT).quiz)
    pick, is_it = quiz.questions
    assert [option.id for option in pick.options] == [
        "option-1",
        "option-2",
        "nile",
        "nile-2",
        "option-5",
    ]
    assert [option.id for option in is_it.options] == ["option-1", "option-2"]
    assert [question.id for question in quiz.questions] == ["q1", "q2"]


def test_questions_with_the_same_title_get_ids_of_their_own():
    text = "::Rivers::One?{T}\n\n::Rivers::Two?{F}\n"
    ids = [question.id for question in parsed(convert_gift(text, GIFT).quiz).questions]
    assert ids == ["rivers", "rivers-2"]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("Which river?{=Nile ~Po\n", 1, 13), ("Which river?\n=Nile ~Po}\n", 2, 10)],
)
def test_a_brace_without_its_pair_is_told_where_it_is(text, line, column):
    conversion = convert_gift(text, GIFT)
    assert conversion.quiz == ""
    assert (
        f"rivers.gift:{line}:{column}: error: left out: a '{{' without its '}}', or a '}}' "
        "without its '{' (write \\{ and \\} for the characters themselves)"
    ) in [str(problem) for problem in conversion.problems]


def test_the_command_prints_the_block_and_tells_the_rest_on_stderr(tmp_path):
    source = tmp_path / "rivers.gift"
    source.write_text(RIVERS, encoding="utf-8")
    result = run(str(source))
    assert result.exit_code == 1
    assert result.stdout == convert_gift(RIVERS, source).quiz
    assert result.stdout.startswith("```quiz\n? cairo: Which river flows through Cairo?\n")
    assert f"{source}:24:1: error: left out: a numerical question" in result.stderr
    assert result.stderr.splitlines()[-1] == "4 questions converted"


def test_a_file_converted_whole_exits_0_even_with_notes(tmp_path):
    source = tmp_path / "rivers.gift"
    source.write_text("$CATEGORY: rivers\n\nIs the Po in Italy?{T}\n", encoding="utf-8")
    result = run(str(source))
    assert result.exit_code == 0
    assert f"{source}:1:1: warning: Moodle's category 'rivers' is ignored" in result.stderr


def test_the_block_can_be_written_to_a_file(tmp_path):
    source, target = tmp_path / "rivers.gift", tmp_path / "quiz.md"
    source.write_text("Is the Po in Italy?{T}\n", encoding="utf-8")
    result = run(str(source), "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert (
        target.read_text(encoding="utf-8")
        == "```quiz\n? q1: Is the Po in Italy?\nanswer: true\n```\n"
    )


def test_a_file_without_any_question_it_can_convert_prints_no_block(tmp_path):
    source = tmp_path / "rivers.gift"
    source.write_text("Name a river.{=Po}\n", encoding="utf-8")
    result = run(str(source))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{source}:1:1: error: no question could be converted, so there is no quiz" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "cannot read this file: it does not exist"),
        (lambda path: path.mkdir(), "cannot read this file: it is a folder"),
        (lambda path: path.write_bytes(b"\xff\xfeR\x00i\x00"), "the file is not UTF-8 text"),
    ],
    ids=["missing", "folder", "not UTF-8"],
)
def test_a_file_that_cannot_be_read_is_told_plainly_with_status_2(tmp_path, make, message):
    source = tmp_path / "rivers.gift"
    make(source)
    result = run(str(source))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"{source}:1:1: error: {message}\n"


def test_an_output_that_cannot_be_written_is_told_with_status_2(tmp_path):
    source = tmp_path / "rivers.gift"
    source.write_text("Is the Po in Italy?{T}\n", encoding="utf-8")
    result = run(str(source), "--output", str(tmp_path / "missing" / "quiz.md"))
    assert result.exit_code == 2
    assert "error: cannot write" in result.stderr and "Traceback" not in result.stderr


def test_the_command_speaks_the_terminals_language(tmp_path, monkeypatch):
    source = tmp_path / "rivers.gift"
    source.write_text(RIVERS, encoding="utf-8")
    monkeypatch.setenv("LANGUAGE", "es")
    result = run(str(source))
    assert f"{source}:24:1: error: omitida: " in result.stderr
    assert result.stderr.splitlines()[-1] == "4 preguntas convertidas"


def test_the_real_command_runs_without_a_database_or_a_loadable_app(tmp_path):
    source = tmp_path / "rivers.gift"
    source.write_text("Is the Po in Italy?{T}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lessons", "import-gift", str(source)],
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": "postgresql://nowhere/x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "```quiz\n? q1: Is the Po in Italy?\nanswer: true\n```\n"
