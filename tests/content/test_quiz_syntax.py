"""The quiz syntax: what a trainer writes, what the loader makes of it, and every mistake
reported at its line, including translations that disagree with the default language."""

from __future__ import annotations

import pytest

from app.content import ContentError, load_course
from app.content.model import AnswerReview, Grading, QuestionKind
from config import ROOT
from tests.content.conftest import lesson_file

QUIZ = """\
Some text before the quiz.

```quiz
pass: 75%
attempts: 3
required: yes
feedback: yes
answers: when-done
grading: last

? origin: Where does the *term* come from?
(x) ostrom: From Elinor Ostrom's work
    > Right: economists in the 1970s.
( ) marketing: From marketing
    > No.
> Said to everyone after the attempt.

? beyond: Which belong to co-production?
[x] partnership: Equal partnership
[ ] survey: A survey after the decision
[x] power: Sharing power

? method: Co-production is a fixed method.
answer: false
```
"""

# The ```quiz fence is line 9 of a file written by lesson_file; QUIZ's lines count from it.
FENCE = 9


def quiz_file(quiz_text: str = QUIZ, **front) -> str:
    return lesson_file(body=quiz_text, **front)


def load_problems(directory) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(directory)
    return [str(problem) for problem in caught.value.problems]


def test_a_quiz_is_read_from_its_block_and_kept_out_of_the_body(lessons_dir):
    for language in ("es", "pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", quiz_file())
    lesson = load_course(lessons_dir.root).lessons[0]
    text = lesson.texts["es"]
    assert "```" not in text.html and "origin" not in text.html
    assert "Some text before the quiz." in text.html
    quiz = lesson.quiz
    settings = quiz.settings
    assert (settings.pass_mark, settings.attempts, settings.required) == (75, 3, True)
    assert settings.answers is AnswerReview.WHEN_DONE and settings.grading is Grading.LAST
    origin, beyond, method = quiz.questions
    assert origin.kind is QuestionKind.SINGLE and origin.correct_ids == {"ostrom"}
    assert origin.prompt_html == "Where does the <em>term</em> come from?"
    assert origin.options[0].feedback_html == "Right: economists in the 1970s."
    assert origin.feedback_html == "Said to everyone after the attempt."
    assert beyond.kind is QuestionKind.MULTIPLE and beyond.correct_ids == {"partnership", "power"}
    assert method.kind is QuestionKind.TRUE_FALSE and method.correct_ids == {"false"}
    # No words of the trainer's: the page gives them in the learner's language.
    assert [(option.id, option.html) for option in method.options] == [("true", ""), ("false", "")]
    assert origin.line == FENCE + 8


