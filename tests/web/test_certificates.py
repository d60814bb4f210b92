"""Certificates over HTTP: earned through the lessons, asked for with the name to print,
downloaded as a PDF in each language, checked by anyone at its public page, revoked and
corrected by the course team within their cohorts, and no longer naming an erased learner."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import content, db
from app.models import AuditLogEntry, Certificate, Cohort, Membership, Role
from app.services import accounts, credentials, progress
from tests.conftest import dispose, make_app, right_answers, sign_in_as

NAME = "Núria Conceição Martínez"
COURSE = "/en/courses/co-production/"


def earn_through_the_quizzes(client, lang: str = "en"):
    """Pass every published lesson's quiz (which completes it), as a learner does; the last
    answer's page."""
    with client.application.app_context():
        lessons = content.catalogue.course("co-production").published_lessons
    answered = None
    for lesson in lessons:
        client.acknowledge(lang, lesson.slug)
        answered = client.take_quiz(lang, lesson, right_answers(lesson.quiz))
        assert answered.status_code == 303
    return answered


def earn(client, email: str = "ana@example.org") -> None:
    """Complete every published lesson of the course, straight in the database: how the
    pages issue a certificate once it is earned is what these tests look at."""
    with client.application.app_context():
        user_id = accounts.find_user(db.session, email).id
        for lesson in content.catalogue.course("co-production").published_lessons:
            progress.record_completion(db.session, user_id, lesson)


def claim(client, name: str = NAME, lang: str = "en"):
    page = f"/{lang}/courses/co-production/"
    return client.submit(page, f"/{lang}/courses/co-production/certificate", {"name": name})


def code_of(app, email: str = "ana@example.org") -> str:
    with app.app_context():
        user = accounts.find_user(db.session, email)
        return db.session.scalar(
            sa.select(Certificate.code).where(
                Certificate.user_id == user.id, Certificate.replaced_by_code.is_(None)
            )
        )


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["es", "pt", "en"])
def test_passing_the_last_quiz_earns_the_certificate_and_the_course_page_asks_the_name(
    learner, lang
):
    course_page = f"/{lang}/courses/co-production/"
    before = text_of(learner.get(course_page))
    assert 'id="certificate"' in before and 'name="name"' not in before

    answered = earn_through_the_quizzes(learner, lang)

    told = text_of(learner.get(answered.location))
    with learner.application.test_request_context(), learner.application.app_context():
        from flask_babel import force_locale, gettext

        with force_locale(lang):
            expected = gettext(
                "You have earned the course's certificate: tell us on the course page how to"
                " print your name."
            )
            button = gettext("Issue my certificate")
    assert expected in told.replace("&#39;", "'").replace("&#x27;", "'")
    page = text_of(learner.get(course_page))
    assert button in page and 'value="Ana"' in page  # their display name, to correct

    issued = claim(learner, lang=lang)
    assert issued.status_code == 303 and issued.location.endswith("#certificate")
    page = text_of(learner.get(course_page))
    assert NAME in page and button not in page
    for language in ("es", "pt", "en"):
        assert f"certificate.pdf?language={language}" in page
    code = code_of(learner.application)
    assert f"/{lang}/verify/{code}" in page


def test_the_name_is_asked_once_and_the_next_certificate_uses_it(app, learner):
    earn(learner)
    claim(learner, name=f"  {NAME}  ")
    with app.app_context():
        user = accounts.find_user(db.session, "ana@example.org")
        assert user.certificate_name == NAME
        db.session.execute(sa.delete(Certificate))
        db.session.commit()
    # Completing a lesson again issues nothing new (the rule is met already, no completion
    # happens); the course page offers the form again, filled with the name they gave.
    page = text_of(learner.get(COURSE))
    assert f'value="{NAME}"' in page


def test_asking_before_earning_it_or_without_a_name_is_refused_in_words(learner):
    early = claim(learner)
    assert early.status_code == 409
    assert "once every lesson it asks for is complete" in text_of(early)
    earn(learner)
    empty = claim(learner, name="   ")
    assert empty.status_code == 422 and "Please write the name to print." in text_of(empty)
    long = claim(learner, name="x" * 201)
    assert long.status_code == 422 and "at most 200 characters" in text_of(long)
    assert code_of(learner.application) is None


