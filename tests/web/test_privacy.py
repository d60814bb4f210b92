"""Personal data, as learners and admins meet it: lesson notices derived from the register,
acknowledgment before anything is recorded, consents, export, erasure and the purge."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import mail
from app.content import load_course
from app.extensions import content, db
from app.mail import wait_for_mail
from app.models import (
    AuditLogEntry,
    Cohort,
    CohortTrainer,
    ConsentEvent,
    ContentRevision,
    Enrolment,
    Invitation,
    LessonProgress,
    LtiAccount,
    LtiGradeTarget,
    Membership,
    NoticeAcknowledgment,
    NoticeVersion,
    OutboxMessage,
    Publication,
    Role,
    SecurityEvent,
    User,
    XapiLearner,
    utcnow,
)
from app.services import accounts, lti, privacy
from app.services import outbox as messages
from config import ROOT
from tests.conftest import (
    NOTICE_VERSION_FIELD,
    Browser,
    assert_gone_from_database_files,
    dispose,
    make_app,
    outbox,
    right_answers,
)
from tests.content.conftest import lesson_file

COURSE = load_course(ROOT / "lessons" / "co-production")
LESSON_1 = COURSE.published_lessons[0]
EMAIL = "ana@example.org"
COHORT = "Primavera 2027"
INVITED_AS = "Anabela Invited"
CY = "cy@example.org"
PASSWORD = "correct horse battery"
NOTICE_HEADINGS = {
    "en": "What personal data we collect and why",
    "es": "Qué datos personales recogemos y por qué",
    "pt": "Que dados pessoais recolhemos e porquê",
}


def rows(app, model) -> list:
    with app.app_context():
        return list(db.session.scalars(sa.select(model)))


def category_name(app, category_id: str, lang: str) -> str:
    with app.app_context():
        return content.register.category(category_id).name[lang]


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_a_lesson_with_a_quiz_lists_quiz_answers_and_one_without_does_not(course_app, lang):
    def write(lessons):
        quiz = "```quiz\n? q: A question?\nanswer: true\n```\n"
        lessons.lesson("01-plain")
        for language in ("es", "pt", "en"):
            lessons.write(f"02-quizzed/{language}.md", lesson_file(body=quiz))

    app = course_app(write)
    client = app.test_client()
    quiz_answers = category_name(app, "quiz-answers", lang)
    progress = category_name(app, "progress", lang)
    courses = category_name(app, "courses", lang)
    plain = client.get(f"/{lang}/courses/co-production/lessons/plain").get_data(as_text=True)
    quizzed = client.get(f"/{lang}/courses/co-production/lessons/quizzed").get_data(as_text=True)
    for page in (plain, quizzed):
        assert NOTICE_HEADINGS[lang] in page
        assert page.index(NOTICE_HEADINGS[lang]) < page.index('class="lesson-body"')
        assert progress in page
        # Starting any lesson makes the learner a member of its course.
        assert 'data-category="courses"' in page and courses in page
        assert f'href="/{lang}/privacy"' in page
    assert 'data-category="quiz-answers"' in quizzed and quiz_answers in quizzed
    assert 'data-category="quiz-answers"' not in plain and quiz_answers not in plain
    version = NOTICE_VERSION_FIELD.pattern  # the anonymous page offers nothing to confirm
    assert version not in plain


def test_nothing_is_recorded_before_the_notice_is_acknowledged(app, learner):
    page = learner.get(f"/pt/courses/co-production/lessons/{LESSON_1.slug}").get_data(as_text=True)
    assert 'class="quiz-form"' not in page
    assert rows(app, LessonProgress) == []
    complete = learner.submit(
        f"/pt/courses/co-production/lessons/{LESSON_1.slug}",
        f"/pt/courses/co-production/lessons/{LESSON_1.slug}/complete",
    )
    assert complete.status_code == 409
    quiz = learner.take_quiz("pt", LESSON_1, right_answers(LESSON_1.quiz), attempt="1")
    assert quiz.status_code == 409
    assert rows(app, LessonProgress) == rows(app, Membership) == []

    assert learner.acknowledge("pt", LESSON_1.slug).status_code == 303
    [acknowledgment] = rows(app, NoticeAcknowledgment)
    assert (acknowledgment.lesson_slug, acknowledgment.language) == (LESSON_1.slug, "pt")
    assert acknowledgment.acknowledged_at.tzinfo is not None
    [started] = rows(app, LessonProgress)
    assert started.completed_at is None
    [member] = rows(app, Membership)
    assert (member.user_id, member.course, member.cohort_id) == (started.user_id, COURSE.slug, None)
    assert member.joined_at == started.started_at, "a member from the lesson's start"
    assert 'class="quiz-form"' in learner.get(
        f"/pt/courses/co-production/lessons/{LESSON_1.slug}"
    ).get_data(as_text=True)


def test_a_stale_notice_version_is_not_acknowledged(app, learner):
    token = learner.csrf_token(f"/en/courses/co-production/lessons/{LESSON_1.slug}")
    response = learner.post(
        f"/en/courses/co-production/lessons/{LESSON_1.slug}/acknowledge",
        data={"csrf_token": token, "version": "old"},
    )
    assert response.status_code == 303 and response.location.endswith("#data-notice")
    assert rows(app, NoticeAcknowledgment) == [] and rows(app, LessonProgress) == []


def test_a_changed_register_asks_for_acknowledgment_again(database_url, tmp_path, app, learner):
    learner.acknowledge("en", LESSON_1.slug)
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("Your quiz answers", "Your quiz attempts", 1), "utf-8")
    restarted = make_app(database_url, tmp_path / "instance", DATA_REGISTER=str(changed))
    client = restarted.test_client()
    client.login("en")
    page = client.get(f"/en/courses/co-production/lessons/{LESSON_1.slug}").get_data(as_text=True)
    assert "I have read this notice" in page and "Your quiz attempts" in page
    assert client.take_quiz("en", LESSON_1, right_answers(LESSON_1.quiz), "1").status_code == 409
    assert client.acknowledge("en", LESSON_1.slug).status_code == 303
    assert len(rows(restarted, NoticeAcknowledgment)) == 2
    assert client.take_quiz("en", LESSON_1, right_answers(LESSON_1.quiz)).status_code == 303
    dispose(restarted)


def three_lessons(lessons) -> None:
    """Two lessons that record the same (no quiz), then one that records quiz answers too."""
    lessons.write("01-plain/es.md", lesson_file("Primera"))
    lessons.write("02-also-plain/es.md", lesson_file("Segunda"))
    quiz = "```quiz\n? q: ¿Una pregunta?\nanswer: true\n```\n"
    lessons.write("03-quizzed/es.md", lesson_file("Tercera", body=quiz))


def notice_on(client, slug: str) -> str:
    """The data notice of a lesson's page, as the learner opens it."""
    page = client.get(f"/es/courses/co-production/lessons/{slug}").get_data(as_text=True)
    return page.split('<section id="data-notice"', 1)[1].split("</section>", 1)[0]