def test_settings_have_defaults(lessons_dir):
    lessons_dir.write("01-first/es.md", quiz_file("```quiz\n? q: Yes?\nanswer: true\n```\n"))
    settings = load_course(lessons_dir.root).lessons[0].quiz.settings
    assert (settings.pass_mark, settings.attempts, settings.required) == (70, None, True)
    assert settings.feedback and settings.answers is AnswerReview.WHEN_DONE
    assert settings.grading is Grading.HIGHEST


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("pass: 75%", "pass: 175%", 1, "'pass' must be a percentage from 0 to 100"),
        ("attempts: 3", "attempts: many", 2, "'attempts' must be a number from 1 up"),
        ("attempts: 3", "attempts: ²", 2, "'attempts' must be a number from 1 up"),
        ("required: yes", "required: perhaps", 3, "'required' must be yes or no"),
        ("answers: when-done", "answers: later", 5, "'answers' must be one of"),
        ("grading: last", "grading: best", 6, "'grading' must be one of"),
        ("grading: last", "shuffle: yes", 6, "expected a setting"),
        ("? origin: Where", "? Where", 8, "a question starts with '? id: text'"),
        ("(x) ostrom:", "(x) Ostrom:", 9, "an option is written '( ) id: text'"),
        ("( ) marketing:", "( ) ostrom:", 11, "option id 'ostrom' is used twice"),
        ("( ) marketing:", "( ) wrong:", 11, "option id 'wrong' would tell learners"),
        ("(x) ostrom:", "(x) correcta:", 9, "option id 'correcta' would tell learners"),
        ("(x) ostrom:", "(x) verdadeiro:", 9, "option id 'verdadeiro' would tell learners"),
        ("(x) ostrom:", "(x) right-answer:", 9, "option id 'right-answer' would tell"),
        ("( ) marketing:", "( ) wrong2:", 11, "option id 'wrong2' would tell learners"),
        ("( ) marketing:", "(x) marketing:", 8, "needs exactly one (x) option"),
        ("[ ] survey:", "( ) survey:", 15, "mixes ( ) and [ ] options"),
        ("answer: false", "answer: maybe", 21, "'answer' must be true or false"),
        ("answer: false", "the answer is no", 21, "cannot read this line"),
        ("? beyond:", "? origin:", 15, "question id 'origin' is used twice"),
        ("pass: 75%", "pass: 101%", 1, "'pass' must be a percentage from 0 to 100, not '101%'"),
        ("attempts: 3", "attempts: 0", 2, "'attempts' must be a number from 1 up"),
        ("required: yes", "attempts: 4", 3, "setting 'attempts' is given twice"),
        ("From marketing", "", 11, "question 'origin': option 'marketing' has no text"),
        ("? beyond: Which", "? beyond: Which\n    > Too soon", 16, "feedback needs an option"),
        ("answer: false", "( ) fixed: Fixed\nanswer: false", 22, "has both 'answer:' and opt"),
        ("answer: false", "answer: false\n( ) fixed: Fixed", 21, "has both 'answer:' and opt"),
        ("? origin: Where does the *term* come from?", "? origin:", 8, "has no text after its id"),
        ("answer: false", "", 20, "question 'method' has no options: add '(x) id: text' lines"),
        ("( ) marketing: From marketing", "", 8, "question 'origin' needs at least two options"),
    ],
)
def test_each_syntax_mistake_is_reported_at_its_line(lessons_dir, replace, by, line, message):
    assert replace in QUIZ
    path = lessons_dir.write("01-first/es.md", quiz_file(QUIZ.replace(replace, by, 1)))
    problems = load_problems(lessons_dir.root)
    expected_line = FENCE + line
    assert any(p.startswith(f"{path}:{expected_line}:1: error: ") for p in problems), problems
    if message:
        assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        ("pass: 75%", "pass: 175%", 1, "'pass' must be a percentage from 0 to 100, not '175%'"),
        ("attempts: 3", "attempts: 0", 2, "'attempts' must be a number from 1 up, or 'unlimited'"),
        ("required: yes", "required: perhaps", 3, "'required' must be yes or no, not 'perhaps'"),
        ("feedback: yes", "feedback: often", 4, "'feedback' must be yes or no, not 'often'"),
        (
            "grading: last",
            "shuffle: yes",
            6,
            "expected a setting (pass, attempts, required, feedback, answers, grading) or a "
            "question '? id: …'",
        ),
        ("required: yes", "attempts: 4", 3, "setting 'attempts' is given twice"),
        ("? beyond:", "? origin:", 15, "question id 'origin' is used twice"),
        (
            "(x) ostrom:",
            "(x) Ostrom:",
            9,
            "question 'origin': an option is written '( ) id: text' (an id is lower-case "
            "letters, digits and hyphens)",
        ),
        (
            "( ) marketing:",
            "( ) ostrom:",
            11,
            "question 'origin': option id 'ostrom' is used twice",
        ),
        (
            "( ) marketing:",
            "( ) wrong:",
            11,
            "question 'origin': option id 'wrong' would tell learners the answer in the page "
            "source; name the option after its content",
        ),
        ("From marketing", "", 11, "question 'origin': option 'marketing' has no text"),
        (
            "? beyond: Which",
            "? beyond: Which\n    > Too soon",
            16,
            "question 'beyond': indented '>' feedback needs an option above it",
        ),
        (
            "> Said to everyone after the attempt.",
            "> Said to everyone after the attempt.\n    > And to the option above?",
            14,
            "question 'origin': indented '>' feedback needs an option above it",
        ),
        ("answer: false", "answer: maybe", 21, "question 'method': 'answer' must be true or false"),
        (
            "answer: false",
            "the answer is no",
            21,
            "question 'method': cannot read this line; expected '(x) id: text', '[x] id: text', "
            "'answer: true|false' or '> feedback'",
        ),
        (
            "answer: false",
            "( ) fixed: Fixed\nanswer: false",
            22,
            "question 'method' has both 'answer:' and options",
        ),
        (
            "answers: when-done",
            "answers: later",
            5,
            "'answers' must be one of: always, when-done, never",
        ),
        (
            "grading: last",
            "grading: best",
            6,
            "'grading' must be one of: highest, last, first, average",
        ),
        (
            "? origin: Where does the *term* come from?",
            "? origin:",
            8,
            "question 'origin' has no text after its id",
        ),
        (
            "answer: false",
            "",
            20,
            "question 'method' has no options: add '(x) id: text' lines, or 'answer: true|false'",
        ),
        (
            "[ ] survey:",
            "( ) survey:",
            15,
            "question 'beyond' mixes ( ) and [ ] options; use one kind per question",
        ),
        (
            "( ) marketing: From marketing",
            "",
            8,
            "question 'origin' needs at least two options",
        ),
        (
            "( ) marketing:",
            "(x) marketing:",
            8,
            "question 'origin' is single choice and needs exactly one (x) option",
        ),
    ],
)
def test_each_syntax_mistake_is_told_in_full(lessons_dir, replace, by, line, message):
    path = lessons_dir.write("01-first/es.md", quiz_file(QUIZ.replace(replace, by, 1)))
    assert f"{path}:{FENCE + line}:1: error: {message}" in load_problems(lessons_dir.root)


