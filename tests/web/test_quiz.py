"""Taking a quiz over HTTP: graded on the server, required to complete the lesson, and
never giving the answers away in the page before an attempt is graded."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.content import load_course
from app.content.model import QuestionKind
from app.extensions import db
from app.models import LessonProgress, QuizAttempt, Role
from app.services import accounts
from config import ROOT
from tests.conftest import (
    ATTEMPT_FIELD,
    CSRF_FIELD,
    right_answers,
    wrong_answers,
)
from tests.content.conftest import lesson_file

COURSE = load_course(ROOT / "lessons" / "co-production")
LESSON = COURSE.published_lessons[0]
PAGE = f"/{{lang}}/courses/co-production/lessons/{LESSON.slug}"


@pytest.fixture
def learner(learner):
    """A signed-in learner who has read lesson 1's data notice."""
    assert learner.acknowledge("en", LESSON.slug).status_code == 303
    return learner


def attempts(app) -> list[QuizAttempt]:
    with app.app_context():
        return list(db.session.scalars(sa.select(QuizAttempt).order_by(QuizAttempt.number)))


def completed(app) -> bool:
    with app.app_context():
        row = db.session.scalar(sa.select(LessonProgress))
        return row is not None and row.completed_at is not None


def test_the_shipped_lessons_have_quizzes_of_every_type():
    for lesson in COURSE.published_lessons:
        assert len(lesson.quiz.questions) >= 4
        assert {q.kind for q in lesson.quiz.questions} == set(QuestionKind)
        for language in ("es", "pt", "en"):
            assert lesson.texts[language].quiz is not None


@pytest.mark.parametrize(
    ("lang", "passed_text", "done_text"),
    [
        ("en", "You passed the quiz: lesson 1 is complete.", "1 of 15 lessons completed"),
        ("es", "Has superado el cuestionario", "1 de 15 lecciones completadas"),
        ("pt", "Passou no questionário", "1 de 15 lições concluídas"),
    ],
)
def test_a_failed_then_passed_attempt_completes_the_lesson(
    app, learner, lang, passed_text, done_text
):
    page = learner.get(PAGE.format(lang=lang)).get_data(as_text=True)
    assert f'action="/{lang}/courses/co-production/lessons/{LESSON.slug}/complete"' not in page

    failed = learner.take_quiz(lang, LESSON, wrong_answers(LESSON.quiz))
    assert failed.status_code == 303 and failed.location.endswith("#quiz")
    assert not completed(app)
    after_failure = learner.get(PAGE.format(lang=lang)).get_data(as_text=True)
    assert 'class="quiz-result is-failed"' in after_failure
    total = len(LESSON.quiz.questions)
    score = {
        "en": f"0 of {total} right",
        "es": f"0 de {total} correctas",
        "pt": f"0 de {total} certas",
    }
    assert score[lang] in after_failure
    assert ATTEMPT_FIELD.search(after_failure).group(1) == "2"

    passed = learner.take_quiz(lang, LESSON, right_answers(LESSON.quiz))
    assert passed.status_code == 303
    after_pass = learner.get(PAGE.format(lang=lang)).get_data(as_text=True)
    assert passed_text in after_pass
    assert 'class="quiz-result is-passed"' in after_pass
    assert completed(app)
    assert done_text in learner.get(f"/{lang}/courses/co-production/").get_data(as_text=True)
    stored = attempts(app)
    assert [(a.number, a.passed, a.language) for a in stored] == [(1, False, lang), (2, True, lang)]