def asks_to_confirm(notice: str) -> bool:
    """Open, with the button to confirm it."""
    return "<details open>" in notice and "He leído este aviso" in notice


def folded_as_the_same(notice: str) -> bool:
    """Closed, summed up in one line, with nothing to confirm."""
    return (
        "<details>" in notice
        and "Lo que registra esta lección: lo mismo que antes." in notice
        and "Leer el aviso" in notice
        and NOTICE_VERSION_FIELD.search(notice) is None
    )


def acknowledgments(app) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        found = db.session.execute(
            sa.select(
                NoticeAcknowledgment.lesson_slug,
                NoticeAcknowledgment.notice_version,
                NoticeAcknowledgment.same_as,
            ).order_by(NoticeAcknowledgment.id)
        )
        return [tuple(row) for row in found]


def test_a_notice_saying_the_same_as_one_confirmed_is_folded_and_taken_as_read(course_app):
    app = course_app(three_lessons)
    learner = app.test_client()
    learner.register("es")
    first = notice_on(learner, "plain")
    assert asks_to_confirm(first), "the first lesson asks"
    assert learner.acknowledge("es", "plain").status_code == 303
    assert not asks_to_confirm(notice_on(learner, "plain"))

    same = notice_on(learner, "also-plain")
    assert folded_as_the_same(same), "the same data for the same purposes: not asked again"
    assert same.count('data-category="') == first.count('data-category="') == 3, (
        "the whole notice, one tap away"
    )
    assert (
        learner.submit(
            "/es/courses/co-production/lessons/also-plain",
            "/es/courses/co-production/lessons/also-plain/complete",
        ).status_code
        == 303
    ), "the lesson records progress as one confirmed there would"

    quizzed = notice_on(learner, "quizzed")
    assert asks_to_confirm(quizzed) and 'data-category="quiz-answers"' in quizzed, "new: asked"
    with app.app_context():
        slugs = dict(
            db.session.execute(
                sa.select(LessonProgress.lesson_slug, LessonProgress.completed_at)
            ).all()
        )
    assert set(slugs) == {"plain", "also-plain"} and slugs["also-plain"] is not None