def test_a_question_that_cannot_be_read_does_not_hide_the_mistakes_after_it(lessons_dir):
    unreadable = QUIZ.replace("? origin:", "? Origin:", 1).replace("[ ] survey:", "( ) survey:")
    path = lessons_dir.write("01-first/es.md", quiz_file(unreadable))
    # Its own options are not reported: they only repeat its mistake.
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE + 8}:1: error: a question starts with '? id: text', e.g. '? origin: …' "
        "(an id is lower-case letters, digits and hyphens)",
        f"{path}:{FENCE + 15}:1: error: question 'beyond' mixes ( ) and [ ] options; use one "
        "kind per question",
    ]


def test_a_comment_in_a_quiz_is_left_out_and_the_lines_after_it_keep_their_numbers(
    lessons_dir,
):
    commented = QUIZ.replace(
        "pass: 75%\n", "pass: 75%\n<!-- Not yet:\n( ) hidden: An option -->\n", 1
    ).replace("grading: last", "grading: best")
    path = lessons_dir.write("01-first/es.md", quiz_file(commented))
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE + 8}:1: error: 'grading' must be one of: highest, last, first, average"
    ]


def test_feedback_written_on_several_lines_is_one_text_checked_where_each_part_is(lessons_dir):
    feedback = "    > Right: economists in the 1970s.\n"
    longer = QUIZ.replace(feedback, feedback + "    > Ostrom above all.\n", 1)
    lessons_dir.write("01-first/es.md", quiz_file(longer))
    origin = load_course(lessons_dir.root).lessons[0].quiz.questions[0]
    assert origin.options[0].feedback_html == "Right: economists in the 1970s. Ostrom above all."
    noted = "    > Ostrom above all."
    path = lessons_dir.write(
        "01-first/es.md", quiz_file(QUIZ.replace(feedback, f"{feedback}{noted}^[A note.]\n", 1))
    )
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE + 11}:{len(noted) + 1}: error: a quiz cannot have footnotes: put the "
        "note into the question or its feedback"
    ]


@pytest.mark.parametrize(
    ("written", "line"),
    [
        ("? origin: Where does the *term* come from?", 8),
        ("(x) ostrom: From Elinor Ostrom's work", 9),
    ],
    ids=["question", "option"],
)
def test_a_mistake_in_the_wording_is_reported_where_it_is_written(lessons_dir, written, line):
    path = lessons_dir.write(
        "01-first/es.md", quiz_file(QUIZ.replace(written, written + "^[A note.]", 1))
    )
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE + line}:{len(written) + 1}: error: a quiz cannot have footnotes: put "
        "the note into the question or its feedback"
    ]


