"""The site as an LTI 1.3 tool, launched from a test platform served over real HTTP: admins
register platforms and find what to paste into them; a launch signs its person in to the
account linked to them, in their cohort, in the language they chose, and lands on the
course or the lesson (its data notice first); every launch that fails a check is refused
with a page saying why, and logged."""

from __future__ import annotations

import base64
import json
import logging
import re

import jwt
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from markupsafe import escape

from app.extensions import db
from app.lti.views import REFUSALS, state_cookie
from app.models import (
    Cohort,
    CohortTrainer,
    Enrolment,
    LtiAccount,
    LtiLogin,
    Membership,
    Role,
    SecurityEvent,
    User,
    utcnow,
)
from app.services import cohorts, lti
from app.services.lti import Refusal
from tests.conftest import dispose, make_app, sign_in_as
from tests.lti_platform import CLIENT_ID, TOOL, new_key, serving_platform

COURSE = "/lti/courses/co-production"
LESSON = "/lti/courses/co-production/lessons/what-is-co-production"
LESSON_PAGE = "/en/courses/co-production/lessons/what-is-co-production"


@pytest.fixture(scope="module")
def served_platform():
    with serving_platform() as platform:
        yield platform


@pytest.fixture
def platform(app, served_platform):
    """The test platform, registered with the tool."""
    served_platform.reset()
    with app.app_context():
        lti.register(db.session, served_platform.details())
    return served_platform


def users(app) -> list[User]:
    with app.app_context():
        found = db.session.scalars(sa.select(User).order_by(User.id)).all()
        db.session.expunge_all()
        return list(found)


@pytest.fixture
def admin(app):
    return sign_in_as(app, Role.ADMIN, "admin@example.org")


FORM = {
    "name": "University Moodle",
    "issuer": "https://moodle.example.edu",
    "client_id": "abc123",
    "deployment_ids": " 1 \n\n2\n",
    "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
    "auth_url": "https://moodle.example.edu/mod/lti/auth.php",
    "token_url": "https://moodle.example.edu/mod/lti/token.php",
}


def test_an_admin_registers_a_platform_and_finds_what_to_paste_into_it(app, admin):
    response = admin.submit("/en/admin/lti/new", data=FORM)
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The platform “University Moodle” is registered." in page
    for value in (
        f"{TOOL}/lti/login",
        f"{TOOL}/lti/launch",
        f"{TOOL}/.well-known/jwks.json",
        f"{TOOL}{COURSE}",
        f"{TOOL}{LESSON}",
    ):
        assert f"<code>{value}</code>" in page
    listed = admin.get("/en/admin/lti").get_data(as_text=True)
    assert "University Moodle" in listed and "1, 2" in listed
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        assert registered.deployment_ids == ["1", "2"]
        assert registered.links_verified_email is registered.instructors_become_trainers is False


def test_a_registration_is_changed_and_removed(app, admin):
    created = admin.submit("/en/admin/lti/new", data=FORM).headers["Location"]
    form = admin.get(created).get_data(as_text=True)
    assert "never to the account of a trainer or an administrator" in form
    assert "Trainers write and publish the lessons of every course on this site" in form
    changed = admin.submit(
        created,
        data={
            **FORM,
            "deployment_ids": "3",
            "links_verified_email": "y",
            "instructors_become_trainers": "y",
        },
    )
    assert changed.status_code == 303
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        assert registered.deployment_ids == ["3"]
        assert registered.links_verified_email is registered.instructors_become_trainers is True
    removed = admin.submit(created, f"{created}/remove")
    assert removed.status_code == 303
    assert "No platform is registered." in admin.get("/en/admin/lti").get_data(as_text=True)