def test_a_passed_quiz_says_so_where_the_page_opens_and_shows_each_right_answer_once(learner):
    """The outcome is said in the quiz's section, where the page opens after an answer;
    once passed, the attempts left go with taking it again, folded away; the right answer
    is shown only for a question the learner got wrong."""
    learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz))
    after_failure = learner.get(PAGE.format(lang="en")).get_data(as_text=True)
    before, section = after_failure.split('id="quiz"', 1)
    assert "Not passed this time; you can try again." in section
    assert "Not passed this time" not in before
    assert "You have 2 attempts left." in section
    questions = len(LESSON.quiz.questions)
    assert section.count('class="correct-answer"') == 0, "answers: when-done, not yet done"

    # Passed with the first question wrong (the pass mark is 80%).
    first = f"q-{LESSON.quiz.questions[0].id}"
    answers = [entry for entry in wrong_answers(LESSON.quiz) if entry[0] == first]
    answers += [entry for entry in right_answers(LESSON.quiz) if entry[0] != first]
    learner.take_quiz("en", LESSON, answers)
    after_pass = learner.get(PAGE.format(lang="en")).get_data(as_text=True)
    before, section = after_pass.split('id="quiz"', 1)
    assert "You passed the quiz: lesson 1 is complete." in section
    assert "You passed the quiz" not in before
    retake = section.split('<details class="retake">', 1)[1].split("</details>", 1)[0]
    assert "You have 1 attempt left." in retake
    assert section.count("attempt left") == 1, "only where taking it again is offered"
    # A right answer is marked right once; the right answer is given for the wrong one.
    assert section.count("✓ Right") == questions - 1
    assert section.count('class="correct-answer"') == 1


def quiz_state(learner, lang: str = "en") -> str:
    """The line under the quiz's heading that says where the learner stands."""
    page = learner.get(PAGE.format(lang=lang)).get_data(as_text=True)
    line = page.split('<p class="quiz-state">', 1)[1].split("</p>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", line).split())


def test_the_quiz_says_where_the_learner_stands_in_a_line_under_its_heading(learner):
    assert quiz_state(learner) == "○ Not taken yet"
    learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt="1")
    assert quiz_state(learner) == "↻ Not passed yet: 2 attempts left"
    learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt="2")
    assert quiz_state(learner, "pt") == "↻ Ainda não aprovado: resta 1 tentativa"
    learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt="3")
    assert quiz_state(learner, "es") == "✗ No superado, sin intentos restantes"


def test_a_passed_quiz_is_marked_passed_under_its_heading(learner):
    learner.take_quiz("en", LESSON, right_answers(LESSON.quiz))
    assert quiz_state(learner) == "✓ Passed"
    assert quiz_state(learner, "es") == "✓ Superado"


def test_passing_is_what_completes_a_lesson_with_a_required_quiz(app, learner):
    response = learner.submit(
        PAGE.format(lang="pt"), f"/pt/courses/co-production/lessons/{LESSON.slug}/complete"
    )
    assert response.status_code == 409
    assert "Esta lição fica concluída quando passar no questionário." in response.get_data(
        as_text=True
    )
    assert not completed(app)


def test_the_same_attempt_posted_twice_is_recorded_once(app, learner):
    first = learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt="1")
    again = learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt="1")
    assert first.status_code == again.status_code == 303
    assert len(attempts(app)) == 1 and not completed(app)
    page = learner.get(PAGE.format(lang="en")).get_data(as_text=True)
    assert "This attempt was already submitted" in page


def test_when_no_attempts_remain_the_form_is_gone_and_a_post_is_refused(app, learner):
    for number in (1, 2, 3):
        learner.take_quiz("es", LESSON, wrong_answers(LESSON.quiz), attempt=str(number))
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    assert 'class="quiz-form"' not in page
    assert "Ya has usado todos tus intentos" in page
    refused = learner.take_quiz("es", LESSON, right_answers(LESSON.quiz), attempt="4")
    assert refused.status_code == 403
    assert "Ya has usado todos tus intentos" in refused.get_data(as_text=True)
    assert len(attempts(app)) == 3 and not completed(app)