def test_an_option_that_cannot_be_read_does_not_hide_the_mistakes_after_it(lessons_dir):
    mistaken = (
        QUIZ.replace("( ) marketing:", "( ) ostrom:", 1)
        .replace("[ ] survey:", "[ ] Survey:", 1)
        .replace("answer: false", "answer: maybe", 1)
    )
    path = lessons_dir.write("01-first/es.md", quiz_file(mistaken))
    problems = load_problems(lessons_dir.root)
    for line in (11, 17, 21):
        assert any(p.startswith(f"{path}:{FENCE + line}:1: error: ") for p in problems), problems


def test_an_option_marked_with_a_capital_x_is_right(lessons_dir):
    lessons_dir.write("01-first/es.md", quiz_file(QUIZ.replace("(x) ostrom:", "(X) ostrom:", 1)))
    assert load_course(lessons_dir.root).lessons[0].quiz.questions[0].correct_ids == {"ostrom"}


@pytest.mark.parametrize(
    ("settings", "pass_mark", "attempts"),
    [
        ("pass: 100%\nattempts: 1", 100, 1),
        ("attempts: unlimited\npass: 0", 0, None),
        ("pass: 5 %\nattempts: Unlimited", 5, None),
    ],
)
def test_settings_are_read_up_to_their_bounds(lessons_dir, settings, pass_mark, attempts):
    quiz = f"```quiz\n{settings}\n? q: Yes?\nanswer: true\n```\n"
    lessons_dir.write("01-first/es.md", quiz_file(quiz))
    read = load_course(lessons_dir.root).lessons[0].quiz.settings
    assert (read.pass_mark, read.attempts) == (pass_mark, attempts)


def test_yes_and_no_settings_are_read(lessons_dir):
    quiz = "```quiz\nrequired: no\nfeedback: Off\n? q: Yes?\nanswer: true\n```\n"
    lessons_dir.write("01-first/es.md", quiz_file(quiz))
    settings = load_course(lessons_dir.root).lessons[0].quiz.settings
    assert (settings.required, settings.feedback) == (False, False)


def test_a_question_with_both_an_answer_and_options_is_reported_and_nothing_else(lessons_dir):
    quiz = "```quiz\n? q: Yes?\n(x) one: One\n( ) two: Two\nanswer: true\n"
    quiz += "? r: No?\nanswer: false\n```\n"
    path = lessons_dir.write("01-first/es.md", quiz_file(quiz))
    assert load_problems(lessons_dir.root) == [
        f"{path}:11:1: error: question 'q' has both 'answer:' and options"
    ]


def test_a_quiz_without_questions_and_a_second_quiz_are_reported(lessons_dir):
    path = lessons_dir.write(
        "01-first/es.md",
        quiz_file("```quiz\npass: 50\n```\n\n```quiz\n? q: A?\nanswer: true\n```\n"),
    )
    problems = load_problems(lessons_dir.root)
    assert f"{path}:8:1: error: the quiz has no questions" in problems
    assert f"{path}:11:1: error: a lesson has at most one quiz block" in problems


