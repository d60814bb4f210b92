"""Cohorts in the browser: admins run them, admins and their trainers enrol learners from a
CSV file, and learners join with the cohort's link or the invitation mailed to them."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import (
    AuditLogEntry,
    Cohort,
    Enrolment,
    Invitation,
    LessonProgress,
    Membership,
    Role,
    User,
    utcnow,
)
from app.services import accounts, cohorts, enrolment
from tests.conftest import dispose, latest_link, make_app, outbox, report, sign_in_as

LAB = "co-production"
GUIDE = "writing-lessons"
LAB_PAGE = f"/en/courses/{LAB}/"
LESSON = "what-is-co-production"
LESSON_PAGE = f"{LAB_PAGE}lessons/{LESSON}"
PASSWORD = "correct horse battery"


@pytest.fixture
def app(database_url, tmp_path):
    # Visitors' pages are not kept: a course closing must show at once.
    application = make_app(database_url, tmp_path / "instance", KEPT_VISITOR_PAGE_SECONDS=0)
    yield application
    dispose(application)


def main_text(response) -> str:
    page = response.get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#34;", '"')


def new_cohort(app, name="Spring", course=LAB, enrolment=Enrolment.INVITATION, **settings):
    """A cohort made as the admin pages make them; its id and invitation code."""
    with app.app_context():
        made = cohorts.create(
            db.session,
            course,
            cohorts.CohortDetails(
                name=name,
                starts_on=settings.get("starts_on"),
                ends_on=settings.get("ends_on"),
                enrolment=enrolment,
                trainer_ids=frozenset(settings.get("trainers", ())),
            ),
        )
        return made.id, made.join_code


def user_id(app, email: str) -> int:
    with app.app_context():
        return accounts.find_user(db.session, email).id


def cohort_of(app, email: str, course: str = LAB) -> int | None:
    with app.app_context():
        found = cohorts.membership(db.session, user_id(app, email), course)
        return found.cohort_id if found else None


def complete(app, email: str, course: str, slug: str) -> None:
    with app.app_context():
        now = utcnow()
        db.session.add(
            LessonProgress(
                user_id=accounts.find_user(db.session, email).id,
                course=course,
                lesson_slug=slug,
                started_at=now,
                completed_at=now,
            )
        )
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audit(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLogEntry).order_by(AuditLogEntry.id))
        return [(e.action, e.subject_ref, e.details) for e in entries]


def upload(client, cohort_id: int, text: str | bytes, name: str = "learners.csv"):
    """Send a file to the cohort's enrolment page, as a browser does."""
    page = f"/en/author/cohorts/{cohort_id}/enrol"
    data = text.encode() if isinstance(text, str) else text
    sheet = FileStorage(io.BytesIO(data), filename=name, content_type="text/csv")
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": client.csrf_token(page), "sheet": sheet})
    return client.post(page, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture
def admin(app):
    return sign_in_as(app, Role.ADMIN, "admin@example.org")


# Admins run the cohorts


def test_an_admin_creates_a_cohort_with_its_trainer_and_finds_it_listed(app, admin):
    sign_in_as(app, Role.TRAINER, "tess@example.org")
    tess = user_id(app, "tess@example.org")
    form = f"/en/admin/cohorts/new?course={LAB}"
    assert f'name="trainer-{tess}"' in admin.get(form).get_data(as_text=True)

    created = admin.submit(
        form,
        data={
            "name": "Spring 2027, city staff",
            "starts_on": "2027-03-01",
            "ends_on": "2027-06-30",
            "enrolment": "invitation",
            f"trainer-{tess}": "1",
        },
    )

    assert created.status_code == 303
    page = admin.get(created.location)
    text = main_text(page)
    with app.app_context():
        cohort = db.session.scalar(sa.select(Cohort))
        assert cohorts.trainer_ids(db.session, cohort.id) == {tess}
    assert "Spring 2027, city staff" in text
    assert f"http://localhost/es/join/{cohort.join_code}" in text
    assert f"Code: {cohort.join_code}" in text
    listed = main_text(admin.get(f"/en/admin/cohorts?course={LAB}"))
    assert "Spring 2027, city staff" in listed
    assert "By invitation" in listed
    assert "Only members can open this course" in listed
    assert audit(app)[-1] == (
        "cohort created",
        f"cohort #{cohort.id}",
        {"course": LAB, "by": "staff"},
    )


def test_a_cohort_cannot_end_before_it_starts(app, admin):
    refused = admin.submit(
        "/en/admin/cohorts/new",
        data={"name": "Spring", "starts_on": "2027-03-01", "ends_on": "2027-02-01"},
    )
    assert refused.status_code == 422
    assert "A cohort cannot end before it starts." in main_text(refused)
    assert count(app, Cohort) == 0


def test_an_admin_changes_a_cohort_and_the_log_names_the_fields_not_the_values(app, admin):
    cohort_id, _code = new_cohort(app, "Spring")
    page = f"/en/admin/cohorts/{cohort_id}"
    saved = admin.submit(page, data={"name": "Spring 2027", "enrolment": "closed"})
    assert saved.status_code == 303
    assert "Spring 2027" in main_text(admin.get(page))
    with app.app_context():
        assert cohorts.get(db.session, cohort_id).enrolment is Enrolment.CLOSED
    action, subject, details = audit(app)[-1]
    assert (action, subject) == ("cohort changed", f"cohort #{cohort_id}")
    assert details["fields"] == ["name", "enrolment"]
    assert "Spring 2027" not in str(details)


def test_two_cohorts_of_a_course_cannot_share_a_name(app, admin):
    spring, _code = new_cohort(app, "Spring")
    new_cohort(app, "Spring", course=GUIDE)  # another course's is fine
    taken = "Another cohort of this course has this name: please choose another."
    again = admin.submit(
        f"/en/admin/cohorts/new?course={LAB}", data={"name": " SPRING ", "enrolment": "open"}
    )
    assert again.status_code == 422 and taken in main_text(again)
    autumn, _code = new_cohort(app, "Autumn")
    renamed = admin.submit(
        f"/en/admin/cohorts/{autumn}", data={"name": "spring", "enrolment": "open"}
    )
    assert renamed.status_code == 422 and taken in main_text(renamed)
    assert count(app, Cohort) == 3


def test_only_accounts_with_the_trainer_role_can_lead_a_cohort(app, admin):
    learner = user_id(app, "admin@example.org")
    refused = admin.submit(
        "/en/admin/cohorts/new", data={"name": "Spring", f"trainer-{learner}": "1"}
    )
    assert refused.status_code == 400
    assert count(app, Cohort) == 0


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775808", "0"])
def test_a_cohort_or_trainer_number_no_row_can_have_is_refused_not_a_500(app, admin, number):
    spring, code = new_cohort(app, "Spring")
    sign_in_as(app, None, "ana@example.org").submit(f"/en/join/{code}")
    ana = user_id(app, "ana@example.org")
    page = f"/en/admin/cohorts/{spring}"
    moved = admin.submit(page, f"{page}/members/{ana}/move", data={"to": number})
    assert moved.status_code == 400
    saved = admin.submit(page, data={"name": "Spring", f"trainer-{number}": "1"})
    assert saved.status_code == 400
    assert cohort_of(app, "ana@example.org") == spring


def test_a_course_open_to_members_only_is_not_there_for_others(app, admin):
    new_cohort(app, "Spring", enrolment=Enrolment.INVITATION)
    visitor = app.test_client()
    learner = sign_in_as(app, None, "ana@example.org")
    for client in (visitor, learner):
        assert client.get(LAB_PAGE).status_code == 404
        assert client.get(LESSON_PAGE).status_code == 404
    # The trainers' guide has no cohort: open to all, as before.
    assert learner.get(f"/en/courses/{GUIDE}/").status_code == 200
    assert admin.get(LAB_PAGE).status_code == 200, "staff see every course"


def test_moving_a_learner_to_another_cohort_keeps_their_progress(app, admin):
    spring, spring_code = new_cohort(app, "Spring")
    autumn, _code = new_cohort(app, "Autumn")
    learner = sign_in_as(app, None, "ana@example.org")
    learner.submit(f"/en/join/{spring_code}")
    complete(app, "ana@example.org", LAB, LESSON)
    ana = user_id(app, "ana@example.org")

    moved = admin.submit(
        f"/en/admin/cohorts/{spring}",
        f"/en/admin/cohorts/{spring}/members/{ana}/move",
        data={"to": str(autumn)},
    )

    assert moved.status_code == 303
    assert cohort_of(app, "ana@example.org") == autumn
    assert "1 of 15 lessons completed" in main_text(learner.get(LAB_PAGE))
    assert "ana@example.org" in main_text(admin.get(f"/en/admin/cohorts/{autumn}"))
    assert "ana@example.org" not in main_text(admin.get(f"/en/admin/cohorts/{spring}"))
    action, subject, details = audit(app)[-1]
    assert (action, subject) == ("member moved", f"user #{ana}")
    assert details == {"course": LAB, "from": spring, "to": autumn, "by": "staff"}


def test_a_learner_removed_from_the_cohort_keeps_their_progress_but_not_the_course(app, admin):
    spring, code = new_cohort(app, "Spring")
    learner = sign_in_as(app, None, "ana@example.org")
    learner.submit(f"/en/join/{code}")
    complete(app, "ana@example.org", LAB, LESSON)
    ana = user_id(app, "ana@example.org")

    removed = admin.submit(
        f"/en/admin/cohorts/{spring}", f"/en/admin/cohorts/{spring}/members/{ana}/remove"
    )

    assert removed.status_code == 303
    assert learner.get(LAB_PAGE).status_code == 404
    assert count(app, LessonProgress) == 1
    # Back in, by the link: the progress is still there.
    learner.submit(f"/en/join/{code}")
    assert "1 of 15 lessons completed" in main_text(learner.get(LAB_PAGE))


def test_a_new_code_ends_the_old_link(app, admin):
    cohort_id, old = new_cohort(app)
    replaced = admin.submit(f"/en/admin/cohorts/{cohort_id}", f"/en/admin/cohorts/{cohort_id}/code")
    assert replaced.status_code == 303
    with app.app_context():
        new = cohorts.get(db.session, cohort_id).join_code
    assert new != old
    learner = sign_in_as(app, None, "ana@example.org")
    assert learner.get(f"/en/join/{old}").status_code == 404
    assert learner.get(f"/en/join/{new}").status_code == 200


def test_deleting_a_cohort_keeps_its_learners_accounts_and_progress_in_other_courses(app, admin):
    spring, code = new_cohort(app, "Spring")
    guide, guide_code = new_cohort(app, "Guide readers", course=GUIDE, enrolment=Enrolment.OPEN)
    learner = sign_in_as(app, None, "ana@example.org")
    learner.submit(f"/en/join/{code}")
    learner.submit(f"/en/join/{guide_code}")
    complete(app, "ana@example.org", LAB, LESSON)
    complete(app, "ana@example.org", GUIDE, "the-lesson-file")
    upload(admin, spring, "new@example.org\n")

    deleted = admin.submit(f"/en/admin/cohorts/{spring}", f"/en/admin/cohorts/{spring}/delete")

    assert deleted.status_code == 303
    assert admin.get(f"/en/admin/cohorts/{spring}").status_code == 404
    assert learner.get(f"/en/courses/{GUIDE}/").status_code == 200, "still signed in"
    assert cohort_of(app, "ana@example.org", GUIDE) == guide
    assert cohort_of(app, "ana@example.org") is None
    assert count(app, LessonProgress) == 2
    assert count(app, Invitation) == 0
    assert count(app, User) == 2
    assert audit(app)[-1][:2] == ("cohort deleted", f"cohort #{spring}")


# Enrolling from a CSV file


SHEET = (
    "email;name;language\n"
    "ana@example.org;Ana;\n"
    "new@example.org;Nuno;pt\n"
    "not-an-address;X;\n"
    "NEW@example.org;Nuno again;\n"
    "tess@example.org;;\n"
    "olga@example.org;Olga;de\n"
    "luis@example.org;Luis;es;extra\n"
)


def test_an_admin_enrols_a_list_and_sees_every_unusable_row_with_its_line(app, admin):
    spring, _code = new_cohort(app, "Spring")
    sign_in_as(app, None, "ana@example.org")
    sign_in_as(app, Role.TRAINER, "tess@example.org")
    mails_before = len(outbox(app))

    done = upload(admin, spring, SHEET)

    assert done.status_code == 200
    text = main_text(done)
    assert "1 learner enrolled." in text
    assert "1 address without an account was sent an invitation." in text
    assert "5 rows could not be used." in text
    problems = re.findall(r"<tr><th scope=\"row\">(\d+)</th><td>([^<]*)</td></tr>", done.text)
    assert [(int(line), why) for line, why in problems] == [
        (4, "“not-an-address” is not a valid email address."),
        (5, "NEW@example.org is already on line 3."),
        (
            6,
            "tess@example.org is a trainer’s or an admin’s account: the course team sees "
            "every course without joining.",
        ),
        (7, "“de” is not a language this course is given in (es, pt, en)."),
        (8, "Too many columns: a row has an email address, and may have a name and a language."),
    ]
    assert cohort_of(app, "ana@example.org") == spring
    assert len(outbox(app)) == mails_before + 1
    details = audit(app)[-1][2]
    assert details["enrolled"] == 1 and details["invited"] == 1 and details["refused"] == 5
    assert "@" not in str(details)


def test_sending_the_same_list_twice_changes_nothing_and_mails_nobody_twice(app, admin):
    spring, _code = new_cohort(app, "Spring")
    sign_in_as(app, None, "ana@example.org")
    sign_in_as(app, Role.TRAINER, "tess@example.org")
    upload(admin, spring, SHEET)
    mails = len(outbox(app))
    with app.app_context():
        before = db.session.execute(sa.select(Membership.user_id, Membership.cohort_id)).all()

    again = upload(admin, spring, SHEET)

    text = main_text(again)
    assert "0 learners enrolled." in text
    assert "1 learner was already in this cohort." in text
    assert "1 address had been invited already: no second mail was sent." in text
    assert len(outbox(app)) == mails
    with app.app_context():
        assert db.session.execute(sa.select(Membership.user_id, Membership.cohort_id)).all() == (
            before
        )


def test_a_list_of_a_thousand_new_addresses_is_done_in_under_five_seconds(app, admin, request):
    spring, _code = new_cohort(app, "Spring")
    sheet = "".join(f"learner{n}@example.org,Learner {n},pt\n" for n in range(1000))

    started = time.perf_counter()
    done = upload(admin, spring, sheet)
    took = time.perf_counter() - started

    assert "1000 addresses without an account were sent an invitation." in main_text(done)
    assert took < 5, f"the page took {took:.2f} s"
    report(request, f"1,000 invitations made by the page in {took:.2f} s")
    assert count(app, Invitation) == 1000


def test_the_invitation_is_mailed_in_the_rows_language_else_in_the_courses(app, admin):
    spring, _code = new_cohort(app, "Primavera")
    upload(admin, spring, "pt@example.org,,Português\nnone@example.org\n")
    mails = {mail["To"]: mail for mail in outbox(app)}
    portuguese, default = mails["pt@example.org"], mails["none@example.org"]
    # co-production's own language is Spanish: the mail is signed with the course's title
    # in each language, and its link opens the site in it.
    assert portuguese["Subject"].endswith("· Coprodução e inovação social")
    assert "/pt/invitations/" in portuguese.get_content()
    # Where the address came from and how it is used (GDPR Art. 14), in the mail's language.
    assert "/pt/privacy#category-invitations" in portuguese.get_content()
    assert "Laboratório Mediterrânico" in portuguese.get_content()
    assert default["Subject"].endswith("· Coproducción e innovación social")
    assert "/es/invitations/" in default.get_content()
    assert "«Primavera»" in default["Subject"], "in Spanish, with its quotation marks"


def test_the_trainers_of_a_cohort_enrol_in_it_and_nobody_else_finds_the_page(app, admin):
    tess = sign_in_as(app, Role.TRAINER, "tess@example.org")
    other = sign_in_as(app, Role.TRAINER, "otto@example.org")
    spring, _code = new_cohort(app, "Spring", trainers=[user_id(app, "tess@example.org")])
    autumn, _code = new_cohort(app, "Autumn", trainers=[user_id(app, "otto@example.org")])
    learner = sign_in_as(app, None, "ana@example.org")
    page = f"/en/author/cohorts/{spring}/enrol"

    assert tess.get(page).status_code == 200
    assert other.get(page).status_code == 404
    assert other.get(f"/en/author/cohorts/{autumn}/enrol").status_code == 200
    assert learner.get(page).status_code == 403
    assert admin.get(page).status_code == 200
    assert upload(other, spring, "ana@example.org\n").status_code == 404
    done = upload(tess, spring, "ana@example.org\n")
    assert "1 learner enrolled." in main_text(done)
    assert cohort_of(app, "ana@example.org") == spring


def test_a_file_too_large_or_not_in_utf8_is_refused_with_what_to_do(app, admin):
    spring, _code = new_cohort(app)
    over_ours = upload(admin, spring, b"a@example.org\n" * (enrolment.MOST_BYTES // 14 + 1))
    assert over_ours.status_code == 413
    assert "The file is larger than 512 KB." in main_text(over_ours)
    over_the_sites = upload(admin, spring, b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert over_the_sites.status_code == 413
    assert "The file is larger than 512 KB." in main_text(over_the_sites)
    latin = upload(admin, spring, "ana@example.org,Añá\n".encode("latin-1"))
    assert latin.status_code == 400
    assert "save it as “CSV UTF-8”" in main_text(latin)
    nothing = admin.submit(f"/en/author/cohorts/{spring}/enrol", data={})
    assert nothing.status_code == 422
    assert "Please choose the CSV file to send." in main_text(nothing)
    assert count(app, Membership) == count(app, Invitation) == 0


# Joining with the cohort's link or code


def test_a_visitor_signs_up_from_the_link_and_comes_back_to_join(app):
    _spring, code = new_cohort(app, "Spring")
    visitor = app.test_client()
    link = f"/en/join/{code}"
    page = visitor.get(link)
    assert page.status_code == 200
    assert f'href="/en/register?next=/en/join/{code}"' in page.text
    assert f'href="/en/login?next=/en/join/{code}"' in page.text

    visitor.submit(
        f"/en/register?next={link}",
        data={"email": "ana@example.org", "password": PASSWORD, "display_name": "Ana"},
    )
    confirmed = visitor.submit(latest_link(app, "ana@example.org", "/register/confirm/"))
    assert confirmed.location == link
    assert "Join the cohort" in main_text(visitor.get(link))
    joined = visitor.submit(link)

    assert joined.status_code == 303
    assert joined.location == LAB_PAGE
    course = visitor.get(LAB_PAGE)
    assert course.status_code == 200
    assert "Welcome to “Spring”!" in main_text(course)


def test_the_link_moves_a_learner_from_another_cohort_of_the_course(app):
    spring, spring_code = new_cohort(app, "Spring")
    autumn, autumn_code = new_cohort(app, "Autumn")
    learner = sign_in_as(app, None, "ana@example.org")
    learner.submit(f"/en/join/{spring_code}")
    complete(app, "ana@example.org", LAB, LESSON)

    page = main_text(learner.get(f"/en/join/{autumn_code}"))
    assert "You are in “Spring”, another group of this course." in page
    learner.submit(f"/en/join/{autumn_code}")

    assert cohort_of(app, "ana@example.org") == autumn
    assert "1 of 15 lessons completed" in main_text(learner.get(LAB_PAGE))
    assert "You are already in this cohort." in main_text(learner.get(f"/en/join/{autumn_code}"))
    assert spring != autumn


def test_a_closed_an_ended_or_an_unknown_cohort_says_why_nobody_joins(app):
    _closed, closed_code = new_cohort(app, "Closed", enrolment=Enrolment.CLOSED)
    _ended, ended_code = new_cohort(app, "Old", ends_on=dt.date(2020, 6, 30))
    learner = sign_in_as(app, None, "ana@example.org")

    closed = learner.get(f"/en/join/{closed_code}")
    assert closed.status_code == 403
    assert "This cohort is closed" in main_text(closed)
    ended = learner.get(f"/en/join/{ended_code}")
    assert ended.status_code == 403
    assert "This cohort ended on June 30, 2020" in main_text(ended)
    assert learner.post(f"/en/join/{ended_code}").status_code in {400, 403}
    unknown = app.test_client().get("/en/join/NOSUCHCODE")
    assert unknown.status_code == 404
    assert "There is no cohort with this code." in main_text(unknown)
    assert count(app, Membership) == 0


def test_a_typed_code_leads_to_its_link_whatever_its_case_and_dashes(app):
    _spring, code = new_cohort(app)
    visitor = app.test_client()
    assert visitor.get("/en/join").status_code == 200
    typed = f"{code[:5].lower()}-{code[5:]} "
    found = visitor.get("/en/join", query_string={"code": typed})
    assert found.status_code == 303
    assert found.location == f"/en/join/{code}"
    assert visitor.get("/en/join?code=").status_code == 422


def test_staff_are_told_they_need_not_join(app, admin):
    _spring, code = new_cohort(app)
    page = admin.get(f"/en/join/{code}")
    assert "without joining a cohort" in main_text(page)
    assert admin.submit(f"/en/join/{code}").status_code == 409
    assert count(app, Membership) == 0


# The invitation mailed to one address


def invitation_link(app, email: str) -> str:
    link = latest_link(app, email, "/invitations/")
    assert link is not None, f"no invitation mailed to {email}"
    return link


def test_the_invited_person_signs_up_with_the_address_filled_in_and_is_then_a_member(app, admin):
    spring, _code = new_cohort(app, "Spring")
    upload(admin, spring, "new@example.org,Nuno,en\n")
    link = invitation_link(app, "new@example.org")
    visitor = app.test_client()

    page = visitor.get(link)
    assert page.status_code == 200
    assert "You are invited to “Co-production and social innovation”" in main_text(page)
    sign_up = f"/en/register?next={LAB_PAGE}"
    assert f'href="{sign_up}"' in page.text
    form = visitor.get(sign_up).text
    assert 'value="new@example.org"' in form
    assert 'value="Nuno"' in form

    visitor.submit(
        sign_up,
        data={"email": "new@example.org", "password": PASSWORD, "display_name": "Nuno"},
    )
    confirmed = visitor.submit(latest_link(app, "new@example.org", "/register/confirm/"))

    assert confirmed.location == LAB_PAGE
    assert visitor.get(LAB_PAGE).status_code == 200
    assert cohort_of(app, "new@example.org") == spring
    assert count(app, Invitation) == 0, "used, the invitation and its address are deleted"
    used = visitor.get(link)
    assert used.status_code == 410
    assert "This invitation has already been used" in main_text(used)


def test_an_invited_address_that_has_an_account_by_then_signs_in_to_accept(app, admin):
    spring, _code = new_cohort(app, "Spring")
    upload(admin, spring, "ana@example.org,,en\n")
    link = invitation_link(app, "ana@example.org")
    with app.app_context():
        accounts.create_user(
            db.session, email="ana@example.org", password=PASSWORD, display_name="Ana"
        )
    visitor = app.test_client()

    page = visitor.get(link)
    assert f'href="/en/login?next={link}"' in page.text
    assert 'value="ana@example.org"' in visitor.get(f"/en/login?next={link}").text
    signed_in = visitor.login(email="ana@example.org", query_string={"next": link})
    assert signed_in.location == link
    accepted = visitor.submit(link)

    assert accepted.location == LAB_PAGE
    assert cohort_of(app, "ana@example.org") == spring
    assert count(app, Invitation) == 0


def test_an_invitation_is_only_for_the_address_it_was_sent_to(app, admin):
    spring, _code = new_cohort(app, "Spring")
    upload(admin, spring, "new@example.org\n")
    link = invitation_link(app, "new@example.org")
    other = sign_in_as(app, None, "ana@example.org")
    refused = other.get(link)
    assert refused.status_code == 403
    # The link opens the site in the course's language, Spanish.
    assert "se envió a una dirección de correo electrónico distinta" in main_text(refused)
    assert other.post(link).status_code in {400, 403}
    assert cohort_of(app, "ana@example.org") is None


def test_an_expired_invitation_says_so(app, admin):
    spring, _code = new_cohort(app, "Spring")
    upload(admin, spring, "new@example.org,,en\n")
    link = invitation_link(app, "new@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Invitation).values(expires_at=dt.datetime(2026, 1, 31, tzinfo=dt.UTC))
        )
        db.session.commit()
    expired = app.test_client().get(link)
    assert expired.status_code == 410
    assert "This invitation expired on January 31, 2026." in main_text(expired)