def test_a_visitor_checks_a_certificate_without_signing_in(app, learner):
    earn(learner)
    claim(learner)
    code = code_of(app)
    visitor = app.test_client()

    short = visitor.get(f"/verify/{code}", headers={"Accept-Language": "pt-PT,pt;q=0.9"})
    assert short.status_code == 302 and short.location.endswith(f"/pt/verify/{code}")
    page = visitor.get(f"/en/verify/{code}")
    assert page.status_code == 200
    shown = text_of(page)
    assert "This certificate is valid." in shown
    assert NAME in shown and "Co-production and social innovation" in shown
    assert "Mediterranean Lab for Co-production of Social Innovation" in shown
    assert "Ruben, Course author" in shown
    assert code in shown

    unknown = visitor.get("/en/verify/" + "A" * 32)
    assert unknown.status_code == 404
    assert "No certificate has this code" in text_of(unknown)
    assert visitor.get("/es/verify/" + "A" * 32).status_code == 404


def test_the_verification_page_is_rate_limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True)
    try:
        visitor = app.test_client()
        statuses = [visitor.get(f"/en/verify/guess-{n}").status_code for n in range(61)]
        assert statuses[:60] == [404] * 60 and statuses[60] == 429
    finally:
        dispose(app)


def test_the_pdf_is_the_learners_own_in_the_language_they_choose(app, learner):
    earn(learner)
    claim(learner)
    code = code_of(app)

    pdf = learner.get("/en/courses/co-production/certificate.pdf?language=pt")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    # Named in the certificate's language, as the learner would save it.
    assert 'filename="certificado-co-production-pt.pdf"' in pdf.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert NAME in text and code in text
    assert "Coprodução e inovação social" in text
    assert f"http://localhost/verify/{code}" in text

    unknown_language = learner.get("/en/courses/co-production/certificate.pdf?language=fr")
    assert unknown_language.status_code == 200  # in the page's language instead
    assert "Co-production and social innovation" in " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(unknown_language.data)).pages
    )

    other = sign_in_as(app, None, "bo@example.org")
    assert other.get("/en/courses/co-production/certificate.pdf").status_code == 404
    anonymous = app.test_client().get("/en/courses/co-production/certificate.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


@pytest.fixture
def cohorts_with_certificates(app):
    """Ana in the spring cohort, Bo in the autumn one, both with a certificate; a trainer
    leading spring only, and an admin."""
    ana = app.test_client()
    ana.register("en", email="ana@example.org")
    bo = app.test_client()
    bo.register("en", email="bo@example.org")
    trainer = sign_in_as(app, Role.TRAINER, "tr@example.org")
    admin = sign_in_as(app, Role.ADMIN, "ad@example.org")
    with app.app_context():
        spring = Cohort(course="co-production", name="Spring", join_code="spring-code")
        autumn = Cohort(course="co-production", name="Autumn", join_code="autumn-code")
        db.session.add_all([spring, autumn])
        db.session.flush()
        for email, cohort in (("ana@example.org", spring), ("bo@example.org", autumn)):
            user = accounts.find_user(db.session, email)
            db.session.add(Membership(user_id=user.id, course="co-production", cohort_id=cohort.id))
        from app.models import CohortTrainer

        trainer_id = accounts.find_user(db.session, "tr@example.org").id
        db.session.add(CohortTrainer(cohort_id=spring.id, user_id=trainer_id))
        db.session.commit()
    for client, email, name in (
        (ana, "ana@example.org", "Ana Spring"),
        (bo, "bo@example.org", "Bo Autumn"),
    ):
        earn(client, email)
        claim(client, name=name)
    return ana, bo, trainer, admin


def certificate_id(app, email: str) -> int:
    with app.app_context():
        user = accounts.find_user(db.session, email)
        return db.session.scalar(
            sa.select(Certificate.id).where(
                Certificate.user_id == user.id, Certificate.replaced_by_code.is_(None)
            )
        )


LIST = "/en/courses/co-production/certificates"


def test_a_trainer_sees_and_revokes_only_their_cohorts_certificates(app, cohorts_with_certificates):
    ana, _bo, trainer, admin = cohorts_with_certificates
    listed = text_of(trainer.get(LIST))
    assert "Ana Spring" in listed and "Bo Autumn" not in listed
    everyone = text_of(admin.get(LIST))
    assert "Ana Spring" in everyone and "Bo Autumn" in everyone
    assert ana.get(LIST).status_code == 403

    bo_certificate = certificate_id(app, "bo@example.org")
    refused = trainer.submit(LIST, f"{LIST}/{bo_certificate}/revoke", {"reason": "No"})
    assert refused.status_code == 404

    ana_certificate = certificate_id(app, "ana@example.org")
    no_reason = trainer.submit(LIST, f"{LIST}/{ana_certificate}/revoke", {"reason": " "})
    assert no_reason.status_code == 422
    revoked = trainer.submit(
        LIST, f"{LIST}/{ana_certificate}/revoke", {"reason": "Answers copied from another learner"}
    )
    assert revoked.status_code == 303
    code = code_of(app)
    shown = text_of(app.test_client().get(f"/en/verify/{code}"))
    assert "was revoked on" in shown and "This certificate is valid." not in shown
    course_page = text_of(ana.get(COURSE))
    assert "Answers copied from another learner" in course_page
    assert "certificate.pdf" not in course_page
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditLogEntry).where(AuditLogEntry.action == "certificate revoked")
        )
        ana_id = accounts.find_user(db.session, "ana@example.org").id
        assert entry.subject_ref == f"user #{ana_id}" and entry.actor_id is not None