def test_a_registration_needs_every_field_and_secure_addresses(app, admin):
    response = admin.submit(
        "/en/admin/lti/new",
        data={
            **FORM,
            "client_id": "",
            "token_url": "http://moodle.example.edu/token",
            "deployment_ids": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter the client ID." in page
    assert "Please enter at least one deployment ID." in page
    assert "Please enter an address starting with https://." in page
    local = admin.submit(
        "/en/admin/lti/new", data={**FORM, "token_url": "http://127.0.0.1:9000/token"}
    )
    assert local.status_code == 303
    again = admin.submit("/en/admin/lti/new", data=FORM)
    assert again.status_code == 422
    assert "Another registration has this issuer and client ID." in again.get_data(as_text=True)


def test_a_registration_with_addresses_that_cannot_be_used_is_refused_with_reasons(app, admin):
    response = admin.submit(
        "/en/admin/lti/new",
        data={
            **FORM,
            "key_set_url": "https://[::1/x",
            "auth_url": "https://moodle.example.edu:99999/auth",
            "token_url": "https://user:secret@moodle.example.edu/token",
            "deployment_ids": "\n".join(str(n) for n in range(51)),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("This address cannot be read") == 2
    assert "Please enter the address without a user name or password in it." in page
    assert "Please enter at most 50 deployment IDs." in page
    long_id = admin.submit("/en/admin/lti/new", data={**FORM, "deployment_ids": "x" * 256})
    assert long_id.status_code == 422
    assert "Please keep each deployment ID under 255 characters." in long_id.get_data(as_text=True)
    with app.app_context():
        assert lti.registrations(db.session) == []


def test_an_issuer_ending_in_a_slash_is_registered_with_a_warning(app, admin):
    response = admin.submit("/en/admin/lti/new", data={**FORM, "issuer": FORM["issuer"] + "/"})
    assert response.status_code == 303
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "The issuer ends in “/”" in page
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        assert registered.issuer == "https://moodle.example.edu/"


def test_only_admins_reach_the_registrations(app, client):
    trainer = sign_in_as(app, Role.TRAINER, "trainer@example.org")
    assert trainer.get("/en/admin/lti").status_code == 403
    assert client.get("/en/admin/lti").status_code == 302


def test_a_launch_into_the_course_signs_in_and_opens_it_in_the_platforms_language(
    app, client, platform
):
    response = platform.launch(client, COURSE)
    assert response.status_code == 303
    assert response.headers["Location"] == "/pt/courses/co-production/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Coprodução e inovação social" in page
    (user,) = users(app)
    assert (user.display_name, user.role, user.language) == ("Rita Lopes", Role.LEARNER, "pt")
    # No address the platform vouched for: the account has one that reaches nobody.
    assert user.email.endswith("@invalid")
    # The login's cookie is gone with the sign-in.
    (deleted,) = [c for c in response.headers.getlist("Set-Cookie") if "aula_lti_state_" in c]
    assert "Max-Age=0" in deleted


def test_a_launch_into_a_lesson_lands_on_it_with_its_data_notice_first(app, client, platform):
    response = platform.launch(client, LESSON)
    assert response.headers["Location"] == "/pt/courses/co-production/lessons/what-is-co-production"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="version"' in page  # the notice's form, to acknowledge before anything
    assert client.acknowledge("pt", "what-is-co-production").status_code == 303


def test_without_a_language_of_the_course_the_browsers_is_used(app, client, platform):
    platform.next_claims = {lti.LAUNCH_PRESENTATION: {"locale": "de-DE"}}
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr, es;q=0.8"
    response = platform.launch(client, COURSE)
    assert response.headers["Location"] == "/es/courses/co-production/"


def test_the_same_platform_user_comes_back_to_the_same_account_another_gets_another(
    app, client, platform
):
    platform.launch(client, COURSE)
    platform.launch(app.test_client(), LESSON)
    assert len(users(app)) == 1
    platform.next_claims = {"sub": "learner-2", "name": "Nuno Reis"}
    platform.launch(app.test_client(), COURSE)
    assert [user.display_name for user in users(app)] == ["Rita Lopes", "Nuno Reis"]
    with app.app_context():
        links = db.session.execute(sa.select(LtiAccount.sub, LtiAccount.user_id)).all()
    assert sorted(sub for sub, _user in links) == ["learner-1", "learner-2"]


def test_the_same_user_id_from_another_registration_is_another_person(app, platform):
    with app.app_context():
        lti.register(db.session, platform.details(name="Other Moodle", client_id="other-tool"))
    platform.launch(app.test_client(), COURSE)
    platform.launch(app.test_client(), COURSE, client_id="other-tool")
    assert len(users(app)) == 2
    with app.app_context():
        links = db.session.execute(sa.select(LtiAccount.sub, LtiAccount.user_id)).all()
    assert [sub for sub, _user in links] == ["learner-1", "learner-1"]


def test_an_address_signs_in_to_an_existing_account_only_when_verified_and_allowed(
    app, client, platform
):
    sign_in_as(app, None, "rita@example.org")
    existing = users(app)[0].id
    platform.next_claims = {"email": "Rita@example.org", "email_verified": False}
    platform.launch(app.test_client(), COURSE)
    platform.next_claims = {"sub": "learner-2", "email": "rita@example.org", "email_verified": True}
    platform.launch(app.test_client(), COURSE)
    # Not allowed on the registration: two accounts of their own, neither with the address.
    assert [user.id for user in users(app) if user.email == "rita@example.org"] == [existing]
    assert len(users(app)) == 3
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(links_verified_email=True))
    platform.next_claims = {"sub": "learner-3", "email": "rita@example.org", "email_verified": True}
    platform.launch(app.test_client(), COURSE)
    assert len(users(app)) == 3
    with app.app_context():
        linked = db.session.scalar(
            sa.select(LtiAccount.user_id).where(LtiAccount.sub == "learner-3")
        )
    assert linked == existing


def test_an_address_the_platform_does_not_vouch_for_is_never_taken(app, client, platform):
    sign_in_as(app, None, "rita@example.org")
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(links_verified_email=True))
    platform.next_claims = {"email": "rita@example.org", "email_verified": False}
    platform.launch(app.test_client(), COURSE)
    platform.next_claims = {"sub": "learner-2", "email": "nuno@example.org"}
    platform.launch(app.test_client(), COURSE)
    emails = [user.email for user in users(app)]
    assert emails[0] == "rita@example.org"
    assert [email.endswith("@invalid") for email in emails[1:]] == [True, True]


def test_an_account_guarded_by_a_second_step_is_never_signed_in_to_by_address(
    app, client, platform
):
    sign_in_as(app, None, "rita@example.org")
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(links_verified_email=True))
        db.session.execute(sa.update(User).values(two_step_secret="JBSWY3DPEHPK3PXP"))
        db.session.commit()
    platform.next_claims = {"email": "rita@example.org", "email_verified": True}
    platform.launch(client, COURSE)
    assert [user.email == "rita@example.org" for user in users(app)] == [True, False]


@pytest.mark.parametrize("role", [Role.TRAINER, Role.ADMIN])
def test_an_address_never_signs_in_to_a_staff_account(app, client, platform, role):
    sign_in_as(app, role, "ana@example.org")
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(links_verified_email=True))
    platform.next_claims = {"email": "ana@example.org", "email_verified": True}
    platform.launch(client, COURSE)
    staff, launched = users(app)
    assert (staff.email, staff.role) == ("ana@example.org", role)
    assert (launched.role, launched.email.endswith("@invalid")) == (Role.LEARNER, True)
    assert client.get("/en/author/").status_code == 403