def test_a_multiple_choice_question_needs_a_right_option(lessons_dir):
    quiz = "```quiz\n? pick: Pick some\n[ ] one: One\n[ ] two: Two\n```\n"
    path = lessons_dir.write("01-first/es.md", quiz_file(quiz))
    assert load_problems(lessons_dir.root) == [
        f"{path}:8:1: error: question 'pick' needs at least one [x] option"
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("attempts: 3", "attempts: 2", 0, "the quiz settings differ from es.md (attempts)"),
        ("? method:", "? approach:", 20, "the questions differ from es.md"),
        ("answer: false\n", "answer: false\n? extra: More?\nanswer: true\n", 22, "differ"),
        ("? method: Co-production is a fixed method.\nanswer: false\n", "", 0, "differ"),
        ("[ ] survey:", "[ ] poll:", 15, "question 'beyond' has options partnership, poll, power"),
        ("[ ] survey:", "[x] survey:", 15, "question 'beyond' marks partnership, power, survey"),
        ("answer: false", "answer: true", 20, "question 'method' marks true as right"),
        ("(x) ostrom:", "[x] ostrom:", 8, None),
    ],
)
def test_a_translation_whose_quiz_differs_is_rejected_naming_the_question(
    lessons_dir, old, new, line, message
):
    lessons_dir.write("01-first/es.md", quiz_file())
    lessons_dir.write("01-first/en.md", quiz_file())
    path = lessons_dir.write("01-first/pt.md", quiz_file(QUIZ.replace(old, new, 1)))
    problems = load_problems(lessons_dir.root)
    assert any(p.startswith(f"{path}:{FENCE + line}:1: error: ") for p in problems), problems
    if message:
        assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    ("changes", "line", "message"),
    [
        (
            {"pass: 75%": "pass: 80%", "attempts: 3": "attempts: 2"},
            0,
            "the quiz settings differ from es.md (pass, attempts); only the words may differ",
        ),
        (
            {"? method:": "? approach:"},
            20,
            "the questions differ from es.md: expected origin, beyond, method; "
            "found origin, beyond, approach",
        ),
        (
            {"[ ] survey:": "[x] survey:"},
            15,
            "question 'beyond' marks partnership, power, survey as right; "
            "es.md marks partnership, power",
        ),
    ],
    ids=["settings", "questions", "right answers"],
)
def test_each_difference_of_a_translation_is_told_in_full(lessons_dir, changes, line, message):
    lessons_dir.write("01-first/es.md", quiz_file())
    changed = QUIZ
    for old, new in changes.items():
        changed = changed.replace(old, new, 1)
    path = lessons_dir.write("01-first/pt.md", quiz_file(changed))
    assert load_problems(lessons_dir.root) == [f"{path}:{FENCE + line}:1: error: {message}"]


@pytest.mark.parametrize(
    ("question", "line", "changes"),
    [
        ("origin", 8, {"(x) ostrom:": "[x] ostrom:", "( ) marketing:": "[ ] marketing:"}),
        ("beyond", 15, {"[x] partnership:": "(x) partnership:", "[ ] survey:": "( ) survey:"}),
        ("method", 20, {"answer: false": "( ) fixed: Fixed\n(x) open: Open"}),
    ],
    ids=["single to multiple", "multiple to single", "true/false to options"],
)
def test_a_translation_that_changes_a_question_kind_is_rejected(
    lessons_dir, question, line, changes
):
    """A learner would answer another question than the one graded, in that language."""
    lessons_dir.write("01-first/es.md", quiz_file())
    changed = QUIZ
    for old, new in changes.items():
        changed = changed.replace(old, new, 1)
    if question == "beyond":
        changed = changed.replace("[x] power:", "( ) power:", 1)
    path = lessons_dir.write("01-first/pt.md", quiz_file(changed))
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE + line}:1: error: question '{question}' is not the same kind of question "
        "as in es.md: use the same ( ), [ ] or 'answer:'"
    ]


@pytest.mark.parametrize(
    ("first_changes", "first_message"),
    [
        ({"? origin:": "? source:"}, "the questions differ from es.md"),
        (
            {"(x) ostrom:": "[x] ostrom:", "( ) marketing:": "[ ] marketing:"},
            "question 'origin' is not the same kind",
        ),
    ],
    ids=["question renamed", "kind changed"],
)
def test_every_question_of_a_translation_is_compared_past_the_first_difference(
    lessons_dir, first_changes, first_message
):
    lessons_dir.write("01-first/es.md", quiz_file())
    changed = QUIZ.replace("[ ] survey:", "[ ] poll:", 1)
    for old, new in first_changes.items():
        changed = changed.replace(old, new, 1)
    path = lessons_dir.write("01-first/pt.md", quiz_file(changed))
    problems = load_problems(lessons_dir.root)
    assert any(first_message in problem for problem in problems), problems
    assert (
        f"{path}:{FENCE + 15}:1: error: question 'beyond' has options partnership, poll, power; "
        "es.md has partnership, survey, power"
    ) in problems