def test_a_corrected_certificate_replaces_the_old_one_whose_page_leads_to_it(
    app, cohorts_with_certificates
):
    ana, _bo, _trainer, admin = cohorts_with_certificates
    old_code = code_of(app)
    old_id = certificate_id(app, "ana@example.org")
    corrected = admin.submit(
        LIST, f"{LIST}/{old_id}/reissue", {"name": "Ana Primavera", "reason": "Surname"}
    )
    assert corrected.status_code == 303
    new_code = code_of(app)
    assert new_code != old_code
    old_page = text_of(app.test_client().get(f"/en/verify/{old_code}"))
    assert "replaced by a corrected one" in old_page and f"/en/verify/{new_code}" in old_page
    assert "Ana Primavera" in text_of(app.test_client().get(f"/en/verify/{new_code}"))
    assert "Ana Primavera" in text_of(ana.get(COURSE))
    again = admin.submit(LIST, f"{LIST}/{old_id}/reissue", {"name": "X", "reason": "Y"})
    assert again.status_code == 404  # no longer in the list: only standing ones are


def test_erasing_the_account_leaves_a_page_that_names_no_one(app, learner):
    earn(learner)
    claim(learner)
    code = code_of(app)
    data_page = text_of(learner.get("/en/account/data"))
    assert "My certificates" in data_page and NAME in data_page
    assert "can no longer be attributed to anyone" in data_page  # told before erasing
    exported = learner.get("/account/data.json").get_json()
    [category] = [c for c in exported["categories"] if c["id"] == "certificates"]
    [row] = category["records"]["certificates"]
    assert row["name"] == NAME and row["code"] == code

    erased = learner.submit(
        "/en/account/data", "/en/account/erase", {"password": "correct horse battery"}
    )
    assert erased.status_code == 303

    page = text_of(app.test_client().get(f"/en/verify/{code}"))
    assert "can no longer be attributed to anyone" in page
    assert NAME not in page and "Co-production" not in page.split("<main", 1)[-1].split("</main>")[
        0
    ].replace("co-production", "")
    assert re.search(r"issued on \w+ \d+, \d{4}", page)