def test_every_notice_shown_and_how_it_was_acknowledged_stays_on_record(course_app):
    app = course_app(three_lessons)
    learner = app.test_client()
    learner.register("pt")
    learner.acknowledge("pt", "plain")
    for _ in range(2):
        assert folded_as_the_same(notice_on(learner, "also-plain")), "recorded once"
    [(plain, version, confirmed), taken] = acknowledgments(app)
    assert (plain, confirmed) == ("plain", None)
    assert taken == ("also-plain", version, "plain"), "taken as read, naming where confirmed"
    with app.app_context():
        shown = set(db.session.execute(sa.select(NoticeVersion.lesson_slug, NoticeVersion.version)))
        [language] = db.session.scalars(
            sa.select(NoticeAcknowledgment.language).where(
                NoticeAcknowledgment.lesson_slug == "also-plain"
            )
        )
    assert shown == {("plain", version), ("also-plain", version)}, "the folded one was shown"
    assert language == "es", "in the language the folded notice was shown in"
    exported = json.loads(learner.get("/account/data.json").get_data(as_text=True))
    records = {c["id"]: c["records"] for c in exported["categories"]}
    rows = records["notice-acknowledgments"]["notice_acknowledgments"]
    assert [(row["lesson_slug"], row["same_as"]) for row in rows] == [
        ("plain", None),
        ("also-plain", "plain"),
    ], "the learner sees which notice was taken as read, and from where"
    page = html.unescape(learner.get("/en/account/data").get_data(as_text=True))
    assert page.count("taken as read on") == 1, "on the data page too, in words"
    assert "it says the same as the one you confirmed in" in page


def test_a_changed_register_asks_again_in_a_lesson_taken_as_read(
    database_url, tmp_path, course_app
):
    app = course_app(three_lessons)
    learner = app.test_client()
    learner.register("es")
    learner.acknowledge("es", "plain")
    assert folded_as_the_same(notice_on(learner, "also-plain"))
    text = (ROOT / "app" / "data_register.yml").read_text(encoding="utf-8")
    changed = tmp_path / "register.yml"
    changed.write_text(text.replace("Tu progreso", "Tu avance", 1), "utf-8")
    lessons = app.config["LESSONS_DIR"]
    restarted = make_app(
        database_url, tmp_path / "restarted", LESSONS_DIR=lessons, DATA_REGISTER=str(changed)
    )
    client = restarted.test_client()
    client.login("es")
    assert asks_to_confirm(notice_on(client, "also-plain")), "the notice changed: asked again"
    assert client.acknowledge("es", "also-plain").status_code == 303
    assert folded_as_the_same(notice_on(client, "plain")), "confirmed anew, in lesson 2"
    [*_, (lesson, _version, same_as)] = acknowledgments(restarted)
    assert (lesson, same_as) == ("plain", "also-plain")
    dispose(restarted)


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_the_privacy_page_explains_every_category_in_the_page_language(app, client, lang):
    html = client.get(f"/{lang}/privacy").get_data(as_text=True)
    with app.app_context():
        for category in content.register.categories:
            # Only where the setting it depends on is set (as the xAPI tests show).
            shown = category.only_when is None
            assert (category.name[lang] in html) is shown
            assert (category.recipients[lang] in html) is shown
        for purpose in content.register.purposes:
            assert purpose.text[lang] in html
    assert "privacy@localhost" in html


def test_the_controller_is_named_once_in_the_page_language(app, learner):
    """Named in the page's language only: beside its name in the course's own language
    too, a reader saw the organisation named twice."""
    client = learner
    with app.app_context():
        course = content.course
        own, local = course.organisation[course.default_language], course.organisation["pt"]
    for page in ("/pt/privacy", f"/pt/courses/co-production/lessons/{LESSON_1.slug}"):
        html = client.get(page).get_data(as_text=True)
        assert f"{local}, " in html or f"{local}." in html
        assert own not in html, page
    versions = {
        NOTICE_VERSION_FIELD.search(
            client.get(f"/{lang}/courses/co-production/lessons/{LESSON_1.slug}").text
        )[1]
        for lang in ("es", "pt", "en")
    }
    assert len(versions) == 1, "one notice version whatever the language"