@pytest.mark.parametrize("guard", ["admin", "two-step"])
def test_a_linked_account_made_an_admin_or_guarded_by_two_step_is_refused_on_each_launch(
    app, client, platform, caplog, guard
):
    caplog.set_level(logging.WARNING)
    platform.launch(client, COURSE)
    with app.app_context():
        if guard == "admin":
            change = {"role": Role.ADMIN}
        else:
            change = {"two_step_secret": "JBSWY3DPEHPK3PXP"}
        db.session.execute(sa.update(User).values(**change))
        db.session.commit()
    again = app.test_client()
    response = platform.launch(again, COURSE)
    _refused(app, response, caplog, "account-guarded")
    assert again.get("/en/admin/").status_code == 302


def test_a_verified_address_nobody_has_becomes_the_accounts(app, client, platform):
    platform.next_claims = {"email": "nuno@example.org", "email_verified": True}
    platform.launch(client, COURSE)
    (user,) = users(app)
    assert user.email == "nuno@example.org"


def test_the_platforms_course_becomes_a_cohort_its_instructors_lead(app, client, platform):
    platform.launch(client, COURSE)
    instructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    platform.next_claims = {"sub": "teacher-1", "name": "Ana Teacher", lti.ROLES: [instructor]}
    platform.launch(app.test_client(), COURSE)
    platform.next_claims = {
        "sub": "learner-9",
        "name": None,
        lti.CONTEXT: {"id": "context-2", "title": "Community work 2027"},
    }
    platform.launch(app.test_client(), COURSE)
    with app.app_context():
        found = db.session.scalars(sa.select(Cohort).order_by(Cohort.id)).all()
        assert [cohort.name for cohort in found] == [
            "Community work 2027",
            "Community work 2027 (2)",
        ]
        members = db.session.execute(
            sa.select(User.display_name, Membership.cohort_id)
            .join(Membership, Membership.user_id == User.id)
            .order_by(User.id)
        ).all()
        leaders = db.session.execute(
            sa.select(User.display_name, User.role, CohortTrainer.cohort_id).join(
                CohortTrainer, CohortTrainer.user_id == User.id
            )
        ).all()
    assert members == [("Rita Lopes", found[0].id), ("Formando", found[1].id)]
    # Their site role is left alone: a platform's Instructor writes no lesson here.
    assert leaders == [("Ana Teacher", Role.LEARNER, found[0].id)]
    assert role_events(app, "Ana Teacher") == ["account-created", "signed-in"]


INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def test_a_platforms_instructor_reaches_no_staff_page(app, client, platform):
    platform.next_claims = {lti.ROLES: [INSTRUCTOR, "Instructor"]}
    platform.launch(client, COURSE)
    (user,) = users(app)
    assert user.role is Role.LEARNER
    assert client.get("/en/author/").status_code == 403


def test_instructors_become_trainers_only_where_the_registration_says_so(app, client, platform):
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(instructors_become_trainers=True))
    platform.next_claims = {"name": "Ana Teacher", lti.ROLES: [INSTRUCTOR]}
    platform.launch(client, COURSE)
    assert [user.role for user in users(app)] == [Role.TRAINER]
    assert client.get("/en/author/").status_code == 200
    assert role_events(app, "Ana Teacher") == ["account-created", "role-changed", "signed-in"]
    # A later launch as a learner takes nothing back: the site's role is its admins'.
    platform.next_claims = {}
    platform.launch(app.test_client(), COURSE)
    assert [user.role for user in users(app)] == [Role.TRAINER]


def role_events(app, name: str) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                sa.select(SecurityEvent.kind)
                .join(User, User.id == SecurityEvent.user_id)
                .where(User.display_name == name)
            )
        )


def test_a_platform_administrator_is_never_an_admin_here(app, client, platform):
    with app.app_context():
        (registered,) = lti.registrations(db.session)
        lti.update(db.session, registered, platform.details(instructors_become_trainers=True))
    platform.next_claims = {
        lti.ROLES: [
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
        ]
    }
    platform.launch(client, COURSE)
    (user,) = users(app)
    assert user.role is Role.TRAINER
    assert client.get("/en/admin/lti").status_code == 403