def test_the_learner_downloads_a_signed_credential_anyone_can_verify(app, learner):
    from tests.services.test_credentials import schema_errors

    earn(learner)
    claim(learner)
    code = code_of(app)
    downloaded = learner.get("/pt/courses/co-production/certificate.jwt")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/vc+jwt"
    key_set = app.test_client().get("/.well-known/jwks.json").get_json()

    payload = credentials.verify_credential(downloaded.get_data(as_text=True), key_set)

    assert schema_errors(payload) == []
    assert payload["id"] == f"http://localhost/verify/{code}"
    assert payload["name"] == "Coprodução e inovação social"
    [identifier] = payload["credentialSubject"]["identifier"]
    assert identifier["identityHash"] == NAME
    assert "ana@example.org" not in downloaded.get_data(as_text=True)
    with app.app_context():
        certificate = db.session.scalar(sa.select(Certificate).where(Certificate.code == code))
        certificate.revoked_at = certificate.issued_at
        db.session.commit()
    assert learner.get("/pt/courses/co-production/certificate.jwt").status_code == 404


def test_the_linkedin_link_fills_in_the_certificate_and_can_be_turned_off(app, learner):
    earn(learner)
    claim(learner)
    code = code_of(app)
    page = text_of(learner.get(COURSE))
    [link] = re.findall(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page)
    query = parse_qs(urlparse(html.unescape(link)).query)
    assert query["name"] == ["Co-production and social innovation"]
    assert query["certId"] == [code]
    assert query["certUrl"] == [f"http://localhost/verify/{code}"]
    assert query["organizationName"] == ["Mediterranean Lab for Co-production of Social Innovation"]

    app.config["CERTIFICATE_PROFILE_LINK"] = False
    assert "linkedin.com" not in text_of(learner.get(COURSE))


def test_the_account_page_lists_certificates_and_keeps_the_name_for_the_next(app, learner):
    profile = text_of(learner.get("/en/account"))
    assert "You have no certificate yet." in profile
    saved = learner.submit("/en/account", "/en/account/certificate-name", {"name": NAME})
    assert saved.status_code == 303
    refused = learner.submit("/en/account", "/en/account/certificate-name", {"name": " "})
    assert refused.status_code == 422 and "Please write the name to print." in text_of(refused)

    # The name is known: the certificate is issued with the last lesson.
    earn_through_the_quizzes(learner)
    assert code_of(app) is not None
    profile = text_of(learner.get("/en/account"))
    assert "Co-production and social innovation" in profile and NAME in profile
    assert f"/en/verify/{code_of(app)}" in profile


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("\u200b\u200b\u200b", "A name needs at least one letter or number that can be read."),
        ("Ana\x07\x1b[31mSilva", "A name goes on a single line, without control characters."),
        ("Ana \u202eavliS", "A name goes on a single line, without control characters."),
        (
            "王小明 Ωμέγα Кирилл 😀",
            "The certificate cannot print these characters: 王 小 明 😀.",
        ),
    ],
)
def test_a_name_the_certificate_cannot_show_truly_is_refused_in_words(learner, typed, told):
    earn(learner)
    refused = claim(learner, name=typed)
    assert refused.status_code == 422 and told in html.unescape(text_of(refused))
    assert code_of(learner.application) is None
    on_account = learner.submit("/en/account", "/en/account/certificate-name", {"name": typed})
    assert on_account.status_code == 422 and told in html.unescape(text_of(on_account))