def test_a_lesson_whose_quiz_can_no_longer_be_passed_says_so_and_is_not_resumed(app, learner):
    for number in (1, 2):
        learner.take_quiz("es", LESSON, wrong_answers(LESSON.quiz), attempt=str(number))
    assert (
        resumed_lesson(learner.get("/es/courses/co-production/").get_data(as_text=True))
        == LESSON.slug
    )
    learner.take_quiz("es", LESSON, wrong_answers(LESSON.quiz), attempt="3")
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    assert "así que esta lección queda sin completar" in page
    assert "Puedes seguir con la siguiente lección" in page
    assert "el equipo del curso puede darte otro intento" in page
    assert "Supera el cuestionario de arriba" not in page
    course = learner.get("/es/courses/co-production/").get_data(as_text=True)
    item = course[
        course.index(
            f'href="/es/courses/co-production/lessons/{LESSON.slug}"', course.index("lesson-list")
        ) :
    ]
    assert item.split("</li>", 1)[0].count("Cuestionario no superado") == 1
    following = COURSE.published_lessons[1]
    assert resumed_lesson(course) == following.slug
    learner.acknowledge("es", following.slug)
    learner.take_quiz("es", following, right_answers(following.quiz))
    course = learner.get("/es/courses/co-production/").get_data(as_text=True)
    assert "1 queda sin completar porque no superaste su cuestionario" in course
    assert "Has completado todas las lecciones" not in course


def test_the_last_published_lesson_closed_points_to_no_next_lesson(app, learner):
    last = COURSE.published_lessons[-1]
    learner.acknowledge("pt", last.slug)
    for number in range(1, last.quiz.settings.attempts + 1):
        learner.take_quiz("pt", last, wrong_answers(last.quiz), attempt=str(number))
    page = learner.get(f"/pt/courses/co-production/lessons/{last.slug}").text
    assert "por isso esta lição fica por concluir" in page
    assert "a equipa do curso pode dar-lhe mais uma tentativa" in page
    assert "lição seguinte" not in page and 'rel="next"' not in page


def test_an_admin_allows_another_attempt_after_the_last_one_failed(app, learner):
    for number in (1, 2, 3):
        learner.take_quiz("pt", LESSON, wrong_answers(LESSON.quiz), attempt=str(number))
    admin = app.test_client()
    admin.register("pt", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
        learner_id = accounts.find_user(db.session, "ana@example.org").id
    detail = f"/pt/admin/learners/{learner_id}"
    action = f"/pt/admin/learners/{learner_id}/lessons/{LESSON.slug}/another-attempt"
    page = admin.get(detail).get_data(as_text=True)
    assert "3 de 3" in page and f'action="{action}"' in page
    assert "Permitir outra tentativa" in page
    assert "O questionário já mostrou a este formando as respostas certas." in page

    allowed = admin.submit(detail, action, follow_redirects=True)
    page = allowed.get_data(as_text=True)
    assert allowed.request.path == detail
    assert "Ana pode agora fazer este questionário mais uma vez." in page
    assert "3 de 4" in page and f'action="{action}"' not in page
    history = page[page.index("O que a equipa do curso fez com esta conta") :]
    assert f"Outra tentativa concedida num questionário: 1 · {LESSON.text_for('pt').title}" in (
        history
    )
    assert "admin@example.org" in history

    lesson_page = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    assert 'class="quiz-form"' in lesson_page and "Resta-lhe 1 tentativa." in lesson_page
    assert (
        "A equipa do curso concedeu-lhe 1 tentativa além das previstas no questionário"
        in lesson_page
    )
    again = admin.submit(detail, action)
    assert again.status_code == 409
    assert f'href="{detail}">Voltar à página do formando</a>' in again.text
    assert "Este formando ainda pode fazer este questionário" in again.get_data(as_text=True)
    assert learner.take_quiz("pt", LESSON, right_answers(LESSON.quiz)).status_code == 303
    assert len(attempts(app)) == 4 and completed(app)


def test_only_an_admin_allows_another_attempt_and_at_a_lesson_that_exists(app, learner):
    for number in (1, 2, 3):
        learner.take_quiz("en", LESSON, wrong_answers(LESSON.quiz), attempt=str(number))
    with app.app_context():
        learner_id = accounts.find_user(db.session, "ana@example.org").id
    action = f"/en/admin/learners/{learner_id}/lessons/{{slug}}/another-attempt"
    assert learner.submit("/en/", action.format(slug=LESSON.slug)).status_code == 403
    admin = app.test_client()
    admin.register("en", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
    assert admin.post(action.format(slug=LESSON.slug)).status_code == 400  # no CSRF token
    assert admin.submit("/en/admin/", action.format(slug="no-such-lesson")).status_code == 404
    assert learner.take_quiz("en", LESSON, right_answers(LESSON.quiz), "4").status_code == 403


def resumed_lesson(course_page: str) -> str:
    """The lesson the course page's "continue" button leads to."""
    resume = course_page[course_page.index('class="resume"') :].split("</p>", 1)[0]
    return re.search(r'href="/es/courses/co-production/lessons/([^"]+)"', resume).group(1)


def test_missing_answers_are_asked_for_and_the_others_kept(app, learner):
    answers = right_answers(LESSON.quiz)
    first_question = LESSON.quiz.questions[0]
    partial = [pair for pair in answers if pair[0] != f"q-{first_question.id}"]
    response = learner.take_quiz("pt", LESSON, partial)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Responda a esta pergunta." in html
    assert f'id="question-{first_question.id}-error"' in html
    for name, value in partial:
        assert re.search(rf'name="{name}" value="{value}" checked', html), (name, value)
    assert attempts(app) == []
    switcher = html.split('class="language-nav"', 1)[1].split("</nav>", 1)[0]
    assert 'form="quiz-form" name="switch_language" value="es"' in switcher, "sends the ticks"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda form: [*form, ("q-invented", "x")],
        lambda form: [
            (name, "invented") if i == 0 else (name, value) for i, (name, value) in enumerate(form)
        ],
        lambda form: [*form, (form[0][0], "another")],
    ],
    ids=["unknown question", "unknown option", "extra answer"],
)
def test_a_tampered_form_is_refused_and_nothing_stored(app, learner, tamper):
    response = learner.take_quiz("en", LESSON, tamper(right_answers(LESSON.quiz)))
    assert response.status_code == 400
    assert "The quiz form was changed or is out of date" in response.get_data(as_text=True)
    assert attempts(app) == [] and not completed(app)