def test_a_translation_with_a_quiz_its_source_lacks_is_rejected(lessons_dir):
    lessons_dir.write("01-first/es.md", lesson_file())
    path = lessons_dir.write("01-first/pt.md", quiz_file())
    assert load_problems(lessons_dir.root) == [
        f"{path}:{FENCE}:1: error: es.md has no quiz; remove this one"
    ]


ONE_OPTION_FEWER = QUIZ.replace("[ ] survey: A survey after the decision\n", "", 1)
FEWER_OPTIONS = (
    "error: question 'beyond' has options partnership, power; es.md has partnership, survey, power"
)


@pytest.mark.parametrize("broken", ["es", "pt"])
def test_a_quiz_with_an_option_fewer_is_reported_along_with_other_mistakes(lessons_dir, broken):
    """Either file's other mistakes do not hide the difference until they are mended."""
    unknown_key = {"colour": "blue"}
    es = lessons_dir.write("01-first/es.md", quiz_file(**(unknown_key if broken == "es" else {})))
    pt = lessons_dir.write(
        "01-first/pt.md",
        quiz_file(ONE_OPTION_FEWER, **(unknown_key if broken == "pt" else {})),
    )
    problems = load_problems(lessons_dir.root)
    # The key takes a line of the front matter, moving the quiz down by one.
    beyond = FENCE + 15 + (broken == "pt")
    assert f"{pt}:{beyond}:1: {FEWER_OPTIONS}" in problems
    assert any(p.startswith(f"{es if broken == 'es' else pt}:5:1: error: ") for p in problems)
    assert len(problems) == 2, problems


def test_a_translation_is_not_compared_with_a_quiz_that_cannot_be_read(lessons_dir):
    """Only the source's mistake is reported, not a difference it would make up."""
    es = lessons_dir.write("01-first/es.md", quiz_file(QUIZ.replace("? method:", "? Method:", 1)))
    lessons_dir.write("01-first/pt.md", quiz_file())
    assert load_problems(lessons_dir.root) == [
        f"{es}:{FENCE + 20}:1: error: a question starts with '? id: text', e.g. '? origin: …' "
        "(an id is lower-case letters, digits and hyphens)"
    ]


def test_a_translation_without_the_quiz_is_rejected(lessons_dir):
    lessons_dir.write("01-first/es.md", quiz_file())
    path = lessons_dir.write("01-first/pt.md", lesson_file())
    assert load_problems(lessons_dir.root) == [
        f"{path}:1:1: error: es.md has a quiz; this translation has none"
    ]


def test_only_the_words_may_differ_between_languages(lessons_dir):
    lessons_dir.write("01-first/es.md", quiz_file())
    lessons_dir.write(
        "01-first/pt.md",
        quiz_file(QUIZ.replace("From marketing", "Do marketing").replace("> No.", "> Não.")),
    )
    lesson = load_course(lessons_dir.root).lessons[0]
    assert "Do marketing" in lesson.texts["pt"].quiz.questions[0].options[1].html


def test_the_readme_example_is_a_valid_quiz(lessons_dir):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("````markdown\n", 1)[1].split("````", 1)[0]
    lessons_dir.write("01-first/es.md", quiz_file(example))
    quiz = load_course(lessons_dir.root).lessons[0].quiz
    assert quiz.settings.pass_mark == 80 and quiz.settings.attempts == 3
    assert [q.kind for q in quiz.questions] == list(QuestionKind)


@pytest.mark.parametrize("option_id", ["human-rights", "no-change", "truest", "answering"])
def test_an_id_that_only_contains_a_telling_word_in_passing_is_accepted(lessons_dir, option_id):
    quiz = QUIZ.replace("( ) marketing:", f"( ) {option_id}:", 1)
    lessons_dir.write("01-first/es.md", quiz_file(quiz))
    [lesson] = load_course(lessons_dir.root).lessons
    assert option_id in {option.id for option in lesson.quiz.questions[0].options}