def test_greek_and_cyrillic_names_are_printed_whole(app, learner):
    earn(learner)
    assert claim(learner, name="Ωμέγα Кирилл").status_code == 303
    pdf = learner.get("/en/courses/co-production/certificate.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ωμέγα Кирилл" in text


def test_a_claim_sent_from_an_older_page_keeps_the_certificate_issued(app, learner):
    earn(learner)
    claim(learner)
    again = claim(learner, name="Another Name Entirely")
    assert again.status_code == 303
    page = text_of(learner.get(COURSE))
    assert "Your certificate of this course was already issued: here it is." in page
    assert NAME in page and "Another Name Entirely" not in page


def test_a_revoked_certificate_is_no_longer_given_out_nor_corrected(app, cohorts_with_certificates):
    ana, _bo, trainer, admin = cohorts_with_certificates
    ana_certificate = certificate_id(app, "ana@example.org")
    admin.submit(LIST, f"{LIST}/{ana_certificate}/revoke", {"reason": "Copied answers"})
    assert ana.get("/en/courses/co-production/certificate.pdf").status_code == 404
    assert ana.get("/en/courses/co-production/certificate.jwt").status_code == 404
    undone = trainer.submit(
        LIST, f"{LIST}/{ana_certificate}/reissue", {"name": "Ana Três", "reason": "nome"}
    )
    assert undone.status_code == 409
    assert "Only a valid certificate can be corrected" in text_of(undone)
    shown = text_of(app.test_client().get(f"/en/verify/{code_of(app)}"))
    assert "was revoked on" in shown
    assert f'id="certificate-{ana_certificate}"' not in text_of(admin.get(LIST))


def test_a_refused_staff_form_comes_back_on_the_list_with_what_was_typed(
    app, cohorts_with_certificates
):
    _ana, _bo, _trainer, admin = cohorts_with_certificates
    ana_certificate = certificate_id(app, "ana@example.org")
    refused = admin.submit(
        LIST, f"{LIST}/{ana_certificate}/reissue", {"name": "Ana\u202e", "reason": "Accents"}
    )
    assert refused.status_code == 422
    page = text_of(refused)
    assert "A name goes on a single line, without control characters." in page
    assert (
        f'<details class="certificate-correction" id="certificate-{ana_certificate}" open>' in page
    )
    assert 'value="Accents"' in page and "Bo Autumn" in page


def test_an_erased_learners_certificate_is_listed_as_naming_no_one_and_left_alone(
    app, cohorts_with_certificates
):
    ana, _bo, _trainer, admin = cohorts_with_certificates
    ana_certificate = certificate_id(app, "ana@example.org")
    ana.submit("/en/account/data", "/en/account/erase", {"password": "correct horse battery"})
    listed = text_of(admin.get(LIST))
    assert "No longer attributable to anyone" in listed and "Ana Spring" not in listed
    revoked = admin.submit(LIST, f"{LIST}/{ana_certificate}/revoke", {"reason": "Too late"})
    assert revoked.status_code == 404


def test_verification_pages_stay_out_of_search_engines_and_caches_keep_languages_apart(
    app, learner
):
    earn(learner)
    claim(learner)
    code = code_of(app)
    visitor = app.test_client()
    assert '<meta name="robots" content="noindex">' in text_of(visitor.get(f"/en/verify/{code}"))
    redirect = visitor.get(f"/verify/{code}", headers={"Accept-Language": "es"})
    assert "Accept-Language" in redirect.headers["Vary"]


def test_a_code_read_off_paper_is_typed_in_to_check_it(app, learner):
    earn(learner)
    claim(learner)
    code = code_of(app)
    visitor = app.test_client()
    form = visitor.get("/pt/verify")
    assert form.status_code == 200 and 'name="code"' in text_of(form)
    found = visitor.get("/pt/verify", query_string={"code": f"  {code} "})
    assert found.status_code == 303 and found.location.endswith(f"/pt/verify/{code}")
    unknown = visitor.get("/en/verify", query_string={"code": "not-a-code"})
    assert unknown.status_code == 404 and "No certificate has this code" in text_of(unknown)
    assert 'value="not-a-code"' in text_of(unknown)


def test_a_correction_keeps_the_day_it_was_earned(app, cohorts_with_certificates):
    _ana, _bo, _trainer, admin = cohorts_with_certificates
    ana_certificate = certificate_id(app, "ana@example.org")
    with app.app_context():
        before = db.session.get(Certificate, ana_certificate).issued_at
    admin.submit(LIST, f"{LIST}/{ana_certificate}/reissue", {"name": "Ana P", "reason": "x"})
    with app.app_context():
        corrected = db.session.get(Certificate, certificate_id(app, "ana@example.org"))
        assert corrected.issued_at == before and corrected.name == "Ana P"