def test_two_answers_to_a_single_choice_question_are_refused(app, learner):
    single = next(q for q in LESSON.quiz.questions if q.kind is QuestionKind.SINGLE)
    both = [(f"q-{single.id}", option.id) for option in single.options[:2]]
    form = [pair for pair in right_answers(LESSON.quiz) if pair[0] != f"q-{single.id}"] + both
    assert learner.take_quiz("en", LESSON, form).status_code == 400
    assert attempts(app) == []


@pytest.mark.parametrize("attempt", ["", "one", "-1", "99", "²", "١"])
def test_a_bad_attempt_number_is_refused(app, learner, attempt):
    response = learner.take_quiz("en", LESSON, right_answers(LESSON.quiz), attempt=attempt or " ")
    assert response.status_code == 400
    assert attempts(app) == []


def test_a_quiz_post_needs_an_account_and_a_csrf_token(app, client):
    form = [("attempt", "1"), *right_answers(LESSON.quiz)]
    anonymous = client.post(
        f"/en/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=MultiDict([("csrf_token", client.csrf_token("/en/login")), *form]),
    )
    assert anonymous.status_code == 302
    assert anonymous.location == f"/en/login?next=/en/courses/co-production/lessons/{LESSON.slug}"
    client.register()
    client.acknowledge("en", LESSON.slug)
    no_token = client.post(
        f"/en/courses/co-production/lessons/{LESSON.slug}/quiz", data=MultiDict(form)
    )
    assert no_token.status_code == 400
    assert attempts(app) == []


def test_anonymous_readers_see_the_questions_invitation_not_the_form(client):
    html = client.get(PAGE.format(lang="en")).get_data(as_text=True)
    assert "Sign in to take the quiz" in html
    assert 'class="quiz-form"' not in html


def quiz_course(course_app, quiz_body: str, name: str):
    """A course with a lesson without a quiz and one with the given quiz."""

    def write(lessons):
        lessons.write("01-plain/es.md", lesson_file("Sin cuestionario"))
        lessons.write("02-quizzed/es.md", lesson_file("Con cuestionario", body=quiz_body))

    return course_app(write, name)