def test_a_quiz_block_left_open_is_reported_once_at_its_fence(lessons_dir):
    unclosed = QUIZ.rstrip().removesuffix("```")
    path = lessons_dir.write("01-first/es.md", quiz_file(unclosed + "\n[^note]: A note.\n"))
    quiz_problems = [p for p in load_problems(lessons_dir.root) if "quiz" in p]
    assert quiz_problems == [
        f"{path}:{FENCE}:1: error: the quiz block is not closed: end it with ``` on a line of "
        "its own, as long as the one that opens it"
    ]


def test_a_quiz_opened_with_four_backticks_is_told_to_close_with_four(lessons_dir):
    four = QUIZ.replace("```quiz", "````quiz", 1)
    path = lessons_dir.write("01-first/es.md", quiz_file(four))
    quiz_problems = [p for p in load_problems(lessons_dir.root) if "quiz" in p]
    assert quiz_problems == [
        f"{path}:{FENCE}:1: error: the quiz block is not closed: end it with ```` on a line of "
        "its own, as long as the one that opens it"
    ]


def test_a_line_separator_in_the_text_does_not_unsettle_the_quiz(lessons_dir):
    lessons_dir.write("01-first/es.md", quiz_file("Un texto\u2028partido.\n\n" + QUIZ))
    [lesson] = load_course(lessons_dir.root).lessons
    assert lesson.quiz is not None


LOOKALIKE = (
    "error: this looks like a quiz: put it in a block that opens with ```quiz (in lower case, "
    "nothing after it), or learners will see its answers"
)


@pytest.mark.parametrize(
    "fence",
    [
        "```Quiz",
        "```QUIZ",
        "```quizz",
        "```quiz es",
        "```cuestionario",
        "```questionario",
        "```questionário",
        "```",
        "```text",
        "~~~yaml",
    ],
)
def test_a_quiz_that_would_be_shown_as_text_answers_and_all_is_refused(lessons_dir, fence):
    misspelt = QUIZ.replace("```quiz", fence, 1).replace("```\n", fence[:3] + "\n")
    path = lessons_dir.write("01-first/es.md", quiz_file(misspelt))
    assert f"{path}:{FENCE}:1: {LOOKALIKE}" in load_problems(lessons_dir.root)


@pytest.mark.parametrize(
    "block",
    [
        "```Quiz\npass: 80%\n```\n",
        "```Questionário:\npass: 80%\n```\n",
        "```Cuestionarios\npass: 80%\n```\n",
        "    (x) ostrom: From Elinor Ostrom's work\n    ( ) marketing: From marketing\n",
        "```\n? origin: Where does the term come from?\nanswer: true\n```\n",
    ],
    ids=[
        "misspelt fence, settings only",
        "name in another language, settings only",
        "plural name, settings only",
        "indented code",
        "question only",
    ],
)
def test_any_block_with_quiz_lines_or_a_quiz_name_is_refused(lessons_dir, block):
    path = lessons_dir.write("01-first/es.md", lesson_file(body=f"Texto.\n\n{block}"))
    assert load_problems(lessons_dir.root) == [f"{path}:9:1: {LOOKALIKE}"]


def test_a_quiz_whose_fence_is_no_fence_is_refused_at_its_first_question(lessons_dir):
    unfenced = QUIZ.replace("```quiz", "``quiz", 1).replace("```\n", "``\n")
    path = lessons_dir.write("01-first/es.md", quiz_file(unfenced))
    assert f"{path}:{FENCE + 8}:1: {LOOKALIKE}" in load_problems(lessons_dir.root)


def test_code_and_text_that_only_resemble_quiz_lines_are_accepted(lessons_dir):
    body = (
        "Is it a method? (x) marks a right option: see the README.\n\n"
        "```python\nvalue = a if ok else b  # ? not: a question\n[x for x in range(3)]\n```\n\n"
        "- [x] done: a task list item\n"
    )
    lessons_dir.write("01-first/es.md", lesson_file(body=body))
    [lesson] = load_course(lessons_dir.root).lessons
    assert "range(3)" in lesson.texts["es"].html
