"""What a signed-in learner's most frequent requests cost the database, in statements: the
figures the benchmark's ratios rest on (bench/RESULTS.md), kept from creeping back up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import content, db
from tests.conftest import ATTEMPT_FIELD, CSRF_FIELD

LESSON = "/en/courses/co-production/lessons/{slug}"


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements run meanwhile, BEGIN and COMMIT left out."""
    run: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        run.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield run
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def test_a_lesson_read_again_by_its_learner_costs_six_reads_and_no_write(app, learner):
    app.config["KEPT_LEARNER_PAGES"] = 0  # made each time, as for thousands of learners
    with app.app_context():
        lesson = content.course.published_lessons[0]
    learner.acknowledge("en", lesson.slug)
    learner.get(LESSON.format(slug=lesson.slug))
    with statements(app) as run:
        page = learner.get(LESSON.format(slug=lesson.slug))
    assert page.status_code == 200 and "Ana" in page.get_data(as_text=True)
    # The account with its browser session, the course's openness, the notice read, the
    # progress in the course, the quiz's attempts (and those used, for a limited quiz).
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in run), run
    assert len(run) <= 6, run


def test_a_passed_quiz_costs_one_statement_per_row_kind_it_stores(app, learner):
    with app.app_context():
        lesson = next(
            lesson for lesson in content.course.published_lessons if lesson.quiz is not None
        )
        answers = [
            (f"q-{question.id}", option)
            for question in lesson.quiz.questions
            for option in sorted(question.correct_ids)
        ]
    learner.acknowledge("en", lesson.slug)
    path = LESSON.format(slug=lesson.slug)
    page = learner.get(path).get_data(as_text=True)
    form = [
        ("csrf_token", CSRF_FIELD.search(page).group(1)),
        ("attempt", ATTEMPT_FIELD.search(page).group(1)),
        *answers,
    ]
    with statements(app) as run:
        answered = learner.post(f"{path}/quiz", data=MultiDict(form))
    assert answered.status_code == 303
    assert "You passed the quiz" in learner.get(path).get_data(as_text=True)
    writes = [s for s in run if not s.lstrip().upper().startswith("SELECT")]
    stored = [s.split("(")[0].split()[2] for s in writes if s.lstrip().upper().startswith("INSERT")]
    # The attempt and its answers, each in one statement; the lesson completed in one.
    assert stored.count("quiz_answers") == 1 and stored.count("quiz_attempts") == 1, writes
    assert sum("UPDATE lesson_progress" in s for s in writes) == 1, writes
    # Besides: the account, the course, the notice, the attempts used, the line items of
    # learning platforms, membership, and what the certificate needs to know.
    assert len(run) <= 13, run