def test_consents_start_off_and_every_change_is_a_ledger_row(app, learner):
    page = learner.get("/en/account/data").get_data(as_text=True)
    assert 'name="purpose" value="course-improvement">' in page  # not pre-ticked
    learner.submit("/en/account/data", "/en/account/consents", {"purpose": "course-improvement"})
    assert 'value="course-improvement" checked' in learner.get("/en/account/data").get_data(
        as_text=True
    )
    unchanged = learner.submit(
        "/es/account/data", "/es/account/consents", {"purpose": "course-improvement"}
    )
    assert "No hay nada que cambiar" in learner.get(unchanged.location).get_data(as_text=True)
    learner.submit("/pt/account/data", "/pt/account/consents", {})
    ledger = [(e.purpose, e.granted, e.language) for e in rows(app, ConsentEvent)]
    assert ledger == [("course-improvement", True, "en"), ("course-improvement", False, "pt")]
    page = learner.get("/en/account/data").get_data(as_text=True)
    assert 'name="purpose" value="course-improvement">' in page


def test_an_unknown_consent_purpose_is_refused(app, learner):
    response = learner.submit("/en/account/data", "/en/account/consents", {"purpose": "spam"})
    assert response.status_code == 400
    assert "not one of the optional uses listed on your data page" in response.text
    assert 'href="/en/account/data#consents"' in response.text
    assert rows(app, ConsentEvent) == []


def learner_with_data_everywhere(app, client: Browser) -> None:
    """A learner, also an admin, with rows in every register category."""
    client.register("pt", email=EMAIL)
    client.submit("/en/", "/en/logout")
    client.login("pt", password="wrong password")
    wait_for_mail(app)  # the failure is noted after the answer
    client.login("pt")
    with app.app_context():
        accounts.set_role(db.session, accounts.find_user(db.session, EMAIL), Role.ADMIN)
    client.acknowledge("pt", LESSON_1.slug)
    client.take_quiz("pt", LESSON_1, right_answers(LESSON_1.quiz))
    client.submit("/pt/account/data", "/pt/account/consents", {"purpose": "course-improvement"})
    with app.app_context():
        other = accounts.create_user(
            db.session, email="bo@example.org", password=PASSWORD, display_name="Bo"
        )
        other_id = other.id
    client.submit("/pt/admin/privacy", "/pt/admin/privacy/export", {"email": "bo@example.org"})
    assert other_id
    # The course team allows the learner another attempt: an entry about their account.
    with app.app_context():
        learner_id = accounts.find_user(db.session, EMAIL).id
        privacy.record_audit(
            db.session,
            other_id,
            "another attempt",
            privacy.user_ref(learner_id),
            {"lesson": LESSON_1.slug},
        )
        # She leads a cohort, invites someone to it, and was invited to it herself before
        # she had an account, by an address typed in capitals.
        cohort = Cohort(
            course=COURSE.slug, name=COHORT, enrolment=Enrolment.INVITATION, join_code="spring"
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=learner_id))
        # As an admin, she saved a lesson in the browser and published it.
        db.session.add(
            ContentRevision(
                course=COURSE.slug,
                path=f"01-{LESSON_1.slug}/pt.md",
                data="texto da lição".encode(),
                digest="1" * 64,
                author_id=learner_id,
                origin="browser",
            )
        )
        db.session.add(Publication(course=COURSE.slug, published_by=learner_id))
        # She came from her institution's learning platform, whose gradebook waits for a score.
        platform = lti.register(
            db.session,
            lti.PlatformDetails(
                name="University Moodle",
                issuer="https://moodle.example.edu",
                client_id="aula",
                deployment_ids=("1",),
                key_set_url="https://moodle.example.edu/certs",
                auth_url="https://moodle.example.edu/auth",
                token_url="https://moodle.example.edu/token",
            ),
        )
        lineitem = "https://moodle.example.edu/lineitems/7"
        db.session.add(LtiAccount(platform_id=platform.id, sub="moodle-user-7", user_id=learner_id))
        db.session.add(
            LtiGradeTarget(
                user_id=learner_id,
                platform_id=platform.id,
                course=COURSE.slug,
                lineitem=lineitem,
                launched_at=utcnow(),
            )
        )
        messages.enqueue(
            db.session,
            kind=lti.SCORE_KIND,
            key="lti-score:test",
            payload={"lineitem": lineitem, "score": {"userId": "moodle-user-7"}},
            user_id=learner_id,
        )
        for email, name, by in ((EMAIL.upper(), INVITED_AS, other_id), (CY, "Cy", learner_id)):
            db.session.add(
                Invitation(
                    cohort_id=cohort.id,
                    email=email,
                    display_name=name,
                    language="pt",
                    token_hash=f"hash of the link to {email}",
                    invited_by=by,
                    created_at=utcnow(),
                    expires_at=utcnow() + dt.timedelta(days=14),
                )
            )
        # Statements queued for a learning record store configured then.
        db.session.add(XapiLearner(user_id=learner_id, name="her-xapi-token"))
        db.session.add(
            OutboxMessage(kind="xapi", key="xapi:1", payload={"statement": {}}, user_id=learner_id)
        )
        db.session.commit()