KEY_A = """```quiz
? capital: Which city?
(x) lisbon: Lisbon
( ) porto: Porto
? parts: Which apply?
[x] one: One
[ ] two: Two
[x] three: Three
? flat: The earth is flat.
answer: false
```
"""
KEY_B = (
    KEY_A.replace("(x) lisbon", "( ) lisbon")
    .replace("( ) porto", "(x) porto")
    .replace("[x] one", "[ ] one")
    .replace("[ ] two", "[x] two")
    .replace("answer: false", "answer: true")
)


def test_the_page_before_grading_does_not_depend_on_the_answer_key(course_app):
    """Two quizzes that differ only in which options are right render the same page."""
    pages = []
    for name, body in (("a", KEY_A), ("b", KEY_B)):
        client = quiz_course(course_app, body, name).test_client()
        client.register("es", email=f"{name}@example.org")
        client.acknowledge("es", "quizzed")
        html = client.get("/es/courses/co-production/lessons/quizzed").get_data(as_text=True)
        assert 'value="lisbon"' in html and 'value="porto"' in html
        html = re.sub(r'name="learner" value="\d+"', "", CSRF_FIELD.sub("", html))
        pages.append(html.replace(f"{name}@example.org", ""))
    assert pages[0] == pages[1]


def test_a_quiz_post_to_a_lesson_without_a_quiz_is_a_404(course_app):
    client = quiz_course(course_app, KEY_A, "plain").test_client()
    client.register("es")
    client.acknowledge("es", "plain")
    response = client.submit(
        "/es/courses/co-production/lessons/plain",
        "/es/courses/co-production/lessons/plain/quiz",
        {"attempt": "1"},
    )
    assert response.status_code == 404
    assert "Esta lección no tiene cuestionario." in response.get_data(as_text=True)


def test_answers_sent_after_the_session_ended_wait_for_the_learner_to_sign_in(app, learner):
    page = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    other_device = app.test_client()
    other_device.login("pt")
    # Which ends every other session of the account.
    other_device.submit("/pt/account/security", "/pt/account/sessions/end-others")
    answers = right_answers(LESSON.quiz)
    form = [("csrf_token", CSRF_FIELD.search(page).group(1)), ("attempt", "1"), *answers]
    form.append(("q-no-such-question", "x"))
    sent = learner.post(
        f"/pt/courses/co-production/lessons/{LESSON.slug}/quiz", data=MultiDict(form)
    )
    assert sent.status_code == 302 and "/pt/login" in sent.location
    assert attempts(app) == []
    signed_in = learner.submit(
        sent.location, data={"email": "ana@example.org", "password": "correct horse battery"}
    )
    assert signed_in.location == PAGE.format(lang="pt") + "#quiz", "back at the quiz"
    again = learner.get(signed_in.location).get_data(as_text=True)
    assert "Aqui estão as respostas que escolheu antes de a sua sessão terminar" in again
    checked = set(re.findall(r'name="(q-[^"]+)" value="([^"]+)" checked', again))
    assert checked == set(answers), "every answer is back, and nothing else"
    reloaded = learner.get(signed_in.location).get_data(as_text=True)
    assert ticked(reloaded) == set(answers), "still there after a reload, until sent"
    assert "Aqui estão as respostas" not in reloaded, "told once"
    assert learner.take_quiz("pt", LESSON, answers).status_code == 303
    assert completed(app)
    sent = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    assert "Lição concluída." in sent, "the way on, at the result"
    assert '<details class="retake">' in sent, "taking it again is folded away once passed"
    assert ticked(learner.get(PAGE.format(lang="pt")).text) == set(), "sent: no longer kept"