def test_a_platforms_cohort_leaves_a_course_open_to_everyone(app, client, platform):
    platform.launch(client, COURSE)
    # Anyone, signed in or not, still opens the course's lessons, as before the launch.
    assert app.test_client().get(LESSON_PAGE).status_code == 200
    other = sign_in_as(app, None, "nuno@example.org")
    assert other.get(LESSON_PAGE).status_code == 200
    with app.app_context():
        (cohort,) = db.session.scalars(sa.select(Cohort)).all()
        # Closed to anyone the platform does not launch: nobody joins it on their own.
        assert cohort.enrolment is Enrolment.CLOSED
        assert cohorts.open_cohort(db.session, "co-production") is None
        assert cohorts.is_open(db.session, "co-production")


def test_a_course_closed_by_a_cohort_of_its_own_stays_closed(app, client, platform):
    platform.launch(client, COURSE)
    with app.app_context():
        cohorts.create(
            db.session,
            "co-production",
            cohorts.CohortDetails(
                name="Members only",
                starts_on=None,
                ends_on=None,
                enrolment=Enrolment.CLOSED,
                trainer_ids=frozenset(),
            ),
        )
    assert app.test_client().get(LESSON_PAGE).status_code == 404
    # The platform's learner is its cohort's member: they still take part.
    assert client.get(LESSON_PAGE).status_code == 200


@pytest.mark.parametrize(
    ("roles", "leads"),
    [
        (None, False),
        ("Instructor", False),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], False),
        ([42, "Instructor"], True),
    ],
)
def test_only_a_role_in_the_platforms_course_that_leads_it_makes_a_trainer(
    app, client, platform, roles, leads
):
    platform.next_claims = {lti.ROLES: roles}
    platform.launch(client, COURSE)
    (user,) = users(app)
    assert user.role is Role.LEARNER
    with app.app_context():
        led = db.session.scalars(
            sa.select(CohortTrainer.cohort_id).where(CohortTrainer.user_id == user.id)
        ).all()
    assert bool(led) is leads


# --- Refusals ---------------------------------------------------------------------------


def start_login(client, platform, target: str = COURSE):
    """The platform's login initiation for `target`, as its page sends the browser."""
    query = {"iss": platform.issuer, "login_hint": "h", "target_link_uri": f"{TOOL}{target}"}
    return client.get("/lti/login", query_string=query)


def _refused(app, response, caplog, reason: str) -> None:
    """Refused with the status and the words the refusal has, in the page's language."""
    status, message, then = REFUSALS[Refusal(reason)]
    page = response.get_data(as_text=True)
    language = re.search(r'<html lang="([a-z]+)"', page)[1]
    with app.test_request_context(), force_locale(language):
        said = f"{message} {then}" if then else str(message)
    assert response.status_code == status
    assert str(escape(said)) in page
    logged = [
        record.getMessage()
        for record in caplog.records
        if "LTI launch refused" in record.getMessage()
    ]
    assert logged and reason in logged[-1]
    # The person is named nowhere in the log: neither their platform id nor their name.
    assert "learner-1" not in logged[-1] and "Rita" not in logged[-1]


REFUSED_CLAIMS = {
    "wrong-audience": {"aud": "someone-else"},
    "expired": {"exp": 1_000_000_000, "iat": 999_999_000},
    "wrong-deployment": {lti.DEPLOYMENT_ID: "deployment-9"},
    "unknown-issuer": {"iss": "https://elsewhere.example.org"},
}


@pytest.mark.parametrize("reason", sorted(REFUSED_CLAIMS))
def test_a_launch_with_claims_that_do_not_hold_is_refused_and_logged(
    app, client, platform, caplog, reason
):
    platform.next_claims = REFUSED_CLAIMS[reason]
    caplog.set_level(logging.WARNING)
    response = platform.launch(client, COURSE)
    _refused(app, response, caplog, reason)
    assert users(app) == []