def test_the_export_contains_every_category_for_a_learner_with_data_in_all(app, client):
    learner_with_data_everywhere(app, client)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    with app.app_context():
        expected = [category.id for category in content.register.categories]
    assert [category["id"] for category in data["categories"]] == expected
    for category in data["categories"]:
        assert any(category["records"].values()), category["id"]
    records = {c["id"]: c["records"] for c in data["categories"]}
    # Started before the cohort was made: in the course's implicit group.
    [membership] = records["courses"]["memberships"]
    assert (membership["course"], membership["cohort_name"]) == (COURSE.slug, None)
    [led] = records["cohorts-led"]["cohort_trainers"]
    assert (led["course"], led["cohort_name"]) == (COURSE.slug, COHORT)
    [invited] = records["invitations"]["invitations"]
    assert invited["display_name"] == INVITED_AS and "token_hash" not in invited
    [sent] = records["cohorts-led"]["invitations"]
    assert sent["cohort_name"] == COHORT and CY not in json.dumps(sent)
    [user] = records["account"]["users"]
    assert user["email"] == EMAIL and "password_hash" not in user
    assert set(user) == {  # each registered column once, the hidden ones left out
        "id",
        "email",
        "display_name",
        "role",
        "is_active",
        "created_at",
        "email_confirmed_at",
        "restricted_at",
        "restriction_lift_told_at",
    }
    [figures] = records["course-figures"]["users"]
    assert set(figures) == {"id", "last_active_at", "statistics_objection_at"}
    assert figures["last_active_at"] and figures["statistics_objection_at"] is None
    assert records["quiz-answers"]["quiz_answers"][0]["selected"]
    assert {e["kind"] for e in records["security-events"]["security_events"]} >= {
        "account-created",
        "sign-in-failed",
        "signed-in",
    }
    assert PASSWORD not in response.get_data(as_text=True)


def all_rows_about(app, user_id: int) -> dict[str, int]:
    with app.app_context():
        counts = {}
        for model, column in (
            (User, User.id),
            (LessonProgress, LessonProgress.user_id),
            (NoticeAcknowledgment, NoticeAcknowledgment.user_id),
            (ConsentEvent, ConsentEvent.user_id),
            (SecurityEvent, SecurityEvent.user_id),
            (AuditLogEntry, AuditLogEntry.actor_id),
            (Membership, Membership.user_id),
            (CohortTrainer, CohortTrainer.user_id),
        ):
            counts[model.__tablename__] = db.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(column == user_id)
            )
        counts["invitations"] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(sa.func.lower(Invitation.email) == EMAIL)
        )
        counts["quiz"] = db.session.scalar(
            sa.text("SELECT count(*) FROM quiz_attempts WHERE user_id = :id"), {"id": user_id}
        ) + db.session.scalar(
            sa.text(
                "SELECT count(*) FROM quiz_answers WHERE attempt_id IN "
                "(SELECT id FROM quiz_attempts WHERE user_id = :id)"
            ),
            {"id": user_id},
        )
        return counts


def test_erasure_leaves_no_trace(app, client, database_url, caplog):
    caplog.set_level(logging.DEBUG)
    learner_with_data_everywhere(app, client)
    with app.app_context():
        user_id = accounts.find_user(db.session, EMAIL).id
    assert all(all_rows_about(app, user_id).values())

    wrong = client.submit("/en/account/data", "/en/account/erase", {"password": "not it"})
    assert wrong.status_code == 401 and all(all_rows_about(app, user_id).values())

    erased = client.submit("/en/account/data", "/en/account/erase", {"password": PASSWORD})
    assert erased.status_code == 303
    assert erased.location.endswith("/en/#content"), "a fragment of its own, not the form's"
    assert "erased" in client.get(erased.location).get_data(as_text=True)
    assert set(all_rows_about(app, user_id).values()) == {0}
    assert client.get("/en/account/data").status_code == 302  # signed out
    assert client.login("en").status_code == 401
    with app.app_context():
        audit = list(db.session.scalars(sa.select(AuditLogEntry)))
        bo = accounts.find_user(db.session, "bo@example.org").id
    # What they did as an admin loses its actor; what was done about their account stays,
    # naming it by its number only, as the register says; and so does the erasure itself,
    # a request the person handled themselves.
    assert sorted(
        (entry.action, entry.actor_id, entry.subject_ref, entry.details["by"]) for entry in audit
    ) == [
        ("another attempt", bo, f"user #{user_id}", "staff"),
        ("erase", None, f"user #{user_id}", "the person"),
        ("export", None, f"user #{bo}", "staff"),
    ]
    # Her invitation to Cy still works, and no longer says who sent it.
    assert [(i.email, i.invited_by) for i in rows(app, Invitation)] == [(CY, None)]
    assert [cohort.name for cohort in rows(app, Cohort)] == [COHORT]

    assert_gone_from_database_files(database_url, [EMAIL, EMAIL.upper(), INVITED_AS])
    assert not [r for r in caplog.records if EMAIL in r.getMessage()]