def test_kept_answers_are_for_their_own_learner_only(app, learner):
    page = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    other_device = app.test_client()
    other_device.login("pt")
    other_device.submit("/pt/account/security", "/pt/account/sessions/end-others")
    form = [("csrf_token", CSRF_FIELD.search(page).group(1)), ("attempt", "1")]
    sent = learner.post(
        f"/pt/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=MultiDict(form + right_answers(LESSON.quiz)),
    )
    with app.app_context():
        accounts.create_user(
            db.session, email="kb@example.org", password="a passphrase", display_name="Kb"
        )
    learner.submit(sent.location, data={"email": "kb@example.org", "password": "a passphrase"})
    assert learner.acknowledge("pt", LESSON.slug).status_code == 303
    page = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    assert "Aqui estão as respostas" not in page and " checked" not in page


def ticked(page: str) -> set[tuple[str, str]]:
    return set(re.findall(r'name="(q-[^"]+)" value="([^"]+)" checked', page))


def quiz_form(page: str, answers, **fields) -> MultiDict:
    """The lesson page's quiz form, as its tab would send it later."""
    learner = re.search(r'name="learner" value="(\d+)"', page).group(1)
    form = [
        ("csrf_token", CSRF_FIELD.search(page).group(1)),
        ("attempt", ATTEMPT_FIELD.search(page).group(1)),
        ("learner", learner),
        *answers,
    ]
    return MultiDict(form + list(fields.items()))


def test_answers_from_a_tab_that_outlived_a_sign_out_in_this_browser_wait_for_sign_in(app, learner):
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    learner.submit("/es/", "/es/logout")  # in another tab of the same browser
    answers = right_answers(LESSON.quiz)
    sent = learner.post(
        f"/es/courses/co-production/lessons/{LESSON.slug}/quiz", data=quiz_form(page, answers)
    )
    assert sent.status_code == 302 and "/es/login" in sent.location
    signed_in = learner.submit(
        sent.location, data={"email": "ana@example.org", "password": "correct horse battery"}
    )
    again = learner.get(signed_in.location).get_data(as_text=True)
    assert ticked(again) == set(answers) and attempts(app) == []


def test_answers_from_a_page_older_than_the_session_come_back_ticked(app, learner):
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    learner.submit("/es/", "/es/logout")
    learner.login("es")  # out and in again in another tab: the page's form is stale
    answers = wrong_answers(LESSON.quiz)
    sent = learner.post(
        f"/es/courses/co-production/lessons/{LESSON.slug}/quiz", data=quiz_form(page, answers)
    )
    assert sent.status_code == 303 and sent.location.endswith("#quiz")
    again = learner.get(sent.location).get_data(as_text=True)
    assert "Esta página estaba desactualizada, así que tus respuestas no se enviaron" in again
    assert ticked(again) == set(answers) and attempts(app) == []


@pytest.mark.parametrize("answered", [True, False], ids=["ticked", "nothing ticked"])
def test_switching_language_from_a_page_older_than_the_session_still_switches(
    app, learner, answered
):
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    learner.submit("/es/", "/es/logout")
    learner.login("es")
    answers = wrong_answers(LESSON.quiz) if answered else []
    form = quiz_form(page, answers, switch_language="pt")
    sent = learner.post(f"/es/courses/co-production/lessons/{LESSON.slug}/quiz", data=form)
    assert sent.status_code == 303 and sent.location.startswith(
        f"/pt/courses/co-production/lessons/{LESSON.slug}"
    )
    assert ticked(learner.get(sent.location).text) == set(answers) and attempts(app) == []


def test_a_page_of_another_account_keeps_its_answers_for_that_account_only(app, learner):
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    learner.submit("/es/", "/es/logout")
    with app.app_context():
        accounts.create_user(
            db.session, email="kb@example.org", password="a passphrase", display_name="Kb"
        )
    learner.login("es", email="kb@example.org", password="a passphrase")
    answers = right_answers(LESSON.quiz)
    sent = learner.post(
        f"/es/courses/co-production/lessons/{LESSON.slug}/quiz", data=quiz_form(page, answers)
    )
    assert sent.status_code == 409
    assert "Sus respuestas se guardan para esa cuenta" in sent.text
    assert learner.acknowledge("es", LESSON.slug).status_code == 303
    assert ticked(learner.get(PAGE.format(lang="es")).text) == set(), "not for Kb"
    learner.submit("/es/", "/es/logout")
    learner.login("es")
    assert ticked(learner.get(PAGE.format(lang="es")).text) == set(answers)
    assert attempts(app) == []