def test_a_launch_for_several_tools_is_taken_only_when_it_names_this_one_as_its_party(
    app, client, platform, caplog
):
    caplog.set_level(logging.WARNING)
    platform.next_claims = {"aud": ["another-tool", CLIENT_ID]}
    _refused(app, platform.launch(client, COURSE), caplog, "wrong-audience")
    platform.next_claims = {"aud": ["another-tool", CLIENT_ID], "azp": "another-tool"}
    _refused(app, platform.launch(client, COURSE), caplog, "wrong-audience")
    platform.next_claims = {"aud": ["another-tool", CLIENT_ID], "azp": CLIENT_ID}
    assert platform.launch(client, COURSE).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        None,
        f"{TOOL}/en/",
        f"{TOOL}/lti/courses/nothing-here",
        f"{TOOL}{COURSE}/lessons/nothing-here",
    ],
)
def test_a_launch_targeting_no_page_of_the_site_is_refused(app, client, platform, caplog, target):
    caplog.set_level(logging.WARNING)
    platform.next_claims = {lti.TARGET_LINK_URI: target}
    _refused(app, platform.launch(client, COURSE), caplog, "unknown-target")
    assert users(app) == []


def test_a_launch_signed_with_another_key_is_refused(app, client, platform, caplog):
    caplog.set_level(logging.WARNING)
    platform.next_signing = (platform.other_key, "platform-key-1")
    response = platform.launch(client, COURSE)
    _refused(app, response, caplog, "bad-signature")
    platform.next_signing = (platform.other_key, "a-key-nobody-published")
    response = platform.launch(client, COURSE)
    _refused(app, response, caplog, "unknown-key")
    assert users(app) == []


def logins(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(LtiLogin))


@pytest.mark.parametrize(
    "claims",
    [
        {lti.AGS_ENDPOINT: {"scope": [lti.SCORE_SCOPE], "lineitem": "https://[::1/x"}},
        # A port out of range: a score could never be sent there, only tried forever.
        {lti.AGS_ENDPOINT: {"scope": [lti.SCORE_SCOPE], "lineitem": "https://lms:99999/li"}},
    ],
)
def test_a_launch_with_a_line_item_that_cannot_be_read_is_refused(
    app, client, platform, caplog, claims
):
    caplog.set_level(logging.WARNING)
    platform.next_claims = claims
    _refused(app, platform.launch(client, COURSE), caplog, "bad-address")
    assert users(app) == []
    # Refused before its state was spent: nobody was signed in with it either way.
    assert logins(app) == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://[::1/lti/courses/co-production",
        "http://localhost:99999/lti/courses/co-production",
        # Only the path is the site's.
        "https://evil.example/lti/courses/co-production",
        "http://user@localhost/lti/courses/co-production",
    ],
)
def test_a_launch_targeting_another_site_or_an_unreadable_address_is_refused(
    app, client, platform, caplog, target
):
    caplog.set_level(logging.WARNING)
    platform.next_claims = {lti.TARGET_LINK_URI: target}
    _refused(app, platform.launch(client, COURSE), caplog, "unknown-target")
    assert users(app) == []


def test_a_launch_must_target_what_its_login_started_for(app, client, platform, caplog):
    caplog.set_level(logging.WARNING)
    platform.next_claims = {lti.TARGET_LINK_URI: f"{TOOL}{LESSON}"}
    _refused(app, platform.launch(client, COURSE), caplog, "target-changed")
    assert users(app) == []


def test_an_authorised_party_other_than_the_tool_is_refused_even_with_one_audience(
    app, client, platform, caplog
):
    caplog.set_level(logging.WARNING)
    platform.next_claims = {"azp": "someone-else"}
    _refused(app, platform.launch(client, COURSE), caplog, "wrong-audience")
    platform.next_claims = {"azp": CLIENT_ID}
    assert platform.launch(client, COURSE).status_code == 303