def outbox_files(app) -> list[Path]:
    outbox(app)  # once the mail queue has written everything
    return sorted((Path(app.instance_path) / "outbox").glob("*.eml"))


def test_erasure_deletes_the_outbox_emails_to_the_learner_and_no_others(app, client):
    """The development outbox keeps every email sent, with the reader's address and name;
    erasing an account, by the learner or from the command line, deletes those sent to it."""
    client.register("es", email=EMAIL, display_name="Anabela Quintas")
    client.submit("/es/", "/es/logout")
    # Every kind of email there is: the sign-up's, "you already have an account", a reset.
    again = {"email": "ANA@example.org", "password": "another passphrase", "display_name": "X"}
    client.submit("/es/register", data=again)
    client.submit("/es/password/forgot", data={"email": EMAIL})
    app.test_client().register("en", email="bo@example.org", display_name="Bo Bystander")
    app.test_client().register("pt", email="cy@example.org", display_name="Cy Cardoso")
    assert len(outbox_files(app)) == 5

    client.login("es")
    erased = client.submit("/es/account/data", "/es/account/erase", {"password": PASSWORD})
    assert erased.status_code == 303
    by_command = app.test_cli_runner().invoke(args=["privacy", "erase", "cy@example.org", "--yes"])
    assert by_command.exit_code == 0, by_command.output

    left = outbox_files(app)
    for path in left:
        stored = path.read_bytes()
        message = message_from_bytes(stored, policy=email_policy.default)
        read = "\n".join(f"{name}: {value}" for name, value in message.items())
        read = (read + "\n" + message.get_content()).lower()
        for trace in (EMAIL, "anabela", "quintas", "cy@example.org", "cardoso"):
            assert trace not in read and trace.encode() not in stored.lower(), (trace, path)
    assert [message["To"] for message in outbox(app)] == ["bo@example.org"]


def test_admins_handle_export_and_erasure_requests_with_an_audit_log(app, client):
    client.register("en", email="admin@example.org")
    with app.app_context():
        admin = accounts.find_user(db.session, "admin@example.org")
        accounts.set_role(db.session, admin, Role.ADMIN)
        admin_id = admin.id
        learner = accounts.create_user(
            db.session, email="lu@example.org", password=PASSWORD, display_name="Lu"
        )
        learner_id = learner.id
    page = client.get("/en/admin/privacy")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Records of processing" in html and 'id="register-quiz-answers"' in html

    exported = client.submit(
        "/en/admin/privacy", "/en/admin/privacy/export", {"email": "lu@example.org"}
    )
    assert exported.status_code == 200
    assert (
        json.loads(exported.get_data(as_text=True))["categories"][0]["records"]["users"][0]["email"]
        == "lu@example.org"
    )
    refused = client.submit(
        "/en/admin/privacy", "/en/admin/privacy/erase", {"email": "lu@example.org", "password": "x"}
    )
    assert refused.status_code == 401
    erased = client.submit(
        "/en/admin/privacy",
        "/en/admin/privacy/erase",
        {"email": "lu@example.org", "password": "correct horse battery"},
    )
    assert erased.status_code == 303
    with app.app_context():
        assert accounts.find_user(db.session, "lu@example.org") is None
        log = [
            (e.action, e.subject_ref, e.actor_id)
            for e in db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id))
        ]
    assert log == [
        ("export", f"user #{learner_id}", admin_id),
        ("erase", f"user #{learner_id}", admin_id),
    ]
    client.get("/admin/reports/summary.csv").get_data()  # downloads have a log of their own
    page = client.get("/pt/admin/privacy").get_data(as_text=True)
    assert "lu@example.org" not in page
    assert page.count("<td>Ana (admin@example.org)</td>") == 2, "who handled each request"
    assert page.count(f"<td>Conta n.º {learner_id}</td>") == 2
    assert "<td>Dados exportados a pedido da pessoa</td>" in page
    assert "<td>Conta eliminada a pedido da pessoa</td>" in page


