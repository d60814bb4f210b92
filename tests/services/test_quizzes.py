"""Server-side grading: every question type, the pass mark's edge, attempt limits, and
one attempt per attempt number whatever the races."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.content.markdown import EmbeddedBlock, parse_text
from app.content.model import AnswerReview, Course, Grading, Lesson, LessonText, QuizSettings
from app.content.problems import Problems
from app.content.quiz import parse_quiz
from app.extensions import db
from app.models import AuditLogEntry
from app.services import accounts, progress, quizzes
from tests.conftest import run_at_once

QUIZ = """\
pass: 75%
attempts: 3
? origin: Where does the term come from?
(x) ostrom: Ostrom
( ) marketing: Marketing
? beyond: Which belong?
[x] partnership: Partnership
[ ] survey: Survey
[x] power: Power
? method: A fixed method?
answer: false
? approach: An approach?
answer: true
"""
ALL_RIGHT = {
    "origin": ["ostrom"],
    "beyond": ["partnership", "power"],
    "method": ["false"],
    "approach": ["true"],
}


def render(text: str, first_line: int, last_line: int) -> str:
    return parse_text(text, first_line, last_line).render()


def make_quiz(text: str = QUIZ, **settings):
    problems = Problems()
    quiz = parse_quiz(EmbeddedBlock(text, 1), "quiz.md", problems, render)
    assert not problems.items, problems.items
    return replace(quiz, settings=replace(quiz.settings, **settings)) if settings else quiz


def make_lesson(quiz, slug: str = "quizzed") -> Lesson:
    text = LessonText("es", "T", "A", dt.date(2024, 5, 15), "", Path("es.md"), quiz=quiz)
    return Lesson(1, slug, "es", MappingProxyType({"es": text}))


def with_answer(question: str, *chosen: str) -> dict[str, list[str]]:
    return {**ALL_RIGHT, question: list(chosen)}


def test_all_right_scores_full_marks():
    result = quizzes.grade(make_quiz(), ALL_RIGHT)
    assert (result.points, result.max_points, result.passed) == (4, 4, True)


@pytest.mark.parametrize(
    ("question", "chosen", "right"),
    [
        ("origin", ["ostrom"], True),
        ("origin", ["marketing"], False),
        ("method", ["false"], True),
        ("method", ["true"], False),
        ("beyond", ["partnership", "power"], True),
        ("beyond", ["power", "partnership"], True),
        ("beyond", ["partnership"], False),
        ("beyond", ["partnership", "power", "survey"], False),
        ("beyond", ["survey"], False),
    ],
)
def test_each_question_type_is_graded(question, chosen, right):
    result = quizzes.grade(make_quiz(), with_answer(question, *chosen))
    assert result.correct[question] is right
    assert result.points == (4 if right else 3)


@pytest.mark.parametrize(
    ("pass_mark", "points", "passed"),
    [(75, 3, True), (75, 2, False), (76, 3, False), (100, 4, True), (100, 3, False), (0, 0, True)],
)
def test_the_pass_mark_is_reached_exactly(pass_mark, points, passed):
    wrong = {
        "origin": ["marketing"],
        "beyond": ["survey"],
        "method": ["true"],
        "approach": ["false"],
    }
    answers = dict(ALL_RIGHT)
    for question in list(answers)[points:]:
        answers[question] = wrong[question]
    result = quizzes.grade(make_quiz(pass_mark=pass_mark), answers)
    assert (result.points, result.passed) == (points, passed)


def true_or_false_quiz(questions: int, pass_mark: int):
    """A quiz of `questions` statements, each true."""
    text = "".join(
        f"? s{number}: Statement {number}?\nanswer: true\n" for number in range(questions)
    )
    return make_quiz(text, pass_mark=pass_mark)


@pytest.mark.parametrize(
    ("questions", "right", "pass_mark", "passed"),
    [
        (3, 2, 67, True),
        (3, 2, 68, False),
        (3, 1, 33, True),
        (3, 1, 34, False),
        # Halves are rounded to even, as the percentage the page shows (62.5% is "62%").
        (8, 5, 62, True),
        (8, 5, 63, False),
        (8, 3, 38, True),
        (8, 3, 39, False),
    ],
)
def test_the_pass_mark_is_reached_by_the_percentage_the_learner_is_shown(
    questions, right, pass_mark, passed
):
    quiz = true_or_false_quiz(questions, pass_mark)
    answers = {question.id: ["true"] for question in quiz.questions[:right]}
    answers |= {question.id: ["false"] for question in quiz.questions[right:]}
    result = quizzes.grade(quiz, answers)
    assert (result.points, result.max_points, result.passed) == (right, questions, passed)


def test_a_question_left_out_of_the_answers_scores_nothing():
    answers = {question: chosen for question, chosen in ALL_RIGHT.items() if question != "method"}
    result = quizzes.grade(make_quiz(), answers)
    assert result.correct["method"] is False and result.points == 3


def test_an_attempt_in_portuguese_is_graded_like_one_in_spanish():
    spanish = make_quiz()
    portuguese = make_quiz(
        QUIZ.replace("Marketing", "Publicidade").replace("An approach?", "Uma abordagem?")
    )
    answers = with_answer("beyond", "partnership")
    assert quizzes.grade(spanish, answers) == quizzes.grade(portuguese, answers)


@pytest.mark.parametrize(
    "form",
    [
        MultiDict({**{"q-" + k: v[0] for k, v in ALL_RIGHT.items()}, "q-extra": "x"}),
        MultiDict([("q-origin", "nowhere"), ("q-method", "false")]),
        MultiDict([("q-origin", "ostrom"), ("q-origin", "marketing")]),
        MultiDict([("q-beyond", "power"), ("q-beyond", "power")]),
        MultiDict([("q-method", "maybe")]),
    ],
    ids=["unknown question", "unknown option", "two single answers", "repeated", "not boolean"],
)
def test_a_tampered_form_is_refused(form):
    with pytest.raises(quizzes.TamperedForm):
        quizzes.read_answers(make_quiz(), form.to_dict(flat=False))


def test_missing_answers_are_named():
    form = MultiDict([("q-origin", "ostrom"), ("q-method", "false")])
    with pytest.raises(quizzes.UnansweredQuestions) as caught:
        quizzes.read_answers(make_quiz(), form.to_dict(flat=False))
    assert caught.value.question_ids == ["beyond", "approach"]


def test_a_complete_form_is_read():
    form = MultiDict(
        [
            ("q-origin", "ostrom"),
            ("q-beyond", "power"),
            ("q-beyond", "partnership"),
            ("q-method", "false"),
            ("q-approach", "true"),
            ("csrf_token", "t"),
            ("attempt", "1"),
        ]
    )
    answers = quizzes.read_answers(make_quiz(), form.to_dict(flat=False))
    assert answers["beyond"] == ("power", "partnership")


def test_only_the_choices_the_page_could_send_are_kept_for_after_signing_in():
    form = MultiDict(
        [
            ("q-beyond", "power"),
            ("q-beyond", "nowhere"),
            ("q-beyond", "partnership"),
            ("q-beyond", "power"),
            ("q-origin", "nowhere"),
            ("q-method", "false"),
            ("q-extra", "x"),
            ("csrf_token", "t"),
        ]
    )
    kept = quizzes.answers_to_keep(make_quiz(), form.to_dict(flat=False))
    # In the order ticked, each once; a question with no choice of the quiz's is left out.
    assert kept == {"q-beyond": ["power", "partnership"], "q-method": ["false"]}


def test_a_form_with_no_choice_of_the_quiz_keeps_nothing():
    form = MultiDict([("q-origin", "nowhere"), ("csrf_token", "t")])
    assert quizzes.answers_to_keep(make_quiz(), form.to_dict(flat=False)) == {}


@pytest.fixture
def learner_id(app_context) -> int:
    user = accounts.create_user(
        db.session, email="qa@example.org", password="a long password", display_name="Q"
    )
    return user.id


def submit(user_id, lesson, number, answers=ALL_RIGHT, language="es"):
    return quizzes.submit_attempt(
        db.session, user_id, lesson, number=number, language=language, answers=answers
    )


FAILING = {"origin": ["marketing"], "beyond": ["survey"], "method": ["true"], "approach": ["true"]}


def test_a_failed_then_passed_attempt_completes_the_lesson_once(learner_id):
    lesson = make_lesson(make_quiz())
    failed = submit(learner_id, lesson, 1, FAILING, language="pt")
    assert not failed.attempt.passed and not failed.completed_lesson
    status = quizzes.quiz_status(db.session, learner_id, lesson)
    assert status.attempts_left == 2 and not status.shows_correct_answers
    passed = submit(learner_id, lesson, 2)
    assert passed.attempt.passed and passed.completed_lesson
    rows = progress.course_progress(db.session, learner_id, _course_of(lesson)).rows
    assert rows["quizzed"].completed_at is not None
    stored = quizzes.attempts_of(db.session, learner_id, lesson)
    assert [(a.number, a.language, a.points, a.passed) for a in stored] == [
        (1, "pt", 1, False),
        (2, "es", 4, True),
    ]
    assert {answer.question_id: answer.selected for answer in stored[0].answers} == FAILING
    assert stored[0].submitted_at.tzinfo is not None


def test_a_question_left_out_of_an_attempt_is_stored_unanswered_and_wrong(learner_id):
    lesson = make_lesson(make_quiz())
    answers = {key: value for key, value in ALL_RIGHT.items() if key != "beyond"}
    attempt = submit(learner_id, lesson, 1, answers).attempt
    stored = {
        answer.question_id: (answer.selected, answer.is_correct) for answer in attempt.answers
    }
    assert stored["beyond"] == ([], False) and attempt.points == 3


def _course_of(lesson):
    return Course({}, {}, ("es",), "es", 15, (lesson,))


@pytest.mark.parametrize(
    ("review", "before", "after_failing", "after_passing"),
    [
        (AnswerReview.ALWAYS, False, True, True),
        (AnswerReview.WHEN_DONE, False, False, True),
        (AnswerReview.NEVER, False, False, False),
    ],
)
def test_the_right_answers_are_shown_as_the_quiz_says(
    learner_id, review, before, after_failing, after_passing
):
    lesson = make_lesson(make_quiz(answers=review))
    shown = []
    for answers in (FAILING, ALL_RIGHT):
        shown.append(quizzes.quiz_status(db.session, learner_id, lesson).shows_correct_answers)
        submit(learner_id, lesson, len(shown), answers)
    shown.append(quizzes.quiz_status(db.session, learner_id, lesson).shows_correct_answers)
    assert shown == [before, after_failing, after_passing]


def test_an_attempt_posted_again_does_not_complete_the_lesson_again(learner_id):
    lesson = make_lesson(make_quiz())
    assert submit(learner_id, lesson, 1).completed_lesson
    again = submit(learner_id, lesson, 1)
    assert again.is_duplicate and not again.completed_lesson


def test_a_quiz_that_is_not_required_does_not_complete_the_lesson(learner_id):
    lesson = make_lesson(make_quiz(required=False))
    assert submit(learner_id, lesson, 1).completed_lesson is False


def test_no_attempt_is_accepted_past_the_limit(learner_id):
    lesson = make_lesson(make_quiz(attempts=2))
    submit(learner_id, lesson, 1, FAILING)
    submit(learner_id, lesson, 2, FAILING)
    status = quizzes.quiz_status(db.session, learner_id, lesson)
    assert status.attempts_left == 0 and not status.can_attempt
    assert status.shows_correct_answers  # every attempt used: the key may be shown
    with pytest.raises(quizzes.NoAttemptsLeft):
        submit(learner_id, lesson, 3)
    assert len(quizzes.attempts_of(db.session, learner_id, lesson)) == 2


def test_another_attempt_is_allowed_only_to_a_learner_who_used_every_attempt(learner_id):
    lesson = make_lesson(make_quiz(attempts=2))
    course = _course_of(lesson)
    with pytest.raises(quizzes.AttemptsLeft):
        quizzes.allow_another_attempt(db.session, learner_id, lesson)
    submit(learner_id, lesson, 1, FAILING)
    submit(learner_id, lesson, 2, FAILING)
    # Answered without the page ever being opened: no progress row yet.
    assert progress.course_progress(db.session, learner_id, course).rows == {}
    quizzes.allow_another_attempt(db.session, learner_id, lesson)
    db.session.commit()
    status = quizzes.quiz_status(db.session, learner_id, lesson)
    assert (status.allowed, status.attempts_left) == (3, 1)
    learner_progress = progress.course_progress(db.session, learner_id, course)
    assert not learner_progress.is_closed(lesson) and learner_progress.resume == lesson
    # The lesson page reads the progress once and hands it on: the same attempts allowed.
    shown = quizzes.quiz_status(db.session, learner_id, lesson, learner_progress)
    assert (shown.allowed, shown.attempts_left) == (3, 1)
    first = quizzes.attempts_of(db.session, learner_id, lesson)[0]
    assert learner_progress.rows["quizzed"].started_at == first.submitted_at
    # A second press before the learner has used the attempt allows nothing more.
    with pytest.raises(quizzes.AttemptsLeft):
        quizzes.allow_another_attempt(db.session, learner_id, lesson)
    assert quizzes.quiz_status(db.session, learner_id, lesson).allowed == 3
    assert submit(learner_id, lesson, 3).completed_lesson
    with pytest.raises(quizzes.NoAttemptsLeft):
        submit(learner_id, lesson, 4)


def test_a_member_of_the_team_grants_another_attempt_and_the_audit_log_says_so(learner_id):
    lesson = make_lesson(make_quiz(attempts=1))
    submit(learner_id, lesson, 1, FAILING)
    staff = accounts.create_user(
        db.session, email="team@example.org", password="a long password", display_name="T"
    )
    quizzes.grant_another_attempt(db.session, staff.id, learner_id, lesson)
    db.session.rollback()  # granted and committed: nothing is left to the caller
    assert quizzes.quiz_status(db.session, learner_id, lesson).attempts_left == 1
    entries = db.session.scalars(sa.select(AuditLogEntry)).all()
    assert [
        (entry.actor_id, entry.action, entry.subject_ref, entry.details) for entry in entries
    ] == [
        (
            staff.id,
            "another attempt",
            f"user #{learner_id}",
            {"lesson": "quizzed", "course": lesson.course, "by": "staff"},
        )
    ]


def test_no_attempt_granted_to_a_learner_with_attempts_left_is_logged(learner_id):
    lesson = make_lesson(make_quiz(attempts=2))
    submit(learner_id, lesson, 1, FAILING)
    with pytest.raises(quizzes.AttemptsLeft):
        quizzes.grant_another_attempt(db.session, learner_id, learner_id, lesson)
    assert db.session.scalars(sa.select(AuditLogEntry)).all() == []


def test_an_unlimited_quiz_has_no_attempt_to_allow(learner_id):
    lesson = make_lesson(make_quiz(attempts=None))
    submit(learner_id, lesson, 1, FAILING)
    with pytest.raises(quizzes.AttemptsLeft):
        quizzes.allow_another_attempt(db.session, learner_id, lesson)


def test_two_staff_members_at_once_allow_one_attempt(app, learner_id):
    lesson = make_lesson(make_quiz(attempts=1))
    submit(learner_id, lesson, 1, FAILING)

    def allow() -> bool:
        try:
            quizzes.allow_another_attempt(db.session, learner_id, lesson)
        except quizzes.AttemptsLeft:
            return False
        db.session.commit()
        return True

    assert sorted(run_at_once(app, 4, allow)) == [False, False, False, True]
    assert quizzes.quiz_status(db.session, learner_id, lesson).allowed == 2


def test_unlimited_attempts_never_run_out(learner_id):
    lesson = make_lesson(make_quiz(attempts=None))
    for number in range(1, 6):
        submit(learner_id, lesson, number, FAILING)
    assert quizzes.quiz_status(db.session, learner_id, lesson).can_attempt


def test_the_same_attempt_posted_twice_is_stored_once(learner_id):
    lesson = make_lesson(make_quiz())
    first = submit(learner_id, lesson, 1, FAILING)
    again = submit(learner_id, lesson, 1, ALL_RIGHT)
    assert again.is_duplicate and again.attempt.id == first.attempt.id
    assert not again.attempt.passed
    assert len(quizzes.attempts_of(db.session, learner_id, lesson)) == 1


def test_attempts_and_extra_attempts_are_the_learners_own_at_this_lesson_of_this_course(
    learner_id,
):
    quiz = make_quiz(attempts=2)
    lesson = make_lesson(quiz)
    learner = accounts.create_user(
        db.session, email="own@example.org", password="a long password", display_name="O"
    ).id
    # Someone else at this lesson, and the learner at another lesson of the course and at a
    # lesson of the same name in another course: each there first, and each where a query
    # that forgot whose or which attempts it wants would come to it first.
    elsewhere = [
        (learner_id, lesson),
        (learner, make_lesson(quiz, slug="other")),
        (learner, replace(lesson, course="another-course")),
    ]
    now = dt.datetime(2024, 5, 15, tzinfo=dt.UTC)
    for someone, at in elsewhere:
        progress.note_start(db.session, someone, at, now)
        submit(someone, at, 1, FAILING)
        submit(someone, at, 2, FAILING)
    progress.note_start(db.session, learner, lesson, now)
    first = submit(learner, lesson, 1, FAILING).attempt
    assert quizzes.quiz_status(db.session, learner, lesson).attempts_left == 1
    second = submit(learner, lesson, 2).attempt
    assert [attempt.id for attempt in quizzes.attempts_of(db.session, learner, lesson)] == [
        first.id,
        second.id,
    ]
    assert submit(learner, lesson, 1).attempt.id == first.id
    assert submit(learner, lesson, 2).attempt.id == second.id
    quizzes.allow_another_attempt(db.session, learner, lesson)
    db.session.commit()
    assert quizzes.quiz_status(db.session, learner, lesson).allowed == 3
    for someone, at in elsewhere:
        assert quizzes.quiz_status(db.session, someone, at).allowed == 2


@pytest.mark.parametrize(
    ("answers", "same"),
    [
        (ALL_RIGHT, True),
        ({**ALL_RIGHT, "beyond": ["power", "partnership"]}, True),
        ({**ALL_RIGHT, "beyond": ["power"]}, False),
        ({**ALL_RIGHT, "origin": ["marketing"]}, False),
        ({key: value for key, value in ALL_RIGHT.items() if key != "approach"}, False),
    ],
    ids=["same", "other order", "one option less", "other option", "one question less"],
)
def test_a_resubmitted_form_is_told_apart_by_its_answers(learner_id, answers, same):
    lesson = make_lesson(make_quiz())
    attempt = submit(learner_id, lesson, 1).attempt
    assert quizzes.same_answers(attempt, answers) is same


def test_an_attempt_number_from_the_future_is_tampering(learner_id):
    lesson = make_lesson(make_quiz())
    with pytest.raises(quizzes.TamperedForm):
        submit(learner_id, lesson, 5)


def test_two_tabs_submitting_at_once_store_one_attempt(app, learner_id):
    lesson = make_lesson(make_quiz())

    def send() -> tuple[bool, bool, int]:
        submission = submit(learner_id, lesson, 1)
        return submission.is_duplicate, submission.completed_lesson, submission.attempt.id

    sent = run_at_once(app, 6, send)
    # Only the attempt stored completes the lesson, and every tab is shown that attempt.
    assert sorted(result[:2] for result in sent) == [(False, True)] + [(True, False)] * 5
    [stored] = quizzes.attempts_of(db.session, learner_id, lesson)
    assert {result[2] for result in sent} == {stored.id}


@pytest.mark.parametrize(
    ("grading", "expected"),
    [
        (Grading.HIGHEST, 100.0),
        (Grading.LAST, 25.0),
        (Grading.FIRST, 75.0),
        (Grading.AVERAGE, 66.7),
    ],
)
def test_the_quiz_grade_follows_the_grading_method(learner_id, grading, expected):
    lesson = make_lesson(make_quiz(grading=grading, attempts=None, answers=AnswerReview.NEVER))
    submit(learner_id, lesson, 1, {**FAILING, "origin": ["ostrom"], "method": ["false"]})
    submit(learner_id, lesson, 2)
    submit(learner_id, lesson, 3, {**FAILING, "approach": ["true"]})
    status = quizzes.quiz_status(db.session, learner_id, lesson)
    assert round(status.grade_percent, 1) == expected
    assert not status.shows_correct_answers


def test_quiz_settings_defaults_match_the_documentation():
    assert QuizSettings() == QuizSettings(
        pass_mark=70,
        attempts=None,
        required=True,
        feedback=True,
        answers=AnswerReview.WHEN_DONE,
        grading=Grading.HIGHEST,
    )