def test_garbage_sent_to_the_login_and_the_launch_gets_a_refusal_not_an_error(
    app, client, platform
):
    for target in (
        "https://[::1/x",
        "http://localhost:99999/lti/courses/co-production",
        "http://localhost" + "/x" * 600,
        "//localhost/lti/courses/co-production",
        "\x00",
    ):
        query = {"iss": platform.issuer, "login_hint": "h", "target_link_uri": target}
        assert client.get("/lti/login", query_string=query).status_code in (400, 404)
    for params in ({"iss": "x" * 5000, "login_hint": "h", "target_link_uri": "é"}, {}):
        assert client.post("/lti/login", data=params).status_code in (400, 403)
    for form in (
        {"id_token": "a.b.c", "state": "s"},
        {"id_token": "é", "state": "ü"},
        # Claims of the wrong types, unsigned.
        {"id_token": f"{_part({'alg': 'none'})}.{_part({'iss': ['x'], 'aud': {}})}.", "state": "s"},
        {"state": "s"},
    ):
        client.set_cookie("aula_lti_state", "ü", path="/lti/launch")
        assert client.post("/lti/launch", data=form).status_code in (400, 403)
    assert logins(app) == 0


def _part(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_key_the_platform_replaces_stops_working_once_its_key_set_is_fetched_again(
    app, client, platform, caplog
):
    caplog.set_level(logging.WARNING)
    assert platform.launch(client, COURSE).status_code == 303
    withdrawn, platform.key = platform.key, new_key()
    key_set = lti._key_set(f"{platform.base}/jwks").jwk_set_cache
    try:
        # As the key set's lifespan passing would: the next launch fetches it again.
        key_set.put(None)
        assert platform.launch(app.test_client(), COURSE).status_code == 303
        platform.next_signing = (withdrawn, "platform-key-1")
        _refused(app, platform.launch(app.test_client(), COURSE), caplog, "bad-signature")
    finally:
        # The other tests' launches are signed with the platform's first key again.
        key_set.put(None)


def test_logins_are_rate_limited_per_address_generously(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True)
    try:
        browser = app.test_client()
        statuses = [browser.get("/lti/login").status_code for _ in range(121)]
        assert statuses[:120] == [400] * 120 and statuses[120] == 429
    finally:
        dispose(app)


def test_a_state_and_a_nonce_work_once(app, client, platform, caplog):
    caplog.set_level(logging.WARNING)
    started = start_login(client, platform)
    id_token, state = platform.authorise(started.headers["Location"], f"{TOOL}{COURSE}")
    assert (
        client.post("/lti/launch", data={"id_token": id_token, "state": state}).status_code == 303
    )
    # The same launch again, its state still in the browser's cookie (posted twice, or
    # replayed by someone who copied it).
    client.set_cookie(state_cookie(state), state, path="/lti/launch")
    again = client.post("/lti/launch", data={"id_token": id_token, "state": state})
    _refused(app, again, caplog, "state-unknown")
    # Its id_token with the state of a new login: the nonce is not the new login's.
    fresh = start_login(client, platform)
    _other_token, new_state = platform.authorise(fresh.headers["Location"], f"{TOOL}{COURSE}")
    replayed = client.post("/lti/launch", data={"id_token": id_token, "state": new_state})
    _refused(app, replayed, caplog, "nonce-reused")


def test_two_logins_started_in_one_browser_both_launch(app, client, platform):
    started = [(start_login(client, platform, target), target) for target in (COURSE, LESSON)]
    for response, target in started:
        id_token, state = platform.authorise(response.headers["Location"], f"{TOOL}{target}")
        launched = client.post("/lti/launch", data={"id_token": id_token, "state": state})
        assert launched.status_code == 303, launched.get_data(as_text=True)
    assert launched.headers["Location"].endswith("/lessons/what-is-co-production")


def test_a_launch_reaching_another_browser_is_refused_and_says_to_open_a_new_window(
    app, client, platform, caplog
):
    caplog.set_level(logging.WARNING)
    started = start_login(client, platform)
    id_token, state = platform.authorise(started.headers["Location"], f"{TOOL}{COURSE}")
    # In a frame of the platform's page, a browser keeps no cookie of the tool's.
    framed = app.test_client()
    response = framed.post("/lti/launch", data={"id_token": id_token, "state": state})
    _refused(app, response, caplog, "other-browser")


def test_a_refusal_speaks_the_language_the_launch_asked_for(app, client, platform, caplog):
    platform.next_claims = {"exp": 1_000_000_000, "iat": 999_999_000}
    response = platform.launch(client, COURSE)
    assert response.status_code == 403
    assert '<html lang="pt"' in response.get_data(as_text=True)


def test_a_login_from_an_unknown_platform_or_for_another_site_is_refused(
    app, client, platform, caplog
):
    caplog.set_level(logging.WARNING)
    unknown = client.get(
        "/lti/login",
        query_string={
            "iss": "https://elsewhere.example.org",
            "login_hint": "h",
            "target_link_uri": f"{TOOL}{COURSE}",
        },
    )
    _refused(app, unknown, caplog, "unknown-issuer")
    elsewhere = client.get(
        "/lti/login",
        query_string={
            "iss": platform.issuer,
            "login_hint": "h",
            "target_link_uri": "https://evil.example.org/",
        },
    )
    _refused(app, elsewhere, caplog, "unknown-target")
    incomplete = client.post("/lti/login", data={"iss": platform.issuer})
    _refused(app, incomplete, caplog, "incomplete")


def test_logins_never_finished_are_purged(app, client, platform):
    for _ in range(2):
        client.get(
            "/lti/login",
            query_string={
                "iss": platform.issuer,
                "login_hint": "h",
                "target_link_uri": f"{TOOL}{COURSE}",
            },
        )
    with app.app_context():
        db.session.execute(sa.update(LtiLogin).values(expires_at=utcnow() - lti.LOGIN_LIFETIME))
        db.session.commit()
    platform.launch(client, COURSE)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LtiLogin)) == 0