def test_learners_cannot_open_the_admin_pages(learner, client):
    assert learner.get("/en/admin/privacy").status_code == 403
    assert learner.submit("/en/", "/en/admin/privacy/erase", {"email": EMAIL}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_for_data_pages(client):
    response = client.get("/es/account/data")
    assert response.status_code == 302
    assert response.location == "/es/login?next=/es/account/data"
    assert client.get("/account/data.json").status_code == 302


def test_the_purge_counts_in_a_dry_run_then_deletes_once(app):
    now = utcnow()
    long_ago = now - dt.timedelta(days=800)
    with app.app_context():
        stale = accounts.create_user(
            db.session, email="old@example.org", password=PASSWORD, display_name="Old"
        )
        fresh = accounts.create_user(
            db.session, email="new@example.org", password=PASSWORD, display_name="New"
        )
        staff = accounts.create_user(
            db.session,
            email="staff@example.org",
            password=PASSWORD,
            display_name="S",
            role=Role.ADMIN,
        )
        for user in (stale, staff):
            user.last_active_at = long_ago
        db.session.add(
            SecurityEvent(
                user_id=fresh.id, kind="signed-in", occurred_at=now - dt.timedelta(days=91)
            )
        )
        db.session.add(
            AuditLogEntry(
                actor_id=staff.id,
                action="export",
                subject_ref="user #9",
                recorded_at=long_ago - dt.timedelta(days=400),
            )
        )
        db.session.commit()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0
    assert "account: would purge 1" in dry.output
    assert "security-events: would purge 1" in dry.output
    assert "staff-actions: would purge 1" in dry.output
    assert len(rows(app, User)) == 3 and len(rows(app, AuditLogEntry)) == 1

    real = runner.invoke(args=["privacy", "purge"])
    assert "account: purged 1" in real.output
    emails = sorted(user.email for user in rows(app, User))
    assert emails == ["new@example.org", "staff@example.org"]
    # The old entry is gone; the erasure just made is noted, to be repeated after a restore.
    [noted] = rows(app, AuditLogEntry)
    assert (noted.action, noted.actor_id) == ("erase", None)
    assert noted.details == {"reason": "retention", "by": "command line"}
    again = runner.invoke(args=["privacy", "purge"])
    assert all(line.endswith(" 0") for line in again.output.splitlines()), again.output


def test_sign_ups_never_confirmed_are_erased_after_a_week_unless_a_link_still_works(app):
    now = utcnow()
    with app.app_context():

        def sign_up(email: str, days_ago: int, link_hours: int) -> None:
            _outcome, user, _link = accounts.register(
                db.session,
                email=email,
                password=PASSWORD,
                display_name="Someone",
                language="pt",
                valid_for=dt.timedelta(hours=link_hours),
            )
            user.created_at = now - dt.timedelta(days=days_ago)

        sign_up("unclaimed@example.org", 8, 0)
        sign_up("retried@example.org", 8, 48)  # signed up again lately: the link still works
        sign_up("recent@example.org", 6, 0)
        sign_up("resetting@example.org", 8, 0)  # a reset link confirms the address too
        accounts.start_password_reset(db.session, "resetting@example.org", dt.timedelta(hours=1))
        confirmed = accounts.create_user(
            db.session, email="confirmed@example.org", password=PASSWORD, display_name="C"
        )
        confirmed.created_at = now - dt.timedelta(days=8)
        db.session.commit()

    purged = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "account: purged 1" in purged.output, purged.output
    assert sorted(user.email for user in rows(app, User)) == [
        "confirmed@example.org",
        "recent@example.org",
        "resetting@example.org",
        "retried@example.org",
    ]


def test_the_purge_deletes_outbox_emails_over_a_week_old(app, monkeypatch):
    now = utcnow()
    with app.app_context():
        for days, address in ((8, "old@example.org"), (6, "recent@example.org")):
            monkeypatch.setattr(mail, "utcnow", lambda days=days: now - dt.timedelta(days=days))
            mail.send_mail(address, "Hello", "Hello")
    # A message without a Date header counts from when its file was written.
    undated = Path(app.instance_path) / "outbox" / "undated.eml"
    undated.write_bytes(b"To: undated@example.org\nSubject: Hello\n\nHello\n")
    eight_days_ago = (now - dt.timedelta(days=8)).timestamp()
    os.utime(undated, (eight_days_ago, eight_days_ago))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "outbox: would purge 2" in dry.output, dry.output
    assert len(outbox(app)) == 3
    real = runner.invoke(args=["privacy", "purge"])
    assert "outbox: purged 2" in real.output, real.output
    assert [message["To"] for message in outbox(app)] == ["recent@example.org"]
    again = runner.invoke(args=["privacy", "purge"])
    assert "outbox: purged 0" in again.output


def test_command_line_export_and_erasure_are_audited(app, tmp_path):
    with app.app_context():
        user_id = accounts.create_user(
            db.session, email="cli@example.org", password=PASSWORD, display_name="C"
        ).id
    runner = app.test_cli_runner()
    output = tmp_path / "export.json"
    exported = runner.invoke(args=["privacy", "export", "cli@example.org", "--output", str(output)])
    assert exported.exit_code == 0
    assert json.loads(output.read_text())["categories"][0]["records"]["users"][0]["id"] == user_id
    erased = runner.invoke(args=["privacy", "erase", "cli@example.org", "--yes"])
    assert erased.exit_code == 0 and f"erased user #{user_id}" in erased.output
    assert [(e.action, e.actor_id) for e in rows(app, AuditLogEntry)] == [
        ("export", None),
        ("erase", None),
    ]
    admin = app.test_client()
    admin.register("en", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
        other = accounts.create_user(
            db.session, email="gone@example.org", password=PASSWORD, display_name="G"
        )
        privacy.record_audit(db.session, other.id, "export", privacy.user_ref(user_id))
        privacy.erase_account(db.session, content.register, other.id)
    page = admin.get("/en/admin/privacy").text
    assert page.count("<td>the command line</td>") == 2
    assert page.count("<td>a staff account since erased</td>") == 1


def test_the_privacy_page_logs_every_change_to_accounts_erased_ones_and_self_erasure_included(
    app, client
):
    client.register("es", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", "tere@example.org", "--role", "trainer", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["users", "set-role", "tere@example.org", "admin"]).exit_code == 0
    with app.app_context():
        tere = accounts.find_user(db.session, "tere@example.org").id
    deactivated = client.submit(
        "/es/admin/users", f"/es/admin/users/{tere}/active", {"active": "0"}
    )
    assert deactivated.status_code == 303
    assert runner.invoke(args=["privacy", "erase", "tere@example.org", "--yes"]).exit_code == 0
    leaver = app.test_client()
    leaver.register("es", email="leaver@example.org")
    with app.app_context():
        leaver_id = accounts.find_user(db.session, "leaver@example.org").id
    erased = leaver.submit("/es/account/data", "/es/account/erase", {"password": PASSWORD})
    assert erased.status_code == 303

    assert client.get(f"/es/admin/learners/{tere}").status_code == 404, "erased: no page"
    page = client.get("/es/admin/privacy").text
    log = page[page.index("Registro de solicitudes atendidas y cambios en las cuentas") :]
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", log)
    assert rows == [
        (
            "Cuenta eliminada a petición de la persona",
            f"Cuenta n.º {leaver_id}",
            "la propia persona",
        ),
        ("Cuenta eliminada a petición de la persona", f"Cuenta n.º {tere}", "la línea de comandos"),
        ("Cuenta desactivada", f"Cuenta n.º {tere}", "Ana (admin@example.org)"),
        ("Rol cambiado: Administrador", f"Cuenta n.º {tere}", "la línea de comandos"),
        (
            "Cuenta creada por el equipo del curso: Formador",
            f"Cuenta n.º {tere}",
            "la línea de comandos",
        ),
    ]


def test_an_export_for_a_request_by_email_is_in_the_learners_language(app, client):
    client.register("pt", email="admin@example.org")
    with app.app_context():
        accounts.set_role(
            db.session, accounts.find_user(db.session, "admin@example.org"), Role.ADMIN
        )
        accounts.create_user(
            db.session,
            email="maria@example.org",
            password=PASSWORD,
            display_name="María",
            language="es",
        )
    exported = client.submit(
        "/pt/admin/privacy", "/pt/admin/privacy/export", {"email": "maria@example.org"}
    )
    assert exported.status_code == 200
    from_the_page = json.loads(exported.text)["categories"][0]["name"]
    output = app.test_cli_runner().invoke(args=["privacy", "export", "maria@example.org"]).output
    from_the_command = json.loads(output)["categories"][0]["name"]
    with app.app_context():
        names = content.register.categories[0].name
    assert from_the_page == from_the_command == names["es"] != names["pt"]


def test_signing_in_by_the_confirmation_button_is_a_sign_in_on_record(app, learner):
    with app.app_context():
        kinds = [event.kind for event in db.session.scalars(sa.select(SecurityEvent))]
    assert kinds == ["account-created", "signed-in"]


def test_the_data_page_leads_straight_to_the_choices_and_the_erasure(app, learner):
    page = learner.get("/pt/account/data").text
    contents = page[page.index('class="page-contents"') :].split("</nav>", 1)[0]
    assert '<a href="#consents">' in contents and '<a href="#erase">' in contents
    assert 'id="consents"' in page and 'id="erase"' in page