def test_a_second_tab_with_other_answers_keeps_them_for_the_next_attempt(app, learner):
    first_tab = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    second_tab = learner.get(PAGE.format(lang="pt")).get_data(as_text=True)
    wrong, right = wrong_answers(LESSON.quiz), right_answers(LESSON.quiz)
    url = f"/pt/courses/co-production/lessons/{LESSON.slug}/quiz"
    assert learner.post(url, data=quiz_form(first_tab, wrong)).status_code == 303
    sent = learner.post(url, data=quiz_form(second_tab, right))
    assert sent.status_code == 303
    page = learner.get(sent.location).get_data(as_text=True)
    assert "A tentativa 1 já tinha sido enviada a partir de outra página" in page
    assert ticked(page) == set(right) and len(attempts(app)) == 1
    assert learner.post(url, data=quiz_form(page, right)).status_code == 303
    assert len(attempts(app)) == 2 and completed(app)


def test_a_multiple_choice_answer_missing_a_right_option_is_called_incomplete(app, learner):
    multiple = next(q for q in LESSON.quiz.questions if q.kind is QuestionKind.MULTIPLE)
    one_right = sorted(multiple.correct_ids)[0]
    answers = [pair for pair in right_answers(LESSON.quiz) if pair[0] != f"q-{multiple.id}"]
    learner.take_quiz("es", LESSON, [*answers, (f"q-{multiple.id}", one_right)])
    page = learner.get(PAGE.format(lang="es")).text
    assert page.count("Incompleta: falta al menos una opción correcta") == 1


def switcher_buttons(page: str) -> dict[str, str]:
    """The language switcher's buttons that send the quiz form: language, form id."""
    switcher = page.split('class="language-nav"', 1)[1].split("</nav>", 1)[0]
    return {
        language: form
        for form, language in re.findall(
            r'<button type="submit" form="([^"]+)" name="switch_language" value="([^"]+)"',
            switcher,
        )
    }


def test_switching_language_mid_quiz_brings_the_unsent_ticks_along(app, learner):
    page = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    assert switcher_buttons(page) == {"en": "quiz-form", "pt": "quiz-form"}
    assert (
        '<form method="post" action="/es/courses/co-production/lessons/' in page
        and 'id="quiz-form"' in page
    )
    first_two = right_answers(LESSON.quiz)[:2]
    sent = learner.post(
        f"/es/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=quiz_form(page, first_two, switch_language="pt"),
    )
    assert sent.status_code == 303
    assert sent.location == f"/pt/courses/co-production/lessons/{LESSON.slug}#quiz"
    switched = learner.get(sent.location).get_data(as_text=True)
    assert '<html lang="pt">' in switched
    note = "As suas respostas continuam assinaladas abaixo, prontas a enviar."
    assert switched.index('id="quiz"') < switched.index(note), "in the quiz, where the page opens"
    assert ticked(switched) == set(first_two) and attempts(app) == []
    again = learner.get(PAGE.format(lang="pt")).text
    assert ticked(again) == set(first_two) and note not in again, "on reload too, told once"

    answers = right_answers(LESSON.quiz)
    url = f"/pt/courses/co-production/lessons/{LESSON.slug}/quiz"
    assert learner.post(url, data=quiz_form(switched, answers)).status_code == 303
    assert len(attempts(app)) == 1 and attempts(app)[0].language == "pt"
    assert ticked(learner.get(PAGE.format(lang="pt")).text) == set(), "sent, so not kept"