def test_a_target_link_opened_without_a_launch_leads_to_the_page(client):
    assert client.get(LESSON, headers={"Accept-Language": "pt"}).headers["Location"] == (
        "/pt/courses/co-production/lessons/what-is-co-production"
    )
    assert client.get("/lti/courses/nothing-here").status_code == 404


def test_the_tool_signs_with_the_sites_own_published_key(app, client):
    with app.app_context():
        assertion = lti.client_assertion(db.session, app.secret_key, CLIENT_ID, "https://lms/token")
    header = jwt.get_unverified_header(assertion)
    published = client.get("/.well-known/jwks.json").get_json()["keys"]
    key = jwt.PyJWK(next(k for k in published if k["kid"] == header["kid"]))
    claims = jwt.decode(assertion, key, algorithms=["RS256"], audience="https://lms/token")
    assert claims["iss"] == claims["sub"] == CLIENT_ID


def test_a_launched_learner_downloads_and_erases_their_data_without_a_password(
    app, client, platform
):
    platform.launch(client, COURSE)
    download = client.get("/account/data.json")
    assert download.status_code == 200
    assert download.get_json()
    page = client.get("/en/account/data").get_data(as_text=True)
    assert "Your learning platform signed you in: no password is asked." in page
    erased = client.submit("/en/account/data", "/en/account/erase")
    assert erased.status_code == 303
    assert users(app) == []


def test_the_data_page_says_which_platform_the_person_comes_from(app, client, platform):
    platform.launch(client, COURSE)
    page = client.get("/en/account/data").get_data(as_text=True)
    assert "You open the courses from Test Moodle, which knows you as learner-1" in page
    assert f"{platform.base}/lineitems/7/lineitem?type=lti" in page