def test_switching_language_with_everything_unticked_forgets_what_was_kept(app, learner):
    page = learner.get(PAGE.format(lang="en")).get_data(as_text=True)
    answers = right_answers(LESSON.quiz)[:1]
    learner.post(
        f"/en/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=quiz_form(page, answers, switch_language="es"),
    )
    kept = learner.get(PAGE.format(lang="es")).get_data(as_text=True)
    assert ticked(kept) == set(answers)
    sent = learner.post(
        f"/es/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=quiz_form(kept, [], switch_language="en"),
    )
    assert (
        sent.status_code == 303
        and sent.location == f"/en/courses/co-production/lessons/{LESSON.slug}#content"
    )
    assert ticked(learner.get(sent.location).text) == set()


def test_switching_to_a_language_the_course_lacks_is_refused_and_nothing_kept(app, learner):
    page = learner.get(PAGE.format(lang="en")).get_data(as_text=True)
    answers = right_answers(LESSON.quiz)
    sent = learner.post(
        f"/pt/courses/co-production/lessons/{LESSON.slug}/quiz",
        data=quiz_form(page, answers, switch_language="fr"),
    )
    assert sent.status_code == 400
    assert "O formulário do questionário foi alterado ou está desatualizado" in sent.text
    assert ticked(learner.get(PAGE.format(lang="en")).text) == set() and attempts(app) == []


def test_the_switcher_is_plain_links_where_no_quiz_form_is_shown(client):
    page = client.get(PAGE.format(lang="en")).get_data(as_text=True)
    assert switcher_buttons(page) == {}
    switcher = page.split('class="language-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="/pt/courses/co-production/lessons/{LESSON.slug}"' in switcher


def test_the_course_page_says_an_optional_quiz_was_passed_reading_attempts_once(course_app):
    """Passing an optional quiz does not complete its lesson: the course page reads the
    attempts to say so, in one query with the progress rows' however many lessons."""
    optional = KEY_A.replace("```quiz\n", "```quiz\nrequired: no\n")
    app = quiz_course(course_app, optional, "optional")
    client = app.test_client()
    client.register("es")
    client.acknowledge("es", "plain")
    client.acknowledge("es", "quizzed")
    lesson = app.extensions["catalogue"].default.published_lesson("quizzed")
    assert lesson.quiz.settings.required is False
    client.take_quiz("es", lesson, right_answers(lesson.quiz))
    statements = []

    def note(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        html = client.get("/es/courses/co-production/").get_data(as_text=True)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", note)
    items = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        for item in re.findall(r'<li class="lesson-item".*?</li>', html, re.S)
    ]
    assert items[0] == "Lección 1 Sin cuestionario 1 min de lectura En curso"
    assert items[1].endswith("Has superado su cuestionario En curso"), items[1]
    assert sum("FROM quiz_attempts" in statement for statement in statements) == 1
    assert sum("FROM lesson_progress" in statement for statement in statements) == 1


THREE_STATEMENTS = """```quiz
pass: 67
attempts: 3
answers: always
? sun: The sun is a star.
answer: true
? moon: The moon is a planet.
answer: false
? flat: The earth is flat.
answer: false
```
"""


def test_two_of_three_right_is_shown_as_67_percent_and_passes_a_67_percent_mark(course_app):
    """The learner is graded by the figure the page shows, and with 'answers: always' is
    given the right answer to each question missed from the first attempt on."""
    client = quiz_course(course_app, THREE_STATEMENTS, "thirds").test_client()
    client.register("en")
    client.acknowledge("en", "quizzed")
    page = "/en/courses/co-production/lessons/quizzed"

    def answer(number: str, sun: str) -> str:
        data = {"attempt": number, "q-sun": sun, "q-moon": "false", "q-flat": "true"}
        assert client.submit(page, f"{page}/quiz", data).status_code == 303
        html = client.get(page).get_data(as_text=True)
        return html.split('id="quiz-result"', 1)[1].split("</div>", 1)[0]

    failed = answer("1", "false")
    assert "Not passed" in failed and "1 of 3 right (33%)" in failed
    assert failed.count('class="correct-answer"') == 2
    passed = answer("2", "true")
    assert "<strong>Passed</strong>" in passed and "2 of 3 right (67%)" in passed
    assert passed.count('class="correct-answer"') == 1
